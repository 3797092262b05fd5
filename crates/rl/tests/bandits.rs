//! Regret of the bandits on problems with a clear gap: UCB1 and Thompson
//! sampling grow like log T, constant-epsilon greedy grows linearly.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use aiops_rl::{Bandit, BernoulliThompson, EpsilonGreedyBandit, GaussianThompson, Ucb1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CHECKPOINTS: [usize; 2] = [1_000, 16_000];

/// Mean pseudo-regret (sum of gaps of the pulled arms) at the checkpoints,
/// over `seeds` runs.
fn regret<B: Bandit>(
    mut make: impl FnMut(u64) -> B,
    means: &[f64],
    mut draw: impl FnMut(&mut ChaCha8Rng, f64) -> f64,
    seeds: u64,
) -> [f64; 2] {
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out = [0.0; 2];
    for seed in 0..seeds {
        let mut bandit = make(seed);
        let mut env = ChaCha8Rng::seed_from_u64(1000 + seed);
        let mut r = 0.0;
        for t in 1..=CHECKPOINTS[1] {
            let arm = bandit.select();
            r += best - means[arm];
            let reward = draw(&mut env, means[arm]);
            bandit.update(arm, reward).unwrap();
            if let Some(i) = CHECKPOINTS.iter().position(|&c| c == t) {
                out[i] += r / seeds as f64;
            }
        }
    }
    out
}

fn bernoulli(rng: &mut ChaCha8Rng, p: f64) -> f64 {
    if rng.random::<f64>() < p { 1.0 } else { 0.0 }
}

fn gaussian(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    mean + (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

const BERNOULLI: [f64; 3] = [0.3, 0.5, 0.7];
/// 16x more steps: logarithmic regret grows by ln(16000)/ln(1000) = 1.4,
/// linear regret by 16.
const LOG_RATIO: f64 = 1.4;

fn ucb1_bound(means: &[f64], t: f64) -> f64 {
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    means
        .iter()
        .filter(|&&m| m < best)
        .map(|&m| {
            let gap = best - m;
            8.0 * t.ln() / gap + (1.0 + std::f64::consts::PI.powi(2) / 3.0) * gap
        })
        .sum()
}

#[test]
fn ucb1_regret_is_logarithmic() {
    let [r1, r2] = regret(|s| Ucb1::new(3, s).unwrap(), &BERNOULLI, bernoulli, 5);
    assert!(r2 <= ucb1_bound(&BERNOULLI, CHECKPOINTS[1] as f64), "{r2}");
    assert!(r2 / r1 < 2.0 * LOG_RATIO, "regret {r1} -> {r2}");
}

#[test]
fn bernoulli_thompson_regret_is_logarithmic() {
    let [r1, r2] = regret(
        |s| BernoulliThompson::new(3, s).unwrap(),
        &BERNOULLI,
        bernoulli,
        5,
    );
    assert!(r2 / r1 < 2.0 * LOG_RATIO, "regret {r1} -> {r2}");
    // Thompson sampling beats UCB1's worst-case bound by a wide margin.
    assert!(
        r2 < 0.25 * ucb1_bound(&BERNOULLI, CHECKPOINTS[1] as f64),
        "{r2}"
    );
}

#[test]
fn gaussian_thompson_regret_is_logarithmic() {
    let means = [0.0, 0.5, 1.0];
    let [r1, r2] = regret(
        |s| GaussianThompson::new(3, s).unwrap(),
        &means,
        gaussian,
        5,
    );
    assert!(r2 / r1 < 2.0 * LOG_RATIO, "regret {r1} -> {r2}");
    assert!(r2 < 200.0, "{r2}");
}

#[test]
fn constant_epsilon_greedy_regret_is_linear() {
    // The test above can fail: a policy that keeps exploring grows linearly.
    let [r1, r2] = regret(
        |s| EpsilonGreedyBandit::new(3, 0.1, s).unwrap(),
        &BERNOULLI,
        bernoulli,
        5,
    );
    assert!(r2 / r1 > 8.0, "regret {r1} -> {r2}");
}

#[test]
fn bandits_find_the_best_runbook() {
    // The remediation use: three runbooks with success rates 0.2, 0.9, 0.5.
    let p = [0.2, 0.9, 0.5];
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut bandits: Vec<Box<dyn Bandit>> = vec![
        Box::new(BernoulliThompson::new(3, 1).unwrap()),
        Box::new(Ucb1::new(3, 1).unwrap()),
    ];
    for b in &mut bandits {
        for _ in 0..500 {
            let a = b.select();
            let r = bernoulli(&mut rng, p[a]);
            b.update(a, r).unwrap();
        }
        let pulls: Vec<u64> = b.stats().iter().map(|s| s.pulls).collect();
        assert!(pulls[1] > 350, "{b:?}: {pulls:?}");
    }
}
