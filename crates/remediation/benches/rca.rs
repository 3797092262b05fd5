//! Root-cause ranking over random service trees of growing size (240
//! one-minute points per service, two metrics each, fault at one leaf).
//!
//! Run: `cargo bench -p aiops-remediation --bench rca`

use std::hint::black_box;

use aiops_core::{SeriesKey, TimeSeries, Timestamp};
use aiops_remediation::{DependencyGraph, RcaParams, ServiceMetrics, rank_root_causes};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const POINTS: usize = 240;
const START: usize = 180;

fn fixture(services: usize, seed: u64) -> (DependencyGraph, ServiceMetrics) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Random tree: service i (> 0) is called by a random earlier service.
    let parents: Vec<usize> = (1..services).map(|i| rng.random_range(0..i)).collect();
    let edges: Vec<(String, String)> = parents
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("svc{p}"), format!("svc{}", i + 1)))
        .collect();
    let fault = services - 1;
    // Shift propagates from the faulty leaf up to the root.
    let mut on_path = vec![false; services];
    let mut cur = fault;
    on_path[cur] = true;
    while cur > 0 {
        cur = parents[cur - 1];
        on_path[cur] = true;
    }
    let ts: Vec<Timestamp> = (0..POINTS)
        .map(|t| Timestamp::from_secs(60 * t as i64))
        .collect();
    let mut series = Vec::new();
    for (s, &hit) in on_path.iter().enumerate() {
        for metric in ["latency", "cpu"] {
            let values: Vec<f64> = (0..POINTS)
                .map(|t| {
                    let noise: f64 = rng.random::<f64>() - 0.5;
                    let shift = if hit && metric == "latency" && t >= START {
                        5.0
                    } else {
                        0.0
                    };
                    20.0 + noise + shift
                })
                .collect();
            let key = SeriesKey::new(format!("svc{s}:{metric}"));
            series.push(TimeSeries::new(key, ts.clone(), values).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    (
        DependencyGraph::from_edges(edges).unwrap_or_else(|e| panic!("{e}")),
        ServiceMetrics::from_series(series).unwrap_or_else(|e| panic!("{e}")),
    )
}

fn bench_rca(c: &mut Criterion) {
    let mut group = c.benchmark_group("rca");
    let start = Timestamp::from_secs(60 * START as i64);
    let params = RcaParams::default();
    for n in [10usize, 50, 200] {
        let (g, m) = fixture(n, 3);
        group.bench_with_input(BenchmarkId::new("rank", n), &(g, m), |b, (g, m)| {
            b.iter(|| black_box(rank_root_causes(black_box(g), black_box(m), start, &params)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_rca);
criterion_main!(benches);
