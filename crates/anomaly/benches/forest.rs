//! Isolation Forest fit and score over input sizes (8 features, seeded data).

use std::hint::black_box;

use aiops_anomaly::{BatchDetector, IsolationForest, ScoreRows};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(n: usize, d: usize) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    Array2::from_shape_fn((n, d), |_| rng.random::<f64>() + rng.random::<f64>())
}

fn forest(c: &mut Criterion) {
    let mut g = c.benchmark_group("isolation_forest");
    g.sample_size(10);
    for n in [10_000usize, 100_000, 1_000_000] {
        let x = data(n, 8);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("fit", n), &x, |b, x| {
            b.iter(|| IsolationForest::default().fit(black_box(x.view())))
        });
        let fitted = IsolationForest::default()
            .fit(x.view())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = vec![0.0; n];
        g.bench_with_input(BenchmarkId::new("score", n), &x, |b, x| {
            b.iter(|| fitted.score_into(black_box(x.view()), &mut out))
        });
    }
    g.finish();
}

criterion_group!(benches, forest);
criterion_main!(benches);
