//! The crate's error type.

use std::path::PathBuf;

/// Errors raised while loading resources, policies, templates and suites.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A YAML document is malformed.
    #[error("{source_name}:{line}:{column}: malformed YAML: {message}")]
    Yaml {
        /// File path or name of the input.
        source_name: String,
        /// 1-based line in the whole input (0 when the parser gave no location).
        line: usize,
        /// 1-based column (0 when the parser gave no location).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A JSON document is malformed.
    #[error("{source_name}:{line}:{column}: malformed JSON: {message}")]
    Json {
        /// File path or name of the input.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A document is not a mapping with a string `kind`.
    #[error("{source_name}: document {index} (line {line}) has no `kind`")]
    MissingKind {
        /// File path or name of the input.
        source_name: String,
        /// 0-based index of the document within the input.
        index: usize,
        /// 1-based line where the document starts.
        line: usize,
    },
    /// A field has the wrong shape (a Terraform plan, a template, a constraint, a suite).
    #[error("{source_name}: field `{field}`: {message}")]
    InvalidField {
        /// File path or name of the input.
        source_name: String,
        /// Dotted path of the field.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A JSON Patch could not be applied.
    #[error("JSON Patch op {index} ({op} {path}): {message}")]
    Patch {
        /// 0-based index of the operation.
        index: usize,
        /// The operation name.
        op: String,
        /// The JSON Pointer of the operation.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A Rego module in a ConstraintTemplate does not parse or compile.
    #[error("template `{template}`: Rego error: {message}")]
    Rego {
        /// Name of the ConstraintTemplate.
        template: String,
        /// The engine's message.
        message: String,
    },
    /// Rego evaluation failed at run time.
    #[error("template `{template}`: evaluation of `{rule}` failed: {message}")]
    RegoEval {
        /// Name of the ConstraintTemplate.
        template: String,
        /// The rule that was evaluated.
        rule: String,
        /// The engine's message.
        message: String,
    },
    /// A Constraint sets a parameter its template's schema does not declare,
    /// or one of the wrong type.
    #[error("constraint `{constraint}`: parameter `{parameter}`: {message}")]
    Parameter {
        /// Name of the Constraint.
        constraint: String,
        /// Name of the parameter.
        parameter: String,
        /// What was wrong.
        message: String,
    },
    /// A Constraint's kind has no loaded ConstraintTemplate.
    #[error("constraint `{constraint}` of kind `{kind}`: no ConstraintTemplate defines this kind")]
    UnknownConstraintKind {
        /// Name of the Constraint.
        constraint: String,
        /// Its kind.
        kind: String,
    },
    /// A regular expression (e.g. a suite assertion's `message`) is invalid.
    #[error("{context}: invalid regular expression {pattern:?}: {message}")]
    Regex {
        /// Where the pattern came from.
        context: String,
        /// The pattern.
        pattern: String,
        /// The regex engine's message.
        message: String,
    },
}

impl aiops_core::AiopsError for Error {}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn field(
        source_name: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidField {
            source_name: source_name.into(),
            field: field.into(),
            message: message.into(),
        }
    }
}
