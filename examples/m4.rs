//! M4 Hourly harness: forecasts the 414 Hourly series 48 steps ahead with a
//! model of `aiops::forecast`, writes the forecasts in the M4 submission
//! layout (`id,F1,...,F48`) and prints sMAPE, MASE and OWA (as the organisers
//! define them) with the CPU and wall time spent fitting and forecasting.
//!
//! ```text
//! cargo run --release --example m4 -- --data ../shared/data/m4 --out FORECASTS.csv [--model NAME]
//! ```
//!
//! `--model` takes one name or a comma-separated list (`auto` by default;
//! see `Model::NAMES`); with several models `--out` gets the model name
//! inserted before the extension. `--validation` scores on the last 48 points
//! of the training data instead of the test file (with Naive2 recomputed on
//! that split as the OWA reference), which is how the `auto` design was
//! chosen without looking at the test data. Set `RAYON_NUM_THREADS` to fix the
//! number of worker threads.

#![allow(clippy::print_stdout, reason = "a harness prints its result table")]

use std::path::{Path, PathBuf};
use std::time::Instant;

use aiops::forecast as fc;
use anyhow::{Context, bail};
use fc::Forecaster as _;
use fc::m4::{M4Series, NAIVE2_HOURLY, read_m4_csv, score, write_forecasts_csv};

const HORIZON: usize = 48;
const PERIOD: usize = 24;
const PERIODS: [usize; 2] = [24, 168];

/// Process CPU time (user + system, all threads) in seconds, from /proc.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn out_path(out: &Path, model: &str, several: bool) -> PathBuf {
    if !several {
        return out.to_owned();
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".into());
    out.with_file_name(format!("{stem}-{model}.{ext}"))
}

struct Run {
    forecasts: Vec<Vec<f64>>,
    failed: usize,
    cpu: Option<f64>,
    wall: f64,
}

fn run(model: &fc::Model, train: &[M4Series]) -> anyhow::Result<Run> {
    let ys: Vec<&[f64]> = train.iter().map(|s| s.values.as_slice()).collect();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let results = fc::forecast_batch(model, &ys, HORIZON, 0.95);
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu0.zip(cpu_seconds()).map(|(a, b)| b - a);
    let mut failed = 0;
    let mut forecasts = Vec::with_capacity(train.len());
    for (s, r) in train.iter().zip(results) {
        match r {
            Ok(f) => forecasts.push(f.mean),
            Err(e) => {
                // Reported, and replaced by seasonal naive so the score stays comparable.
                println!("{}: {} failed: {e}", s.id, model.name());
                failed += 1;
                let f = fc::SeasonalNaive { period: PERIOD }
                    .forecast(&s.values, HORIZON, 0.95)
                    .with_context(|| format!("{}: seasonal naive fallback", s.id))?;
                forecasts.push(f.mean);
            }
        }
    }
    Ok(Run {
        forecasts,
        failed,
        cpu,
        wall,
    })
}

fn main() -> anyhow::Result<()> {
    let mut data = PathBuf::from("../shared/data/m4");
    let mut out: Option<PathBuf> = None;
    let mut models = String::from("auto");
    let mut validation = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().context("--data needs a directory")?.into(),
            "--out" => out = Some(args.next().context("--out needs a file")?.into()),
            "--model" => models = args.next().context("--model needs a name")?,
            "--validation" => validation = true,
            other => bail!(
                "unknown argument {other:?}; expected --data DIR --out FILE [--model NAME] [--validation]"
            ),
        }
    }
    let mut train = read_m4_csv(data.join("Hourly-train.csv"))?;
    let mut test = read_m4_csv(data.join("Hourly-test.csv"))?;
    if validation {
        test = train
            .iter_mut()
            .map(|s| {
                let tail = s.values.split_off(s.values.len() - HORIZON);
                M4Series {
                    id: s.id.clone(),
                    values: tail,
                }
            })
            .collect();
    }
    let reference = if validation {
        let n2 = run(&fc::Model::from_name("naive2", &PERIODS)?, &train)?;
        let s = score(&train, &test, &n2.forecasts, PERIOD, (1.0, 1.0))?;
        (s.smape, s.mase)
    } else {
        NAIVE2_HOURLY
    };
    println!(
        "M4 Hourly, {} series, horizon {HORIZON}, {} split, Naive2 reference sMAPE {:.3} MASE {:.3}",
        train.len(),
        if validation {
            "validation (last 48 of train)"
        } else {
            "test"
        },
        reference.0,
        reference.1
    );
    println!(
        "{:<10} {:>8} {:>7} {:>7} {:>9} {:>9} {:>7}",
        "model", "sMAPE", "MASE", "OWA", "CPU(s)", "wall(s)", "failed"
    );
    let names: Vec<&str> = models.split(',').map(str::trim).collect();
    for name in &names {
        let model = fc::Model::from_name(name, &PERIODS)?;
        let r = run(&model, &train)?;
        let s = score(&train, &test, &r.forecasts, PERIOD, reference)?;
        println!(
            "{:<10} {:>8.3} {:>7.3} {:>7.3} {:>9} {:>9.2} {:>7}",
            name,
            s.smape,
            s.mase,
            s.owa,
            r.cpu.map_or("n/a".to_owned(), |c| format!("{c:.2}")),
            r.wall,
            r.failed
        );
        if let Some(out) = &out {
            let path = out_path(out, name, names.len() > 1);
            let ids: Vec<&str> = train.iter().map(|s| s.id.as_str()).collect();
            write_forecasts_csv(&path, &ids, &r.forecasts)?;
        }
    }
    Ok(())
}
