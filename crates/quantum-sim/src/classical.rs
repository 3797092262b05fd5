//! Classical QUBO baselines: exact enumeration and simulated annealing, and a
//! comparison report against QAOA.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::qaoa::{Qaoa, QaoaOptions};
use crate::qubo::Qubo;
use crate::state::SimConfig;
use crate::{Error, Result};

/// Largest QUBO [`exact_minimum`] enumerates.
pub const EXACT_MAX_VARS: usize = 30;

/// An assignment and its energy.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Solution {
    /// `x_i`.
    pub bits: Vec<bool>,
    /// `E(x)`.
    pub energy: f64,
}

/// Local fields `f_i = a_i + sum_j b_ij x_j`.
fn fields(q: &Qubo, x: &[bool]) -> Vec<f64> {
    (0..q.num_vars())
        .map(|i| {
            q.linear(i)
                + q.row(i)
                    .iter()
                    .zip(x)
                    .filter(|(_, xj)| **xj)
                    .map(|(b, _)| *b)
                    .sum::<f64>()
        })
        .collect()
}

fn flip(q: &Qubo, x: &mut [bool], f: &mut [f64], k: usize) -> f64 {
    let delta = if x[k] { -f[k] } else { f[k] };
    let sign = if x[k] { -1.0 } else { 1.0 };
    x[k] = !x[k];
    for (fj, b) in f.iter_mut().zip(q.row(k)) {
        *fj += sign * b;
    }
    delta
}

/// The exact minimum by Gray-code enumeration of all `2^n` assignments
/// (`O(2^n n)`); ties keep the first assignment found.
///
/// # Errors
/// [`Error::TooLarge`] above [`EXACT_MAX_VARS`] variables.
pub fn exact_minimum(q: &Qubo) -> Result<Solution> {
    let n = q.num_vars();
    if n > EXACT_MAX_VARS {
        return Err(Error::TooLarge {
            method: "exact enumeration",
            max: EXACT_MAX_VARS,
            got: n,
        });
    }
    let mut x = vec![false; n];
    let mut f = fields(q, &x);
    let mut e = q.offset();
    let mut best = Solution {
        bits: x.clone(),
        energy: e,
    };
    for step in 1u64..(1u64 << n) {
        let k = step.trailing_zeros() as usize;
        e += flip(q, &mut x, &mut f, k);
        // Relative to the best energy, so objectives of any scale are
        // searched alike (an absolute 1e-12 hid every improvement of a QUBO
        // built from loads of 1e-7).
        if e < best.energy - 1e-12 * best.energy.abs() {
            best.energy = e;
            best.bits.copy_from_slice(&x);
        }
    }
    // Recompute to remove accumulated rounding.
    best.energy = q.energy(&best.bits)?;
    Ok(best)
}

/// Simulated annealing parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnnealOptions {
    /// Sweeps (n proposed single-bit flips each) per restart.
    pub sweeps: usize,
    /// Independent restarts from random assignments.
    pub restarts: usize,
    /// Start temperature; `None` = the largest possible single-flip change.
    pub t_start: Option<f64>,
    /// End temperature; `None` = `t_start / 1000`.
    pub t_end: Option<f64>,
    /// Seed.
    pub seed: u64,
}

impl Default for AnnealOptions {
    fn default() -> Self {
        Self {
            sweeps: 2000,
            restarts: 8,
            t_start: None,
            t_end: None,
            seed: 0,
        }
    }
}

/// Simulated annealing with single-bit flips, Metropolis acceptance and a
/// geometric temperature schedule; returns the best assignment seen.
///
/// # Errors
/// [`Error::Invalid`] for a QUBO without variables or non-positive temperatures.
pub fn simulated_annealing(q: &Qubo, options: &AnnealOptions) -> Result<Solution> {
    let n = q.num_vars();
    if n == 0 {
        return Err(Error::invalid("QUBO", "no variables"));
    }
    let scale = (0..n)
        .map(|i| q.linear(i).abs() + q.row(i).iter().map(|b| b.abs()).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-12);
    let t0 = options.t_start.unwrap_or(scale);
    let t1 = options.t_end.unwrap_or(t0 / 1000.0);
    if !(t0 > 0.0 && t1 > 0.0 && t0.is_finite() && t1.is_finite()) {
        return Err(Error::invalid(
            "temperature",
            format!("t_start {t0}, t_end {t1} must be positive"),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let sweeps = options.sweeps.max(1);
    let ratio = (t1 / t0).powf(1.0 / sweeps.saturating_sub(1).max(1) as f64);
    let mut best: Option<Solution> = None;
    for _ in 0..options.restarts.max(1) {
        let mut x: Vec<bool> = (0..n).map(|_| rng.random::<bool>()).collect();
        let mut f = fields(q, &x);
        let mut e = q.energy(&x)?;
        let mut run_best = (e, x.clone());
        let mut t = t0;
        for _ in 0..sweeps {
            for _ in 0..n {
                let k = rng.random_range(0..n);
                let delta = if x[k] { -f[k] } else { f[k] };
                if delta <= 0.0 || rng.random::<f64>() < (-delta / t).exp() {
                    e += flip(q, &mut x, &mut f, k);
                    if e < run_best.0 - 1e-12 {
                        run_best = (e, x.clone());
                    }
                }
            }
            t *= ratio;
        }
        let energy = q.energy(&run_best.1)?;
        if best.as_ref().is_none_or(|b| energy < b.energy) {
            best = Some(Solution {
                bits: run_best.1,
                energy,
            });
        }
    }
    best.ok_or_else(|| Error::invalid("restarts", "no run"))
}

/// One solver's line in a [`Comparison`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MethodResult {
    /// `exact`, `annealing` or `qaoa`.
    pub method: String,
    /// Best assignment found.
    pub solution: Solution,
    /// Energy minus the exact minimum (when known).
    pub gap: Option<f64>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// For QAOA: `-<C>` in the optimised state (the expected energy).
    pub expected_energy: Option<f64>,
}

/// Solution quality and time of each solver on one QUBO.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Number of variables.
    pub num_vars: usize,
    /// One entry per solver that ran.
    pub results: Vec<MethodResult>,
}

/// Options of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// QAOA layers.
    pub p: usize,
    /// QAOA optimiser and sampling.
    pub qaoa: QaoaOptions,
    /// Annealing.
    pub anneal: AnnealOptions,
    /// Run QAOA only up to this many variables.
    pub qaoa_max_qubits: usize,
    /// Simulator memory limit.
    pub sim: SimConfig,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            p: 2,
            qaoa: QaoaOptions::default(),
            anneal: AnnealOptions::default(),
            qaoa_max_qubits: 20,
            sim: SimConfig::default(),
        }
    }
}

