//! The main job: run the `IntelligentOps` orchestrator on real metric data.
//!
//! By default it replays four NAB series shipped in `examples/data/nab`
//! (machine temperature, ambient temperature, an auto-scaling group's CPU and
//! an EC2 service's latency) in time order, opens incidents, computes failure
//! probabilities, assesses severity and plans dry-run remediation, then prints
//! the incident timeline, a summary table, a compliance score, a team skills
//! report, a capacity plan and a QAOA-versus-exact placement from a forecast of
//! the NYC taxi series, one canary judgement on the recorded EC2 latency
//! series, and a check of the incidents on `machine_temperature_system_failure`
//! against NAB's labelled windows.
//!
//! ```sh
//! cargo run --release --example intelligent_ops
//! cargo run --release --example intelligent_ops -- --json report.json
//! cargo run --release --example intelligent_ops -- --input my_metric.csv other.csv
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its results")]
#![allow(clippy::print_stderr, reason = "an example reports progress on stderr")]

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use aiops::core::{CsvOptions, OrderPolicy, Timestamp};
use std::sync::Arc;

use aiops::ops::integrations::{BanditSelector, GuardedRemediation};
use aiops::ops::{IntelligentOps, Report, SeriesSource};
use aiops::remediation::{RemediationEngine, StaticApprover};
use aiops::rl::BanditKind;
use anyhow::Context;
use clap::Parser;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/nab");
const TAXI: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/data/nab/realKnownCause/nyc_taxi.csv"
);
const MANIFESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/manifests");
const SSH_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/data/logs/OpenSSH_2k.log"
);
const SHIPPED: [&str; 4] = [
    "realKnownCause/machine_temperature_system_failure.csv",
    "realKnownCause/ambient_temperature_system_failure.csv",
    "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
    "realKnownCause/ec2_request_latency_system_failure.csv",
];

