//! `aiops rollout simulate`: step a rollout through its strategy against recorded metrics.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::{Timestamp, read_wide_csv_str};
use aiops::gitops::{
    DeploymentHistory, DeploymentRecord, InMemoryProvider, Outcome, RolloutPhase,
    SimulationOptions, parse_rollout_yaml, simulate,
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
        /// the latest row at or before t.
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
    let spec = parse_rollout_yaml(
        &input::display_name(&rollout),
        &input::read_to_string(&rollout)?,
    )?;
    let series = read_wide_csv_str(
        &input::display_name(&metrics),
        &input::read_to_string(&metrics)?,
    )?;
    let mut provider = InMemoryProvider::new();
    for s in &series {
        provider.insert_series(s);
    }
    let start = match start {
        Some(s) => Timestamp::parse(&s)?,
        None => series
            .iter()
            .filter_map(|s| s.timestamps().first().copied())
            .min()
            .ok_or_else(|| anyhow::anyhow!("{}: no metric rows", input::display_name(&metrics)))?,
    };
    let options = SimulationOptions {
        auto_promote,
        ..SimulationOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let sim = runtime.block_on(simulate(
        &spec,
        &provider,
        &canary_revision,
        &stable_revision,
        start,
        options,
    ))?;
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
        println!(
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
        println!("rollout {}", spec.name);
        for e in &sim.timeline {
            let offset = e.at.millis_since(start) / 1000;
            println!(
                "{}  +{:>6}s  step {:>2}  weight {:>3}%  {}",
                e.at, offset, e.step, e.weight, e.message
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
                println!(
                    "analysis {} at {}: {} {} [{}]",
                    a.template,
                    a.started_at,
                    m.name,
                    m.phase,
                    values.join(", ")
                );
            }
        }
        println!(
            "final: {} (weight {}%, stable {})",
            sim.state.phase, sim.state.weight, sim.state.stable_revision
        );
        if let Some((appended, healthy, cfr, mttr, n)) = &recorded {
            println!(
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
