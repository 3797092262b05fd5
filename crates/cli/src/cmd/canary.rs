//! `aiops canary judge`: Kayenta-style canary judgement of two metric CSV files.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::gitops::{CanaryJudge, JudgeConfig, Verdict, read_samples_csv};
use anyhow::Context;

use super::input;

/// Arguments of `aiops canary`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: CanaryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CanaryCommand {
    /// Judge a canary against its baseline: per-metric Mann-Whitney classification, score and
    /// verdict. Exit code 0 for pass or marginal, 1 for fail.
    Judge {
        /// Baseline samples: `metric,value` rows or one column per metric (`-` for stdin).
        #[arg(long)]
        baseline: PathBuf,
        /// Canary samples, same shape as the baseline.
        #[arg(long)]
        canary: PathBuf,
        /// Judge configuration (YAML): confidence, tolerance, thresholds, groups, metrics.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print `{"score","verdict","metrics":[...]}` JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let CanaryCommand::Judge {
        baseline,
        canary,
        config,
        json,
    } = args.command;
    let config = match &config {
        Some(path) => {
            JudgeConfig::from_yaml_str(&input::display_name(path), &input::read_to_string(path)?)?
        }
        None => JudgeConfig::default(),
    };
    let judge = CanaryJudge::new(config)?;
    let base = read_samples_csv(
        &input::display_name(&baseline),
        &input::read_to_string(&baseline)?,
    )?;
    let can = read_samples_csv(
        &input::display_name(&canary),
        &input::read_to_string(&canary)?,
    )?;
    let j = judge.judge(&base, &can).context("judging the canary")?;
    if json {
        // Structs (not `json!`) keep the documented key order.
        #[derive(serde::Serialize)]
        struct MetricOut<'a> {
            name: &'a str,
            classification: String,
            u: Option<f64>,
            p_value: Option<f64>,
            ci_low: Option<f64>,
            ci_high: Option<f64>,
        }
        #[derive(serde::Serialize)]
        struct Out<'a> {
            score: f64,
            verdict: String,
            metrics: Vec<MetricOut<'a>>,
        }
        let out = Out {
            score: j.score,
            verdict: j.verdict.to_string(),
            metrics: j
                .metrics
                .iter()
                .map(|m| MetricOut {
                    name: &m.name,
                    classification: m.classification.to_string(),
                    u: m.test.map(|t| t.u),
                    p_value: m.test.map(|t| t.p_value),
                    ci_low: m.test.map(|t| t.ci_low),
                    ci_high: m.test.map(|t| t.ci_high),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!(
            "{:<32} {:<14} {:>12} {:>10} {:>12} {:>12} {:>9}",
            "metric", "class", "u", "p", "ci_low", "ci_high", "ratio"
        );
        let num = |v: Option<f64>, prec: usize| {
            v.map_or_else(|| "-".to_owned(), |v| format!("{v:.prec$}"))
        };
        for m in &j.metrics {
            let class = if m.critical_failure {
                format!("{} (critical)", m.classification)
            } else {
                m.classification.to_string()
            };
            println!(
                "{:<32} {:<14} {:>12} {:>10} {:>12} {:>12} {:>9}",
                m.name,
                class,
                num(m.test.map(|t| t.u), 1),
                num(m.test.map(|t| t.p_value), 6),
                num(m.test.map(|t| t.ci_low), 4),
                num(m.test.map(|t| t.ci_high), 4),
                num(m.effect_size, 3),
            );
        }
        for g in &j.groups {
            println!(
                "group {:<26} weight {:.3}  {}/{} passed  score {}",
                g.name,
                g.weight,
                g.passed,
                g.judged,
                num(g.score, 1)
            );
        }
        if !j.critical_failures.is_empty() {
            println!("critical failures: {}", j.critical_failures.join(", "));
        }
        println!("score {:.1}  verdict {}", j.score, j.verdict);
    }
    Ok(if j.verdict == Verdict::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
