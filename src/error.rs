//! The facade's error type.

/// Errors raised by the orchestrator and its built-in parts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid input data or a shared-type invariant (CSV errors name file, line and column).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
    /// The orchestrator was configured with an invalid value.
    #[error("invalid configuration: {field}: {message}")]
    Config {
        /// The offending setting.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A metric source failed.
    #[error("metric source `{source_name}` failed: {message}")]
    Source {
        /// The source's name.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Observations arrived out of time order for one series.
    #[error("series `{series}`: observation at {at} is not after the previous one at {previous}")]
    OutOfOrder {
        /// The series.
        series: String,
        /// The late observation's timestamp.
        at: String,
        /// The previous timestamp of that series.
        previous: String,
    },
    /// A forecaster failed for a resource.
    #[error("forecast for `{resource}` failed: {message}")]
    Forecast {
        /// The resource.
        resource: String,
        /// What went wrong.
        message: String,
    },
    /// Remediation failed for an incident.
    #[error("remediation of {incident} failed: {message}")]
    Remediation {
        /// The incident.
        incident: String,
        /// What went wrong.
        message: String,
    },
    /// An event sink could not record an event.
    #[error("event sink failed: {0}")]
    Sink(String),
    /// Log analysis failed (`aiops-secops`).
    #[cfg(feature = "secops")]
    #[cfg_attr(docsrs, doc(cfg(feature = "secops")))]
    #[error(transparent)]
    Secops(#[from] aiops_secops::Error),
    /// A compliance evaluation failed (`aiops-policy`).
    #[cfg(feature = "policy")]
    #[cfg_attr(docsrs, doc(cfg(feature = "policy")))]
    #[error(transparent)]
    Policy(#[from] aiops_policy::Error),
    /// Capacity planning failed (`aiops-iac`).
    #[cfg(feature = "iac")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iac")))]
    #[error(transparent)]
    Iac(#[from] aiops_iac::Error),
    /// A skills evaluation failed (`aiops-skills`).
    #[cfg(feature = "skills")]
    #[cfg_attr(docsrs, doc(cfg(feature = "skills")))]
    #[error(transparent)]
    Skills(#[from] aiops_skills::Error),
    /// A placement problem could not be solved (`aiops-quantum-sim`).
    #[cfg(feature = "quantum-sim")]
    #[cfg_attr(docsrs, doc(cfg(feature = "quantum-sim")))]
    #[error(transparent)]
    Quantum(#[from] aiops_quantum_sim::Error),
    /// A canary judgement failed (`aiops-gitops`).
    #[cfg(feature = "gitops")]
    #[cfg_attr(docsrs, doc(cfg(feature = "gitops")))]
    #[error(transparent)]
    Gitops(#[from] aiops_gitops::Error),
    /// Writing an output failed.
    #[error("cannot write {path}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl aiops_core::AiopsError for Error {}

/// Result alias with the facade's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
