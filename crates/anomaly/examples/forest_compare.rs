//! The Rust side of `benches/peer_sklearn.py`: ROC AUC of the Isolation
//! Forest on the same labelled CSV files (easy and hard families, 5 data
//! seeds x 4 forest seeds each) and
//! fit + score time of 1,000,000 x 8 rows on one thread.
//! `cargo run --release -p aiops-anomaly --example forest_compare -- /tmp/forest_data`

#![allow(clippy::print_stdout, reason = "an example prints its results")]
#![allow(clippy::unwrap_used, reason = "a measurement example")]

use std::time::Instant;

use aiops_anomaly::forest::roc_auc;
use aiops_anomaly::table::Table;
use aiops_anomaly::{BatchDetector, IsolationForest, IsolationForestParams, ScoreRows};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/forest_data".into());
    for kind in ["easy", "hard"] {
        auc(&dir, kind);
    }
    if std::env::var("SKIP_TIMING").is_err() {
        timing();
    }
}

fn auc(dir: &str, kind: &str) {
    let mut aucs = Vec::new();
    for seed in 0..5 {
        let path = format!("{dir}/{kind}_{seed}.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let t = Table::from_csv_str(&path, &text).unwrap();
        let cols = t.select(&[], &["label".into()]).unwrap();
        let x = t.matrix(&cols);
        let label_col = t.names.iter().position(|n| n == "label").unwrap();
        let y: Vec<bool> = t.columns[label_col].iter().map(|v| *v > 0.5).collect();
        let forest_seeds: u64 = std::env::var("FOREST_SEEDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4);
        for fseed in 0..forest_seeds {
            let f = IsolationForest::new(IsolationForestParams {
                seed: fseed,
                ..Default::default()
            })
            .unwrap()
            .fit(x.view())
            .unwrap();
            let sc = f.score(x.view()).unwrap();
            if std::env::var("STATS").is_ok() && seed == 0 {
                let m = |want: bool| {
                    let v: Vec<f64> = sc
                        .iter()
                        .zip(&y)
                        .filter(|(_, l)| **l == want)
                        .map(|(s, _)| *s)
                        .collect();
                    v.iter().sum::<f64>() / v.len() as f64
                };
                println!(
                    "{kind} seed {fseed}: normal {:.5} outl {:.5} nodes/tree {:.1}",
                    m(false),
                    m(true),
                    f.node_count() as f64 / 100.0
                );
            }
            let a = roc_auc(&sc, &y).unwrap();
            if std::env::var("STATS").is_ok() {
                println!("{kind} data {seed} forest {fseed}: auc {a:.4}");
            }
            aucs.push(a);
        }
    }
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    let min = aucs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = aucs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    println!(
        "aiops {kind} AUC mean over 5 data seeds x {} forest seeds: {mean:.5} (min {min:.5}, max {max:.5})",
        aucs.len() / 5
    );
}

fn timing() {
    // Same shape and distribution as the peer's big set (standard normal), seeded here.
    let mut rng = ChaCha8Rng::seed_from_u64(123);
    let normal = rand_distr_normal(&mut rng, 8_000_000);
    let big = Array2::from_shape_vec((1_000_000, 8), normal).unwrap();
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    for rep in 0..3 {
        let c0 = thread_cpu_secs();
        let t0 = Instant::now();
        let f = IsolationForest::new(IsolationForestParams {
            seed: rep,
            ..Default::default()
        })
        .unwrap()
        .fit(big.view())
        .unwrap();
        let s = f.score(big.view()).unwrap();
        std::hint::black_box(s);
        times.push(t0.elapsed().as_secs_f64());
        cpus.push(thread_cpu_secs() - c0);
    }
    let best = times.iter().cloned().fold(f64::INFINITY, f64::min);
    let best_cpu = cpus.iter().cloned().fold(f64::INFINITY, f64::min);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "aiops fit+score 1,000,000 x 8 (parallel feature {}): best {best:.3} s, runs {times:.3?}; thread CPU best {best_cpu:.3} s, runs {cpus:.3?}; loadavg {}",
        if cfg!(feature = "parallel") {
            "on"
        } else {
            "off"
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

/// CPU time of the calling thread in seconds (Linux `/proc/thread-self/schedstat`,
/// nanoseconds on the CPU); NaN elsewhere.
fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// Standard normal values by Box–Muller.
fn rand_distr_normal(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    use rand::Rng;
    let mut v = Vec::with_capacity(n);
    while v.len() < n {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random();
        let r = (-2.0 * u1.ln()).sqrt();
        v.push(r * (std::f64::consts::TAU * u2).cos());
        v.push(r * (std::f64::consts::TAU * u2).sin());
    }
    v.truncate(n);
    v
}
