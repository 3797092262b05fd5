//! Gate lists and the fusion of consecutive single-qubit gates.

use crate::gate::Matrix2;
use crate::state::StateVector;
use crate::{Error, Result};

/// One gate of a [`Circuit`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Gate {
    /// A single-qubit unitary (any of the named gates is one of these).
    Single {
        /// Target qubit.
        qubit: usize,
        /// The matrix.
        matrix: Matrix2,
    },
    /// `matrix` on `target` when `control` is 1 (CNOT = controlled X).
    Controlled {
        /// Control qubit.
        control: usize,
        /// Target qubit.
        target: usize,
        /// The matrix.
        matrix: Matrix2,
    },
    /// Controlled Z.
    Cz(usize, usize),
    /// SWAP.
    Swap(usize, usize),
    /// `exp(-i theta Z_a Z_b / 2)`.
    Rzz(usize, usize, f64),
}

/// A circuit on a fixed number of qubits; gates are validated as they are added.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Circuit {
    num_qubits: usize,
    gates: Vec<Gate>,
}

impl Circuit {
    /// An empty circuit.
    #[must_use]
    pub fn new(num_qubits: usize) -> Self {
        Self {
            num_qubits,
            gates: Vec::new(),
        }
    }

    /// Number of qubits.
    #[must_use]
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The gates in order.
    #[must_use]
    pub fn gates(&self) -> &[Gate] {
        &self.gates
    }

    fn check(&self, q: usize, ctx: &str) -> Result<()> {
        if q >= self.num_qubits {
            return Err(Error::QubitOutOfRange {
                qubit: q,
                num_qubits: self.num_qubits,
                context: ctx.to_owned(),
            });
        }
        Ok(())
    }

    fn check2(&self, a: usize, b: usize, ctx: &str) -> Result<()> {
        self.check(a, ctx)?;
        self.check(b, ctx)?;
        if a == b {
            return Err(Error::RepeatedQubit {
                qubit: a,
                context: ctx.to_owned(),
            });
        }
        Ok(())
    }

    /// Append a gate.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`], [`Error::NotUnitary`].
    pub fn push(&mut self, gate: Gate) -> Result<&mut Self> {
        match gate {
            Gate::Single { qubit, matrix } => {
                self.check(qubit, "single-qubit gate")?;
                Matrix2::checked(matrix.0, "single-qubit gate")?;
            }
            Gate::Controlled {
                control,
                target,
                matrix,
            } => {
                self.check2(control, target, "controlled gate")?;
                Matrix2::checked(matrix.0, "controlled gate")?;
            }
            Gate::Cz(a, b) => self.check2(a, b, "CZ")?,
            Gate::Swap(a, b) => self.check2(a, b, "SWAP")?,
            Gate::Rzz(a, b, _) => self.check2(a, b, "RZZ")?,
        }
        self.gates.push(gate);
        Ok(self)
    }

    /// Append a single-qubit gate.
    ///
    /// # Errors
    /// As [`Circuit::push`].
    pub fn single(&mut self, qubit: usize, matrix: Matrix2) -> Result<&mut Self> {
        self.push(Gate::Single { qubit, matrix })
    }

    /// Append a CNOT.
    ///
    /// # Errors
    /// As [`Circuit::push`].
    pub fn cnot(&mut self, control: usize, target: usize) -> Result<&mut Self> {
        self.push(Gate::Controlled {
            control,
            target,
            matrix: Matrix2::x(),
        })
    }

    /// Run the gates one by one on `state`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the state has another number of qubits.
    pub fn run_unfused(&self, state: &mut StateVector) -> Result<()> {
        self.check_state(state)?;
        for g in &self.gates {
            apply_gate(state, g)?;
        }
        Ok(())
    }

    /// Run with fusion (see [`Circuit::fused`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] when the state has another number of qubits.
    pub fn run(&self, state: &mut StateVector) -> Result<()> {
        self.check_state(state)?;
        for op in self.fused() {
            match op {
                FusedOp::Layer(gates) => state.apply_layer(&gates)?,
                FusedOp::Gate(g) => apply_gate(state, &g)?,
            }
        }
        Ok(())
    }

