//! The run report: incidents with their actions, and a summary.

use std::fmt::Write as _;

use aiops_core::{Incident, IncidentStatus, Severity};
use serde::Serialize;

use crate::ops::traits::{ActionRecord, ActionStatus};

/// One signal as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalReport {
    /// Signal kind (`anomaly`, `failure_probability`, ...).
    pub kind: String,
    /// RFC 3339 UTC time.
    pub at: String,
    /// Score, probability or raw value.
    pub value: f64,
    /// Human-readable detail.
    pub detail: String,
}

/// One incident as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentReport {
    /// `INC-0001`, ...
    pub id: String,
    /// The resource (series name; a CSV input's file stem).
    pub resource: String,
    /// `info`, `warning` or `critical`.
    pub severity: Severity,
    /// `open` or `resolved` at the end of the run.
    pub status: IncidentStatus,
    /// First signal, RFC 3339 UTC.
    pub start: String,
    /// Last signal, RFC 3339 UTC.
    pub end: String,
    /// When the quiet period passed, RFC 3339 UTC.
    pub resolved_at: Option<String>,
    /// The evidence.
    pub signals: Vec<SignalReport>,
    /// Probability of failure within the horizon, computed when the incident opened.
    pub failure_probability: Option<f64>,
    /// Why the severity.
    pub severity_reasons: Vec<String>,
    /// Remediation actions and their outcomes.
    pub actions: Vec<ActionRecord>,
}

impl IncidentReport {
    /// Builds the report of an incident and its actions.
    pub fn new(incident: &Incident, actions: &[ActionRecord]) -> Self {
        IncidentReport {
            id: incident.id.to_string(),
            resource: incident.resource.clone(),
            severity: incident.severity,
            status: incident.status,
            start: incident.start.to_rfc3339(),
            end: incident.end.to_rfc3339(),
            resolved_at: incident.resolved_at.map(|t| t.to_rfc3339()),
            signals: incident
                .signals
                .iter()
                .map(|s| SignalReport {
                    kind: s.kind.to_string(),
                    at: s.at.to_rfc3339(),
                    value: s.value,
                    detail: s.detail.clone(),
                })
                .collect(),
            failure_probability: incident.failure_probability,
            severity_reasons: incident.severity_reasons.clone(),
            actions: actions.to_vec(),
        }
    }
}

/// Per-series data quality and activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesReport {
    /// The series (resource) name.
    pub resource: String,
    /// Points observed, missing ones included.
    pub points: usize,
    /// Missing (NaN) points: counted, never scored as normal.
    pub missing_points: usize,
    /// Gaps: spacing above 1.5 times the usual step.
    pub gaps: usize,
    /// Input rows the source left out (out of time order), counted here.
    pub skipped_rows: usize,
    /// Points scored at or above the threshold.
    pub anomalous_points: usize,
    /// Incidents opened on it.
    pub incidents: usize,
}

/// Incident counts per severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SeverityCounts {
    /// Info incidents.
    pub info: usize,
    /// Warning incidents.
    pub warning: usize,
    /// Critical incidents.
    pub critical: usize,
}

/// Action counts by outcome. `planned` counts every action; the others split it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ActionCounts {
    /// Every planned action.
    pub planned: usize,
    /// Run for real and succeeded.
    pub executed: usize,
    /// Run as a dry run.
    pub dry_run: usize,
    /// Stopped by a guard.
    pub blocked: usize,
    /// Failed or timed out.
    pub failed: usize,
    /// Not run because an earlier step failed or was blocked.
    pub skipped: usize,
    /// Planned and never run (no executor outcome).
    pub pending: usize,
}

