//! `aiops rl autoscale`: train a learned autoscaler on traces and compare it
//! with the Kubernetes HPA on a trace it did not train on.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::rl::autoscaling::{
    AutoscaleConfig, AutoscalerTraining, HpaConfig, Metrics, Trace, compare,
};
use anyhow::Context;

/// Arguments of `aiops rl`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: RlCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RlCommand {
    /// Train an autoscaling agent on request-rate traces and compare it with the HPA on another trace.
    Autoscale(AutoscaleArgs),
}

#[derive(Debug, clap::Args)]
struct AutoscaleArgs {
    /// Training trace (`timestamp,value` CSV of request rates); repeat for several.
    #[arg(long = "train", required = true)]
    train: Vec<PathBuf>,
    /// Evaluation trace, not used in training.
    #[arg(long)]
    eval: PathBuf,
    /// Seed of the agent's exploration.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print `{"hpa":{..},"agent":{..}}` on stdout.
    #[arg(long)]
    json: bool,
}

fn read(path: &PathBuf) -> anyhow::Result<Trace> {
    Trace::from_csv(path).with_context(|| format!("trace {}", path.display()))
}

/// One controller's figures, keys in the documented order
/// (`serde_json::Value` would sort them).
fn to_json(m: &Metrics) -> anyhow::Result<String> {
    Ok(format!(
        "{{\"slo_violation_minutes\":{},\"replica_hours\":{},\"scaling_actions\":{}}}",
        serde_json::to_string(&m.slo_violation_minutes)?,
        serde_json::to_string(&m.replica_hours)?,
        m.scaling_actions
    ))
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let RlCommand::Autoscale(args) = args.command;
    let train = args
        .train
        .iter()
        .map(read)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let eval = read(&args.eval)?;
    let training = AutoscalerTraining {
        seed: args.seed,
        ..AutoscalerTraining::default()
    };
    let c = compare(
        train,
        eval,
        &AutoscaleConfig::default(),
        &HpaConfig::default(),
        &training,
    )?;
    if args.json {
        outln!(
            "{{\"hpa\":{},\"agent\":{}}}",
            to_json(&c.hpa)?,
            to_json(&c.agent)?
        );
    } else {
        outln!(
            "evaluation trace: {} (trained on: {})",
            c.eval_trace,
            c.train_traces.join(", ")
        );
        outln!(
            "{:<12} {:>22} {:>14} {:>16}",
            "controller",
            "SLO violation (min)",
            "replica-hours",
            "scaling actions"
        );
        for (name, m) in [("hpa", &c.hpa), ("agent", &c.agent)] {
            outln!(
                "{:<12} {:>22.1} {:>14.1} {:>16}",
                name,
                m.slo_violation_minutes,
                m.replica_hours,
                m.scaling_actions
            );
        }
        outln!(
            "{:<12} {:>+22.1} {:>+14.1} {:>+16}",
            "agent - hpa",
            c.agent.slo_violation_minutes - c.hpa.slo_violation_minutes,
            c.agent.replica_hours - c.hpa.replica_hours,
            c.agent.scaling_actions as i64 - c.hpa.scaling_actions as i64
        );
        outln!(
            "safety shield vetoed {} of {} agent decisions",
            c.agent.vetoes,
            c.agent.steps
        );
    }
    Ok(ExitCode::SUCCESS)
}
