//! Training speed: the learned autoscaler on an N-step trace for 100
//! episodes (target: 10,000 steps x 100 episodes under 10 s), the HPA
//! simulation, and bandit select/update.

#![allow(missing_docs, reason = "criterion macros")]
#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;

use aiops_core::Timestamp;
use aiops_rl::autoscaling::{
    AgentKind, AutoscaleConfig, AutoscalerTraining, HpaConfig, Trace, run_hpa, train_autoscaler,
};
use aiops_rl::{Bandit, BernoulliThompson, Ucb1};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Diurnal request rate at 5-minute steps with seeded multiplicative noise.
fn synthetic_trace(n: usize, seed: u64) -> Trace {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rates = (0..n)
        .map(|i| {
            let day = (i as f64 / 288.0 * std::f64::consts::TAU).sin();
            let noise: f64 = rng.random_range(0.8..1.25);
            100.0 * (1.0 + 0.6 * day) * noise
        })
        .collect();
    Trace::new("synthetic", Timestamp::EPOCH, 300.0, rates).unwrap()
}

fn training(c: &mut Criterion) {
    let mut group = c.benchmark_group("autoscaler_train_100_episodes");
    group.sample_size(10);
    let config = AutoscaleConfig::default();
    for n in [1_000usize, 10_000] {
        let trace = synthetic_trace(n, 1);
        for kind in [AgentKind::QLearning, AgentKind::TileCodedSarsa] {
            let training = AutoscalerTraining {
                agent: kind,
                episodes: 100,
                seed: 1,
                ..AutoscalerTraining::default()
            };
            group.bench_with_input(BenchmarkId::new(format!("{kind:?}"), n), &trace, |b, t| {
                b.iter(|| {
                    train_autoscaler(vec![black_box(t.clone())], &config, &training).unwrap()
                });
            });
        }
    }
    group.finish();
}

fn hpa(c: &mut Criterion) {
    let mut group = c.benchmark_group("hpa_simulation");
    let config = AutoscaleConfig::default();
    for n in [1_000usize, 10_000] {
        let trace = synthetic_trace(n, 2);
        group.bench_with_input(BenchmarkId::from_parameter(n), &trace, |b, t| {
            b.iter(|| run_hpa(black_box(t), &config, &HpaConfig::default()).unwrap());
        });
    }
    group.finish();
}

fn bandits(c: &mut Criterion) {
    let mut group = c.benchmark_group("bandit_select_update");
    for arms in [3usize, 20] {
        group.bench_with_input(
            BenchmarkId::new("thompson_bernoulli", arms),
            &arms,
            |b, &k| {
                let mut bandit = BernoulliThompson::new(k, 1).unwrap();
                let mut i = 0u64;
                b.iter(|| {
                    let a = bandit.select();
                    i += 1;
                    bandit.update(a, (i % 2) as f64).unwrap();
                    black_box(a)
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("ucb1", arms), &arms, |b, &k| {
            let mut bandit = Ucb1::new(k, 1).unwrap();
            let mut i = 0u64;
            b.iter(|| {
                let a = bandit.select();
                i += 1;
                bandit.update(a, (i % 2) as f64).unwrap();
                black_box(a)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, training, hpa, bandits);
criterion_main!(benches);
