//! One decision (severity assessment plus runbook choice by Thompson
//! sampling over the default runbooks) per incident, over incidents with
//! more and more signals. Target: under 50 µs per decision.
//!
//! Run: `cargo bench -p aiops-remediation --bench decision`

use std::hint::black_box;

use aiops_core::{Incident, IncidentId, Labels, Signal, SignalKind, Timestamp};
use aiops_remediation::RemediationEngine;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn incident(n_signals: usize, seed: u64) -> Incident {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let kinds = [
        SignalKind::Anomaly,
        SignalKind::FailureProbability,
        SignalKind::SloBurn,
        SignalKind::ForecastBreach,
    ];
    let mk = |i: usize, rng: &mut ChaCha8Rng| {
        let kind = kinds[i % kinds.len()].clone();
        let (source, value) = match kind {
            SignalKind::SloBurn => (
                if i.is_multiple_of(2) {
                    "checkout-avail@5m"
                } else {
                    "checkout-avail@6h"
                }
                .to_owned(),
                rng.random::<f64>() * 20.0,
            ),
            _ => ("checkout:latency".to_owned(), rng.random::<f64>()),
        };
        Signal {
            kind,
            source,
            at: Timestamp::from_secs(1_700_000_000 + i as i64 * 60),
            value,
            detail: String::new(),
        }
    };
    let mut inc = Incident::open(IncidentId(seed), "checkout", mk(0, &mut rng));
    for i in 1..n_signals {
        let s = mk(i, &mut rng);
        inc.push_signal(s);
    }
    inc.failure_probability = Some(rng.random::<f64>());
    inc.labels = Labels::new()
        .with("criticality", "high")
        .and_then(|l| l.with("affected", "3"))
        .unwrap_or_default();
    inc
}

fn bench_decision(c: &mut Criterion) {
    let engine = match RemediationEngine::dry_run_in_memory() {
        Ok(e) => e,
        Err(e) => panic!("engine: {e}"),
    };
    let mut group = c.benchmark_group("decision");
    for n in [1usize, 10, 100, 1_000] {
        // 16 incidents per size, spread over the three severities.
        let incidents: Vec<Incident> = (0..16).map(|s| incident(n, s)).collect();
        group.bench_with_input(
            BenchmarkId::new("assess+choose", n),
            &incidents,
            |b, incs| {
                let mut i = 0usize;
                b.iter(|| {
                    i = (i + 1) % incs.len();
                    black_box(engine.decide(black_box(&incs[i])))
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("assess_only", n), &incidents, |b, incs| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % incs.len();
                black_box(engine.assess(black_box(&incs[i])))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_decision);
criterion_main!(benches);
