//! The crate's error type.

use std::path::PathBuf;

/// Errors raised while loading taxonomies, teams, answers and incident files,
/// or while fitting and planning with invalid parameters.
///
/// Every variant raised by a file names the file (`file`) and the 1-based line
/// (`line`; 0 when the input did not come from a file or the line is unknown).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A YAML document is malformed or has the wrong shape (missing field,
    /// unknown field, wrong type).
    #[error("{file}:{line}:{column}: {message}")]
    Yaml {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A skill id is referenced (in a role, evidence, prerequisite or incident
    /// mapping) but the taxonomy does not define it.
    #[error("{file}:{line}: unknown skill `{skill}`")]
    UnknownSkill {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The unknown skill id.
        skill: String,
    },
    /// Another kind of id (role, category, incident category) is referenced but
    /// not defined.
    #[error("{file}:{line}: unknown {what} `{id}`")]
    UnknownReference {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What kind of id (`role`, `category`, `incident category`).
        what: &'static str,
        /// The unknown id.
        id: String,
    },
    /// An id is defined twice.
    #[error("{file}:{line}: duplicate {what} `{id}`")]
    Duplicate {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What kind of id (`skill`, `role`, `member`, `category`).
        what: &'static str,
        /// The duplicated id.
        id: String,
    },
    /// A skill level outside 1..=5 (or not a whole number).
    #[error("{file}:{line}: level {value} is out of range (levels are whole numbers 1 to 5)")]
    LevelOutOfRange {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The offending value as written.
        value: String,
    },
    /// Evidence dated after the assessment date.
    #[error("{file}:{line}: evidence dated {date} is in the future (assessment date {as_of})")]
    FutureEvidence {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The evidence date (RFC 3339).
        date: String,
        /// The assessment date (RFC 3339).
        as_of: String,
    },
    /// The prerequisite graph has a cycle; `cycle` lists it with the first
    /// skill repeated at the end.
    #[error("{file}:{line}: prerequisite cycle {}", cycle.join(" -> "))]
    Cycle {
        /// File path or name of the input.
        file: String,
        /// 1-based line of the first skill of the cycle (0 when unknown).
        line: usize,
        /// The skills on the cycle, first one repeated at the end.
        cycle: Vec<String>,
    },
    /// An answer outcome that is not `0` or `1` (also `true`/`false`).
    #[error("{file}:{line}: outcome {value:?} is not binary (expected 0 or 1)")]
    NonBinaryOutcome {
        /// File path or name of the input.
        file: String,
        /// 1-based line.
        line: usize,
        /// The offending text.
        value: String,
    },
    /// A CSV input is malformed (missing column, wrong number of fields, bad number).
    #[error("{file}:{line}: {message}")]
    Csv {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A value in an input file is invalid (negative weight, bad date, ...).
    #[error("{file}:{line}: field `{field}`: {message}")]
    InvalidValue {
        /// File path or name of the input.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The field at fault.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A configuration or model parameter is invalid.
    #[error("invalid parameter `{name}` = {}: {reason}", aiops_core::Num(*.value))]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// An input has nothing to work on (no answers, no members).
    #[error("{what} is empty")]
    Empty {
        /// What was empty.
        what: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Name used for inputs that did not come from a file.
pub(crate) const MEMORY: &str = "<memory>";
