//! Points per second of each streaming detector over a seeded series, and
//! the state each keeps per series (printed once).

use std::hint::black_box;

use aiops_anomaly::{
    Ensemble, RobustBaseline, SeasonalBaseline, StreamingDetector, WindowedGaussian,
};
use aiops_core::Timestamp;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn series(n: usize) -> (Vec<Timestamp>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let ts = (0..n as i64)
        .map(|i| Timestamp::from_secs(1_400_000_000 + 300 * i))
        .collect();
    let vs = (0..n)
        .map(|i| {
            50.0 + 10.0 * ((i % 288) as f64 / 288.0 * std::f64::consts::TAU).sin()
                + rng.random::<f64>()
        })
        .collect();
    (ts, vs)
}

fn run<D: StreamingDetector>(d: &mut D, ts: &[Timestamp], vs: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (t, x) in ts.iter().zip(vs) {
        if let Some(s) = d.update(*t, *x) {
            acc += s.get();
        }
    }
    acc
}

fn streaming(c: &mut Criterion) {
    #[allow(clippy::print_stderr, reason = "a bench reports state sizes once")]
    {
        eprintln!(
            "state bytes per series: robust {}, seasonal {}, windowed-gaussian {}, ensemble {}",
            RobustBaseline::default().state_bytes(),
            SeasonalBaseline::default().state_bytes(),
            WindowedGaussian::default().state_bytes(),
            Ensemble::default().state_bytes()
        );
    }
    let mut g = c.benchmark_group("streaming");
    for n in [100_000usize, 1_000_000] {
        let (ts, vs) = series(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("robust", n), &n, |b, _| {
            b.iter(|| {
                run(
                    &mut RobustBaseline::default(),
                    black_box(&ts),
                    black_box(&vs),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("seasonal", n), &n, |b, _| {
            b.iter(|| {
                run(
                    &mut SeasonalBaseline::default(),
                    black_box(&ts),
                    black_box(&vs),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("windowed_gaussian", n), &n, |b, _| {
            b.iter(|| {
                run(
                    &mut WindowedGaussian::default(),
                    black_box(&ts),
                    black_box(&vs),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("ensemble", n), &n, |b, _| {
            b.iter(|| run(&mut Ensemble::default(), black_box(&ts), black_box(&vs)))
        });
    }
    g.finish();
}

criterion_group!(benches, streaming);
criterion_main!(benches);
