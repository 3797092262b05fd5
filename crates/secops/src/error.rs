//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by log parsing, template mining, threat detection and Sigma rules.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A log format string (or raw header regex) does not compile.
    #[error("log format `{format}`: {message}")]
    InvalidFormat {
        /// The format string or name.
        format: String,
        /// What was wrong.
        message: String,
    },
    /// A masking rule's regular expression does not compile.
    #[error("masking rule `{pattern}`: {message}")]
    InvalidMask {
        /// The offending pattern.
        pattern: String,
        /// The regex compiler's message.
        message: String,
    },
    /// A format name is not one of the built-in formats.
    #[error(
        "unknown log format `{0}`: expected a Loghub system name (OpenSSH, Linux, HDFS, ...), `syslog` or `jsonl`"
    )]
    UnknownFormat(String),
    /// A miner or detector parameter is out of range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A template string could not be parsed.
    #[error("invalid template {template:?}: {message}")]
    InvalidTemplate {
        /// The template text.
        template: String,
        /// What was wrong.
        message: String,
    },
    /// A Sigma rule is malformed; `position` is the byte offset in the condition (or 0).
    #[error("sigma rule {file}: {location}: {message}")]
    Sigma {
        /// The rule's file (or `<string>`).
        file: String,
        /// Where in the rule: `condition at byte N`, `detection.selection.field|mod`, ...
        location: String,
        /// What was wrong.
        message: String,
    },
    /// A CSV file (ground truth or structured output) is malformed.
    #[error("{path}:{line}: {message}")]
    Csv {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// Ground truth and prediction have different lengths.
    #[error("evaluation: {truth} ground-truth lines but {predicted} predicted lines")]
    LengthMismatch {
        /// Lines in the ground truth.
        truth: usize,
        /// Lines predicted.
        predicted: usize,
    },
    /// An input file could not be read or an output written.
    #[error("cannot access {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Miner state could not be serialized or restored.
    #[error("miner state: {0}")]
    State(String),
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
