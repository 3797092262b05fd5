//! Fit + predict time per model over series lengths, and failure-probability
//! time over history lengths. Seeded synthetic hourly data with daily and
//! weekly cycles.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "benchmark setup on fixed seeded data cannot fail"
)]

use std::hint::black_box;

use aiops_forecast::{Direction, FailureParams, Forecaster, Model, failure_probability};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn hourly(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tau = std::f64::consts::TAU;
    let mut level = 0.0;
    (0..n)
        .map(|t| {
            let t_f = t as f64;
            level += 0.05 * (rng.random::<f64>() - 0.5);
            200.0
                + level
                + 40.0 * (t_f * tau / 24.0).sin()
                + 15.0 * (t_f * tau / 168.0).sin()
                + 5.0 * (rng.random::<f64>() - 0.5)
        })
        .collect()
}

fn models(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit_predict_h48");
    group.sample_size(10);
    for n in [240usize, 960, 4032] {
        let y = hourly(n, 42);
        for name in ["snaive", "naive2", "ets", "mstl", "mstl-log", "auto"] {
            let model = Model::from_name(name, &[24, 168]).unwrap();
            group.bench_with_input(BenchmarkId::new(name, n), &y, |b, y| {
                b.iter(|| model.forecast(black_box(y), 48, 0.95).unwrap())
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("predict_h48");
    let y = hourly(960, 42);
    for name in ["snaive", "mstl", "auto"] {
        let fitted = Model::from_name(name, &[24, 168]).unwrap().fit(&y).unwrap();
        group.bench_function(BenchmarkId::new(name, 960), |b| {
            b.iter(|| fitted.predict(black_box(48), 0.95).unwrap())
        });
    }
    group.finish();
}

fn failure(c: &mut Criterion) {
    // The orchestrator's call: 5-minute data, one day (288 steps) ahead.
    let mut group = c.benchmark_group("failure_probability_h288");
    group.sample_size(20);
    for n in [2_000usize, 20_000] {
        let y: Vec<f64> = (0..n)
            .map(|t| 50.0 + 0.001 * t as f64)
            .zip(hourly(n, 7))
            .map(|(a, b)| a + 0.1 * b)
            .collect();
        let thr = y[n - 1] + 20.0;
        let params = FailureParams::new(thr, Direction::Above, 288);
        group.bench_with_input(BenchmarkId::from_parameter(n), &y, |b, y| {
            b.iter(|| failure_probability(black_box(y), &params).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, models, failure);
criterion_main!(benches);
