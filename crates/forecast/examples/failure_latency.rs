//! Per-call latency of the orchestrator's failure-probability call, in wall
//! time and CPU time (CPU time is what a loaded, shared machine does not
//! inflate). Seeded 5-minute-style series with a daily cycle and a slow
//! trend; 288 steps ahead, default parameters (2,000 paths, detection on).
//!
//! ```text
//! cargo run --release -p aiops-forecast --example failure_latency
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its table")]

use std::time::Instant;

use aiops_forecast::{Direction, FailureParams, Seasonality, failure_probability};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Process CPU time (user + system) in seconds, from /proc (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn series(n: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..n)
        .map(|t| {
            let tf = t as f64;
            60.0 + 0.001 * tf
                + 5.0 * (tf * std::f64::consts::TAU / 288.0).sin()
                + (rng.random::<f64>() - 0.5)
        })
        .collect()
}

fn main() -> Result<(), aiops_forecast::Error> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load.trim());
    println!(
        "{:<10} {:<14} {:>11} {:>11}  model",
        "history", "seasonality", "wall ms", "CPU ms"
    );
    let calls = 30;
    for n in [2_000usize, 20_000] {
        let y = series(n);
        for (label, seasonality) in [("auto", Seasonality::Auto), ("none", Seasonality::None)] {
            let mut p = FailureParams::new(y[n - 1] + 8.0, Direction::Above, 288);
            p.seasonality = seasonality;
            let mut model = String::new();
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            for _ in 0..calls {
                model = failure_probability(std::hint::black_box(&y), &p)?.model;
            }
            let wall = t0.elapsed().as_secs_f64() * 1000.0 / f64::from(calls);
            let cpu = c0.zip(cpu_seconds()).map_or("n/a".to_owned(), |(a, b)| {
                format!("{:.1}", (b - a) * 1000.0 / f64::from(calls))
            });
            println!("{n:<10} {label:<14} {wall:>11.1} {cpu:>11}  {model}");
        }
    }
    Ok(())
}
