//! The `IntelligentOps` orchestrator and its pluggable parts.

pub mod builtin;
pub mod integrations;
mod orchestrator;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub mod prometheus;
mod report;
mod source;
mod traits;

pub use orchestrator::{IntelligentOps, IntelligentOpsBuilder, OpsConfig, Progress};
pub use report::{
    ActionCounts, ComplianceSummary, IncidentReport, Report, SeriesReport, SeverityCounts,
    SignalReport, Summary,
};
pub use source::SeriesSource;
pub use traits::{
    ActionRecord, ActionStatus, Detector, DetectorFactory, Direction, EventSink, FailurePrediction,
    FailurePredictor, FailureQuery, MetricSource, ProposedAction, RemediationEngine,
    SeverityAssessor, SeverityContext,
};

/// The detector factory used when none is given: the `aiops-anomaly`
/// ensemble with the `anomaly` feature, else [`builtin::RobustZFactory`].
pub fn default_detectors() -> Box<dyn DetectorFactory> {
    #[cfg(feature = "anomaly")]
    {
        Box::new(integrations::EnsembleDetectors::default())
    }
    #[cfg(not(feature = "anomaly"))]
    {
        Box::new(builtin::RobustZFactory::default())
    }
}

/// The failure predictor used when none is given: `aiops-forecast` with the
/// `forecast` feature, else [`builtin::DriftFailurePredictor`].
pub fn default_predictor() -> Box<dyn FailurePredictor> {
    #[cfg(feature = "forecast")]
    {
        Box::new(integrations::ForecastPredictor::default())
    }
    #[cfg(not(feature = "forecast"))]
    {
        Box::new(builtin::DriftFailurePredictor::default())
    }
}

/// The severity assessor used when none is given: `aiops-remediation`'s
/// rules with the `remediation` feature, else [`builtin::RuleSeverityAssessor`].
pub fn default_assessor() -> Box<dyn SeverityAssessor> {
    #[cfg(feature = "remediation")]
    {
        Box::new(integrations::RemediationSeverity::default())
    }
    #[cfg(not(feature = "remediation"))]
    {
        Box::new(builtin::RuleSeverityAssessor::default())
    }
}

/// The remediation engine used when none is given: always a dry run. With
/// the `remediation` feature it is the guarded `aiops-remediation` engine
/// (journal in memory), else [`builtin::DryRunRemediation`].
pub fn default_remediation() -> Box<dyn RemediationEngine> {
    #[cfg(feature = "remediation")]
    {
        match integrations::GuardedRemediation::dry_run() {
            Ok(r) => return Box::new(r),
            Err(e) => {
                tracing::warn!(error = %e, "remediation engine unavailable; built-in dry run used")
            }
        }
    }
    Box::new(builtin::DryRunRemediation)
}
