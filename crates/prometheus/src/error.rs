//! The crate's error type.

/// Errors raised by this crate. Every variant names the URL, query, series or
/// field concerned, and server errors carry the server's own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or setting was out of its valid range.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which argument or field.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// A base URL could not be parsed or is not `http`/`https`.
    #[error("invalid URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The server could not be reached (connection refused, DNS, reset),
    /// after every retry.
    #[error("cannot reach {url} after {attempts} attempt(s): {message}")]
    Unreachable {
        /// The request URL (without query string).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The transport error.
        message: String,
    },
    /// The request did not complete within the configured timeout, after every retry.
    #[error("{url} timed out after {timeout_ms} ms ({attempts} attempt(s))")]
    Timeout {
        /// The request URL (without query string).
        url: String,
        /// The per-request timeout.
        timeout_ms: u64,
        /// Attempts made.
        attempts: u32,
    },
    /// The server answered with an HTTP error status that is not a
    /// Prometheus API error body (5xx after every retry, or 4xx).
    #[error("{url} answered HTTP {status} after {attempts} attempt(s): {body}")]
    Http {
        /// The request URL (without query string).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of the response body (at most 512 bytes).
        body: String,
    },
    /// The Prometheus API answered `"status":"error"`, with its `errorType`
    /// (`bad_data`, `execution`, `timeout`, `canceled`, `internal`,
    /// `unavailable`, ...) and message.
    #[error("Prometheus API error at {url} (HTTP {status}, {error_type}): {message}")]
    Api {
        /// The request URL (without query string).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The server's `errorType`.
        error_type: String,
        /// The server's `error` message.
        message: String,
    },
    /// The query returned a result of another type than the endpoint needs
    /// (for example a vector from an instant query where a range query's
    /// matrix was expected).
    #[error("query {query:?} returned a {found} result, expected {expected}")]
    ResultType {
        /// The PromQL query.
        query: String,
        /// The expected `resultType`.
        expected: &'static str,
        /// The `resultType` received.
        found: String,
    },
    /// The response body exceeded the configured size cap; reading stopped there.
    #[error("response from {url} exceeds the cap of {limit_bytes} bytes")]
    TooLarge {
        /// The request URL (without query string).
        url: String,
        /// The configured cap ([`crate::HttpConfig::max_body_bytes`]).
        limit_bytes: usize,
    },
    /// A range query would hold more points than
    /// [`crate::RangeQuery::max_total_points`] (summed over chunks and series,
    /// filled gaps included); stopped before allocating them.
    #[error("query {query:?} needs {points} points, above the cap of {limit}")]
    TooManyPoints {
        /// The PromQL query.
        query: String,
        /// Points counted when the cap was hit.
        points: usize,
        /// The cap.
        limit: usize,
    },
    /// The response body is not the JSON the API documents.
    #[error("malformed response from {url}: {message}")]
    Json {
        /// The request URL (without query string), or `<input>` for parsed text.
        url: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A sample in a result could not be read.
    #[error("series `{series}`: sample {index}: {message}")]
    Sample {
        /// The series, in `name{label="value"}` form.
        series: String,
        /// 0-based index of the sample in the series.
        index: usize,
        /// What was wrong.
        message: String,
    },
    /// A series could not be built (shared-type invariant, e.g. unsorted timestamps).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
    /// A label name or value cannot be used (Pushgateway grouping keys, alert labels).
    #[error("invalid label {name:?}: {message}")]
    Label {
        /// The label name.
        name: String,
        /// What was wrong.
        message: String,
    },
    /// Encoding metrics in the text exposition format failed.
    #[error("cannot encode metrics: {0}")]
    Encode(String),
    /// The metrics endpoint could not bind or accept.
    #[error("metrics server on {addr}: {source}")]
    Server {
        /// The listen address.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
