//! NAB harness: runs a streaming detector of `aiops::anomaly` over the 58
//! series of the Numenta Anomaly Benchmark in timestamp (file) order, writes
//! NAB result files `DIR/<detector>/<category>/<detector>_<file>.csv`
//! (`timestamp,value,anomaly_score,label`, same rows and order as the data),
//! scores them with the Rust port of NAB's scorer (threshold per profile
//! optimised over the corpus) and prints the three profile scores beside the
//! published scoreboard.
//!
//! ```text
//! cargo run --release --example nab -- --data ../shared/data/nab --out /tmp/nab [--detector ensemble]
//! ```
//!
//! Detectors: `ensemble` (default), `robust`, `seasonal`, `windowed-gaussian`.

#![allow(clippy::print_stdout, reason = "a harness prints its table")]

use std::path::PathBuf;
use std::time::Instant;

use aiops::anomaly::nab::{Corpus, Profile, run_streaming, score_corpus, write_result_file};
use aiops::anomaly::{
    Ensemble, RobustBaseline, SeasonalBaseline, StreamingDetector, WindowedGaussian,
};
use anyhow::{Context, bail};

const SCOREBOARD: &[(&str, f64, f64, f64)] = &[
    ("ARTime", 74.9, 65.1, 80.4),
    ("Numenta HTM", 70.1, 63.1, 74.3),
    ("CAD OSE", 69.9, 67.0, 73.2),
    ("earthgecko Skyline", 58.2, 46.2, 63.9),
    ("KNN CAD", 58.0, 43.4, 64.8),
    ("Relative Entropy", 54.6, 47.6, 58.8),
    ("Random Cut Forest", 51.7, 38.4, 59.7),
    ("Twitter ADVec", 47.1, 33.6, 53.5),
    ("Windowed Gaussian", 39.6, 20.9, 47.4),
    ("Etsy Skyline", 35.7, 27.1, 44.5),
    ("Bayesian Changepoint", 17.7, 3.2, 32.2),
    ("EXPoSE", 16.4, 3.2, 26.9),
    ("Random", 11.0, 1.2, 19.5),
    ("Null", 0.0, 0.0, 0.0),
];

fn run(corpus: &Corpus, name: &str) -> anyhow::Result<(Vec<Vec<f64>>, usize)> {
    fn go<D: StreamingDetector>(
        corpus: &Corpus,
        mut make: impl FnMut() -> D,
    ) -> (Vec<Vec<f64>>, usize) {
        let bytes = make().state_bytes();
        (run_streaming(corpus, make), bytes)
    }
    Ok(match name {
        "ensemble" => go(corpus, Ensemble::default),
        "robust" => go(corpus, RobustBaseline::default),
        "seasonal" => go(corpus, SeasonalBaseline::default),
        "windowed-gaussian" => go(corpus, WindowedGaussian::default),
        other => {
            bail!("unknown detector {other:?}: use ensemble, robust, seasonal or windowed-gaussian")
        }
    })
}

fn main() -> anyhow::Result<()> {
    let mut data = PathBuf::from("../shared/data/nab");
    let mut out: Option<PathBuf> = None;
    let mut detector = "ensemble".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().context("--data needs a path")?.into(),
            "--out" => out = Some(args.next().context("--out needs a path")?.into()),
            "--detector" => detector = args.next().context("--detector needs a name")?,
            other => {
                bail!("unknown argument {other:?}; usage: --data DIR --out DIR [--detector NAME]")
            }
        }
    }
    let out = out.context("--out DIR is required")?;
    let corpus =
        Corpus::load(&data).with_context(|| format!("loading NAB corpus at {}", data.display()))?;
    let t0 = Instant::now();
    let (scores, state_bytes) = run(&corpus, &detector)?;
    let elapsed = t0.elapsed();
    for (f, s) in corpus.files.iter().zip(&scores) {
        let path = out
            .join(&detector)
            .join(f.category())
            .join(format!("{detector}_{}.csv", f.stem()));
        write_result_file(&path, f, s)?;
    }
    let result = score_corpus(&corpus, &scores, &Profile::all(), None)?;
    let rows = corpus.row_count();
    println!(
        "detector {detector}: {} files, {rows} points in {:.3} s ({:.2} M points/s, one thread), state {state_bytes} bytes/series",
        corpus.files.len(),
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!("result files: {}", out.join(&detector).display());
    println!();
    println!(
        "{:<22} {:>9} {:>9} {:>9}",
        "detector", "standard", "low FP", "low FN"
    );
    println!(
        "{:<22} {:>9.2} {:>9.2} {:>9.2}   <- this run",
        format!("aiops {detector}"),
        result[0].normalised,
        result[1].normalised,
        result[2].normalised
    );
    for (name, a, b, c) in SCOREBOARD {
        println!("{name:<22} {a:>9.1} {b:>9.1} {c:>9.1}");
    }
    println!();
    for r in &result {
        println!(
            "{:<20} threshold {:.6}  raw {:8.3}  windows detected {}/{}  FP rows {}",
            r.profile.name,
            r.threshold,
            r.tally.score,
            r.tally.detected_windows,
            r.tally.windows,
            r.tally.fp
        );
    }
    Ok(())
}
