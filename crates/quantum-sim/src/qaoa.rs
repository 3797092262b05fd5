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

/// Default cap on the qubits of a QAOA angle optimisation
/// ([`crate::BalanceOptions::qaoa_max_qubits`], the CLI's `--max-qubits`).
///
/// One optimisation with the default [`QaoaOptions`] runs up to 4 x 400
/// state simulations, and each costs about twice as much or more per extra
/// qubit (the state outgrows the caches from 20 qubits on). Measured on the
/// shared 2-core machine (one thread, optimised build, `aiops quantum maxcut`
/// on a ring, p = 1): see the crate's changelog entry; at this cap a run
/// takes seconds, two qubits more about a minute at p = 2.
pub const DEFAULT_QAOA_MAX_QUBITS: usize = 18;

/// Largest phase, in radians, one QAOA layer may apply: every cost angle
/// needs `|gamma_k| * max_z |C(z)| <= MAX_PHASE` and every mixer angle
/// `|beta_k| <= MAX_PHASE`, else [`Error::AngleTooLarge`].
///
/// Why: a phase is rounded to `f64` before its sine and cosine are taken, so
/// its error grows with its size (`|phase| * 2^-53`, about `1.1e-10` rad at
/// `1e6`, a whole turn beyond `2^53`), and a product that overflows gives an
/// infinite phase and a NaN state. Nothing is lost by the bound: the mixer is
/// periodic in `beta` (period `pi`) and, for an integer objective such as
/// MaxCut with integer weights, the cost layer in `gamma` (period `2 pi`).
pub const MAX_PHASE: f64 = 1.0e6;

