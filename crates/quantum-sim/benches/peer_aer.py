"""Qiskit Aer peer of the aiops-quantum-sim benchmarks (`benches/qaoa.rs`).

Runs the same circuits on Aer's state-vector method with one thread:

1. One QAOA layer (p = 1) for MaxCut on the seeded random 3-regular graphs the
   Rust bench writes to `$TMPDIR/aiops_qaoa_graph_<n>.csv` (same edges, same
   angles gamma = arctan(1/sqrt 2), beta = pi/8): H on every qubit, RZZ(-gamma)
   per edge (our cost layer exp(-i gamma C) with C = sum (1 - Z_u Z_v)/2, up to
   a global phase), RX(2 beta) on every qubit, then the expected cut from the
   final state. Prints Aer's run time and the expected cut, which must equal
   `aiops quantum maxcut --graph <csv> --p 1 --gamma G --beta B --json`.
2. Single-qubit gates on 24 qubits: Aer run time of 10 H gates on one qubit
   (fusion off) minus the run time of the empty circuit, per gate.

    /work/venvs/quantum/bin/python crates/quantum-sim/benches/peer_aer.py [n ...]
"""
import math
import os
import sys
import tempfile
import time

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator

GAMMA = math.atan(1 / math.sqrt(2))
BETA = math.pi / 8
REPS = int(os.environ.get("AER_REPS", "3"))


def read_graph(path):
    edges = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("from"):
                continue
            u, v = line.split(",")[:2]
            edges.append((int(u), int(v)))
    n = max(max(e) for e in edges) + 1
    return n, edges


def qaoa_circuit(n, edges):
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for u, v in edges:
        qc.rzz(-GAMMA, u, v)
    qc.rx(2 * BETA, range(n))
    qc.save_statevector()
    return qc


def cut_values(n, edges):
    z = np.arange(1 << n, dtype=np.uint32)
    c = np.zeros(1 << n, dtype=np.float64)
    for u, v in edges:
        c += ((z >> u) ^ (z >> v)) & 1
    return c


def best_of(sim, qc, reps=REPS):
    times = []
    result = None
    for _ in range(reps):
        t = time.perf_counter()
        result = sim.run(qc).result()
        times.append(time.perf_counter() - t)
    return min(times), result


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [16, 20, 24]
    sim = AerSimulator(method="statevector", max_parallel_threads=1)
    print(f"qiskit-aer, state vector, 1 thread, best of {REPS}")
    for n in sizes:
        path = os.path.join(tempfile.gettempdir(), f"aiops_qaoa_graph_{n}.csv")
        n_read, edges = read_graph(path)
        assert n_read == n, (n_read, n)
        qc = transpile(qaoa_circuit(n, edges), sim)
        secs, result = best_of(sim, qc)
        sv = np.asarray(result.get_statevector())
        t = time.perf_counter()
        expected = float(np.dot(np.abs(sv) ** 2, cut_values(n, edges)))
        numpy_secs = time.perf_counter() - t
        print(
            f"qaoa_p1 n={n:2d} edges={len(edges)}  aer run {secs * 1e3:9.1f} ms"
            f"  (+ numpy <C> {numpy_secs * 1e3:7.1f} ms)  expected_cut {expected:.9f}"
        )

    n = 24
    nofuse = AerSimulator(method="statevector", max_parallel_threads=1, fusion_enable=False)
    empty = QuantumCircuit(n)
    empty.save_statevector()
    base, _ = best_of(nofuse, empty)
    print(f"empty 24-qubit circuit (allocate + initialise + return) {base * 1e3:.1f} ms")
    for q in [0, 1, 11, 12, 23]:
        qc = QuantumCircuit(n)
        for _ in range(10):
            qc.h(q)
        qc.save_statevector()
        secs, _ = best_of(nofuse, qc)
        print(f"h on qubit {q:2d}: {(secs - base) / 10 * 1e3:7.2f} ms per gate")


if __name__ == "__main__":
    main()
