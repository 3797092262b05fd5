//! The crate's error type.

use std::path::PathBuf;

/// Errors raised by this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A qubit index is not below the number of qubits of the state.
    #[error("qubit {qubit} out of range for a {num_qubits}-qubit state (in {context})")]
    QubitOutOfRange {
        /// The offending qubit index.
        qubit: usize,
        /// Number of qubits of the state or circuit.
        num_qubits: usize,
        /// Which gate or operation named the qubit.
        context: String,
    },
    /// A multi-qubit gate named the same qubit twice.
    #[error("qubit {qubit} repeated in {context}")]
    RepeatedQubit {
        /// The repeated qubit index.
        qubit: usize,
        /// Which gate or term repeated it.
        context: String,
    },
    /// A matrix that must be unitary is not (or contains a non-finite entry).
    #[error(
        "matrix is not unitary: max |U^dagger U - I| entry is {deviation:e} (tolerance {tolerance:e}) in {context}"
    )]
    NotUnitary {
        /// Largest absolute deviation of `U^dagger U` from the identity.
        deviation: f64,
        /// Tolerance used.
        tolerance: f64,
        /// Which gate supplied the matrix.
        context: String,
    },
    /// The state (plus working buffers) would exceed the configured memory limit.
    /// Raised before anything is allocated.
    #[error(
        "{num_qubits} qubits need {required_bytes} bytes, above the memory limit of {limit_bytes} bytes"
    )]
    MemoryLimit {
        /// Qubits requested.
        num_qubits: usize,
        /// Bytes the operation would allocate.
        required_bytes: u128,
        /// Configured limit.
        limit_bytes: u64,
    },
    /// A problem is larger than the method (exact enumeration, QAOA simulation) supports.
    #[error("{method} supports at most {max} variables, the problem has {got}")]
    TooLarge {
        /// The method that refused.
        method: &'static str,
        /// Its limit.
        max: usize,
        /// Size of the problem.
        got: usize,
    },
    /// More QAOA layers than [`crate::MAX_LAYERS`] were requested (the
    /// optimiser's simplex grows as `(2p + 1) x 2p`, so an unbounded `p`
    /// exhausts memory and time).
    #[error("QAOA supports at most {max} layers (p), got {got}")]
    TooManyLayers {
        /// Layers requested.
        got: usize,
        /// The bound, [`crate::MAX_LAYERS`].
        max: usize,
    },
    /// A QAOA angle whose phase `f64` cannot compute accurately: a cost angle
    /// with `|gamma| * max_z |C(z)|` above [`crate::MAX_PHASE`] radians, or a
    /// mixer angle with `|beta|` above it (an angle of `1e308` gives an
    /// infinite phase and a NaN state).
    #[error(
        "{angle} = {}: its phase |{angle}| x {} = {} rad is above {} rad, \
         beyond which f64 phases lose accuracy; QAOA angles are periodic, reduce it",
        aiops_core::Num(*.value),
        aiops_core::Num(*.scale),
        aiops_core::Num(*.phase),
        aiops_core::Num(*.max)
    )]
    AngleTooLarge {
        /// Which angle, e.g. `gamma[0]` (cost) or `beta[1]` (mixer).
        angle: String,
        /// Its value.
        value: f64,
        /// What it multiplies: `max_z |C(z)|` for a cost angle, 1 for a mixer angle.
        scale: f64,
        /// `|value| * scale` (may be infinite).
        phase: f64,
        /// The bound, [`crate::MAX_PHASE`].
        max: f64,
    },
    /// A graph has no edges or no nodes.
    #[error("graph `{name}` is empty: {message}")]
    EmptyGraph {
        /// Graph name (file path or builder name).
        name: String,
        /// What is missing.
        message: String,
    },
    /// A graph is not connected where a connected graph is required.
    #[error("graph `{name}` is disconnected: {components} components")]
    DisconnectedGraph {
        /// Graph name (file path or builder name).
        name: String,
        /// Number of connected components found.
        components: usize,
    },
    /// A QUBO matrix is not square or its dimension disagrees with the problem.
    #[error("QUBO matrix is not square: row {row} has {got} entries, expected {expected}")]
    NotSquare {
        /// Row index that has the wrong length.
        row: usize,
        /// Its length.
        got: usize,
        /// Expected length (number of rows).
        expected: usize,
    },
    /// A line of an input file (graph CSV, ...) could not be parsed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// File name or `<input>`.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// An argument was out of its valid range.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// Which argument or field.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// A certificate or key could not be decoded.
    #[error("{}: cannot decode {what}: {message}", path.display())]
    Certificate {
        /// File that held it.
        path: PathBuf,
        /// What was being decoded (PEM block label, DER certificate, SSH key).
        what: String,
        /// Parser message.
        message: String,
    },
    /// A file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
