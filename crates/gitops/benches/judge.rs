//! Judging canaries: 100 metrics x 1,000 samples per side (target < 10 ms).
//!
//! Run: `cargo bench -p aiops-gitops --bench judge`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use std::hint::black_box;

use aiops_gitops::{CanaryJudge, JudgeConfig, MetricSamples};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Latency-like samples: log-normal-ish, rounded to 0.1 ms (so ties occur)
/// unless `continuous`, with a shift on every fifth metric of the canary.
fn samples(
    metrics: usize,
    n: usize,
    seed: u64,
    continuous: bool,
) -> (MetricSamples, MetricSamples) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |shift: f64| -> Vec<f64> {
        (0..n)
            .map(|_| {
                // Sum of uniforms: a cheap bell shape.
                let z: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
                let v = (3.0 + shift + 0.5 * z).exp();
                if continuous {
                    v
                } else {
                    (v * 10.0).round() / 10.0
                }
            })
            .collect()
    };
    let mut baseline = MetricSamples::new();
    let mut canary = MetricSamples::new();
    for m in 0..metrics {
        let name = format!("metric_{m:03}");
        baseline.insert(name.clone(), draw(0.0));
        canary.insert(name, draw(if m % 5 == 0 { 0.1 } else { 0.0 }));
    }
    (baseline, canary)
}

fn bench_judge(c: &mut Criterion) {
    let judge = CanaryJudge::new(JudgeConfig::default()).expect("default config is valid");
    let mut group = c.benchmark_group("judge");
    group.sample_size(20);
    for &(metrics, n, continuous) in &[
        (10usize, 1_000usize, false),
        (100, 100, false),
        (100, 1_000, false),
        (100, 1_000, true),
    ] {
        let (baseline, canary) = samples(metrics, n, 42, continuous);
        let label = if continuous { "continuous" } else { "rounded" };
        group.throughput(Throughput::Elements((metrics * n * 2) as u64));
        group.bench_with_input(
            BenchmarkId::new("metrics_x_samples", format!("{metrics}x{n}_{label}")),
            &(baseline, canary),
            |b, (baseline, canary)| {
                b.iter(|| {
                    judge
                        .judge(black_box(baseline), black_box(canary))
                        .expect("judged")
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_judge);
criterion_main!(benches);
