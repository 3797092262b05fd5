//! `aiops run`: the IntelligentOps orchestrator over metric CSV files.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::ops::{IntelligentOps, OpsConfig, SeriesSource};
use anyhow::Context;

use super::input;

/// Arguments of `aiops run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// NAB-style CSV files (`timestamp,value`); the file stem names the resource; `-` reads stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Leave out rows that are not after the previous row (duplicates, steps back in time)
    /// and count them in the report, instead of failing.
    #[arg(long)]
    skip_unsorted: bool,
    /// Hours without an anomalous point after which an incident resolves.
    #[arg(long, default_value_t = 24.0)]
    quiet_hours: f64,
    /// Anomalous points of a series, within --open-window-hours, that open an incident.
    #[arg(long, default_value_t = 3)]
    open_after_points: usize,
    /// Window for --open-after-points, in hours.
    #[arg(long, default_value_t = 2.0)]
    open_window_hours: f64,
    /// A single point scored at or above this opens an incident at once (above 1 disables it).
    #[arg(long, default_value_t = 0.9999)]
    open_at_once_score: f64,
    /// Hours ahead for the failure probability.
    #[arg(long, default_value_t = 6.0)]
    horizon_hours: f64,
    /// Print the whole report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn hours_to_ms(name: &str, h: f64) -> anyhow::Result<i64> {
    if !(h.is_finite() && h > 0.0 && h < 1e6) {
        anyhow::bail!(
            "--{name} must be a positive number of hours below 1e6, got {}",
            input::num(h)
        );
    }
    let ms = (h * 3.6e6).round();
    if ms < 1.0 {
        anyhow::bail!(
            "--{name} {} is under a millisecond; give at least 0.0000003 hours",
            input::num(h)
        );
    }
    Ok(ms as i64)
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut series = Vec::with_capacity(args.inputs.len());
    let mut skipped = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        let (s, left_out) = input::read_series(path, args.skip_unsorted)?;
        series.push(s);
        skipped.push(left_out);
    }
    // Two inputs with the same series name would interleave into one series.
    for (j, b) in series.iter().enumerate() {
        if let Some(i) = series[..j].iter().position(|a| a.key() == b.key()) {
            anyhow::bail!(
                "{} and {} both give series `{}`: each input must be a different series",
                input::display_name(&args.inputs[i]),
                input::display_name(&args.inputs[j]),
                b.key()
            );
        }
    }
    let config = OpsConfig {
        quiet_period_ms: hours_to_ms("quiet-hours", args.quiet_hours)?,
        horizon_ms: hours_to_ms("horizon-hours", args.horizon_hours)?,
        open_after_points: args.open_after_points,
        open_at_once_score: args.open_at_once_score,
        open_window_ms: hours_to_ms("open-window-hours", args.open_window_hours)?,
        ..OpsConfig::default()
    };
    // Files are recorded history: the remediation guards (cool-downs, rate
    // limits) run on the data's time, not the wall clock. Dry run.
    let remediation = aiops::ops::integrations::GuardedRemediation::replay(
        aiops::remediation::RemediationEngine::builder(),
    )?;
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("cli", series).with_skipped(skipped)?)
        .remediation(remediation)
        .config(config)
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(ops.run())?;
    if args.json {
        outln!("{}", report.to_json()?);
    } else {
        out!("{}", report.timeline());
        outln!();
        out!("{}", report.summary_table());
    }
    Ok(ExitCode::SUCCESS)
}
