//! `aiops detect`: score every row of a CSV with an anomaly detector.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aiops::anomaly::table::Table;
use aiops::anomaly::{
    BatchDetector, Ensemble, IsolationForest, IsolationForestParams, RobustBaseline, ScoreRows,
    SeasonalBaseline, ShEsd, ShEsdParams, StreamingDetector, WindowedGaussian, detect_base_period,
};
use aiops::core::Timestamp;
use anyhow::{Context, bail};

use super::input;

/// Arguments of `aiops detect`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Detector: `ensemble`, `robust`, `seasonal`, `windowed-gaussian`, `shesd`
    /// (single metric, `timestamp,value`) or `isolation-forest` (multivariate rows).
    ///
    /// Warm-up: the streaming detectors score their first points 0 (a score,
    /// not a missing one): `ensemble` its first 150 points, `robust` 30,
    /// `windowed-gaussian` 10, `seasonal` each hour of the day until it has
    /// seen 6 points of that hour. The ensemble's periodic part joins after
    /// 600 points, and its spatial novelty (a value beyond the range seen so
    /// far scores 1) starts at point 150, so a series whose cycle is longer
    /// than 150 points scores new extremes of its first cycle 1 (`aiops run`
    /// waits 600 points). `shesd` and `isolation-forest` score every row.
    #[arg(long)]
    method: String,
    /// Input CSV with a header; a first column `timestamp` is optional; `-` for stdin.
    input: PathBuf,
    /// Columns to score (default: every column but `timestamp`).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    /// Columns to leave out (for example a label column).
    #[arg(long = "exclude-columns", value_delimiter = ',')]
    exclude_columns: Vec<String>,
    /// Seed of the isolation forest. The forest draws its subsamples by row
    /// position, so the same rows in another order fit a different forest.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Leave out rows whose timestamp is not after the previous row's
    /// (duplicates, steps back in time) instead of failing; they get an
    /// empty score in the output and are counted.
    #[arg(long)]
    skip_unsorted: bool,
    /// Output CSV: one score per input row, in input order (empty = missing
    /// point: a missing value, a row left out by --skip-unsorted, or for the
    /// isolation forest a row with any missing value); `-` for stdout.
    #[arg(long)]
    output: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = input::read_to_string(&args.input)?;
    let name = input::display_name(&args.input);
    let opts = aiops::core::CsvOptions {
        order: if args.skip_unsorted {
            aiops::core::OrderPolicy::SkipAndReport
        } else {
            aiops::core::OrderPolicy::Reject
        },
    };
    let (table, skipped) = Table::from_csv_str_with(&name, &text, &opts).map_err(|e| {
        if matches!(
            e,
            aiops::anomaly::Error::Core(aiops::core::Error::OutOfOrder { .. })
        ) {
            anyhow::anyhow!("{e} (--skip-unsorted leaves such rows out and counts them)")
        } else {
            e.into()
        }
    })?;
    if !skipped.is_empty() {
        eprintln!(
            "aiops: note: {name}: {} row(s) out of time order left out (empty scores)",
            skipped.len()
        );
    }
    let cols = table.select(&args.columns, &args.exclude_columns)?;
    let n = table.len();
    // Without timestamps, rows are taken one minute apart for seasonal slots.
    let ts: Vec<Timestamp> = match &table.timestamps {
        Some(t) => t.clone(),
        None => (0..n as i64)
            .map(|i| Timestamp::from_millis(i * 60_000))
            .collect(),
    };
    let single = || -> anyhow::Result<&Vec<f64>> {
        if cols.len() != 1 {
            bail!(
                "method {} scores a single metric but {} columns are selected; use --columns or --exclude-columns",
                args.method,
                cols.len()
            );
        }
        Ok(&table.columns[cols[0]])
    };
    let scores: Vec<f64> = match args.method.as_str() {
        "ensemble" => Ensemble::default().score_series(&ts, single()?),
        "robust" => RobustBaseline::default().score_series(&ts, single()?),
        "seasonal" => SeasonalBaseline::default().score_series(&ts, single()?),
        "windowed-gaussian" => WindowedGaussian::default().score_series(&ts, single()?),
        "shesd" => {
            let values = single()?;
            // A daily period when timestamps give a regular step dividing a day and two days of data;
            // otherwise the period augurs' periodogram finds in the values (0 = none).
            let daily = match (ts.first(), ts.get(1)) {
                (Some(a), Some(b)) if table.timestamps.is_some() => {
                    let step = b.millis_since(*a);
                    if step > 0 && 86_400_000 % step == 0 && n as i64 >= 2 * 86_400_000 / step {
                        (86_400_000 / step) as usize
                    } else {
                        0
                    }
                }
                _ => 0,
            };
            let period = if daily > 0 {
                daily
            } else {
                detect_base_period(values, values.len() / 2, 0.4).unwrap_or(0)
            };
            ShEsd::new(ShEsdParams {
                period,
                ..ShEsdParams::default()
            })?
            .detect(values)?
            .scores
        }
        "isolation-forest" | "iforest" => {
            // The forest needs complete rows: it fits on and scores the rows
            // without a missing value; the others are missing points.
            let complete: Vec<usize> = (0..n)
                .filter(|&i| cols.iter().all(|&c| !table.columns[c][i].is_nan()))
                .collect();
            if complete.is_empty() {
                bail!(
                    "{name}: every row has a missing value in the selected columns; \
                     the isolation forest needs complete rows"
                );
            }
            let x = table.matrix_rows(&cols, &complete);
            let forest = IsolationForest::new(IsolationForestParams {
                seed: args.seed,
                ..IsolationForestParams::default()
            })?;
            let fitted = forest.fit(x.view())?.score(x.view())?;
            let mut scores = vec![f64::NAN; n];
            for (&i, s) in complete.iter().zip(fitted) {
                scores[i] = s;
            }
            scores
        }
        other => bail!(
            "unknown method {other:?}: use ensemble, robust, seasonal, windowed-gaussian, shesd or isolation-forest"
        ),
    };
    let to_stdout = args.output.as_os_str() == "-";
    if to_stdout && args.json {
        bail!("--json and --output - would both write to standard output; give --output a file");
    }
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(&args.output)
                .with_context(|| format!("cannot create {}", args.output.display()))?,
        )
    };
    let mut w = std::io::BufWriter::new(sink);
    let out_name = if to_stdout {
        "standard output".to_string()
    } else {
        args.output.display().to_string()
    };
    let write_err = || format!("cannot write {out_name}");
    if table.timestamps.is_some() {
        writeln!(w, "timestamp,score").with_context(write_err)?;
    } else {
        writeln!(w, "row,score").with_context(write_err)?;
    }
    // Kept rows and rows left out, merged back into input order by line.
    let mut rows: Vec<(u64, String, f64)> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let key = match &table.timestamps {
                Some(t) => t[i].to_string(),
                None => i.to_string(),
            };
            (table.lines[i], key, s)
        })
        .collect();
    rows.extend(
        skipped
            .iter()
            .map(|r| (r.line, r.timestamp.to_string(), f64::NAN)),
    );
    rows.sort_by_key(|r| r.0);
    for (_, key, s) in &rows {
        if s.is_nan() {
            writeln!(w, "{key},").with_context(write_err)?;
        } else {
            writeln!(w, "{key},{}", input::num(*s)).with_context(write_err)?;
        }
    }
    w.flush().with_context(write_err)?;
    let present: Vec<f64> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    let missing = scores.len() - present.len();
    let (argmax, max) = scores.iter().enumerate().filter(|(_, s)| !s.is_nan()).fold(
        (0, f64::NEG_INFINITY),
        |a, (i, s)| if *s > a.1 { (i, *s) } else { a },
    );
    // The output row of the maximum: rows left out before it count too.
    let max_line = table.lines.get(argmax).copied();
    let max_row = argmax + max_line.map_or(0, |l| skipped.iter().filter(|r| r.line < l).count());
    // The recommended alerting threshold belongs to the ensemble.
    let threshold = (args.method == "ensemble").then_some(Ensemble::RECOMMENDED_THRESHOLD);
    let above = threshold.map(|th| present.iter().filter(|s| **s >= th).count());
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "input": name,
                "method": args.method,
                "rows": n + skipped.len(),
                "skipped_unsorted": skipped.len(),
                "columns": cols.iter().map(|&c| table.names[c].clone()).collect::<Vec<_>>(),
                "missing": missing,
                "max_score": if present.is_empty() { None } else { Some(max) },
                "max_row": if present.is_empty() { None } else { Some(max_row) },
                "max_line": if present.is_empty() { None } else { max_line },
                "rows_at_or_above_recommended_threshold": above,
                "recommended_threshold": threshold,
                "output": args.output.display().to_string(),
            })
        );
    } else {
        let alerts = match (threshold, above) {
            (Some(th), Some(a)) => format!("; {a} rows >= {th} (recommended threshold)"),
            _ => String::new(),
        };
        let line = format!(
            "{name}: {n} rows scored with {} ({missing} missing{}); max score {max:.4} at row {max_row}{alerts}; wrote {out_name}",
            args.method,
            if skipped.is_empty() {
                String::new()
            } else {
                format!(", {} out of order left out", skipped.len())
            },
        );
        if to_stdout {
            // Standard output carries the scores; the summary goes beside them.
            eprintln!("{line}");
        } else {
            outln!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
