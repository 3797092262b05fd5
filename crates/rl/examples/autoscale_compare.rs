//! Harness: trains the learned autoscaler on NAB traces and compares it with
//! the Kubernetes HPA on held-out traces, printing a table.
//!
//! ```text
//! cargo run --release -p aiops-rl --example autoscale_compare -- /work/shared/data/nab/data [q|tile]
//! ```
//!
//! Environment overrides, used for the sweep recorded in `docs/benchmarks.md`:
//! `RL_SEED` (exploration seed, default 7), `RL_SLO_W` (reward weight of SLO
//! violation), `RL_SHIELD` (shield limit; 1 or more disables the shield).
#![allow(clippy::print_stdout, reason = "a harness prints its table")]
#![allow(clippy::print_stderr, reason = "a harness reports skips")]

use std::path::PathBuf;
use std::time::Instant;

use aiops_rl::autoscaling::{
    AgentKind, AutoscaleConfig, AutoscaleObservation, AutoscalerTraining, HpaConfig, Trace,
    compare, evaluate_autoscaler,
};
use aiops_rl::{Agent, Transition};

/// Ablation: always the same action (no learning).
#[derive(Debug)]
struct Fixed(usize);

impl Agent<AutoscaleObservation> for Fixed {
    fn act<R: rand::Rng + ?Sized>(
        &mut self,
        _: &AutoscaleObservation,
        _: &mut R,
    ) -> aiops_rl::Result<usize> {
        Ok(self.0)
    }
    fn greedy(&self, _: &AutoscaleObservation) -> aiops_rl::Result<usize> {
        Ok(self.0)
    }
    fn learn(&mut self, _: &Transition<'_, AutoscaleObservation>) -> aiops_rl::Result<()> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(
        args.first()
            .map_or("../shared/data/nab/data", String::as_str),
    );
    if !root.exists() {
        eprintln!("NAB data not found at {}; skipping", root.display());
        return Ok(());
    }
    let kind = match args.get(1).map(String::as_str) {
        Some("tile") => AgentKind::TileCodedSarsa,
        _ => AgentKind::QLearning,
    };
    let load = |p: &str| Trace::from_csv(root.join(p));
    let setups: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "realTweets/Twitter_volume_AAPL.csv",
                "realTweets/Twitter_volume_GOOG.csv",
                "realTweets/Twitter_volume_FB.csv",
            ],
            "realTweets/Twitter_volume_AMZN.csv",
        ),
        (
            vec![
                "realTweets/Twitter_volume_AAPL.csv",
                "realTweets/Twitter_volume_GOOG.csv",
                "realTweets/Twitter_volume_FB.csv",
            ],
            "realKnownCause/nyc_taxi.csv",
        ),
        (
            vec![
                "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
                "realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv",
                "realAWSCloudwatch/ec2_cpu_utilization_77c1ca.csv",
            ],
            "realAWSCloudwatch/grok_asg_anomaly.csv",
        ),
    ];
    let mut config = AutoscaleConfig::default();
    if let Some(w) = std::env::var("RL_SLO_W").ok().and_then(|v| v.parse().ok()) {
        config.reward.slo_violation = w;
    }
    let hpa = HpaConfig::default();
    let mut training = AutoscalerTraining {
        agent: kind,
        seed: std::env::var("RL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(7),
        ..AutoscalerTraining::default()
    };
    if let Some(l) = std::env::var("RL_SHIELD")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        training.shield = (l < 1.0).then_some(aiops_rl::autoscaling::SafetyShield {
            max_violation_fraction: l,
        });
    }
    println!(
        "{:<40} {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8} {:>7} {:>8}",
        "eval trace",
        "hpa viol",
        "hpa r-h",
        "hpa act",
        "agent viol",
        "agent r-h",
        "act",
        "vetoes",
        "train s"
    );
    for (train, eval) in setups {
        let train: Vec<Trace> = train.iter().map(|p| load(p)).collect::<Result<_, _>>()?;
        let eval = load(eval)?;
        let t0 = Instant::now();
        let c = compare(train, eval.clone(), &config, &hpa, &training)?;
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{:<40} {:>10.1} {:>10.1} {:>8} | {:>10.1} {:>10.1} {:>8} {:>7} {:>8.2}",
            c.eval_trace,
            c.hpa.slo_violation_minutes,
            c.hpa.replica_hours,
            c.hpa.scaling_actions,
            c.agent.slo_violation_minutes,
            c.agent.replica_hours,
            c.agent.scaling_actions,
            c.agent.vetoes,
            secs
        );
        // Ablation: the shield in front of a fixed 70 % target (no learning).
        let fixed = evaluate_autoscaler(&Fixed(3), eval, &config, training.shield)?;
        println!(
            "{:<40} {:>10} {:>10} {:>8} | {:>10.1} {:>10.1} {:>8} {:>7}",
            "  ablation: fixed 70 % target + shield",
            "",
            "",
            "",
            fixed.metrics.slo_violation_minutes,
            fixed.metrics.replica_hours,
            fixed.metrics.scaling_actions,
            fixed.metrics.vetoes
        );
    }
    Ok(())
}