    fn check_state(&self, state: &StateVector) -> Result<()> {
        if state.num_qubits() != self.num_qubits {
            return Err(Error::invalid(
                "state",
                format!(
                    "{}-qubit state for a {}-qubit circuit",
                    state.num_qubits(),
                    self.num_qubits
                ),
            ));
        }
        Ok(())
    }

    /// The circuit with consecutive single-qubit gates on each qubit multiplied
    /// into one matrix. Pending single-qubit products are flushed only when a
    /// multi-qubit gate touches their qubit; the products pending together
    /// are emitted as one layer, which the simulator applies in few passes
    /// over memory.
    #[must_use]
    pub fn fused(&self) -> Vec<FusedOp> {
        let mut out = Vec::new();
        let mut pending: Vec<Option<Matrix2>> = vec![None; self.num_qubits];
        let flush = |pending: &mut Vec<Option<Matrix2>>, qs: &[usize], out: &mut Vec<FusedOp>| {
            let mut layer = vec![None; pending.len()];
            let mut any = false;
            for &q in qs {
                if let Some(m) = pending[q].take() {
                    layer[q] = Some(m);
                    any = true;
                }
            }
            if any {
                out.push(FusedOp::Layer(layer));
            }
        };
        for g in &self.gates {
            match *g {
                Gate::Single { qubit, matrix } => {
                    pending[qubit] = Some(match pending[qubit] {
                        Some(prev) => matrix.mul(&prev),
                        None => matrix,
                    });
                }
                Gate::Controlled {
                    control: a,
                    target: b,
                    ..
                }
                | Gate::Cz(a, b)
                | Gate::Swap(a, b)
                | Gate::Rzz(a, b, _) => {
                    flush(&mut pending, &[a, b], &mut out);
                    out.push(FusedOp::Gate(*g));
                }
            }
        }
        let all: Vec<usize> = (0..self.num_qubits).collect();
        flush(&mut pending, &all, &mut out);
        out
    }
}

/// An operation of a fused circuit.
#[derive(Debug, Clone, PartialEq)]
pub enum FusedOp {
    /// Single-qubit unitaries on distinct qubits (`None` = identity).
    Layer(Vec<Option<Matrix2>>),
    /// A multi-qubit gate.
    Gate(Gate),
}

fn apply_gate(state: &mut StateVector, g: &Gate) -> Result<()> {
    match *g {
        Gate::Single { qubit, matrix } => state.apply(qubit, &matrix),
        Gate::Controlled {
            control,
            target,
            matrix,
        } => state.apply_controlled(control, target, &matrix),
        Gate::Cz(a, b) => state.cz(a, b),
        Gate::Swap(a, b) => state.swap(a, b),
        Gate::Rzz(a, b, t) => state.rzz(a, b, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::SimConfig;

    #[test]
    fn fusion_merges_runs() {
        let mut c = Circuit::new(2);
        c.single(0, Matrix2::h()).unwrap();
        c.single(0, Matrix2::t()).unwrap();
        c.single(1, Matrix2::x()).unwrap();
        c.cnot(0, 1).unwrap();
        c.single(1, Matrix2::rz(0.3)).unwrap();
        c.single(1, Matrix2::ry(0.2)).unwrap();
        let f = c.fused();
        assert_eq!(f.len(), 3);
        let cfg = SimConfig::default();
        let mut a = StateVector::zero(2, &cfg).unwrap();
        let mut b = a.clone();
        c.run(&mut a).unwrap();
        c.run_unfused(&mut b).unwrap();
        for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
            assert!((x - y).norm() < 1e-12);
        }
    }

    #[test]
    fn push_validates() {
        let mut c = Circuit::new(2);
        assert!(c.cnot(0, 2).is_err());
        assert!(c.push(Gate::Swap(1, 1)).is_err());
        let bad = Matrix2([[num_complex::Complex64::new(1.0, 0.0); 2]; 2]);
        assert!(matches!(c.single(0, bad), Err(Error::NotUnitary { .. })));
        assert!(c.gates().is_empty());
    }
}
