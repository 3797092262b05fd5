//! State-vector benchmarks.
//!
//! - `qaoa_p1_expectation/N`: one QAOA layer on a seeded random 3-regular
//!   graph of N nodes: reset to `|+>^N`, cost layer, mixer, `<C>` (the cost of
//!   one optimiser step; the diagonal is built once, timed in `qaoa_setup`).
//! - `qaoa_setup/N`: building the MaxCut diagonal.
//! - `gate_24q`: one single-qubit gate on a 24-qubit state for low, middle
//!   and high qubits, beside `read_write_pass` (every amplitude read, scaled,
//!   written once) measured in the same group.
//!
//! The graphs are written to `$TMPDIR/aiops_qaoa_graph_<n>.csv` for the
//! Qiskit Aer peer (`benches/peer_aer.py`).
//!
//! Run: `cargo bench -p aiops-quantum-sim --bench qaoa`.
#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
#![allow(clippy::unwrap_used, reason = "benchmark set-up on fixed inputs")]

use std::hint::black_box;

use aiops_quantum_sim::{C64, Graph, Matrix2, Qaoa, SimConfig, StateVector};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const GAMMA: f64 = 0.615_479_708_670_387_4;
const BETA: f64 = std::f64::consts::PI / 8.0;

fn qaoa(c: &mut Criterion) {
    let cfg = SimConfig::default();
    let mut g = c.benchmark_group("qaoa_p1_expectation");
    g.sample_size(10);
    for n in [16usize, 20, 24] {
        let graph = Graph::random_regular(n, 3, 7).unwrap();
        // The peer (`peer_aer.py`) runs the same graph.
        let csv: String = std::iter::once("from,to\n".to_owned())
            .chain(graph.edges().iter().map(|(u, v, _)| format!("{u},{v}\n")))
            .collect();
        let path = std::env::temp_dir().join(format!("aiops_qaoa_graph_{n}.csv"));
        std::fs::write(&path, csv).unwrap();
        let q = Qaoa::maxcut(&graph, &cfg).unwrap();
        let mut state = StateVector::plus(n, &cfg).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                black_box(
                    q.expectation_in(&mut state, black_box(&[GAMMA]), black_box(&[BETA]))
                        .unwrap(),
                )
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("qaoa_setup");
    g.sample_size(10);
    for n in [20usize, 24] {
        let graph = Graph::random_regular(n, 3, 7).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(Qaoa::maxcut(black_box(&graph), &cfg).unwrap()));
        });
    }
    g.finish();
}

fn gates(c: &mut Criterion) {
    let cfg = SimConfig::default();
    let n = 24;
    let mut state = StateVector::plus(n, &cfg).unwrap();
    let mut g = c.benchmark_group("gate_24q");
    g.sample_size(10);
    let scale = C64::new(0.999_999_999, 1e-9);
    g.bench_function("read_write_pass", |b| {
        b.iter(|| {
            for a in state.amplitudes_mut() {
                *a *= black_box(scale);
            }
        });
    });
    let h = Matrix2::h();
    let rx = Matrix2::rx(0.3);
    for q in [0usize, 1, 11, 12, 23] {
        g.bench_with_input(BenchmarkId::new("h", q), &q, |b, &q| {
            b.iter(|| state.apply(black_box(q), &h).unwrap());
        });
    }
    for q in [0usize, 23] {
        g.bench_with_input(BenchmarkId::new("rx", q), &q, |b, &q| {
            b.iter(|| state.apply(black_box(q), &rx).unwrap());
        });
    }
    g.bench_function("rz_23_diagonal", |b| {
        let rz = Matrix2::rz(0.4);
        b.iter(|| state.apply(black_box(23), &rz).unwrap());
    });
    g.finish();
}

criterion_group!(benches, qaoa, gates);
criterion_main!(benches);
