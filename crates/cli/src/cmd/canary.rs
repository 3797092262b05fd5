//! `aiops canary judge`: Kayenta-style canary judgement of two metric CSV files.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::gitops::{
    CanaryJudge, Classification, Error as GitopsError, JudgeConfig, Verdict, read_samples_csv,
};
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
    let stdin: Vec<&str> = [
        ("--baseline", Some(&baseline)),
        ("--canary", Some(&canary)),
        ("--config", config.as_ref()),
    ]
    .into_iter()
    .filter(|(_, p)| p.is_some_and(|p| p.as_os_str() == "-"))
    .map(|(flag, _)| flag)
    .collect();
    if stdin.len() > 1 {
        anyhow::bail!(
            "only one input can be standard input, but {} {} got `-`",
            stdin.join(" and "),
            if stdin.len() == 2 { "both" } else { "all" }
        );
    }
    let judge = match &config {
        Some(path) => {
            let name = input::display_name(path);
            // Parse errors name the file already; validation errors do not.
            let config = JudgeConfig::from_yaml_str(&name, &input::read_to_string(path)?)?;
            CanaryJudge::new(config).with_context(|| name.clone())?
        }
        None => CanaryJudge::new(JudgeConfig::default())?,
    };
    let (base_name, can_name) = (input::display_name(&baseline), input::display_name(&canary));
    let base = read_samples_csv(&base_name, &input::read_to_string(&baseline)?)?;
    let can = read_samples_csv(&can_name, &input::read_to_string(&canary)?)?;
    let j = match judge.judge(&base, &can) {
        Ok(j) => j,
        Err(GitopsError::MetricMissing {
            metric,
            missing_from,
            ..
        }) => {
            let (missing, present) = if missing_from == "canary" {
                (&can_name, &base_name)
            } else {
                (&base_name, &can_name)
            };
            anyhow::bail!(
                "metric `{metric}` is in {present} but missing from {missing} (a metric must be in both inputs)"
            );
        }
        Err(e) => return Err(anyhow::Error::new(e).context("judging the canary")),
    };
    // Configured metrics that neither input has: NoData, and said so.
    let absent = |name: &str| !base.contains_key(name) && !can.contains_key(name);
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
            missing_removed: usize,
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
                    missing_removed: m.missing_removed,
                })
                .collect(),
        };
        outln!("{}", serde_json::to_string(&out)?);
    } else {
        outln!(
            "{:<32} {:<14} {:>12} {:>10} {:>12} {:>12} {:>9} {:>8}",
            "metric",
            "class",
            "u",
            "p",
            "ci_low",
            "ci_high",
            "ratio",
            "missing"
        );
        let num = |v: Option<f64>, prec: usize| {
            v.map_or_else(|| "-".to_owned(), |v| format!("{v:.prec$}"))
        };
        for m in &j.metrics {
            let mut class = m.classification.to_string();
            if m.classification == Classification::NoData && absent(&m.name) {
                class.push_str(" (absent)");
            }
            if m.critical_failure {
                class.push_str(" (critical)");
            }
            outln!(
                "{:<32} {:<14} {:>12} {:>10} {:>12} {:>12} {:>9} {:>8}",
                m.name,
                class,
                num(m.test.map(|t| t.u), 1),
                num(m.test.map(|t| t.p_value), 6),
                num(m.test.map(|t| t.ci_low), 4),
                num(m.test.map(|t| t.ci_high), 4),
                num(m.effect_size, 3),
                m.missing_removed,
            );
        }
        for m in &j.metrics {
            if m.classification != Classification::NoData {
                continue;
            }
            if absent(&m.name) {
                outln!(
                    "note: `{}` is in the judge config but in neither {base_name} nor {can_name}: no data",
                    m.name
                );
            } else {
                outln!(
                    "note: `{}` has no data: {} baseline and {} canary points after removing {} missing",
                    m.name,
                    m.baseline_count,
                    m.canary_count,
                    m.missing_removed
                );
            }
        }
        for g in &j.groups {
            outln!(
                "group {:<26} weight {:.3}  {}/{} passed  score {}",
                g.name,
                g.weight,
                g.passed,
                g.judged,
                num(g.score, 1)
            );
        }
        if !j.critical_failures.is_empty() {
            outln!("critical failures: {}", j.critical_failures.join(", "));
        }
        outln!("score {:.1}  verdict {}", j.score, j.verdict);
    }
    Ok(if j.verdict == Verdict::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
