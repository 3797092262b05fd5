//! `aiops rollout simulate`: step a rollout through its strategy against recorded metrics.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::{Timestamp, read_wide_csv_str};
use aiops::gitops::{
    DeploymentHistory, DeploymentRecord, Error as GitopsError, InMemoryProvider, Outcome,
    RolloutPhase, SimulationOptions, fmt_duration, parse_rollout_yaml, simulate,
};

use super::input;

/// Arguments of `aiops rollout`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: RolloutCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RolloutCommand {
    /// Step an Argo Rollout (or Flagger Canary) through its strategy, measuring analyses from
    /// recorded metrics, and print the timeline. Exit code 1 when the rollout aborts.
    Simulate {
        /// Manifest: a `Rollout` or `Canary` plus the `AnalysisTemplate`s it uses (multi-document YAML).
        rollout: PathBuf,
        /// Recorded metrics, wide CSV `timestamp,<metric>,...`; a measurement at time t reads
        /// the latest value at or before t, at most one metrics step (the median spacing of
        /// the rows) old; a time outside the data is an input error.
        #[arg(long)]
        metrics: PathBuf,
        /// Start time (RFC 3339 or Unix seconds); default: the first metrics timestamp.
        #[arg(long)]
        start: Option<String>,
        /// Promote paused rollouts at once instead of stopping at the pause.
        #[arg(long)]
        auto_promote: bool,
        /// Revision being rolled out.
        #[arg(long, default_value = "canary")]
        canary_revision: String,
        /// Revision currently stable.
        #[arg(long, default_value = "stable")]
        stable_revision: String,
        /// Append the finished rollout to this deployment history (JSON Lines, written
        /// atomically) and print the last healthy revision, change failure rate and time to restore.
        #[arg(long)]
        history: Option<PathBuf>,
        /// Print the timeline and final state as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let RolloutCommand::Simulate {
        rollout,
        metrics,
        start,
        auto_promote,
        canary_revision,
        stable_revision,
        history,
        json,
    } = args.command;
    if rollout.as_os_str() == "-" && metrics.as_os_str() == "-" {
        anyhow::bail!(
            "only one input can be standard input, but the rollout and --metrics both got `-`"
        );
    }
    let rollout_name = input::display_name(&rollout);
    let spec = match parse_rollout_yaml(&rollout_name, &input::read_to_string(&rollout)?) {
        Ok(spec) => spec,
        // Parse errors name the file already; strategy and template checks do not.
        Err(e @ GitopsError::Manifest { .. }) => return Err(e.into()),
        Err(e) => return Err(anyhow::Error::new(e).context(rollout_name)),
    };
    let metrics_name = input::display_name(&metrics);
    let series = read_wide_csv_str(&metrics_name, &input::read_to_string(&metrics)?)?;
    let (Some(first), Some(last)) = (
        series
            .iter()
            .filter_map(|s| s.timestamps().first().copied())
            .min(),
        series
            .iter()
            .filter_map(|s| s.timestamps().last().copied())
            .max(),
    ) else {
        anyhow::bail!("{metrics_name}: no metric rows");
    };
    // The staleness bound: one metrics step, the median spacing of the rows
    // (the largest over the columns; 0 with a single row: exact times only).
    let step = series
        .iter()
        .map(|s| {
            let mut d: Vec<i64> = s
                .timestamps()
                .windows(2)
                .map(|w| w[1].millis_since(w[0]))
                .collect();
            d.sort_unstable();
            d.get(d.len() / 2).copied().unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    let mut provider = InMemoryProvider::new().with_max_staleness(step);
    for s in &series {
        provider.insert_series(s);
    }
    let start = match start {
        Some(s) => Timestamp::parse(&s)?,
        None => first,
    };
    if start < first || start.millis_since(last) > step {
        anyhow::bail!(
            "--start {start} is outside the metrics data in {metrics_name} ({first} to {last}, step {})",
            fmt_duration(step)
        );
    }
    let options = SimulationOptions {
        auto_promote,
        ..SimulationOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let sim = match runtime.block_on(simulate(
        &spec,
        &provider,
        &canary_revision,
        &stable_revision,
        start,
        options,
    )) {
        Ok(sim) => sim,
        // The recording does not cover the rollout: bad input, not an abort.
        Err(e @ GitopsError::NotRecorded { .. }) => anyhow::bail!("{metrics_name}: {e}"),
        Err(e) => return Err(e.into()),
    };
    let mut recorded = None;
    if let Some(path) = &history {
        let outcome = match &sim.state.phase {
            RolloutPhase::Completed => Some(Outcome::Succeeded),
            RolloutPhase::Aborted { .. } => Some(Outcome::Aborted),
            RolloutPhase::RolledBack { .. } => Some(Outcome::RolledBack),
            RolloutPhase::Progressing | RolloutPhase::Paused(_) => None,
        };
        let mut h = DeploymentHistory::open(path)?;
        if let Some(outcome) = outcome {
            h.append(DeploymentRecord {
                revision: canary_revision.clone(),
                previous: Some(stable_revision.clone()),
                started_at: sim.state.started_at,
                finished_at: sim.state.now,
                outcome,
                steps: sim.timeline.iter().map(|e| e.message.clone()).collect(),
                judgements: Vec::new(),
            })?;
        }
        recorded = Some((
            outcome.is_some(),
            h.last_healthy_revision().map(str::to_owned),
            h.change_failure_rate(),
            h.mean_time_to_restore(),
            h.records().len(),
        ));
    }
    let history_json = recorded.as_ref().map(|(appended, healthy, cfr, mttr, n)| {
        serde_json::json!({
            "appended": appended,
            "deployments": n,
            "last_healthy_revision": healthy,
            "change_failure_rate": cfr,
            "mean_time_to_restore_seconds": mttr.map(|ms| ms / 1000.0),
        })
    });
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "history": history_json,
                "rollout": spec.name,
                "phase": sim.state.phase.to_string(),
                "weight": sim.state.weight,
                "stable_revision": sim.state.stable_revision,
                "timeline": sim.timeline.iter().map(|e| serde_json::json!({
                    "at": e.at.to_rfc3339(),
                    "step": e.step,
                    "weight": e.weight,
                    "message": e.message,
                })).collect::<Vec<_>>(),
                "analyses": sim.analyses,
            })
        );
    } else {
        outln!("rollout {}", spec.name);
        for e in &sim.timeline {
            let offset = e.at.millis_since(start) / 1000;
            outln!(
                "{}  +{:>6}s  step {:>2}  weight {:>3}%  {}",
                e.at,
                offset,
                e.step,
                e.weight,
                e.message
            );
        }
        for a in &sim.analyses {
            for m in &a.metrics {
                let values: Vec<String> = m
                    .measurements
                    .iter()
                    .map(|x| {
                        x.value
                            .map_or_else(|| "error".to_owned(), |v| format!("{v}"))
                    })
                    .collect();
                outln!(
                    "analysis {} at {}: {} {} [{}]",
                    a.template,
                    a.started_at,
                    m.name,
                    m.phase,
                    values.join(", ")
                );
            }
        }
        outln!(
            "final: {} (weight {}%, stable {})",
            sim.state.phase,
            sim.state.weight,
            sim.state.stable_revision
        );
        if let Some((appended, healthy, cfr, mttr, n)) = &recorded {
            outln!(
                "history: {} ({n} deployments); last healthy revision {}; change failure rate {}; mean time to restore {}",
                if *appended {
                    "recorded"
                } else {
                    "not recorded (rollout still paused)"
                },
                healthy.as_deref().unwrap_or("none"),
                cfr.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}%", r * 100.0)),
                mttr.map_or_else(|| "n/a".to_owned(), |ms| format!("{:.0} s", ms / 1000.0)),
            );
        }
    }
    Ok(if matches!(sim.state.phase, RolloutPhase::Aborted { .. }) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
