//! The crate's error type.

use std::path::PathBuf;

/// Errors raised while modelling, planning, applying, reading Terraform
/// plans or sizing capacity. Every variant names the resource, file or field
/// at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A resource address is empty or not of the form
    /// `[module.NAME.]*[data.]TYPE.NAME[\[KEY\]]`.
    #[error("invalid resource address {address:?}: {reason}")]
    InvalidAddress {
        /// The offending address.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two resources of one configuration or state share an address.
    #[error("duplicate resource address `{address}`")]
    DuplicateAddress {
        /// The address that appears twice.
        address: String,
    },
    /// A resource depends on, or references, an address that does not exist.
    #[error("resource `{resource}` references `{target}`, which is not declared")]
    DanglingReference {
        /// The resource holding the reference.
        resource: String,
        /// The missing target address.
        target: String,
    },
    /// The dependency graph has a cycle; the resources on it are listed in
    /// order, the first repeated at the end.
    #[error("dependency cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// Addresses on the cycle, `a -> b -> ... -> a`.
        cycle: Vec<String>,
    },
    /// A resource or parameter field has an invalid value.
    #[error("{context}: field `{field}`: {message}")]
    InvalidField {
        /// The resource address, file or parameter set at fault.
        context: String,
        /// The field name or JSON path.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A plan JSON document is not valid JSON or lacks a required field.
    #[error("{source_name}: malformed plan JSON at `{path}`: {message}")]
    MalformedPlan {
        /// File path or name of the input.
        source_name: String,
        /// JSON path of the offending element (`$` for the document).
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A plan JSON document has a `format_version` outside 0.1 to 1.2.
    #[error("{source_name}: unsupported plan format_version {version:?} (supported: 0.1 to 1.2)")]
    UnsupportedFormatVersion {
        /// File path or name of the input.
        source_name: String,
        /// The version found.
        version: String,
    },
    /// A provider returned an error for one resource.
    #[error("provider failed to {operation} `{address}`: {message}")]
    Provider {
        /// The resource address.
        address: String,
        /// `create`, `update`, `delete` or `read`.
        operation: String,
        /// The provider's message.
        message: String,
    },
    /// A provider panicked while handling one resource.
    #[error("provider panicked while trying to {operation} `{address}`: {message}")]
    ProviderPanic {
        /// The resource address.
        address: String,
        /// `create`, `update`, `delete` or `read`.
        operation: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A state file could not be read, parsed or written.
    #[error("state file {path}: {message}")]
    State {
        /// The state file path.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// The underlying I/O error, if any.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A load forecast is malformed (lengths, ordering, non-finite values,
    /// bounds that do not bracket the mean).
    #[error("load forecast `{name}`: {message}")]
    InvalidForecast {
        /// Name of the forecast or file.
        name: String,
        /// What was wrong, with the index at fault.
        message: String,
    },
    /// A load CSV could not be read.
    #[error(transparent)]
    Csv(#[from] aiops_core::Error),
}

impl aiops_core::AiopsError for Error {}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn field(
        context: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::InvalidField {
            context: context.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn malformed(
        source_name: &str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::MalformedPlan {
            source_name: source_name.to_owned(),
            path: path.into(),
            message: message.into(),
        }
    }
}
