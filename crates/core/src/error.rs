//! The crate's error type and the marker trait every crate's error implements.

use std::path::PathBuf;

/// Marker trait implemented by the `Error` type of every crate in the family.
///
/// It lets code that wires several crates together (the `aiops` facade, a
/// service) accept any of them as `Box<dyn AiopsError>` while keeping each
/// crate's own typed enum.
pub trait AiopsError: std::error::Error + Send + Sync + 'static {}

impl AiopsError for Error {}

/// Errors raised while building or reading the shared types.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A timestamp string could not be parsed.
    #[error(
        "invalid timestamp {value:?}: expected RFC 3339, `YYYY-MM-DD HH:MM:SS[.ffffff]` or Unix seconds"
    )]
    InvalidTimestamp {
        /// The text that failed to parse.
        value: String,
    },
    /// A number of Unix seconds outside the representable range.
    #[error(
        "timestamp {value:?} is out of range: Unix seconds must lie within +-8e12 (about 250,000 years)"
    )]
    TimestampOutOfRange {
        /// The text that was read.
        value: String,
    },
    /// Timestamps and values of a series have different lengths.
    #[error("series `{series}`: {timestamps} timestamps but {values} values")]
    LengthMismatch {
        /// Name of the series.
        series: String,
        /// Number of timestamps.
        timestamps: usize,
        /// Number of values.
        values: usize,
    },
    /// Timestamps of a series are not strictly increasing.
    #[error(
        "series `{series}`: timestamp {current} at index {index} is not after the previous one {previous}"
    )]
    Unsorted {
        /// Name of the series.
        series: String,
        /// Index of the offending point.
        index: usize,
        /// The timestamp before it.
        previous: String,
        /// The offending timestamp.
        current: String,
    },
    /// A value is infinite (NaN is allowed and means a missing point).
    #[error("series `{series}`: value at index {index} is not finite ({value})")]
    NonFinite {
        /// Name of the series.
        series: String,
        /// Index of the offending point.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// An anomaly score outside [0, 1] or NaN.
    #[error("anomaly score {0} is outside [0, 1]")]
    ScoreOutOfRange(f64),
    /// A label name is empty or not of the form `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("invalid label name {0:?}")]
    InvalidLabelName(String),
    /// A CSV input is malformed; the message says where.
    #[error("{source_name}:{line}:{column}: {message}")]
    Csv {
        /// File path or name of the input.
        source_name: String,
        /// 1-based line number (0 when unknown).
        line: u64,
        /// 1-based column number (0 when the whole line is at fault).
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A CSV row's timestamp is not after the previous row's (a duplicate or
    /// a step back in time) under [`crate::OrderPolicy::Reject`].
    #[error("{source_name}:{line}:1: {}", order_message(*.timestamp, *.previous))]
    OutOfOrder {
        /// File path or name of the input.
        source_name: String,
        /// 1-based line number of the offending row.
        line: u64,
        /// The row's timestamp.
        timestamp: crate::Timestamp,
        /// The previous kept row's timestamp.
        previous: crate::Timestamp,
    },
    /// An input file could not be opened or read.
    #[error("cannot read {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn order_message(timestamp: crate::Timestamp, previous: crate::Timestamp) -> String {
    if timestamp == previous {
        format!("duplicate timestamp {timestamp}")
    } else {
        format!(
            "timestamp {timestamp} is before the previous row's {previous}; rows must be sorted"
        )
    }
}
