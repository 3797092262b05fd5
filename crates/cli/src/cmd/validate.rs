//! `aiops validate`: read metric CSV files and report their shape.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::{TimeSeries, read_wide_csv_str};

use super::input;

/// Arguments of `aiops validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// CSV files (`timestamp,value` or wide `timestamp,<series>,...`); `-` for stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Read files as wide CSV (one column per series).
    #[arg(long)]
    wide: bool,
    /// Leave out rows that are not after the previous row and count them (single-series files).
    #[arg(long)]
    skip_unsorted: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    for path in &args.inputs {
        let name = input::display_name(path);
        let (series, skipped): (Vec<TimeSeries>, usize) = if args.wide {
            (read_wide_csv_str(&name, &input::read_to_string(path)?)?, 0)
        } else {
            let (s, skipped) = input::read_series(path, args.skip_unsorted)?;
            (vec![s], skipped.len())
        };
        for s in series {
            rows.push(serde_json::json!({
                "file": name,
                "series": s.key().to_string(),
                "points": s.len(),
                "skipped_rows": skipped,
                "missing": s.missing_count(),
                "gaps": s.gap_count(),
                "step_seconds": s.typical_step_millis().map(|m| m as f64 / 1000.0),
                "start": s.timestamps().first().map(|t| t.to_string()),
                "end": s.timestamps().last().map(|t| t.to_string()),
            }));
        }
    }
    if args.json {
        outln!("{}", serde_json::json!({ "series": rows }));
    } else {
        outln!(
            "{:<48} {:>8} {:>8} {:>8} {:>6} {:>8}  {:<20}  {:<20}",
            "series",
            "points",
            "skipped",
            "missing",
            "gaps",
            "step(s)",
            "start",
            "end"
        );
        for r in &rows {
            outln!(
                "{:<48} {:>8} {:>8} {:>8} {:>6} {:>8}  {:<20}  {:<20}",
                r["series"].as_str().unwrap_or(""),
                r["points"].to_string(),
                r["skipped_rows"].to_string(),
                r["missing"].to_string(),
                r["gaps"].to_string(),
                r["step_seconds"].to_string(),
                r["start"].as_str().unwrap_or(""),
                r["end"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
