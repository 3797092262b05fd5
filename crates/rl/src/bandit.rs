//! Multi-armed bandits: epsilon-greedy, UCB1 and Thompson sampling for
//! Bernoulli and Gaussian rewards.
//!
//! Every bandit owns a seeded generator and is `Send + Sync + Debug`, so a
//! service can keep one per decision (which runbook to run for an alert kind)
//! behind a `Box<dyn Bandit>`. All of them pull each arm once before they use
//! their rule, so early decisions are not biased by ties.

use std::fmt::Debug;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{self, Error, Result};
use crate::sample;
use crate::tabular::argmax_random;

/// A stochastic multi-armed bandit policy.
pub trait Bandit: Send + Sync + Debug {
    /// Number of arms.
    fn n_arms(&self) -> usize;

    /// Chooses the arm to pull next.
    fn select(&mut self) -> usize;

    /// Records the reward of pulling `arm`.
    ///
    /// # Errors
    /// [`Error::InvalidAction`] for an arm out of range and
    /// [`Error::InvalidReward`] for a non-finite reward or one outside the
    /// range the bandit models (Bernoulli: [0, 1]).
    fn update(&mut self, arm: usize, reward: f64) -> Result<()>;

    /// Pull counts and reward statistics per arm.
    fn stats(&self) -> &[ArmStats];
}

/// Running reward statistics of one arm.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmStats {
    /// Times the arm was updated.
    pub pulls: u64,
    /// Mean reward (0 before the first pull).
    pub mean: f64,
    /// Sum of squared deviations from the mean (Welford).
    pub m2: f64,
}

impl ArmStats {
    fn push(&mut self, x: f64) {
        self.pulls += 1;
        let d = x - self.mean;
        self.mean += d / self.pulls as f64;
        self.m2 += d * (x - self.mean);
    }
}

fn check_arms(n_arms: usize) -> Result<()> {
    if n_arms == 0 {
        return Err(Error::InvalidParameter {
            name: "n_arms",
            value: 0.0,
            expected: "at least 1",
        });
    }
    Ok(())
}

fn check_update(stats: &[ArmStats], arm: usize, reward: f64) -> Result<()> {
    if arm >= stats.len() {
        return Err(Error::InvalidAction {
            action: arm,
            n_actions: stats.len(),
        });
    }
    if !reward.is_finite() {
        return Err(Error::InvalidReward {
            arm,
            reward,
            expected: "a finite number",
        });
    }
    Ok(())
}

fn first_untried(stats: &[ArmStats]) -> Option<usize> {
    stats.iter().position(|s| s.pulls == 0)
}

/// Epsilon-greedy: a uniformly random arm with probability `epsilon`, else
/// the arm with the best mean reward.
#[derive(Debug, Clone)]
pub struct EpsilonGreedyBandit {
    epsilon: f64,
    stats: Vec<ArmStats>,
    rng: ChaCha8Rng,
}

