//! Converting a `query_range` JSON answer into `aiops-core` series.
//!
//! Target: 1,000 series x 1,000 points in under 50 ms. Run with
//! `cargo bench -p aiops-prometheus --bench convert`.

#![allow(clippy::unwrap_used, reason = "a bench fails loudly on bad data")]

use std::hint::black_box;
use std::time::Duration;

use aiops_prometheus::{QueryData, api};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A realistic matrix body: node-exporter-like labels, 15 s steps,
/// values printed as Prometheus prints them (shortest round-trip).
fn body(series: usize, points: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut s = String::with_capacity(series * points * 32);
    s.push_str(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for i in 0..series {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"metric":{{"cpu":"{}","instance":"host-{}:9100","job":"node","mode":"user"}},"values":["#,
            i % 64,
            i / 64
        ));
        for j in 0..points {
            if j > 0 {
                s.push(',');
            }
            let t = 1_796_000_000 + 15 * j as i64;
            let v: f64 = rng.random::<f64>() * 0.5;
            s.push_str(&format!(r#"[{t},"{v}"]"#));
        }
        s.push_str("]}");
    }
    s.push_str("]}}");
    s
}

/// On-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`,
/// nanoseconds): the bench's second group reports CPU time so the figure
/// does not depend on how many other jobs share the machine.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn convert_once(b: &str, series: usize) -> Vec<aiops_core::TimeSeries> {
    let r = api::parse_response(black_box(b.as_bytes()), "bench", 200).unwrap();
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    let s = api::matrix_to_series(m, "rate(node_cpu_seconds_total[1m])").unwrap();
    assert_eq!(s.len(), series);
    s
}

fn convert(c: &mut Criterion) {
    let mut g = c.benchmark_group("query_range_to_series");
    g.sample_size(20);
    for &(series, points) in &[(100usize, 1_000usize), (1_000, 1_000)] {
        let b = body(series, points);
        g.throughput(Throughput::Elements((series * points) as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{series}x{points}")),
            &b,
            |bench, b| bench.iter(|| black_box(convert_once(b, series))),
        );
    }
    g.finish();
    if thread_cpu().is_none() {
        return;
    }
    let mut g = c.benchmark_group("query_range_to_series_cpu_time");
    g.sample_size(20);
    for &(series, points) in &[(100usize, 1_000usize), (1_000, 1_000)] {
        let b = body(series, points);
        g.throughput(Throughput::Elements((series * points) as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{series}x{points}")),
            &b,
            |bench, b| {
                bench.iter_custom(|iters| {
                    let mut cpu = Duration::ZERO;
                    for _ in 0..iters {
                        let before = thread_cpu().unwrap_or_default();
                        let s = convert_once(b, series);
                        cpu += thread_cpu().unwrap_or_default().saturating_sub(before);
                        drop(black_box(s));
                    }
                    cpu
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, convert);
criterion_main!(benches);
