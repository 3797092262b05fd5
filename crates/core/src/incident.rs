//! Signals, incidents and alerts.

use std::fmt;

use crate::series::Labels;
use crate::severity::Severity;
use crate::time::Timestamp;

/// What kind of evidence a [`Signal`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SignalKind {
    /// A detector scored a point as anomalous.
    Anomaly,
    /// An observed value left a forecast's prediction interval.
    ForecastBreach,
    /// A forecast gives a probability of crossing a failure threshold.
    FailureProbability,
    /// An SLO error budget burns faster than allowed.
    SloBurn,
    /// A threat found in logs (brute force, scan, rule match).
    LogThreat,
    /// A compliance policy is violated.
    PolicyViolation,
    /// Anything else, named.
    Other(String),
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalKind::Anomaly => f.write_str("anomaly"),
            SignalKind::ForecastBreach => f.write_str("forecast_breach"),
            SignalKind::FailureProbability => f.write_str("failure_probability"),
            SignalKind::SloBurn => f.write_str("slo_burn"),
            SignalKind::LogThreat => f.write_str("log_threat"),
            SignalKind::PolicyViolation => f.write_str("policy_violation"),
            SignalKind::Other(name) => f.write_str(name),
        }
    }
}

/// One piece of evidence attached to an incident.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Signal {
    /// What kind of evidence.
    pub kind: SignalKind,
    /// Where it came from: a series key, a detector, a log file.
    pub source: String,
    /// When it was observed.
    pub at: Timestamp,
    /// Its strength: a score in [0, 1] for anomalies and probabilities, else the raw value.
    pub value: f64,
    /// Human-readable detail.
    pub detail: String,
}

/// Identifier of an incident, unique within one orchestrator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct IncidentId(pub u64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{:04}", self.0)
    }
}

/// Lifecycle state of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum IncidentStatus {
    /// Evidence is still arriving or the quiet period has not passed.
    Open,
    /// No evidence for a full quiet period.
    Resolved,
}

/// A group of related signals on one resource, with a severity.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Incident {
    /// Unique id.
    pub id: IncidentId,
    /// The affected resource (for a CSV input, the file stem).
    pub resource: String,
    /// Labels of the resource.
    pub labels: Labels,
    /// Assessed severity.
    pub severity: Severity,
    /// Why that severity.
    pub severity_reasons: Vec<String>,
    /// Open or resolved.
    pub status: IncidentStatus,
    /// First signal.
    pub start: Timestamp,
    /// Last signal.
    pub end: Timestamp,
    /// When it was resolved, if it was.
    pub resolved_at: Option<Timestamp>,
    /// The evidence, in time order.
    pub signals: Vec<Signal>,
    /// Probability of failure within the forecast horizon, when computed.
    pub failure_probability: Option<f64>,
}

impl Incident {
    /// A new open incident started by one signal.
    pub fn open(id: IncidentId, resource: impl Into<String>, first: Signal) -> Self {
        Incident {
            id,
            resource: resource.into(),
            labels: Labels::new(),
            severity: Severity::Info,
            severity_reasons: Vec::new(),
            status: IncidentStatus::Open,
            start: first.at,
            end: first.at,
            resolved_at: None,
            signals: vec![first],
            failure_probability: None,
        }
    }

    /// Adds a signal and moves `end` forward if it is later.
    pub fn push_signal(&mut self, signal: Signal) {
        if signal.at > self.end {
            self.end = signal.at;
        }
        self.signals.push(signal);
    }

    /// The highest signal value of a kind, if any.
    pub fn peak(&self, kind: &SignalKind) -> Option<f64> {
        self.signals
            .iter()
            .filter(|s| &s.kind == kind)
            .map(|s| s.value)
            .fold(None, |m, v| Some(m.map_or(v, |m: f64| m.max(v))))
    }

    /// Marks the incident resolved at `at`.
    pub fn resolve(&mut self, at: Timestamp) {
        self.status = IncidentStatus::Resolved;
        self.resolved_at = Some(at);
    }
}

/// A notification derived from an incident, in the shape alert routers expect.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Alert {
    /// The incident it reports.
    pub incident: IncidentId,
    /// The affected resource.
    pub resource: String,
    /// Its severity.
    pub severity: Severity,
    /// One-line summary.
    pub summary: String,
    /// Routing labels.
    pub labels: Labels,
    /// When the problem started.
    pub starts_at: Timestamp,
    /// When it ended, for a resolved incident.
    pub ends_at: Option<Timestamp>,
}

impl Alert {
    /// The alert for an incident in its current state.
    pub fn from_incident(incident: &Incident) -> Self {
        let summary = format!(
            "{} {} on {}: {} signal(s) since {}",
            incident.severity,
            incident.id,
            incident.resource,
            incident.signals.len(),
            incident.start
        );
        Alert {
            incident: incident.id,
            resource: incident.resource.clone(),
            severity: incident.severity,
            summary,
            labels: incident.labels.clone(),
            starts_at: incident.start,
            ends_at: incident.resolved_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(at: i64, value: f64) -> Signal {
        Signal {
            kind: SignalKind::Anomaly,
            source: "m".into(),
            at: Timestamp::from_secs(at),
            value,
            detail: String::new(),
        }
    }

    #[test]
    fn incident_lifecycle() {
        let mut inc = Incident::open(IncidentId(1), "db", sig(10, 0.7));
        inc.push_signal(sig(20, 0.9));
        inc.push_signal(sig(15, 0.8));
        assert_eq!(inc.end, Timestamp::from_secs(20));
        assert_eq!(inc.peak(&SignalKind::Anomaly), Some(0.9));
        assert_eq!(inc.peak(&SignalKind::LogThreat), None);
        inc.resolve(Timestamp::from_secs(100));
        let alert = Alert::from_incident(&inc);
        assert_eq!(alert.ends_at, Some(Timestamp::from_secs(100)));
        assert_eq!(inc.id.to_string(), "INC-0001");
    }
}
