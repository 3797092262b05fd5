//! Live metrics in, scores and alerts out: reads a PromQL query from a
//! running Prometheus (the last `--minutes` of history, then `--follow N`
//! polls), runs the `IntelligentOps` orchestrator over it, prints the
//! incident timeline and summary, and exports the results as Prometheus
//! metrics: printed, pushed to a Pushgateway (`--pushgateway`), served for
//! scraping (`--listen`), with incidents posted to Alertmanager
//! (`--alertmanager`).
//!
//! ```text
//! eval "$(.ci/live-servers.sh start)"     # or any Prometheus of yours
//! cargo run --release --example prometheus_live -- \
//!     --url http://127.0.0.1:9090 --query 'rate(node_cpu_seconds_total[1m])' --minutes 10 \
//!     [--step 5] [--follow 12] [--pushgateway http://127.0.0.1:9091] \
//!     [--alertmanager http://127.0.0.1:9093] [--listen 127.0.0.1:9464 --serve-secs 60]
//! ```
//!
//! When no server answers it says so in one line and exits with status 2.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its report"
)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aiops::ops::prometheus::{AlertmanagerSink, PrometheusSource, RecordScores, export_report};
use aiops::prometheus::{
    AlertmanagerClient, Error as PromError, Grouping, HttpConfig, MetricsServer, PrometheusClient,
    Pushgateway, ResultMetrics,
};
use aiops::{IntelligentOps, OpsConfig};
use clap::Parser;

/// Run the orchestrator on live Prometheus metrics and export the results.
#[derive(Debug, Parser)]
struct Args {
    /// Prometheus base URL.
    #[arg(long, default_value = "http://127.0.0.1:9090")]
    url: String,
    /// PromQL query; each resulting series is watched.
    #[arg(long, default_value = "rate(node_cpu_seconds_total[1m])")]
    query: String,
    /// Minutes of history to read first.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Resolution step in seconds.
    #[arg(long, default_value_t = 5.0)]
    step: f64,
    /// Polls for new points after the history, one per step.
    #[arg(long, default_value_t = 0)]
    follow: usize,
    /// Pushgateway base URL: push the results there.
    #[arg(long)]
    pushgateway: Option<String>,
    /// Pushgateway job label.
    #[arg(long, default_value = "aiops")]
    job: String,
    /// Alertmanager base URL: post incidents there.
    #[arg(long)]
    alertmanager: Option<String>,
    /// Serve the results for scraping at http://ADDR/metrics.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// How long to keep serving after the run (with --listen).
    #[arg(long, default_value_t = 30)]
    serve_secs: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn no_server(what: &str, url: &str, e: &PromError) -> Option<ExitCode> {
    if matches!(e, PromError::Unreachable { .. } | PromError::Timeout { .. }) {
        eprintln!(
            "no {what} answers at {url}: start one (e.g. `eval \"$(.ci/live-servers.sh start)\"` runs Prometheus, node exporter, Pushgateway and Alertmanager on loopback) or pass its URL"
        );
        return Some(ExitCode::from(2));
    }
    None
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.minutes > 0.0 && args.step > 0.0,
        "--minutes and --step must be positive"
    );
    let quick = HttpConfig {
        retries: 1,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    };
    let prom = PrometheusClient::with_config(&args.url, quick.clone())?;
    if let Err(e) = prom.query("1", None).await {
        return match no_server("Prometheus", &args.url, &e) {
            Some(code) => Ok(code),
            None => Err(e.into()),
        };
    }
    let step = Duration::from_secs_f64(args.step);
    let history = Duration::from_secs_f64(args.minutes * 60.0);
    let mut source = PrometheusSource::new(prom, args.query.clone(), step, history)?;
    if args.follow > 0 {
        source = source.follow(step, Some(args.follow));
    }
    let detectors = RecordScores::new(aiops::ops::default_detectors());
    let scores = detectors.scores();
    // Live data moves in seconds: incidents resolve after 2 quiet minutes,
    // failure is forecast 10 minutes ahead.
    let config = OpsConfig {
        quiet_period_ms: 120_000,
        open_window_ms: 300_000,
        horizon_ms: 600_000,
        ..OpsConfig::default()
    };
    let mut builder = IntelligentOps::builder()
        .source(source)
        .detectors(detectors)
        .config(config);
    if let Some(url) = &args.alertmanager {
        let am = AlertmanagerClient::with_config(url, quick.clone())?;
        if let Err(e) = am.alerts().await {
            return match no_server("Alertmanager", url, &e) {
                Some(code) => Ok(code),
                None => Err(e.into()),
            };
        }
        let graph = format!(
            "{}/graph?g0.expr={}",
            args.url.trim_end_matches('/'),
            encode(&args.query)
        );
        builder = builder.sink(AlertmanagerSink::new(am).generator_url(graph));
    }
    let mut ops = builder.build()?;
    println!(
        "reading {} min of `{}` at {} s from {}{}",
        args.minutes,
        args.query,
        args.step,
        args.url,
        if args.follow > 0 {
            format!(", then {} poll(s)", args.follow)
        } else {
            String::new()
        }
    );
    let report = ops
        .run_with_progress(|p| {
            if args.follow > 0 {
                println!(
                    "  {} observations, {} incident(s)",
                    p.processed, p.incidents
                );
            }
        })
        .await?;
    if report.summary.points == 0 {
        println!(
            "the query returned no data in the last {} min: check it in the Prometheus UI",
            args.minutes
        );
    }
    println!("\n{}", report.summary_table());
    if report.incidents.is_empty() {
        println!("no incidents");
    } else {
        println!("{}", report.timeline());
    }

    let metrics = Arc::new(ResultMetrics::new());
    let push = match &args.pushgateway {
        Some(url) => Some((
            Pushgateway::with_config(url, quick.clone())?,
            Grouping::new(args.job.clone())?.with("query", args.query.clone())?,
        )),
        None => None,
    };
    let push_ref = push.as_ref().map(|(g, k)| (g, k));
    if let Err(e) = export_report(&report, Some(&scores), &metrics, push_ref).await {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let text = metrics.encode()?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    println!("exported {} sample(s), for example:", lines.len());
    for l in lines.iter().take(8) {
        println!("  {l}");
    }
    if let Some((_, g)) = &push {
        println!(
            "pushed to the Pushgateway as job=\"{}\" (query it in Prometheus: aiops_anomaly_score{{job=\"{}\"}})",
            g.job(),
            g.job()
        );
    }
    if args.alertmanager.is_some() {
        println!(
            "posted {} incident alert(s) to Alertmanager",
            report.incidents.len()
        );
    }
    if let Some(addr) = args.listen {
        let server = MetricsServer::bind(addr, Arc::clone(&metrics)).await?;
        println!("serving {} for {} s", server.url(), args.serve_secs);
        tokio::time::sleep(Duration::from_secs(args.serve_secs)).await;
        server.shutdown();
    }
    Ok(ExitCode::SUCCESS)
}

/// Percent-encodes a query for a URL.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