impl EpsilonGreedyBandit {
    /// A bandit over `n_arms` arms.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms or `epsilon` outside [0, 1].
    pub fn new(n_arms: usize, epsilon: f64, seed: u64) -> Result<Self> {
        check_arms(n_arms)?;
        error::in_unit_closed("epsilon", epsilon)?;
        Ok(EpsilonGreedyBandit {
            epsilon,
            stats: vec![ArmStats::default(); n_arms],
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }
}

impl Bandit for EpsilonGreedyBandit {
    fn n_arms(&self) -> usize {
        self.stats.len()
    }

    fn select(&mut self) -> usize {
        if let Some(a) = first_untried(&self.stats) {
            return a;
        }
        if self.rng.random::<f64>() < self.epsilon {
            return self.rng.random_range(0..self.stats.len());
        }
        let means: Vec<f64> = self.stats.iter().map(|s| s.mean).collect();
        argmax_random(&means, &mut self.rng)
    }

    fn update(&mut self, arm: usize, reward: f64) -> Result<()> {
        check_update(&self.stats, arm, reward)?;
        self.stats[arm].push(reward);
        Ok(())
    }

    fn stats(&self) -> &[ArmStats] {
        &self.stats
    }
}

/// UCB1 (Auer, Cesa-Bianchi and Fischer 2002): the arm maximising
/// `mean + sqrt(c * ln t / n)`, with `c = 2` for rewards in [0, 1].
/// Its regret grows like `log t`.
#[derive(Debug, Clone)]
pub struct Ucb1 {
    c: f64,
    stats: Vec<ArmStats>,
    total: u64,
    rng: ChaCha8Rng,
}

impl Ucb1 {
    /// UCB1 with the textbook exploration constant 2 (rewards in [0, 1]);
    /// the seed only breaks ties.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms.
    pub fn new(n_arms: usize, seed: u64) -> Result<Self> {
        Self::with_exploration(n_arms, 2.0, seed)
    }

    /// UCB1 with exploration constant `c` (scale it with the square of the
    /// reward range).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms or `c` not positive.
    pub fn with_exploration(n_arms: usize, c: f64, seed: u64) -> Result<Self> {
        check_arms(n_arms)?;
        error::positive("c", c)?;
        Ok(Ucb1 {
            c,
            stats: vec![ArmStats::default(); n_arms],
            total: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }
}

impl Bandit for Ucb1 {
    fn n_arms(&self) -> usize {
        self.stats.len()
    }

    fn select(&mut self) -> usize {
        if let Some(a) = first_untried(&self.stats) {
            return a;
        }
        let ln_t = (self.total.max(1) as f64).ln();
        let ucb: Vec<f64> = self
            .stats
            .iter()
            .map(|s| s.mean + (self.c * ln_t / s.pulls as f64).sqrt())
            .collect();
        argmax_random(&ucb, &mut self.rng)
    }

    fn update(&mut self, arm: usize, reward: f64) -> Result<()> {
        check_update(&self.stats, arm, reward)?;
        self.stats[arm].push(reward);
        self.total += 1;
        Ok(())
    }

    fn stats(&self) -> &[ArmStats] {
        &self.stats
    }
}

/// Thompson sampling for Bernoulli rewards with a Beta prior: each arm's
/// success probability is drawn from `Beta(a + successes, b + failures)` and
/// the arm with the largest draw is pulled. Rewards must lie in [0, 1]; a
/// fractional reward `r` counts as `r` successes and `1 - r` failures.
#[derive(Debug, Clone)]
pub struct BernoulliThompson {
    prior: (f64, f64),
    posterior: Vec<(f64, f64)>,
    stats: Vec<ArmStats>,
    rng: ChaCha8Rng,
}

impl BernoulliThompson {
    /// Thompson sampling with the uniform prior Beta(1, 1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms.
    pub fn new(n_arms: usize, seed: u64) -> Result<Self> {
        Self::with_prior(n_arms, 1.0, 1.0, seed)
    }

    /// Thompson sampling with prior Beta(`a`, `b`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms or a non-positive prior.
    pub fn with_prior(n_arms: usize, a: f64, b: f64, seed: u64) -> Result<Self> {
        check_arms(n_arms)?;
        error::positive("a", a)?;
        error::positive("b", b)?;
        Ok(BernoulliThompson {
            prior: (a, b),
            posterior: vec![(a, b); n_arms],
            stats: vec![ArmStats::default(); n_arms],
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The Beta posterior `(alpha, beta)` of each arm.
    pub fn posterior(&self) -> &[(f64, f64)] {
        &self.posterior
    }

    /// The prior `(a, b)`.
    pub fn prior(&self) -> (f64, f64) {
        self.prior
    }
}

impl Bandit for BernoulliThompson {
    fn n_arms(&self) -> usize {
        self.stats.len()
    }

    fn select(&mut self) -> usize {
        if let Some(a) = first_untried(&self.stats) {
            return a;
        }
        let rng = &mut self.rng;
        let draws: Vec<f64> = self
            .posterior
            .iter()
            .map(|&(a, b)| sample::beta(rng, a, b))
            .collect();
        argmax_random(&draws, rng)
    }

    fn update(&mut self, arm: usize, reward: f64) -> Result<()> {
        check_update(&self.stats, arm, reward)?;
        if !(0.0..=1.0).contains(&reward) {
            return Err(Error::InvalidReward {
                arm,
                reward,
                expected: "a number in [0, 1]",
            });
        }
        self.posterior[arm].0 += reward;
        self.posterior[arm].1 += 1.0 - reward;
        self.stats[arm].push(reward);
        Ok(())
    }

    fn stats(&self) -> &[ArmStats] {
        &self.stats
    }
}

/// A Normal-Gamma prior on a Gaussian arm's mean and precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalGammaPrior {
    /// Prior mean of the arm's mean reward.
    pub mean: f64,
    /// Pseudo-observations behind `mean` (> 0).
    pub kappa: f64,
    /// Shape of the Gamma prior on the precision (> 0).
    pub alpha: f64,
    /// Rate of the Gamma prior on the precision (> 0).
    pub beta: f64,
}

impl Default for NormalGammaPrior {
    fn default() -> Self {
        NormalGammaPrior {
            mean: 0.0,
            kappa: 0.01,
            alpha: 1.0,
            beta: 1.0,
        }
    }
}

/// Thompson sampling for Gaussian rewards with unknown mean and variance
/// (Normal-Gamma conjugate prior): draw a precision `tau ~ Gamma(alpha_n,
/// beta_n)`, then a mean `mu ~ N(mean_n, 1 / (kappa_n tau))` per arm, and pull
/// the arm with the largest `mu`.
#[derive(Debug, Clone)]
pub struct GaussianThompson {
    prior: NormalGammaPrior,
    stats: Vec<ArmStats>,
    rng: ChaCha8Rng,
}

impl GaussianThompson {
    /// Thompson sampling with the weak default prior.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms.
    pub fn new(n_arms: usize, seed: u64) -> Result<Self> {
        Self::with_prior(n_arms, NormalGammaPrior::default(), seed)
    }

    /// Thompson sampling with the given prior.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no arms or an invalid prior.
    pub fn with_prior(n_arms: usize, prior: NormalGammaPrior, seed: u64) -> Result<Self> {
        check_arms(n_arms)?;
        if !prior.mean.is_finite() {
            return Err(Error::InvalidParameter {
                name: "prior.mean",
                value: prior.mean,
                expected: "a finite number",
            });
        }
        error::positive("prior.kappa", prior.kappa)?;
        error::positive("prior.alpha", prior.alpha)?;
        error::positive("prior.beta", prior.beta)?;
        Ok(GaussianThompson {
            prior,
            stats: vec![ArmStats::default(); n_arms],
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// Posterior `(mean, kappa, alpha, beta)` of one arm.
    fn posterior(&self, s: &ArmStats) -> (f64, f64, f64, f64) {
        let p = &self.prior;
        let n = s.pulls as f64;
        let kappa = p.kappa + n;
        let mean = (p.kappa * p.mean + n * s.mean) / kappa;
        let alpha = p.alpha + n / 2.0;
        let beta = p.beta + 0.5 * s.m2 + p.kappa * n * (s.mean - p.mean).powi(2) / (2.0 * kappa);
        (mean, kappa, alpha, beta)
    }
}

impl Bandit for GaussianThompson {
    fn n_arms(&self) -> usize {
        self.stats.len()
    }

    fn select(&mut self) -> usize {
        if let Some(a) = first_untried(&self.stats) {
            return a;
        }
        let mut draws = Vec::with_capacity(self.stats.len());
        for s in &self.stats {
            let (mean, kappa, alpha, beta) = self.posterior(s);
            let tau = sample::gamma(&mut self.rng, alpha) / beta;
            let sd = 1.0 / (kappa * tau.max(1e-300)).sqrt();
            draws.push(mean + sd * sample::standard_normal(&mut self.rng));
        }
        argmax_random(&draws, &mut self.rng)
    }

    fn update(&mut self, arm: usize, reward: f64) -> Result<()> {
        check_update(&self.stats, arm, reward)?;
        self.stats[arm].push(reward);
        Ok(())
    }

    fn stats(&self) -> &[ArmStats] {
        &self.stats
    }
}

/// The bandit policies, for choosing one by configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BanditKind {
    /// [`BernoulliThompson`] with a uniform prior (rewards in [0, 1]).
    ThompsonBernoulli,
    /// [`GaussianThompson`] with the default Normal-Gamma prior.
    ThompsonGaussian,
    /// [`Ucb1`] with exploration constant 2 (rewards in [0, 1]).
    Ucb1,
    /// [`EpsilonGreedyBandit`] with the given exploration rate.
    EpsilonGreedy(f64),
}

/// Builds a boxed bandit of `kind` over `n_arms` arms, seeded.
///
/// # Errors
/// [`Error::InvalidParameter`] for no arms or an epsilon outside [0, 1].
pub fn new_bandit(kind: BanditKind, n_arms: usize, seed: u64) -> Result<Box<dyn Bandit>> {
    Ok(match kind {
        BanditKind::ThompsonBernoulli => Box::new(BernoulliThompson::new(n_arms, seed)?),
        BanditKind::ThompsonGaussian => Box::new(GaussianThompson::new(n_arms, seed)?),
        BanditKind::Ucb1 => Box::new(Ucb1::new(n_arms, seed)?),
        BanditKind::EpsilonGreedy(e) => Box::new(EpsilonGreedyBandit::new(n_arms, e, seed)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        assert!(EpsilonGreedyBandit::new(0, 0.1, 0).is_err());
        assert!(matches!(
            EpsilonGreedyBandit::new(3, 1.5, 0),
            Err(Error::InvalidParameter {
                name: "epsilon",
                ..
            })
        ));
        let mut b = BernoulliThompson::new(2, 0).unwrap();
        assert!(matches!(b.update(2, 1.0), Err(Error::InvalidAction { .. })));
        assert!(matches!(b.update(0, 1.5), Err(Error::InvalidReward { .. })));
        assert!(matches!(
            b.update(0, f64::NAN),
            Err(Error::InvalidReward { .. })
        ));
        let mut u = Ucb1::new(2, 0).unwrap();
        assert!(u.update(0, f64::INFINITY).is_err());
    }

    #[test]
    fn boxed_constructor_is_seeded() {
        let run = |seed| {
            let mut b = new_bandit(BanditKind::ThompsonBernoulli, 4, seed).unwrap();
            (0..50)
                .map(|i| {
                    let a = b.select();
                    b.update(a, f64::from(u8::from(i % 3 == 0))).unwrap();
                    a
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert!(new_bandit(BanditKind::EpsilonGreedy(2.0), 3, 0).is_err());
        assert!(new_bandit(BanditKind::Ucb1, 0, 0).is_err());
    }

    #[test]
    fn tries_every_arm_first() {
        let mut b = Ucb1::new(4, 0).unwrap();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let a = b.select();
            seen.push(a);
            b.update(a, 0.5).unwrap();
        }
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2, 3]);
    }

    #[test]
    fn object_safe_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        let boxed: Vec<Box<dyn Bandit>> = vec![
            Box::new(Ucb1::new(2, 0).unwrap()),
            Box::new(BernoulliThompson::new(2, 0).unwrap()),
            Box::new(GaussianThompson::new(2, 0).unwrap()),
            Box::new(EpsilonGreedyBandit::new(2, 0.1, 0).unwrap()),
        ];
        assert_send_sync(&boxed);
        assert_eq!(boxed.iter().map(|b| b.n_arms()).sum::<usize>(), 8);
    }
}