fn bits_of(z: u64, n: usize) -> Vec<bool> {
    (0..n).map(|i| (z >> i) & 1 == 1).collect()
}

/// Run exact enumeration (up to 24 variables), simulated annealing and QAOA
/// (up to `qaoa_max_qubits`) on `q` and report quality and time.
///
/// # Errors
/// Errors of the solvers (memory limit, invalid options).
pub fn compare(q: &Qubo, options: &CompareOptions) -> Result<Comparison> {
    let n = q.num_vars();
    let mut results = Vec::new();
    let mut exact_energy = None;
    if n <= 24 {
        let t = Instant::now();
        let s = exact_minimum(q)?;
        exact_energy = Some(s.energy);
        results.push(MethodResult {
            method: "exact".into(),
            solution: s,
            gap: Some(0.0),
            seconds: t.elapsed().as_secs_f64(),
            expected_energy: None,
        });
    }
    let t = Instant::now();
    let s = simulated_annealing(q, &options.anneal)?;
    results.push(MethodResult {
        method: "annealing".into(),
        gap: exact_energy.map(|e| s.energy - e),
        solution: s,
        seconds: t.elapsed().as_secs_f64(),
        expected_energy: None,
    });
    if n <= options.qaoa_max_qubits {
        let t = Instant::now();
        let qa = Qaoa::qubo(q, &options.sim)?;
        let r = qa.optimize(options.p, &options.qaoa)?;
        let bits = bits_of(r.best_bitstring, n);
        let energy = q.energy(&bits)?;
        results.push(MethodResult {
            method: "qaoa".into(),
            gap: exact_energy.map(|e| energy - e),
            solution: Solution { bits, energy },
            seconds: t.elapsed().as_secs_f64(),
            expected_energy: Some(-r.expected),
        });
    }
    Ok(Comparison {
        num_vars: n,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_qubo(n: usize, seed: u64) -> Qubo {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let m: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..n).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect();
        Qubo::from_matrix(&m).unwrap()
    }

    #[test]
    fn exact_matches_brute_force() {
        let q = random_qubo(10, 4);
        let s = exact_minimum(&q).unwrap();
        let brute = (0..1u64 << 10)
            .map(|z| q.energy_bits(z))
            .fold(f64::INFINITY, f64::min);
        assert!((s.energy - brute).abs() < 1e-9);
        assert!(matches!(
            exact_minimum(&Qubo::zeros(31)),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn annealing_finds_optimum_on_small_problem() {
        let q = random_qubo(12, 9);
        let exact = exact_minimum(&q).unwrap();
        let sa = simulated_annealing(
            &q,
            &AnnealOptions {
                sweeps: 300,
                restarts: 4,
                ..AnnealOptions::default()
            },
        )
        .unwrap();
        assert!((sa.energy - exact.energy).abs() < 1e-9);
    }

    #[test]
    fn comparison_runs_all_three() {
        let q = random_qubo(6, 1);
        let c = compare(
            &q,
            &CompareOptions {
                p: 1,
                qaoa: QaoaOptions {
                    restarts: 2,
                    max_evals: 60,
                    ..QaoaOptions::default()
                },
                anneal: AnnealOptions {
                    sweeps: 100,
                    restarts: 2,
                    ..AnnealOptions::default()
                },
                ..CompareOptions::default()
            },
        )
        .unwrap();
        assert_eq!(c.results.len(), 3);
        for r in &c.results {
            assert!(r.gap.unwrap() >= -1e-9);
            assert!((q.energy(&r.solution.bits).unwrap() - r.solution.energy).abs() < 1e-9);
        }
        // 1024 samples over 64 states: QAOA's best sample is the optimum.
        assert!(c.results[2].gap.unwrap().abs() < 1e-9);
    }
}
