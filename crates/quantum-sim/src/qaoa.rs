//! QAOA on a diagonal objective: MaxCut, QUBO and Ising problems.
//!
//! # Sign convention
//! The objective `C` is **maximised**. Starting from `|+>^n`, layer `k`
//! applies the cost layer `exp(-i gamma_k C)` (every amplitude of basis state
//! `z` is multiplied by `exp(-i gamma_k C(z))`, one pass over the state) and
//! then the mixer `exp(-i beta_k sum_j X_j)` (`RX(2 beta_k)` on every qubit).
//! For MaxCut `C(z)` is the cut weight `sum w_uv (1 - Z_u Z_v) / 2`; for a QUBO
//! to minimise, `C(z) = -E(z)`. With this convention one layer on a
//! triangle-free 3-regular graph reaches the per-edge cut fraction
//! `1/2 + 1/(3 sqrt 3)` at `gamma = arctan(1/sqrt 2)`, `beta = pi/8`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::graph::Graph;
use crate::hamiltonian::{Diagonal, ZHamiltonian};
use crate::optim::{NmOptions, nelder_mead};
use crate::qubo::Qubo;
use crate::state::{AMPLITUDE_BYTES, SimConfig, StateVector};
use crate::{Error, Result};

/// Most QAOA layers `p` that [`Qaoa::optimize`], [`Qaoa::evaluate`] and
/// [`Qaoa::state`] accept. Angle optimisation works on a `(2p + 1) x 2p`
/// simplex and every evaluation applies `2p` layers, so memory grows as `p^2`
/// and time faster; 100 layers is far beyond the depths QAOA is studied at
/// (p <= 20 in the literature) while still finishing in seconds on small graphs.
pub const MAX_LAYERS: usize = 100;

pub(crate) fn check_layers(p: usize) -> Result<()> {
    if p > MAX_LAYERS {
        return Err(Error::TooManyLayers {
            got: p,
            max: MAX_LAYERS,
        });
    }
    Ok(())
}

/// Options of [`Qaoa::optimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QaoaOptions {
    /// Nelder-Mead runs from different starting angles (the first is a linear
    /// ramp, the others uniform random); at least 1.
    pub restarts: usize,
    /// Function evaluations per run.
    pub max_evals: usize,
    /// Relative tolerance on the spread of simplex values.
    pub ftol: f64,
    /// Samples drawn from the final state to find the best solution.
    pub shots: usize,
    /// Seed of the starting angles and the sampling.
    pub seed: u64,
}

impl Default for QaoaOptions {
    fn default() -> Self {
        Self {
            restarts: 4,
            max_evals: 400,
            ftol: 1e-10,
            shots: 1024,
            seed: 0,
        }
    }
}

/// Result of a QAOA run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QaoaResult {
    /// Cost angles, one per layer.
    pub gamma: Vec<f64>,
    /// Mixer angles, one per layer.
    pub beta: Vec<f64>,
    /// `<C>` in the final state.
    pub expected: f64,
    /// Best sampled basis state (bit `q` = qubit `q`).
    pub best_bitstring: u64,
    /// `C(best_bitstring)`.
    pub best_value: f64,
    /// Objective evaluations (state simulations) used.
    pub evaluations: usize,
}

/// A QAOA instance: the objective and its precomputed diagonal.
#[derive(Debug, Clone)]
pub struct Qaoa {
    objective: ZHamiltonian,
    diagonal: Diagonal,
    config: SimConfig,
}

impl Qaoa {
    /// QAOA maximising `objective`. Checks the memory for the state plus the
    /// diagonal while it is built (16 + 8 + 2 bytes per basis state) before allocating.
    ///
    /// # Errors
    /// [`Error::MemoryLimit`], [`Error::Invalid`] for an objective without qubits.
    pub fn new(objective: ZHamiltonian, config: &SimConfig) -> Result<Self> {
        if objective.num_qubits() == 0 {
            return Err(Error::invalid("objective", "no qubits"));
        }
        config.check(objective.num_qubits(), AMPLITUDE_BYTES + 10)?;
        let diagonal = objective.diagonal(config)?;
        Ok(Self {
            objective,
            diagonal,
            config: *config,
        })
    }

    /// QAOA for MaxCut on a connected graph (one qubit per node).
    ///
    /// # Errors
    /// [`Error::DisconnectedGraph`] and the errors of [`Qaoa::new`].
    pub fn maxcut(graph: &Graph, config: &SimConfig) -> Result<Self> {
        graph.require_connected()?;
        Self::new(graph.maxcut_hamiltonian()?, config)
    }

    /// QAOA for a QUBO to minimise: the objective is `-E(x)` (through
    /// [`Qubo::to_ising`] and [`Qaoa::ising`]).
    ///
    /// # Errors
    /// As [`Qaoa::new`].
    pub fn qubo(qubo: &Qubo, config: &SimConfig) -> Result<Self> {
        Self::ising(&qubo.to_ising()?, config)
    }

