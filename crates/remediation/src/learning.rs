//! Learning from outcomes: per incident class and runbook, successes,
//! failures and time to recover; a pluggable [`RunbookSelector`] with
//! Thompson sampling over Beta posteriors by default.
//!
//! The statistics are rebuilt from the journal's `runbook_outcome` records on
//! start ([`LearningStats::from_records`]), so they persist with the audit
//! trail and need no second store.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::executor::lock;
use crate::journal::{Entry, Record};

/// Outcome counts of one runbook on one incident class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ArmStats {
    /// Runs that remediated the incident.
    pub successes: u64,
    /// Runs that did not.
    pub failures: u64,
    /// Sum of times to recover of successful runs with a known time (ms).
    pub ttr_sum_ms: i64,
    /// Number of successful runs with a known time.
    pub ttr_count: u64,
}

impl ArmStats {
    /// Mean time to recover in ms, if known.
    pub fn mean_ttr_ms(&self) -> Option<f64> {
        (self.ttr_count > 0).then(|| self.ttr_sum_ms as f64 / self.ttr_count as f64)
    }

    /// Posterior mean success rate under a Beta(1, 1) prior.
    pub fn posterior_mean(&self) -> f64 {
        (self.successes as f64 + 1.0) / (self.successes as f64 + self.failures as f64 + 2.0)
    }
}

/// Outcome statistics keyed by (incident class, runbook).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearningStats {
    arms: HashMap<String, HashMap<String, ArmStats>>,
}

impl LearningStats {
    /// Empty statistics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds statistics from journal records.
    pub fn from_records(records: &[Record]) -> Self {
        let mut s = Self::new();
        for r in records {
            if let Entry::RunbookOutcome {
                class,
                runbook,
                success,
                ttr_ms,
            } = &r.entry
            {
                s.record(class, runbook, *success, *ttr_ms);
            }
        }
        s
    }

    /// Records one outcome.
    pub fn record(&mut self, class: &str, runbook: &str, success: bool, ttr_ms: Option<i64>) {
        let arm = self
            .arms
            .entry(class.to_owned())
            .or_default()
            .entry(runbook.to_owned())
            .or_default();
        if success {
            arm.successes += 1;
            if let Some(t) = ttr_ms.filter(|t| *t >= 0) {
                arm.ttr_sum_ms = arm.ttr_sum_ms.saturating_add(t);
                arm.ttr_count += 1;
            }
        } else {
            arm.failures += 1;
        }
    }

    /// Statistics of one runbook on one class (zero if never run).
    pub fn get(&self, class: &str, runbook: &str) -> ArmStats {
        self.arms
            .get(class)
            .and_then(|m| m.get(runbook))
            .copied()
            .unwrap_or_default()
    }

    /// Every (class, runbook, stats), sorted.
    pub fn entries(&self) -> Vec<(String, String, ArmStats)> {
        let mut v: Vec<_> = self
            .arms
            .iter()
            .flat_map(|(c, m)| m.iter().map(move |(r, s)| (c.clone(), r.clone(), *s)))
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }
}

/// Chooses one runbook among several that match an incident. Implement it to
/// plug another policy (an RL bandit, a fixed preference).
pub trait RunbookSelector: Send + Sync + fmt::Debug {
    /// The index into `candidates` (never empty) to run for an incident of `class`.
    fn select(&self, class: &str, candidates: &[&str], stats: &LearningStats) -> usize;

    /// Told each outcome, for selectors with their own state. The default does nothing.
    fn observe(&self, _class: &str, _runbook: &str, _success: bool, _ttr_ms: Option<i64>) {}
}

/// Always the first matching runbook (load order).
#[derive(Debug, Default, Clone, Copy)]
pub struct FirstMatch;

impl RunbookSelector for FirstMatch {
    fn select(&self, _class: &str, _candidates: &[&str], _stats: &LearningStats) -> usize {
        0
    }
}

/// Thompson sampling: draw a success rate from each candidate's
/// Beta(1 + successes, 1 + failures) posterior and take the largest; ties
/// (and the untried) go to load order. Seeded, so a run is reproducible.
#[derive(Debug)]
pub struct ThompsonSampling {
    rng: Mutex<ChaCha8Rng>,
}

impl ThompsonSampling {
    /// A sampler seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        ThompsonSampling {
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        }
    }
}

impl Default for ThompsonSampling {
    fn default() -> Self {
        Self::new(0x5eed)
    }
}

/// A standard normal draw (Box–Muller).
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) draw (Marsaglia–Tsang; shape < 1 boosted).
pub(crate) fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Beta(a, b) draw from two Gamma draws.
pub(crate) fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    if x + y > 0.0 { x / (x + y) } else { 0.5 }
}

impl RunbookSelector for ThompsonSampling {
    fn select(&self, class: &str, candidates: &[&str], stats: &LearningStats) -> usize {
        if candidates.len() <= 1 {
            return 0;
        }
        let mut rng = lock(&self.rng);
        let mut best = (0usize, f64::NEG_INFINITY);
        for (i, name) in candidates.iter().enumerate() {
            let s = stats.get(class, name);
            let draw = beta(&mut *rng, 1.0 + s.successes as f64, 1.0 + s.failures as f64);
            if draw > best.1 {
                best = (i, draw);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_draws_have_the_right_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (a, b) in [(1.0, 1.0), (2.0, 8.0), (30.0, 3.0), (0.5, 0.5)] {
            let n = 20_000;
            let mean: f64 = (0..n).map(|_| beta(&mut rng, a, b)).sum::<f64>() / n as f64;
            let want = a / (a + b);
            assert!(
                (mean - want).abs() < 0.01,
                "Beta({a},{b}) mean {mean} vs {want}"
            );
        }
    }

    #[test]
    fn thompson_prefers_what_worked() {
        let ts = ThompsonSampling::new(1);
        let mut stats = LearningStats::new();
        for _ in 0..20 {
            stats.record("warning/db", "restart", false, None);
            stats.record("warning/db", "scale", true, Some(60_000));
        }
        let picks = (0..200)
            .filter(|_| ts.select("warning/db", &["restart", "scale"], &stats) == 1)
            .count();
        assert!(picks > 190, "{picks}");
        // Another class has no history: both get explored.
        let picks = (0..200)
            .filter(|_| ts.select("warning/web", &["restart", "scale"], &stats) == 1)
            .count();
        assert!((50..150).contains(&picks), "{picks}");
        assert_eq!(
            stats.get("warning/db", "scale").mean_ttr_ms(),
            Some(60_000.0)
        );
    }
}
