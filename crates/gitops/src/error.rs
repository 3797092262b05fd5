//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was out of its valid range.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which argument or field.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// A judge configuration is inconsistent (thresholds out of order,
    /// weights that do not sum sensibly, duplicate metrics, ...).
    #[error("judge config: {field}: {message}")]
    Config {
        /// The offending field, for example `thresholds` or `groups.latency`.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A sample handed to the Mann-Whitney test is empty.
    #[error("metric `{metric}`: the {side} sample is empty")]
    EmptySample {
        /// The metric name.
        metric: String,
        /// `canary` or `baseline`.
        side: &'static str,
    },
    /// A sample value is NaN or infinite where a finite value is required.
    #[error("metric `{metric}`: {side} value at index {index} is not finite ({value})")]
    NonFiniteSample {
        /// The metric name.
        metric: String,
        /// `canary` or `baseline`.
        side: &'static str,
        /// Index of the value in the sample.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A sample value's magnitude exceeds [`crate::MAX_SAMPLE_MAGNITUDE`]: the
    /// pairwise differences and means of the test would overflow to infinity.
    #[error(
        "metric `{metric}`: {side} value at index {index} ({value:e}) exceeds the supported magnitude 1e300"
    )]
    SampleOutOfRange {
        /// The metric name.
        metric: String,
        /// `canary` or `baseline`.
        side: &'static str,
        /// Index of the value in the sample.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A metric has samples on one side only: comparing it is impossible and
    /// calling it `NoData` would let a renamed column pass silently.
    #[error(
        "metric `{metric}` is in the {present_in} samples but missing from the {missing_from} samples"
    )]
    MetricMissing {
        /// The metric name.
        metric: String,
        /// `baseline` or `canary`: the side without the metric.
        missing_from: &'static str,
        /// The other side.
        present_in: &'static str,
    },
    /// All observations of both samples are tied: the test has no variance.
    #[error("metric `{metric}`: all observations are tied, the test is undefined")]
    DegenerateSample {
        /// The metric name.
        metric: String,
    },
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
    /// A YAML manifest or config does not parse or lacks a required field.
    #[error("{source_name}: {message}")]
    Manifest {
        /// File path, commit path or name of the input.
        source_name: String,
        /// What was wrong, with the YAML location when known.
        message: String,
    },
    /// A rollout strategy is unusable (no steps, weights out of order, ...).
    #[error("strategy: {message}")]
    Strategy {
        /// What was wrong.
        message: String,
    },
    /// A rollout command does not apply in the rollout's current phase.
    #[error("cannot {action} a rollout that is {phase}")]
    Transition {
        /// The command, for example `promote`.
        action: &'static str,
        /// The rollout phase it was given in.
        phase: String,
    },
    /// An analysis referenced a template that is not defined.
    #[error("analysis template `{0}` is not defined")]
    UnknownTemplate(String),
    /// A metric provider failed to return a measurement.
    #[error("metric provider: metric `{metric}`: {message}")]
    Provider {
        /// The metric queried.
        metric: String,
        /// What went wrong.
        message: String,
    },
    /// Recorded metrics cannot answer a measurement: the metric is not
    /// recorded, or the time lies before the recording, after it, or in a
    /// gap longer than the provider's staleness bound. An input error, not a
    /// measurement error: [`crate::run_analysis`] and [`crate::simulate`]
    /// return it instead of counting an error measurement.
    #[error("recorded metrics: metric `{metric}`: {message}")]
    NotRecorded {
        /// The metric queried.
        metric: String,
        /// What is missing, with the time asked for and the recorded range.
        message: String,
    },
    /// A deployment history file holds a line that is not a record.
    #[error("{path}:{line}: corrupt deployment record: {message}")]
    HistoryCorrupt {
        /// The history file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A deployment record breaks the history's order or shape.
    #[error("deployment record for revision `{revision}`: {message}")]
    Record {
        /// The record's revision.
        revision: String,
        /// What was wrong.
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
    /// A commit id is not hexadecimal or too short to be one.
    #[error("invalid commit id {rev:?}: expected 4 to 40 hexadecimal digits")]
    InvalidCommitId {
        /// The text given.
        rev: String,
    },
    /// A commit id does not resolve in the repository, or is ambiguous.
    #[error("commit {rev:?} does not resolve in {repo}: {message}")]
    UnknownCommit {
        /// The text given.
        rev: String,
        /// The repository path.
        repo: PathBuf,
        /// Why it did not resolve.
        message: String,
    },
    /// The git repository could not be opened or read.
    #[error("git repository {repo}: {message}")]
    Git {
        /// The repository path.
        repo: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
