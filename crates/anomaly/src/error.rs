//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by the detectors, the feature extraction and the NAB scorer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What the valid range is.
        reason: &'static str,
    },
    /// The input has no rows (or too few for the method).
    #[error("{what}: need at least {needed} row(s), got {got}")]
    TooFewRows {
        /// What was being built or scored.
        what: &'static str,
        /// Minimum number of rows.
        needed: usize,
        /// Number of rows given.
        got: usize,
    },
    /// A value is NaN or infinite where a finite number is required.
    #[error("{what}: value at row {row}, column {column} is not finite ({value})")]
    NonFinite {
        /// What was being built or scored.
        what: &'static str,
        /// 0-based row index.
        row: usize,
        /// 0-based column index.
        column: usize,
        /// The offending value.
        value: f64,
    },
    /// The scored rows do not have the width the model was fitted on.
    #[error("width mismatch: model fitted on {expected} feature(s), input has {got}")]
    WidthMismatch {
        /// Width the model expects.
        expected: usize,
        /// Width of the input.
        got: usize,
    },
    /// Timestamps are not strictly increasing.
    #[error("series `{series}`: timestamp at index {index} is not after the previous one")]
    Unsorted {
        /// Name of the series.
        series: String,
        /// Index of the offending point.
        index: usize,
    },
    /// A NAB corpus file (data, labels, results, config) is malformed.
    #[error("{path}: {message}")]
    Nab {
        /// The file at fault.
        path: PathBuf,
        /// What was wrong (with line or key when known).
        message: String,
    },
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error from the shared types (CSV parsing, series validation).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn param(
        name: &'static str,
        value: impl std::fmt::Display,
        reason: &'static str,
    ) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason,
        }
    }

    pub(crate) fn nab(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Nab {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
