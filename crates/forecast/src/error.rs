//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by forecasting, failure prediction and the M4 reader.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The series has no observed (non-NaN) value at all.
    #[error("series `{series}`: all {len} points are missing")]
    AllMissing {
        /// Name of the series (or `<values>` for raw slices).
        series: String,
        /// Number of points, all NaN.
        len: usize,
    },
    /// The series has fewer observed points than the model needs.
    #[error("series `{series}`: {model} needs at least {needed} points, got {got}")]
    TooShort {
        /// Name of the series.
        series: String,
        /// The model that needs more data.
        model: String,
        /// Points required.
        needed: usize,
        /// Points available after dropping leading missing points.
        got: usize,
    },
    /// A value is infinite (NaN is a missing point and is allowed).
    #[error("series `{series}`: value at index {index} is not finite ({value})")]
    NonFinite {
        /// Name of the series.
        series: String,
        /// Index of the offending value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A value is so large that the models' sums of squares would overflow
    /// (its magnitude is above [`crate::MAX_ABS_VALUE`]).
    #[error(
        "series `{series}`: value at index {index} ({}) is too large to model; \
         values must be within +-{}",
        aiops_core::Num(*.value),
        aiops_core::Num(crate::MAX_ABS_VALUE)
    )]
    ValueTooLarge {
        /// Name of the series.
        series: String,
        /// Index of the offending value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name, e.g. `horizon`, `level`.
        name: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What is expected.
        reason: &'static str,
    },
    /// A model name is not known.
    #[error("unknown model {name:?}; expected one of {expected}")]
    UnknownModel {
        /// The name given.
        name: String,
        /// The accepted names, comma separated.
        expected: &'static str,
    },
    /// An ETS specification asks for something augurs does not implement
    /// (seasonal ETS components, whose code paths are `unimplemented!()` in
    /// augurs-ets 0.10, or an invalid combination).
    #[error("unsupported ETS specification {spec:?}: {reason}")]
    UnsupportedSpec {
        /// The specification string.
        spec: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A multiplicative model was asked for data with zero or negative values.
    #[error(
        "series `{series}`: {model} needs strictly positive values, found {} at index {index}",
        aiops_core::Num(*.value)
    )]
    NonPositive {
        /// Name of the series.
        series: String,
        /// The model.
        model: String,
        /// Index of the first non-positive value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The series timestamps are too irregular to put on a regular grid.
    #[error("series `{series}`: {reason}")]
    Irregular {
        /// Name of the series.
        series: String,
        /// What was wrong.
        reason: String,
    },
    /// An augurs model failed to fit or predict.
    #[error("series `{series}`: {model} failed: {message}")]
    Model {
        /// Name of the series.
        series: String,
        /// The model that failed.
        model: String,
        /// The underlying augurs error, printed.
        message: String,
    },
    /// A model produced a non-finite forecast.
    #[error("series `{series}`: {model} produced a non-finite forecast at step {step}")]
    NonFiniteForecast {
        /// Name of the series.
        series: String,
        /// The model.
        model: String,
        /// 1-based forecast step.
        step: usize,
    },
    /// A malformed line in an M4 CSV file.
    #[error("{path}:{line}:{column}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (0 when the whole line is at fault).
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// An input file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A shared-type error from `aiops-core` (building a series).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
}

impl aiops_core::AiopsError for Error {}

impl Error {
    /// Replaces the placeholder series name (`<values>`) of errors raised by
    /// functions that take raw slices, such as [`crate::detect_periods`],
    /// with `name`; other errors are returned unchanged.
    #[must_use]
    pub fn with_series(mut self, name: &str) -> Self {
        match &mut self {
            Error::AllMissing { series, .. }
            | Error::TooShort { series, .. }
            | Error::NonFinite { series, .. }
            | Error::ValueTooLarge { series, .. }
            | Error::NonPositive { series, .. }
            | Error::Irregular { series, .. }
            | Error::Model { series, .. }
            | Error::NonFiniteForecast { series, .. }
                if series == crate::UNNAMED =>
            {
                name.clone_into(series);
            }
            _ => {}
        }
        self
    }
}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