/// Check one angle against [`MAX_PHASE`]: `scale` is `max_z |C(z)|` for a
/// cost angle, 1 for a mixer angle; `angle` names it in the error.
pub(crate) fn check_angle(angle: impl FnOnce() -> String, value: f64, scale: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::invalid(
            "angles",
            format!("{} = {value} is not finite", angle()),
        ));
    }
    let phase = value.abs() * scale;
    // A NaN scale gives a NaN phase: rejected too.
    if phase.is_nan() || phase > MAX_PHASE {
        return Err(Error::AngleTooLarge {
            angle: angle(),
            value,
            scale,
            phase,
            max: MAX_PHASE,
        });
    }
    Ok(())
}

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
    /// [`Error::MemoryLimit`], [`Error::Invalid`] for an objective without
    /// qubits or with a value that overflows `f64` (finite terms whose sum is not).
    pub fn new(objective: ZHamiltonian, config: &SimConfig) -> Result<Self> {
        if objective.num_qubits() == 0 {
            return Err(Error::invalid("objective", "no qubits"));
        }
        config.check(objective.num_qubits(), AMPLITUDE_BYTES + 10)?;
        let diagonal = objective.diagonal(config)?;
        if !diagonal.max_abs().is_finite() {
            return Err(Error::invalid(
                "objective",
                format!(
                    "its largest |value| over the basis states, {}, is not a finite f64",
                    diagonal.max_abs()
                ),
            ));
        }
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

    /// Twice the largest coefficient of a non-constant term (the largest
    /// edge weight of a MaxCut objective, whose terms are `w/2`): the unit in
    /// which [`Qaoa::optimize`] searches cost angles; 1 for an objective
    /// without such terms.
    fn gamma_unit(&self) -> f64 {
        let c = self
            .objective
            .terms()
            .iter()
            .filter(|t| t.mask != 0)
            .map(|t| t.coeff.abs())
            .fold(0.0, f64::max);
        if c > 0.0 && (2.0 * c).is_finite() {
            2.0 * c
        } else {
            1.0
        }
    }

    fn check_angles(&self, gamma: &[f64], beta: &[f64]) -> Result<()> {
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
        let scale = self.diagonal.max_abs();
        for (k, (&g, &b)) in gamma.iter().zip(beta).enumerate() {
            check_angle(|| format!("gamma[{k}]"), g, scale)?;
            check_angle(|| format!("beta[{k}]"), b, 1.0)?;
        }
        Ok(())
    }

    /// The QAOA state for the given angles.
    ///
    /// # Errors
    /// [`Error::Invalid`] for mismatched or non-finite angles,
    /// [`Error::AngleTooLarge`] for an angle whose phase is above [`MAX_PHASE`],
    /// [`Error::MemoryLimit`].
    pub fn state(&self, gamma: &[f64], beta: &[f64]) -> Result<StateVector> {
        let mut s = StateVector::plus(self.num_qubits(), &self.config)?;
        self.prepare(&mut s, gamma, beta)?;
        Ok(s)
    }

    fn prepare(&self, state: &mut StateVector, gamma: &[f64], beta: &[f64]) -> Result<()> {
        self.check_angles(gamma, beta)?;
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
    /// As [`Qaoa::state`], and [`Error::Invalid`] for a state of another size
    /// or an expectation that is not finite (never returned as a value).
    pub fn expectation_in(
        &self,
        state: &mut StateVector,
        gamma: &[f64],
        beta: &[f64],
    ) -> Result<f64> {
        self.prepare(state, gamma, beta)?;
        self.finite_expectation(state, gamma, beta)
    }

    fn finite_expectation(&self, state: &StateVector, gamma: &[f64], beta: &[f64]) -> Result<f64> {
        let e = state.expectation_diagonal(&self.diagonal)?;
        if e.is_finite() {
            Ok(e)
        } else {
            Err(Error::invalid(
                "expectation",
                format!("<C> = {e} at gamma {gamma:?}, beta {beta:?} is not finite"),
            ))
        }
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
        let expected = self.finite_expectation(&s, gamma, beta)?;
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
    /// Cost angles are searched in units of twice the objective's largest
    /// coefficient (for MaxCut: of the largest edge weight), so an objective
    /// scaled by 1e10 or 1e-10 is searched like the unscaled one; the
    /// returned `gamma` are the angles applied. Points of the search whose phase exceeds [`MAX_PHASE`] are
    /// rejected as infeasible rather than ending it.
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
        // The search runs in units of the largest coefficient (cost angle =
        // searched angle / unit), so the starting points and step sizes, made
        // for unit edge weights, suit an objective of any scale (a
        // load-balancing QUBO has coefficients around 1e10, where the ramp's
        // first angle 0.3 is a phase of billions of radians; weights of 1e-5
        // need angles near 1e5).
        let unit = self.gamma_unit();
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
                |x| {
                    let gamma: Vec<f64> = x[..p].iter().map(|g| g / unit).collect();
                    match self.expectation_in(&mut state, &gamma, &x[p..]) {
                        // In units too, so the simplex's tolerance means the
                        // same for weights of 1e-10 as for weights of 1.
                        Ok(e) => -e / unit,
                        // The simplex may step past the phase bound: a
                        // point it must leave, not the end of the search.
                        Err(Error::AngleTooLarge { .. }) => f64::INFINITY,
                        Err(e) => {
                            failure = Some(e);
                            f64::INFINITY
                        }
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
        let gamma: Vec<f64> = x[..p].iter().map(|g| g / unit).collect();
        let mut out = self.evaluate(&gamma, &x[p..], options)?;
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

    #[test]
    fn angles_whose_phase_is_too_large_are_a_typed_error_never_nan() {
        // Square ring: max |C| = 4 (the maximum cut).
        let g = Graph::unweighted("square", 4, &[(0, 1), (1, 2), (2, 3), (3, 0)]).unwrap();
        let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
        assert_eq!(q.diagonal().max_abs(), 4.0);
        let opts = QaoaOptions::default();
        // 1e308 * 4 overflows: the reported case (it printed `expected cut NaN`).
        let e = q.evaluate(&[1e308], &[1e308], &opts).unwrap_err();
        assert!(
            matches!(&e, Error::AngleTooLarge { angle, scale, phase, .. }
                if angle == "gamma[0]" && *scale == 4.0 && phase.is_infinite()),
            "{e}"
        );
        assert!(e.to_string().contains("gamma[0] = 1e308"), "{e}");
        // The bound is on |gamma| * max |C|: 3e5 * 4 > 1e6 although 3e5 < 1e6.
        assert!(matches!(
            q.expectation(&[-3e5], &[0.1]),
            Err(Error::AngleTooLarge { .. })
        ));
        // Mixer angles: |beta| <= MAX_PHASE, checked per layer.
        assert!(matches!(
            q.expectation(&[0.1, 0.2], &[0.3, 1.5e6]),
            Err(Error::AngleTooLarge { ref angle, .. }) if angle == "beta[1]"
        ));
        // At the bound the phase is still accurate: same value as the reduced angle.
        let gamma = MAX_PHASE / 4.0;
        let reduced = gamma.rem_euclid(2.0 * std::f64::consts::PI);
        let a = q.expectation(&[gamma], &[0.3]).unwrap();
        let b = q.expectation(&[reduced], &[0.3]).unwrap();
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        // The state-level entry points check too.
        let mut s = StateVector::plus(4, &SimConfig::default()).unwrap();
        assert!(s.apply_qaoa_layer(q.diagonal(), 1e308, 0.1).is_err());
        assert!(s.apply_diagonal_phase(q.diagonal(), f64::INFINITY).is_err());
        assert!(s.apply_diagonal_phase(q.diagonal(), 1e6).is_err());
        assert!(s.expectation_diagonal(q.diagonal()).unwrap().is_finite());
    }

    #[test]
    fn a_scaled_objective_is_optimised_like_the_unscaled_one() {
        // The same ring objective with unit coefficients and with 1e10 ones
        // (a load-balancing QUBO's scale): the search runs in units of the
        // largest coefficient, so it finds the same point, scaled.
        let ring = |c: f64| {
            let mut h = ZHamiltonian::new(4).unwrap();
            for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 0)] {
                h.add_term(-c, &[a, b]).unwrap();
            }
            h.add_term(0.5 * c, &[0]).unwrap();
            Qaoa::new(h, &SimConfig::default()).unwrap()
        };
        let opts = QaoaOptions::default();
        let one = ring(1.0).optimize(2, &opts).unwrap();
        assert!(one.expected > 0.0);
        // 1e-5: tiny weights, which an unscaled search left near random.
        for scale in [1e10, 1e-5] {
            let other = ring(scale).optimize(2, &opts).unwrap();
            // The same search up to rounding (the simplex may part by a
            // hair: scaled values are not exact integer levels).
            for (g1, g) in one.gamma.iter().zip(&other.gamma) {
                assert!(
                    (g1 - g * scale).abs() < 1e-2 * (1.0 + g1.abs()),
                    "{scale}: {g1} {g}"
                );
            }
            assert!(
                (one.expected - other.expected / scale).abs() < 1e-4,
                "{scale}: {} {}",
                one.expected,
                other.expected
            );
            assert_eq!(one.best_bitstring, other.best_bitstring, "{scale}");
        }
    }

    #[test]
    fn tiny_weights_keep_their_cut_values() {
        // Weights 1e-10 and 2e-10: cut values 0, 1e-10, 2e-10, 3e-10 are not
        // integer levels (they were taken as one level, the maximum cut
        // reported as about -1e-26).
        for w in [1e-10, 1e-13, 1e-16, 1e-300] {
            let g = Graph::new("tiny", 3, vec![(0, 1, w), (1, 2, 2.0 * w)]).unwrap();
            let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
            let (_, best) = q.diagonal().max();
            assert!((best - 3.0 * w).abs() < 1e-9 * w, "{w}: {best}");
            let r = q.optimize(1, &QaoaOptions::default()).unwrap();
            assert!(
                (r.best_value - 3.0 * w).abs() < 1e-9 * w,
                "{w}: {}",
                r.best_value
            );
            // The search moves (it stood still at the starting point, its
            // tolerance absolute, for weights of 3e-10 and below).
            assert!(
                r.beta[0] != 0.3 && r.expected > 0.76 * 3.0 * w,
                "{w}: {r:?}"
            );
        }
    }

    #[test]
    fn an_objective_that_overflows_f64_is_rejected() {
        let mut h = ZHamiltonian::new(2).unwrap();
        h.add_term(1e308, &[0]).unwrap();
        h.add_term(1e308, &[1]).unwrap();
        let e = Qaoa::new(h, &SimConfig::default()).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { what, .. } if what == "objective"),
            "{e}"
        );
    }
}
