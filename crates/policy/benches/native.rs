//! Native checks throughput: manifests per second on one core.
//!
//! `cargo bench -p aiops-policy --bench native`

#![allow(
    clippy::expect_used,
    reason = "bench setup on generated data; a failure must abort the bench"
)]

use std::hint::black_box;

use aiops_policy::{Document, PolicySet, Source, parse_documents};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

mod common;

fn bench(c: &mut Criterion) {
    let set = PolicySet::native();
    let mut g = c.benchmark_group("native_checks");
    for n in [100usize, 1_000, 10_000] {
        let values = common::manifests(n, 7);
        let docs: Vec<Document> = values
            .iter()
            .map(|v| Document::from_value(v.clone(), Source::new("bench")).expect("kind"))
            .collect();
        let yaml: String = values
            .iter()
            .map(|v| format!("---\n{}", yaml_serde::to_string(v).expect("yaml")))
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("evaluate", n), &docs, |b, docs| {
            b.iter(|| black_box(set.evaluate(black_box(docs)).expect("eval").score));
        });
        g.bench_with_input(
            BenchmarkId::new("parse_yaml_and_evaluate", n),
            &yaml,
            |b, yaml| {
                b.iter(|| {
                    let docs = parse_documents("bench.yaml", black_box(yaml)).expect("parse");
                    black_box(set.evaluate(&docs).expect("eval").score)
                });
            },
        );
    }
    // Peer comparison: the exact file benches/peer_checkov.py gave Checkov.
    if let Ok(path) = std::env::var("AIOPS_POLICY_PEER_FILE") {
        let text = std::fs::read_to_string(&path).expect("peer file");
        let n = parse_documents(&path, &text).expect("parse").len();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("peer_file", n), &text, |b, text| {
            b.iter(|| {
                let docs = parse_documents("peer.yaml", black_box(text)).expect("parse");
                black_box(set.evaluate(&docs).expect("eval").counts.total())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