    /// QAOA for an Ising energy (a Z-string Hamiltonian) to minimise: the
    /// objective is `-H`.
    ///
    /// # Errors
    /// As [`Qaoa::new`].
    pub fn ising(energy: &ZHamiltonian, config: &SimConfig) -> Result<Self> {
        let mut neg = ZHamiltonian::new(energy.num_qubits())?;
        for t in energy.terms() {
            let qubits: Vec<usize> = (0..64).filter(|q| t.mask >> q & 1 == 1).collect();
            neg.add_term(-t.coeff, &qubits)?;
        }
        Self::new(neg, config)
    }

    /// Number of qubits.
    #[must_use]
    pub fn num_qubits(&self) -> usize {
        self.objective.num_qubits()
    }

    /// The objective.
    #[must_use]
    pub fn objective(&self) -> &ZHamiltonian {
        &self.objective
    }

    /// The precomputed diagonal of the objective.
    #[must_use]
    pub fn diagonal(&self) -> &Diagonal {
        &self.diagonal
    }

    fn check_angles(gamma: &[f64], beta: &[f64]) -> Result<()> {
        check_layers(gamma.len().max(beta.len()))?;
        if gamma.is_empty() || gamma.len() != beta.len() {
            return Err(Error::invalid(
                "angles",
                format!(
                    "need as many gammas as betas, at least one: got {} and {}",
                    gamma.len(),
                    beta.len()
                ),
            ));
        }
        if gamma.iter().chain(beta).any(|a| !a.is_finite()) {
            return Err(Error::invalid("angles", "non-finite angle"));
        }
        Ok(())
    }

    /// The QAOA state for the given angles.
    ///
    /// # Errors
    /// [`Error::Invalid`] for mismatched or non-finite angles, [`Error::MemoryLimit`].
    pub fn state(&self, gamma: &[f64], beta: &[f64]) -> Result<StateVector> {
        let mut s = StateVector::plus(self.num_qubits(), &self.config)?;
        self.prepare(&mut s, gamma, beta)?;
        Ok(s)
    }

    fn prepare(&self, state: &mut StateVector, gamma: &[f64], beta: &[f64]) -> Result<()> {
        Self::check_angles(gamma, beta)?;
        state.reset_plus();
        for (&g, &b) in gamma.iter().zip(beta) {
            state.apply_qaoa_layer(&self.diagonal, g, b)?;
        }
        Ok(())
    }

    /// `<C>` for the given angles (allocates one state).
    ///
    /// # Errors
    /// As [`Qaoa::state`].
    pub fn expectation(&self, gamma: &[f64], beta: &[f64]) -> Result<f64> {
        let mut s = StateVector::plus(self.num_qubits(), &self.config)?;
        self.expectation_in(&mut s, gamma, beta)
    }

    /// `<C>` for the given angles, reusing `state` as the buffer.
    ///
    /// # Errors
    /// As [`Qaoa::state`], and [`Error::Invalid`] for a state of another size.
    pub fn expectation_in(
        &self,
        state: &mut StateVector,
        gamma: &[f64],
        beta: &[f64],
    ) -> Result<f64> {
        self.prepare(state, gamma, beta)?;
        state.expectation_diagonal(&self.diagonal)
    }

    /// Evaluate fixed angles: `<C>` and the best of `options.shots` samples.
    ///
    /// # Errors
    /// As [`Qaoa::state`].
    pub fn evaluate(
        &self,
        gamma: &[f64],
        beta: &[f64],
        options: &QaoaOptions,
    ) -> Result<QaoaResult> {
        let s = self.state(gamma, beta)?;
        let expected = s.expectation_diagonal(&self.diagonal)?;
        let (best_bitstring, best_value) = self.best_sample(&s, options);
        Ok(QaoaResult {
            gamma: gamma.to_vec(),
            beta: beta.to_vec(),
            expected,
            best_bitstring,
            best_value,
            evaluations: 1,
        })
    }

    fn best_sample(&self, s: &StateVector, options: &QaoaOptions) -> (u64, f64) {
        let mut best = (0u64, f64::NEG_INFINITY);
        for z in s.sample(options.shots.max(1), options.seed ^ 0x5eed) {
            let v = self.diagonal.value(z as usize);
            if v > best.1 {
                best = (z, v);
            }
        }
        best
    }

