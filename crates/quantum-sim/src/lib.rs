#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alloc;
mod circuit;
mod classical;
mod error;
mod gate;
mod graph;
mod hamiltonian;
mod kernel;
mod optim;
mod qaoa;
mod qubo;
pub mod readiness;
mod state;

pub use alloc::{
    Assignment, BalanceOptions, BalanceOutcome, BalanceQubo, BalanceReport, Decoded, KnapsackQubo,
    MAX_BALANCE_VARS, MAX_TOTAL_LOAD, MIN_POSITIVE_LOAD, Penalty, Placement, balance_jobs,
    lpt_assignment, two_server_qubo,
};
pub use circuit::{Circuit, FusedOp, Gate};
pub use classical::{
    AnnealOptions, CompareOptions, Comparison, EXACT_MAX_VARS, MethodResult, Solution, compare,
    exact_minimum, simulated_annealing,
};
pub use error::{Error, Result};
pub use gate::{C64, Matrix2, UNITARY_TOLERANCE};
pub use graph::{Graph, MAX_TOTAL_WEIGHT};
pub use hamiltonian::{Diagonal, ZHamiltonian, ZTerm};
pub use qaoa::{DEFAULT_QAOA_MAX_QUBITS, MAX_LAYERS, MAX_PHASE, Qaoa, QaoaOptions, QaoaResult};
pub use qubo::Qubo;
pub use state::{AMPLITUDE_BYTES, MAX_QUBITS, SimConfig, StateVector};
