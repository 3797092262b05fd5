//! The pluggable parts of the orchestrator.
//!
//! I/O-facing parts (metric sources, remediation, event sinks) are async and
//! object safe through `async-trait`, so the orchestrator stores them as
//! `Box<dyn _>`. Compute parts (detectors, failure predictors, severity
//! assessors) are synchronous.

use std::fmt::Debug;

use aiops_core::{Event, Incident, Observation, SeriesKey, Severity, TimeSeries, Timestamp};
use async_trait::async_trait;

use crate::error::Result;

/// Where observations come from: files, Prometheus, a test fixture.
#[async_trait]
pub trait MetricSource: Send + Debug {
    /// A name for errors and reports.
    fn name(&self) -> &str;

    /// The next batch of observations, in non-decreasing timestamp order
    /// within the batch and across batches; `Ok(None)` when the source is
    /// exhausted. A streaming source may return an empty batch when nothing
    /// new arrived.
    async fn next_batch(&mut self) -> Result<Option<Vec<Observation>>>;

    /// Total number of observations, when known up front (for progress).
    fn size_hint(&self) -> Option<usize> {
        None
    }

    /// Input rows of a resource that the source left out (for example rows
    /// that went back in time), so the report can count them.
    fn skipped_rows(&self, resource: &str) -> usize {
        let _ = resource;
        0
    }
}

/// A streaming anomaly detector for one series.
pub trait Detector: Send + Debug {
    /// Scores one point. `value` is NaN for a missing point; the detector
    /// returns `None` for it (missing, not normal) and for points it cannot
    /// score yet (warm-up). Scores are in [0, 1], higher is more anomalous.
    fn update(&mut self, t: Timestamp, value: f64) -> Option<f64>;
}

/// Creates one detector per series, and says which score is anomalous.
pub trait DetectorFactory: Send + Sync + Debug {
    /// A fresh detector for a series.
    fn create(&self, key: &SeriesKey) -> Box<dyn Detector>;

    /// Scores at or above this open or extend an incident.
    fn threshold(&self) -> f64;

    /// A short name for reports.
    fn name(&self) -> &str;
}

/// Which way a failure threshold is crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Failure when the value rises above the threshold.
    Above,
    /// Failure when the value falls below the threshold.
    Below,
}

/// A question for a [`FailurePredictor`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureQuery {
    /// The failure threshold.
    pub threshold: f64,
    /// Which way it is crossed.
    pub direction: Direction,
    /// How many steps of the series' own spacing to look ahead.
    pub horizon_steps: usize,
}

/// The answer of a [`FailurePredictor`].
#[derive(Debug, Clone, PartialEq)]
pub struct FailurePrediction {
    /// Probability in [0, 1] that the series crosses the threshold within the horizon.
    pub probability: f64,
    /// Expected number of steps until the crossing, when it is expected within the horizon.
    pub expected_steps: Option<f64>,
    /// The model that produced it.
    pub model: String,
}

/// Forecasts a resource's series and gives the probability of failure.
pub trait FailurePredictor: Send + Sync + Debug {
    /// The probability that `history` crosses `query.threshold` within the horizon.
    fn predict(&self, history: &TimeSeries, query: &FailureQuery) -> Result<FailurePrediction>;
}

/// Everything a severity assessor may use about an incident.
#[derive(Debug, Clone, Copy)]
pub struct SeverityContext<'a> {
    /// The incident so far.
    pub incident: &'a Incident,
    /// How many resources have an open incident right now (this one included).
    pub open_incidents: usize,
    /// How many resources the orchestrator watches.
    pub resources: usize,
}

/// Turns an incident's evidence into a severity with reasons.
pub trait SeverityAssessor: Send + Sync + Debug {
    /// The severity and the reasons for it.
    fn assess(&self, ctx: &SeverityContext<'_>) -> (Severity, Vec<String>);
}

/// What happened to one remediation action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Planned but not (yet) run.
    Planned,
    /// Run for real and succeeded.
    Executed,
    /// Run as a dry run: recorded what would happen, changed nothing.
    DryRun,
    /// Stopped by a guard (rate limit, approval, kill switch, ...).
    Blocked,
    /// Run and failed (or timed out).
    Failed,
    /// Not run because an earlier step failed or was blocked.
    Skipped,
}

impl ActionStatus {
    /// The snake-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Executed => "executed",
            ActionStatus::DryRun => "dry_run",
            ActionStatus::Blocked => "blocked",
            ActionStatus::Failed => "failed",
            ActionStatus::Skipped => "skipped",
        }
    }
}

/// One remediation action and its outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActionRecord {
    /// The action kind (`failover`, `restart`, `scale_up`, `notify`, ...).
    pub kind: String,
    /// What happened to it.
    pub status: ActionStatus,
    /// Why: the runbook step, the guard's verdict, the error.
    pub reason: String,
}

/// An action proposed outside the runbooks, for example "isolate this
/// source address" from log threat detection. The engine runs it through
/// the same guards and journal as its own steps.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedAction {
    /// Action kind in snake case (`isolate_source`, `notify`, `open_ticket`, ...).
    pub kind: String,
    /// What it acts on: an address, a resource, a team.
    pub target: String,
    /// Parameters (`duration_secs`, `message`, ...).
    pub params: Vec<(String, String)>,
    /// Why it was proposed.
    pub reason: String,
}

/// Plans and runs remediation for an incident.
#[async_trait]
pub trait RemediationEngine: Send + Sync + Debug {
    /// Plans the actions for the incident at its current severity and runs
    /// them through the engine's guards. Called when an incident opens and
    /// again when its severity rises.
    async fn remediate(&self, incident: &Incident) -> Result<Vec<ActionRecord>>;

    /// Runs one proposed action for an incident through the engine's guards.
    /// The default records it as planned and runs nothing.
    async fn execute_proposed(
        &self,
        incident: &Incident,
        action: &ProposedAction,
    ) -> Result<ActionRecord> {
        let _ = incident;
        Ok(ActionRecord {
            kind: action.kind.clone(),
            status: ActionStatus::Planned,
            reason: format!(
                "{} (this engine does not run proposed actions)",
                action.reason
            ),
        })
    }
}

/// Receives every decision of the orchestrator (audit trail).
#[async_trait]
pub trait EventSink: Send + Sync + Debug {
    /// Records one event. An error stops the run: an audit trail with holes
    /// is not presented as complete.
    async fn record(&self, event: &Event) -> Result<()>;
}
