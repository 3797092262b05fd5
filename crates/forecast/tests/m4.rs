//! The M4 Hourly baselines reproduce the organisers' published figures:
//! Naive2 sMAPE 18.383 / MASE 2.395 and seasonal naive 13.912 / 1.193.
//!
//! Needs the M4 Hourly data at `../shared/data/m4` relative to the repository
//! (CI has it there); the test prints a note and passes when it is absent.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "test helpers unwrap and print skip notes"
)]

use std::path::PathBuf;

use aiops_forecast::m4::{NAIVE2_HOURLY, read_m4_csv, score};
use aiops_forecast::{Forecaster, Naive2, SeasonalNaive};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/m4");
    if dir.join("Hourly-train.csv").exists() && dir.join("Hourly-test.csv").exists() {
        Some(dir)
    } else {
        println!("skipped: M4 Hourly data not found at {}", dir.display());
        None
    }
}

fn baseline_score(model: &impl Forecaster, dir: &std::path::Path) -> (f64, f64) {
    let train = read_m4_csv(dir.join("Hourly-train.csv")).unwrap();
    let test = read_m4_csv(dir.join("Hourly-test.csv")).unwrap();
    assert_eq!(train.len(), 414);
    let forecasts: Vec<Vec<f64>> = train
        .iter()
        .map(|s| model.forecast(&s.values, 48, 0.95).unwrap().mean)
        .collect();
    let s = score(&train, &test, &forecasts, 24, NAIVE2_HOURLY).unwrap();
    (s.smape, s.mase)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[test]
fn naive2_reproduces_published_figures() {
    let Some(dir) = data_dir() else { return };
    let (smape, mase) = baseline_score(&Naive2 { period: 24 }, &dir);
    assert_eq!(
        (round3(smape), round3(mase)),
        (18.383, 2.395),
        "{smape} {mase}"
    );
}

#[test]
fn seasonal_naive_reproduces_published_figures() {
    let Some(dir) = data_dir() else { return };
    let (smape, mase) = baseline_score(&SeasonalNaive { period: 24 }, &dir);
    assert_eq!(
        (round3(smape), round3(mase)),
        (13.912, 1.193),
        "{smape} {mase}"
    );
}
