//! Template matching throughput on the shipped Loghub OpenSSH sample (2,000 lines,
//! repeated to the benchmark size): `match` = mask + normalise + tokenize + tree match
//! against a warmed-up miner (no learning); `add` = streaming mining (the same plus the
//! template update). Each is measured twice: wall time (`wall/...`) and the benchmark
//! thread's CPU time (`cpu/...`, from `/proc/thread-self/schedstat`), because this
//! 2-core machine is shared and wall time there is not time on a core.
//! Peer: `benches/peer_drain3.py` runs drain3 on the same lines.

#![allow(
    clippy::expect_used,
    reason = "a benchmark fails loudly on a missing fixture"
)]

use std::hint::black_box;

use aiops_secops::{LogFormat, LogMiner};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// CPU time of the calling thread in nanoseconds (Linux); wall-clock fallback elsewhere.
struct ThreadCpu {
    wall: WallTime,
    origin: std::time::Instant,
}

impl ThreadCpu {
    fn now_ns(&self) -> u64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| self.origin.elapsed().as_nanos() as u64)
    }
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        self.now_ns()
    }
    fn end(&self, i: u64) -> u64 {
        self.now_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn contents() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/logs/OpenSSH_2k.log"
    );
    let format = LogFormat::builtin("OpenSSH").expect("format");
    let log = format.parse_file(path).expect("OpenSSH_2k.log");
    log.records.into_iter().map(|r| r.content).collect()
}

fn run<M: Measurement>(c: &mut Criterion<M>, label: &str, sizes: &[usize]) {
    let lines = contents();
    let format = LogFormat::builtin("OpenSSH").expect("format");
    let mut warm = LogMiner::new(format).expect("miner");
    for l in &lines {
        warm.add_content(l);
    }
    let mut g = c.benchmark_group(label);
    for &n in sizes {
        let input: Vec<&str> = lines.iter().cycle().take(n).map(String::as_str).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("match", n), &input, |b, input| {
            b.iter(|| {
                let mut hits = 0usize;
                for l in input {
                    hits += usize::from(warm.match_content(black_box(l)).is_some());
                }
                hits
            })
        });
        g.bench_with_input(BenchmarkId::new("add", n), &input, |b, input| {
            b.iter_batched(
                || warm.clone(),
                |mut m| {
                    for l in input {
                        black_box(m.add_content(black_box(l)));
                    }
                    m
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn wall(c: &mut Criterion) {
    run(c, "wall", &[2_000, 20_000]);
}

fn cpu(c: &mut Criterion<ThreadCpu>) {
    // schedstat advances at scheduler ticks (a few ms), so CPU-time samples need
    // iterations of several ticks: larger inputs only.
    run(c, "cpu", &[20_000, 200_000]);
}

criterion_group!(wall_benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpu { wall: WallTime, origin: std::time::Instant::now() });
    targets = cpu
}
criterion_main!(wall_benches, cpu_benches);
