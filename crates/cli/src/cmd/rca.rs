//! `aiops rca`: rank likely root-cause services from a dependency graph and
//! per-service metrics around an incident start.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::Timestamp;
use aiops::remediation::{DependencyGraph, RcaParams, ServiceMetrics, rank_root_causes};
use anyhow::Context;

use super::input;

/// Arguments of `aiops rca`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Dependency graph CSV with a `from,to` header (caller to callee); `-` for stdin.
    #[arg(long, value_name = "EDGES.csv")]
    graph: PathBuf,
    /// Wide metrics CSV: `timestamp,<service>:<metric>,...` (split on the last colon).
    #[arg(long, value_name = "WIDE.csv")]
    metrics: PathBuf,
    /// Incident start (RFC 3339, `YYYY-MM-DD HH:MM:SS` or Unix seconds).
    #[arg(long, value_name = "TIMESTAMP")]
    start: String,
    /// Print only the best K services.
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Print `{"ranking":[{"service":..,"score":..}]}` on stdout, best first.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.top == Some(0) {
        anyhow::bail!("--top must be at least 1");
    }
    if args.graph.as_os_str() == "-" && args.metrics.as_os_str() == "-" {
        anyhow::bail!("--graph and --metrics cannot both read standard input");
    }
    let start = Timestamp::parse(&args.start).context("--start")?;
    let graph_text = input::read_to_string(&args.graph)?;
    let graph = DependencyGraph::from_csv_str(&input::display_name(&args.graph), &graph_text)?;
    let metrics_text = input::read_to_string(&args.metrics)?;
    let metrics =
        ServiceMetrics::from_wide_csv_str(&input::display_name(&args.metrics), &metrics_text)?;
    let mut ranking = rank_root_causes(&graph, &metrics, start, &RcaParams::default())?;
    if let Some(k) = args.top {
        ranking.truncate(k);
    }
    if args.json {
        // A struct keeps the documented key order: service, then score.
        #[derive(serde::Serialize)]
        struct Row<'a> {
            service: &'a str,
            score: f64,
        }
        #[derive(serde::Serialize)]
        struct Out<'a> {
            ranking: Vec<Row<'a>>,
        }
        let out = Out {
            ranking: ranking
                .iter()
                .map(|r| Row {
                    service: &r.service,
                    score: r.score,
                })
                .collect(),
        };
        outln!("{}", serde_json::to_string(&out)?);
    } else {
        outln!(
            "{:>4}  {:<32} {:>8} {:>8} {:>8}  {:<20} {:<20}",
            "rank",
            "service",
            "score",
            "anomaly",
            "z",
            "metric",
            "onset"
        );
        for (i, r) in ranking.iter().enumerate() {
            outln!(
                "{:>4}  {:<32} {:>8.4} {:>8.3} {:>8}  {:<20} {:<20}",
                i + 1,
                r.service,
                r.score,
                r.anomaly,
                aiops::core::Fixed(r.z, 1),
                r.metric,
                r.onset
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "-".to_owned())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
