//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by severity rules, runbooks, the journal, the engine and
/// root-cause ranking. Every variant names the place at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value (severity rules, guard settings, RCA parameters) is invalid.
    #[error("invalid configuration `{field}`: {message}")]
    Config {
        /// The field at fault, e.g. `guards.rate_limit.max_actions`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A runbook document could not be parsed (YAML or JSON syntax, wrong types).
    #[error("runbook source `{source_name}`: {message}")]
    RunbookParse {
        /// File path or name of the document.
        source_name: String,
        /// The parser's message, with its line and column when known.
        message: String,
    },
    /// A runbook parsed but failed validation.
    #[error("runbook `{runbook}`{}: field `{field}`: {message}", step.as_ref().map(|s| format!(", step `{s}`")).unwrap_or_default())]
    InvalidRunbook {
        /// Name of the runbook (or `#<index>` when it has none).
        runbook: String,
        /// Name of the step at fault, if the problem is in a step.
        step: Option<String>,
        /// The field at fault, e.g. `action`, `timeout_ms`, `verify.metric`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Runbooks escalate to each other in a cycle.
    #[error("escalation cycle between runbooks: {}", cycle.join(" -> "))]
    EscalationCycle {
        /// The runbook names along the cycle, first repeated at the end.
        cycle: Vec<String>,
    },
    /// An action name is not one of the known actions.
    #[error("unknown action {name:?}: expected one of {expected}")]
    UnknownAction {
        /// The offending name.
        name: String,
        /// The accepted names.
        expected: String,
    },
    /// The audit journal could not be written; the action it described was not run.
    #[error("audit journal `{target}`: write failed: {source}")]
    JournalWrite {
        /// The journal's path or `memory`.
        target: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A journal line could not be parsed during replay.
    #[error("audit journal `{source_name}` line {line}: {message}")]
    JournalCorrupt {
        /// The journal's path or name.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A file could not be opened, read or created.
    #[error("cannot access {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The dependency-graph CSV is malformed (header, self-loop, duplicate edge).
    #[error("dependency graph `{source_name}` line {line}: {message}")]
    Graph {
        /// File path or name of the edge list.
        source_name: String,
        /// 1-based line number (0 when the whole input is at fault).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A service in the dependency graph has no metric column.
    #[error(
        "service `{service}` is in the dependency graph but has no metric column (`{service}:<metric>`)"
    )]
    MissingService {
        /// The service name.
        service: String,
    },
    /// A metric column is not named `<service>:<metric>`.
    #[error("metric column {column:?} is not of the form `<service>:<metric>`")]
    MetricColumn {
        /// The column header.
        column: String,
    },
    /// The metrics do not cover the window that root-cause ranking needs.
    #[error("metrics: {message}")]
    MetricWindow {
        /// What is missing, with the incident start and the data range.
        message: String,
    },
    /// An error from the shared types (CSV reading, timestamps).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn config(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Config {
        field: field.into(),
        message: message.into(),
    }
}