    /// Optimise `p` layers of angles with seeded Nelder-Mead restarts, then
    /// sample the best state.
    ///
    /// # Errors
    /// [`Error::Invalid`] for `p == 0`, [`Error::TooManyLayers`] above
    /// [`MAX_LAYERS`], [`Error::MemoryLimit`].
    pub fn optimize(&self, p: usize, options: &QaoaOptions) -> Result<QaoaResult> {
        if p == 0 {
            return Err(Error::invalid("p", "at least one layer"));
        }
        check_layers(p)?;
        let mut state = StateVector::plus(self.num_qubits(), &self.config)?;
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut evaluations = 0;
        for r in 0..options.restarts.max(1) {
            let x0: Vec<f64> = if r == 0 {
                // Linear ramp (a common good start for p layers).
                let mut x = Vec::with_capacity(2 * p);
                for k in 0..p {
                    x.push(0.6 * (k as f64 + 0.5) / p as f64);
                }
                for k in 0..p {
                    x.push(0.6 * (1.0 - (k as f64 + 0.5) / p as f64));
                }
                x
            } else {
                let mut x: Vec<f64> = (0..p)
                    .map(|_| rng.random_range(0.0..std::f64::consts::PI))
                    .collect();
                x.extend((0..p).map(|_| rng.random_range(0.0..std::f64::consts::FRAC_PI_2)));
                x
            };
            let mut failure = None;
            let (x, v, used) = nelder_mead(
                |x| match self.expectation_in(&mut state, &x[..p], &x[p..]) {
                    Ok(e) => -e,
                    Err(e) => {
                        failure = Some(e);
                        f64::INFINITY
                    }
                },
                &x0,
                NmOptions {
                    max_evals: options.max_evals,
                    ftol: options.ftol,
                    step: 0.15,
                },
            );
            if let Some(e) = failure {
                return Err(e);
            }
            evaluations += used;
            tracing::debug!(
                restart = r,
                expected = -v,
                evaluations = used,
                "QAOA restart"
            );
            if best.as_ref().is_none_or(|b| v < b.1) {
                best = Some((x, v));
            }
        }
        let (x, _) = best.ok_or_else(|| Error::invalid("restarts", "no run"))?;
        let mut out = self.evaluate(&x[..p], &x[p..], options)?;
        out.evaluations = evaluations + 1;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_above_the_bound_are_a_typed_error() {
        let g = Graph::unweighted("square", 4, &[(0, 1), (1, 2), (2, 3), (3, 0)]).unwrap();
        let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
        let opts = QaoaOptions::default();
        for p in [MAX_LAYERS + 1, 2000, 1_000_000] {
            assert!(matches!(
                q.optimize(p, &opts),
                Err(Error::TooManyLayers { got, max: MAX_LAYERS }) if got == p
            ));
        }
        let angles = vec![0.1; MAX_LAYERS + 1];
        assert!(matches!(
            q.evaluate(&angles, &angles, &opts),
            Err(Error::TooManyLayers { .. })
        ));
        // The bound itself is accepted.
        let angles = vec![0.1; MAX_LAYERS];
        assert!(q.evaluate(&angles, &angles, &opts).is_ok());
    }

    #[test]
    fn single_edge_p1_reaches_one() {
        // One edge: <C> = 1/2 + 1/2 sin(4 beta) sin(gamma); max 1 at gamma = pi/2, beta = pi/8.
        let g = Graph::unweighted("edge", 2, &[(0, 1)]).unwrap();
        let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
        let e = q
            .expectation(
                &[std::f64::consts::FRAC_PI_2],
                &[std::f64::consts::PI / 8.0],
            )
            .unwrap();
        assert!((e - 1.0).abs() < 1e-12, "{e}");
    }

    #[test]
    fn ising_minimisation_finds_the_ground_state() {
        // H = Z0 Z1 + Z1 Z2 - 0.5 Z0: frustrated chain, ground energy -1.5 at z = 0b101 / 0b010.
        let mut h = ZHamiltonian::new(3).unwrap();
        h.add_term(1.0, &[0, 1]).unwrap();
        h.add_term(1.0, &[1, 2]).unwrap();
        h.add_term(-0.5, &[0]).unwrap();
        let ground = (0..8u64).map(|z| h.value(z)).fold(f64::INFINITY, f64::min);
        let q = Qaoa::ising(&h, &SimConfig::default()).unwrap();
        let r = q.optimize(2, &QaoaOptions::default()).unwrap();
        assert!((h.value(r.best_bitstring) - ground).abs() < 1e-12);
        assert!((r.best_value + ground).abs() < 1e-12);
        // <C> = -<H> lies between the mean and the ground energy.
        assert!(-r.expected >= ground - 1e-9 && -r.expected < 0.0);
    }

    #[test]
    fn angle_errors() {
        let g = Graph::unweighted("edge", 2, &[(0, 1)]).unwrap();
        let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
        assert!(q.expectation(&[0.1], &[]).is_err());
        assert!(q.expectation(&[f64::NAN], &[0.1]).is_err());
        assert!(q.optimize(0, &QaoaOptions::default()).is_err());
    }
}
