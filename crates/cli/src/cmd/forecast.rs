//! `aiops forecast`: forecast a metric CSV with prediction intervals, or give
//! the probability that it crosses a threshold within the horizon.
//!
//! `aiops forecast INPUT.csv --horizon N [--level 0.95] [--model NAME] --output OUT.csv`
//! writes `timestamp,mean,lower,upper`;
//! `aiops forecast --threshold X --horizon N INPUT.csv` prints the failure
//! probability and the expected crossing time.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::TimeSeries;
use aiops::forecast::{
    Direction, FailureParams, Model, RecommendationPolicy, Seasonality, detect_periods,
    forecast_series, predict_failure, regularize,
};
use anyhow::{Context, bail};

use super::input;

/// Failure side for `--direction`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Side {
    /// Failure when the value reaches or exceeds the threshold.
    Above,
    /// Failure when the value reaches or falls below the threshold.
    Below,
}

/// Arguments of `aiops forecast`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Metric CSV (`timestamp,value`); `-` for stdin.
    input: PathBuf,
    /// Steps ahead, in the series' typical spacing.
    #[arg(long)]
    horizon: usize,
    /// Coverage of the prediction interval (forecast mode only).
    #[arg(long, default_value_t = 0.95, conflicts_with = "threshold")]
    level: f64,
    /// Model: auto, mstl, mstl-log, ets, snaive, naive2, naive (forecast mode
    /// only: the failure probability of `--threshold` fits its own model, named
    /// in its output).
    #[arg(long, default_value = "auto", conflicts_with = "threshold")]
    model: String,
    /// Output CSV `timestamp,mean,lower,upper` (`-` or absent: stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Failure threshold: print the probability of crossing it within the horizon instead.
    #[arg(long, allow_negative_numbers = true)]
    threshold: Option<f64>,
    /// Which side of the threshold is a failure.
    #[arg(long, value_enum, default_value = "above")]
    direction: Side,
    /// Leave out rows that are not after the previous row (duplicates, steps
    /// back in time) and count them on stderr, instead of failing.
    #[arg(long)]
    skip_unsorted: bool,
    /// Print JSON on stdout instead of text or CSV (`{"series","model","points":[{"timestamp","mean","lower","upper"}],..}`
    /// for a forecast; the probability fields in threshold mode).
    #[arg(long)]
    json: bool,
}

fn load(args: &Args) -> anyhow::Result<TimeSeries> {
    Ok(input::read_series(&args.input, args.skip_unsorted)?.0)
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.horizon == 0 || args.horizon > aiops::forecast::MAX_HORIZON {
        bail!(
            "--horizon {} must be between 1 and {} steps",
            args.horizon,
            aiops::forecast::MAX_HORIZON
        );
    }
    let series = load(&args)?;
    if let Some(threshold) = args.threshold {
        let direction = match args.direction {
            Side::Above => Direction::Above,
            Side::Below => Direction::Below,
        };
        let mut params = FailureParams::new(threshold, direction, args.horizon);
        params.seasonality = Seasonality::Auto;
        let f = predict_failure(&series, &params)?;
        let p = &f.prediction;
        let rec = RecommendationPolicy::default().recommend(p.probability);
        if args.json {
            let v = serde_json::json!({
                "series": series.key().to_string(),
                "threshold": threshold,
                "direction": direction.to_string(),
                "horizon_steps": args.horizon,
                "step_seconds": f.step_millis as f64 / 1000.0,
                "probability": p.probability,
                "expected_steps": p.expected_steps,
                "expected_seconds": f.expected_millis.map(|m| m as f64 / 1000.0),
                "expected_at": f.expected_at.map(|t| t.to_string()),
                "mean_crossing_steps": p.mean_crossing_steps,
                "already_crossed": p.already_crossed,
                "recommendation": rec.to_string(),
                "model": p.model,
                "notes": p.notes,
            });
            outln!("{v}");
        } else {
            outln!(
                "series {}: P(crossing {direction} {} within {} steps of {} s) = {:.3}",
                series.key(),
                input::num(threshold),
                args.horizon,
                f.step_millis as f64 / 1000.0,
                p.probability
            );
            match (p.expected_steps, f.expected_at) {
                (Some(steps), Some(at)) => outln!(
                    "expected crossing: in {steps:.1} steps ({:.1} min), at {at}",
                    steps * f.step_millis as f64 / 60_000.0
                ),
                _ => outln!("expected crossing: none within the horizon"),
            }
            if let Some(k) = p.mean_crossing_steps {
                outln!("mean forecast crosses after {k} steps");
            }
            outln!("recommendation: {rec}");
            outln!("model: {}", p.model);
            for n in &p.notes {
                outln!("note: {n}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let reg = regularize(&series)?;
    let periods =
        detect_periods(&reg.values, 2).map_err(|e| e.with_series(&series.key().to_string()))?;
    let model = Model::from_name(&args.model, &periods)?;
    let f = forecast_series(&model, &series, args.horizon, args.level, None)
        .with_context(|| format!("forecasting {}", series.key()))?;
    let mut out = String::from("timestamp,mean,lower,upper\n");
    let fc = &f.forecast;
    for (i, t) in f.timestamps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{t},{},{},{}",
            input::num(fc.mean[i]),
            input::num(fc.lower[i]),
            input::num(fc.upper[i])
        );
    }
    match &args.output {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, out).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!(
                "aiops forecast: {} steps of {} written to {} (model {}{})",
                args.horizon,
                series.key(),
                p.display(),
                fc.model,
                if fc.notes.is_empty() {
                    String::new()
                } else {
                    format!("; {}", fc.notes.join("; "))
                }
            );
        }
        _ if args.json => {
            let points: Vec<_> = f
                .timestamps
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    serde_json::json!({
                        "timestamp": t.to_string(),
                        "mean": fc.mean[i],
                        "lower": fc.lower[i],
                        "upper": fc.upper[i],
                    })
                })
                .collect();
            let v = serde_json::json!({
                "series": series.key().to_string(),
                "horizon_steps": args.horizon,
                "level": args.level,
                "model": fc.model,
                "notes": fc.notes,
                "points": points,
            });
            outln!("{v}");
        }
        _ => out!("{out}"),
    }
    Ok(ExitCode::SUCCESS)
}