/// Run the IntelligentOps orchestrator on metric CSV files.
#[derive(Debug, Parser)]
struct Args {
    /// Write the whole report as JSON to this path.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Run on these `timestamp,value` CSV files instead of the shipped NAB series.
    #[arg(long, num_args = 1..)]
    input: Vec<PathBuf>,
    /// A log file to analyse for threats (default with the shipped data: the shipped OpenSSH log).
    #[arg(long)]
    log: Option<PathBuf>,
    /// The format of the `--log` file: a Loghub system name (`OpenSSH`, `Linux`, ...), `syslog` or `jsonl`.
    #[arg(long, default_value = "OpenSSH", requires = "log")]
    log_format: String,
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("intelligent_ops: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<std::process::ExitCode> {
    let args = Args::parse();
    let shipped = args.input.is_empty();
    let inputs: Vec<PathBuf> = if shipped {
        SHIPPED.iter().map(|f| Path::new(DATA).join(f)).collect()
    } else {
        args.input.clone()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let log = args
        .log
        .clone()
        .or_else(|| shipped.then(|| PathBuf::from(SSH_LOG)));
    let report = runtime.block_on(run(&inputs, log.as_deref(), &args.log_format, shipped))?;

    println!("== Incident timeline\n{}", report.timeline());
    println!("== Summary\n{}", report.summary_table());
    if let Some(text) = report.compliance_text() {
        println!("== Compliance of examples/data/manifests\n{text}");
    }
    let skills = aiops::ops::integrations::team_skills_report(&report, None)?;
    println!("== Team skills, weighted by this run's incidents\n{skills}");
    if let Some(path) = &args.json {
        let json = report.to_json().context("cannot serialise the report")?;
        write_atomically(path, json.as_bytes())?;
        println!("report written to {}", path.display());
    }
    if shipped {
        capacity()?;
        placement()?;
        canary()?;
        let ok = check_against_labels(&report)?;
        if !ok {
            return Ok(std::process::ExitCode::from(1));
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn run(
    inputs: &[PathBuf],
    log: Option<&Path>,
    log_format: &str,
    shipped_data: bool,
) -> anyhow::Result<Report> {
    // Real exports repeat or reorder rows (NAB's machine temperature file
    // repeats one hour): leave those rows out, list them, and count them in the report.
    let opts = CsvOptions {
        order: OrderPolicy::SkipAndReport,
    };
    let source = SeriesSource::from_csv_files_with(inputs, &opts)?;
    for (name, rows) in source.skipped() {
        if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
            println!(
                "note: {name}: {} row(s) out of time order left out (lines {}..{})",
                rows.len(),
                first.line,
                last.line
            );
        }
    }
    // Remediation: the guarded engine in dry run, its guards on data time
    // (this is a replay), with an approver so the critical path is planned in full.
    // When several runbooks match (warning: scale out or restart), a
    // Thompson-sampling bandit from aiops-rl chooses, learning from outcomes.
    let engine = RemediationEngine::builder()
        .approver(Arc::new(StaticApprover::approve_all()))
        .selector(Box::new(BanditSelector::new(
            BanditKind::ThompsonBernoulli,
            7,
        )));
    let mut builder = IntelligentOps::builder()
        .source(source)
        .remediation(GuardedRemediation::replay(engine)?);
    if let Some(log) = log {
        builder = builder.security_log(log, log_format);
    }
    if shipped_data {
        builder = builder.compliance_path(MANIFESTS);
    }
    let mut ops = builder.build()?;
    let tty = std::io::stderr().is_terminal();
    let report = ops
        .run_with_progress(|p| {
            if tty {
                let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
                eprint!(
                    "\r  {}{} points, {} incidents",
                    p.processed, total, p.incidents
                );
            }
        })
        .await?;
    if tty {
        eprintln!();
    }
    Ok(report)
}

/// Sizes a scaling group for the next day of the NYC taxi demand series:
/// forecast with intervals (aiops-forecast), then nodes and step scaling
/// (aiops-iac), taking one node to serve 5,000 requests per 30 minutes at 70 %.
fn capacity() -> anyhow::Result<()> {
    let load = aiops::core::read_nab_csv(TAXI)?;
    let plan = aiops::ops::integrations::capacity_from_forecast(&load, 48, 5_000.0, 0.7)?;
    println!("== Capacity plan for `{}` (next 48 half-hours)", load.key());
    println!("{}", plan.sizing.to_text());
    Ok(())
}

/// Hands a small placement problem to the quantum simulator and to a
/// classical solver and prints both answers: the next 8 half-hours of the
/// taxi demand forecast are 8 jobs to spread over 2 servers.
fn placement() -> anyhow::Result<()> {
    let load = aiops::core::read_nab_csv(TAXI)?;
    let r = aiops::ops::integrations::placement_from_forecast(&load, 8, 2)?;
    println!(
        "== Placement of the next 8 forecast half-hours of `{}` on {} servers ({} qubits)",
        load.key(),
        r.servers,
        r.qubits
    );
    println!(
        "{:<10} {:>22} {:>10} {:>9} {:>9}",
        "solver", "server loads", "imbalance", "feasible", "seconds"
    );
    let rows = r.qaoa.iter().chain(std::iter::once(&r.classical));
    for o in rows {
        let loads: Vec<String> = o
            .assignment
            .server_loads
            .iter()
            .map(|l| format!("{l:.0}"))
            .collect();
        println!(
            "{:<10} {:>22} {:>10.0} {:>9} {:>9.3}",
            o.method,
            loads.join(" / "),
            o.assignment.imbalance,
            o.feasible,
            o.seconds
        );
    }
    if let Some(why) = &r.qaoa_skipped {
        println!("qaoa skipped: {why}");
    }
    println!();
    Ok(())
}

/// One canary judgement on recorded metrics: the EC2 latency series' 6 hours
/// from the start of its first labelled failure window (2014-03-14 03:31)
/// judged against the 6 hours before, as Kayenta would judge a release that
/// shipped then (a before/after comparison, weaker than a real side-by-side canary).
fn canary() -> anyhow::Result<()> {
    let path = Path::new(DATA).join(SHIPPED[3]);
    let opts = CsvOptions {
        order: OrderPolicy::SkipAndReport,
    };
    let (latency, _skipped) = aiops::core::read_nab_csv_with(&path, &opts)?;
    let at = Timestamp::parse("2014-03-14T03:31:00Z")?;
    let mut metric = aiops::gitops::MetricConfig::new(latency.key().to_string());
    metric.direction = aiops::gitops::Direction::Increase;
    metric.critical = true;
    let config = aiops::gitops::JudgeConfig {
        metrics: vec![metric],
        ..aiops::gitops::JudgeConfig::default()
    };
    let j = aiops::ops::integrations::judge_before_after(
        std::slice::from_ref(&latency),
        at,
        6 * 3_600_000,
        config,
    )?;
    println!(
        "== Canary judgement: 6 h of `{}` from {at} against the 6 h before",
        latency.key()
    );
    for m in &j.metrics {
        match &m.test {
            Some(t) => println!(
                "{}: {} (U {:.0}, p {:.2e}, shift {:.1} [{:.1}, {:.1}] at 98 %, {} vs {} points)",
                m.name,
                m.classification,
                t.u,
                t.p_value,
                t.estimate,
                t.ci_low,
                t.ci_high,
                m.canary_count,
                m.baseline_count
            ),
            None => println!("{}: {} ({})", m.name, m.classification, m.reason),
        }
    }
    println!("score {:.0}, verdict {}\n", j.score, j.verdict);
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Checks the incidents on machine_temperature_system_failure against the
/// shipped NAB windows: at least 3 of the 4 windows contain an incident start,
/// and at most 5 incidents start outside every window.
fn check_against_labels(report: &Report) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(Path::new(DATA).join("labels/combined_windows.json"))
        .context("cannot read the shipped NAB labels")?;
    let labels: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&text).context("cannot parse the shipped NAB labels")?;
    let key = "realKnownCause/machine_temperature_system_failure.csv";
    let windows = labels
        .get(key)
        .with_context(|| format!("no labels for {key}"))?
        .iter()
        .map(|[a, b]| Ok((Timestamp::parse(a)?, Timestamp::parse(b)?)))
        .collect::<Result<Vec<_>, aiops::core::Error>>()?;
    let starts: Vec<Timestamp> = report
        .incidents
        .iter()
        .filter(|i| i.resource == "machine_temperature_system_failure")
        .map(|i| Timestamp::parse(&i.start))
        .collect::<Result<_, _>>()?;
    let hit = windows
        .iter()
        .filter(|(a, b)| starts.iter().any(|t| t >= a && t <= b))
        .count();
    let outside = starts
        .iter()
        .filter(|t| !windows.iter().any(|(a, b)| *t >= a && *t <= b))
        .count();
    println!("== Check against NAB labels (machine_temperature_system_failure)");
    for (a, b) in &windows {
        let n = starts.iter().filter(|t| *t >= a && *t <= b).count();
        println!("  window {a} .. {b}: {n} incident(s) opened inside");
    }
    let ok = hit >= 3 && outside <= 5;
    println!(
        "  windows with an incident: {hit}/{} (need >= 3); incidents outside every window: {outside} (need <= 5): {}",
        windows.len(),
        if ok { "PASS" } else { "FAIL" }
    );
    Ok(ok)
}
