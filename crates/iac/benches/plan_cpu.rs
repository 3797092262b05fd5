//! On-CPU time of planning and ordering, for a shared machine.
//!
//! Criterion measures wall time, which a loaded machine inflates; this
//! harness also reads the thread's on-CPU time from
//! `/proc/thread-self/schedstat` (Linux) around each run and prints the
//! median of both, so the figure can be compared with the target whatever
//! the load. Same graphs as `benches/plan.rs`.
//!
//! Run: `cargo bench -p aiops-iac --bench plan_cpu`

#![allow(clippy::print_stdout, reason = "a harness prints its table")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness on generated data"
)]
#![allow(
    missing_docs,
    unreachable_pub,
    reason = "shared with the criterion bench"
)]

use std::hint::black_box;
use std::time::Instant;

use aiops_iac::{Config, State, plan};

#[path = "plan.rs"]
#[allow(dead_code, reason = "only the generator is used")]
mod criterion_bench;

fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "{:<8} {:>8} {:>8} {:>12} {:>12}",
        "case", "n", "edges", "wall ms", "on-CPU ms"
    );
    for &n in &[1_000usize, 10_000] {
        let (resources, state) = criterion_bench::graph(n);
        let edges: usize = resources.iter().map(|r| r.references().len()).sum();
        for (case, st) in [("create", State::new()), ("change", state)] {
            let mut wall = Vec::new();
            let mut cpu = Vec::new();
            for _ in 0..15 {
                let input = resources.clone();
                let c0 = cpu_ns();
                let t0 = Instant::now();
                let cfg = Config::new(black_box(input)).unwrap();
                let p = plan(&cfg, black_box(&st)).unwrap();
                black_box(p.step_order().len());
                let w = t0.elapsed().as_secs_f64() * 1e3;
                let c1 = cpu_ns();
                drop(p);
                drop(cfg);
                wall.push(w);
                if let (Some(a), Some(b)) = (c0, c1) {
                    cpu.push((b - a) as f64 / 1e6);
                }
            }
            let c = if cpu.is_empty() {
                f64::NAN
            } else {
                median(&mut cpu)
            };
            println!(
                "{:<8} {:>8} {:>8} {:>12.2} {:>12.2}",
                case,
                n,
                edges,
                median(&mut wall),
                c
            );
        }
    }
}