impl ActionCounts {
    /// Adds one action's outcome.
    pub fn add(&mut self, status: ActionStatus) {
        self.planned += 1;
        match status {
            ActionStatus::Planned => self.pending += 1,
            ActionStatus::Executed => self.executed += 1,
            ActionStatus::DryRun => self.dry_run += 1,
            ActionStatus::Blocked => self.blocked += 1,
            ActionStatus::Failed => self.failed += 1,
            ActionStatus::Skipped => self.skipped += 1,
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Series observed.
    pub series: usize,
    /// Points observed, missing ones included.
    pub points: usize,
    /// Missing points over all series.
    pub missing_points: usize,
    /// Gaps over all series.
    pub gaps: usize,
    /// Input rows left out by the source over all series.
    pub skipped_rows: usize,
    /// Incidents opened.
    pub incidents: usize,
    /// Incidents per severity.
    pub by_severity: SeverityCounts,
    /// Actions by outcome.
    pub actions: ActionCounts,
    /// Events sent to the sinks.
    pub events: usize,
    /// The detector used.
    pub detector: String,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: f64,
}

/// The result of a compliance evaluation run with the orchestrator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceSummary {
    /// The files or folders evaluated.
    pub paths: Vec<String>,
    /// Documents (resources) evaluated.
    pub documents: usize,
    /// Compliance score 0..=100, weighted by severity.
    pub score: f64,
    /// Findings per severity.
    pub by_severity: SeverityCounts,
    /// Every finding: `resource: policy (severity): message`.
    pub findings: Vec<String>,
}

/// What a run of the orchestrator found and did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Incidents in the order they opened.
    pub incidents: Vec<IncidentReport>,
    /// Totals.
    pub summary: Summary,
    /// Per-series data quality.
    pub series: Vec<SeriesReport>,
    /// The compliance evaluation, when the orchestrator was given manifests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance: Option<ComplianceSummary>,
    /// The incidents as `aiops-core` values (for other crates, e.g. a team
    /// skills report weighted by this run's incidents). Not serialised:
    /// `incidents` is their report form.
    #[serde(skip)]
    pub core_incidents: Vec<Incident>,
}

impl Report {
    /// The report as pretty JSON (`{"incidents":[...],"summary":{...},"series":[...]}`).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// A readable incident timeline, one block per incident.
    pub fn timeline(&self) -> String {
        let mut out = String::new();
        for inc in &self.incidents {
            let anomalies = inc.signals.iter().filter(|s| s.kind == "anomaly").count();
            let evidence = if anomalies > 0 {
                format!("{anomalies} anomalous points")
            } else {
                let kinds: Vec<&str> = inc.signals.iter().map(|s| s.kind.as_str()).collect();
                format!("{} signal(s): {}", kinds.len(), kinds.join(", "))
            };
            let _ = writeln!(
                out,
                "{}  {:<8} {:<40} {} .. {}  ({}{})",
                inc.id,
                inc.severity.as_str(),
                inc.resource,
                inc.start,
                inc.end,
                evidence,
                inc.failure_probability
                    .map(|p| format!(", P(failure) {p:.2}"))
                    .unwrap_or_default()
            );
            for r in &inc.severity_reasons {
                let _ = writeln!(out, "           why: {r}");
            }
            for a in &inc.actions {
                let _ = writeln!(
                    out,
                    "           {:<8} {:<22} {}",
                    a.status.as_str(),
                    a.kind,
                    a.reason
                );
            }
        }
        out
    }

    /// The compliance summary as text, when there is one.
    pub fn compliance_text(&self) -> Option<String> {
        let c = self.compliance.as_ref()?;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "score {:.1}/100 over {} documents: {} critical, {} warning, {} info finding(s)",
            c.score, c.documents, c.by_severity.critical, c.by_severity.warning, c.by_severity.info
        );
        for f in &c.findings {
            let _ = writeln!(out, "  {f}");
        }
        Some(out)
    }

    /// The summary as a small table.
    pub fn summary_table(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let _ = writeln!(out, "{:<28} {:>10}", "series", s.series);
        let _ = writeln!(out, "{:<28} {:>10}", "points", s.points);
        let _ = writeln!(out, "{:<28} {:>10}", "missing points", s.missing_points);
        let _ = writeln!(out, "{:<28} {:>10}", "gaps", s.gaps);
        let _ = writeln!(
            out,
            "{:<28} {:>10}",
            "rows skipped (out of order)", s.skipped_rows
        );
        let _ = writeln!(out, "{:<28} {:>10}", "incidents", s.incidents);
        let _ = writeln!(out, "{:<28} {:>10}", "  critical", s.by_severity.critical);
        let _ = writeln!(out, "{:<28} {:>10}", "  warning", s.by_severity.warning);
        let _ = writeln!(out, "{:<28} {:>10}", "  info", s.by_severity.info);
        let _ = writeln!(out, "{:<28} {:>10}", "actions planned", s.actions.planned);
        let _ = writeln!(out, "{:<28} {:>10}", "  executed", s.actions.executed);
        let _ = writeln!(out, "{:<28} {:>10}", "  dry run", s.actions.dry_run);
        let _ = writeln!(out, "{:<28} {:>10}", "  blocked", s.actions.blocked);
        let _ = writeln!(out, "{:<28} {:>10}", "  failed", s.actions.failed);
        let _ = writeln!(out, "{:<28} {:>10}", "  skipped", s.actions.skipped);
        let _ = writeln!(out, "{:<28} {:>10}", "audit events", s.events);
        let _ = writeln!(out, "{:<28} {:>10.1}", "time taken (ms)", s.elapsed_ms);
        out
    }
}
