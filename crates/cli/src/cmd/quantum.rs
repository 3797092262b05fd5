//! `aiops quantum`: QAOA MaxCut, load balancing as QUBO, post-quantum readiness.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::quantum_sim::readiness::{MAX_YEARS, ReadinessConfig, scan};
use aiops::quantum_sim::{
    BalanceOptions, DEFAULT_QAOA_MAX_QUBITS, Graph, MAX_LAYERS, Qaoa, QaoaOptions, SimConfig,
    balance_jobs,
};
use anyhow::{Context, bail};

use super::input;

/// Arguments of `aiops quantum`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: QuantumCommand,
}

#[derive(Debug, clap::Subcommand)]
enum QuantumCommand {
    /// QAOA for MaxCut: evaluate given angles or optimise them; print the expected and best cut.
    Maxcut {
        /// Edge list CSV `from,to[,weight]` with non-negative integer node ids
        /// (header optional; each undirected edge once); `-` reads standard input.
        #[arg(long)]
        graph: PathBuf,
        /// Number of QAOA layers (1 to 100).
        #[arg(long, default_value_t = 1)]
        p: usize,
        /// Cost angles, comma-separated, one per layer (with --beta: evaluate instead of optimise).
        #[arg(
            long,
            value_delimiter = ',',
            requires = "beta",
            allow_negative_numbers = true
        )]
        gamma: Option<Vec<f64>>,
        /// Mixer angles, comma-separated, one per layer.
        #[arg(
            long,
            value_delimiter = ',',
            requires = "gamma",
            allow_negative_numbers = true
        )]
        beta: Option<Vec<f64>>,
        /// Seed of the optimiser restarts and the sampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Largest graph (one qubit per node) whose angles are optimised; above it the command
        /// exits with code 2. Optimisation time doubles or more per extra qubit (the default
        /// takes seconds at --p 1). Evaluating given --gamma/--beta is bounded only by the
        /// simulator's 4 GiB memory limit (27 qubits).
        #[arg(long, default_value_t = DEFAULT_QAOA_MAX_QUBITS)]
        max_qubits: usize,
        /// Print `{"expected_cut":..,"best_cut":..,"gamma":[..],"beta":[..]}`.
        #[arg(long)]
        json: bool,
    },
    /// Balance job loads over servers with QAOA (small sizes) and an exact or annealing solver.
    Balance {
        /// Job loads, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        loads: Vec<f64>,
        /// Number of servers (at least 2; jobs x servers at most 2048).
        #[arg(long, default_value_t = 2)]
        servers: usize,
        /// Largest QUBO (qubits: jobs for 2 servers, jobs x servers otherwise) solved with QAOA;
        /// above it QAOA is skipped and said so, the classical row is still printed.
        #[arg(long, default_value_t = DEFAULT_QAOA_MAX_QUBITS)]
        max_qubits: usize,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Scan a folder for certificates, keys and TLS/SSH configuration; rank migration with
    /// Mosca's inequality. Exit code 1 when a use is at risk (x + y > z).
    Readiness {
        /// File or folder to scan (standard input is not supported).
        path: PathBuf,
        /// z: years until a cryptographically relevant quantum computer (0 to 1000).
        #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
        crqc_years: f64,
        /// x for key exchange and encryption: years recorded traffic must stay secret (0 to 1000).
        #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
        secrecy_years: f64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        QuantumCommand::Maxcut {
            graph,
            p,
            gamma,
            beta,
            seed,
            max_qubits,
            json,
        } => maxcut(&graph, p, gamma.zip(beta), seed, max_qubits, json),
        QuantumCommand::Balance {
            loads,
            servers,
            max_qubits,
            json,
        } => balance(&loads, servers, max_qubits, json),
        QuantumCommand::Readiness {
            path,
            crqc_years,
            secrecy_years,
            json,
        } => readiness(&path, crqc_years, secrecy_years, json),
    }
}

fn maxcut(
    path: &std::path::Path,
    p: usize,
    angles: Option<(Vec<f64>, Vec<f64>)>,
    seed: u64,
    max_qubits: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if p == 0 {
        bail!("--p must be at least 1");
    }
    if p > MAX_LAYERS {
        bail!("--p {p}: QAOA supports at most {MAX_LAYERS} layers");
    }
    let g = Graph::parse_csv(&input::display_name(path), &input::read_to_string(path)?)?;
    let qubits = g.num_nodes();
    if angles.is_none() && qubits > max_qubits {
        bail!(
            "graph {} has {qubits} nodes, {qubits} qubits: above --max-qubits {max_qubits} for \
             optimising QAOA angles (time doubles or more per qubit); raise the cap with \
             --max-qubits {qubits}, or evaluate given angles with --gamma and --beta",
            g.name()
        );
    }
    let qaoa = Qaoa::maxcut(&g, &SimConfig::default())
        .with_context(|| format!("graph {} ({qubits} nodes, one qubit each)", g.name()))?;
    let opts = QaoaOptions {
        seed,
        ..QaoaOptions::default()
    };
    let r = match angles {
        Some((gm, bt)) => {
            if gm.len() != p || bt.len() != p {
                bail!(
                    "--gamma and --beta need {p} values each (one per layer), got {} and {}",
                    gm.len(),
                    bt.len()
                );
            }
            qaoa.evaluate(&gm, &bt, &opts)?
        }
        None => qaoa.optimize(p, &opts)?,
    };
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "expected_cut": r.expected,
                "best_cut": r.best_value,
                "gamma": r.gamma,
                "beta": r.beta,
            })
        );
    } else {
        let (_, optimum) = qaoa.diagonal().max();
        let side: Vec<String> = g
            .labels()
            .iter()
            .enumerate()
            .filter(|(i, _)| r.best_bitstring >> i & 1 == 1)
            .map(|(_, l)| l.to_string())
            .collect();
        outln!(
            "graph {} ({} nodes, {} edges), p = {p}",
            g.name(),
            g.num_nodes(),
            g.edges().len()
        );
        outln!("expected cut  {}", input::num(r.expected));
        outln!(
            "best cut      {}  (maximum cut {})",
            input::num(r.best_value),
            input::num(optimum)
        );
        outln!("one side      {{{}}}", side.join(", "));
        outln!("gamma         {:?}", r.gamma);
        outln!("beta          {:?}", r.beta);
    }
    Ok(ExitCode::SUCCESS)
}

fn balance(
    loads: &[f64],
    servers: usize,
    max_qubits: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let options = BalanceOptions {
        qaoa_max_qubits: max_qubits,
        ..BalanceOptions::default()
    };
    let mut report = balance_jobs(loads, servers, &options)?;
    if report.qaoa.is_none() && report.qubits > max_qubits {
        // Name the option, not the library field.
        report.qaoa_skipped = Some(format!(
            "{} qubits > --max-qubits {max_qubits}; raise the cap with --max-qubits {} \
             (QAOA time doubles or more per qubit)",
            report.qubits, report.qubits
        ));
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string(&report).context("cannot encode the report")?
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} jobs on {} servers, {} qubits{}",
        loads.len(),
        servers,
        report.qubits,
        report
            .penalty
            .map(|p| format!(", one-hot penalty {p:.3}"))
            .unwrap_or_default()
    );
    outln!(
        "{:<10} {:>10} {:>10} {:>9} {:>9}  servers (job indices)",
        "method",
        "makespan",
        "imbalance",
        "feasible",
        "seconds"
    );
    let mut rows = vec![&report.classical];
    if let Some(q) = &report.qaoa {
        rows.push(q);
    }
    for o in rows {
        let a = &o.assignment;
        let groups: Vec<String> = (0..servers)
            .map(|s| {
                let jobs: Vec<String> = a
                    .server_of_job
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x == s)
                    .map(|(j, _)| j.to_string())
                    .collect();
                format!("{}={{{}}}", s, jobs.join(","))
            })
            .collect();
        outln!(
            "{:<10} {:>10} {:>10} {:>9} {:>9.3}  {}",
            o.method,
            aiops::core::Fixed(a.makespan, 3),
            aiops::core::Fixed(a.imbalance, 3),
            o.feasible,
            o.seconds,
            groups.join(" ")
        );
    }
    if let Some(why) = &report.qaoa_skipped {
        outln!("qaoa skipped: {why}");
    }
    if report.qaoa.as_ref().is_some_and(|q| !q.feasible) {
        outln!(
            "note: no QAOA sample satisfied the one-hot constraints (one server per job); \
             the qaoa row shows the lowest-energy sample repaired into a valid assignment"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn readiness(
    path: &std::path::Path,
    crqc_years: f64,
    secrecy_years: f64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if path == std::path::Path::new("-") {
        bail!("readiness scans a path; standard input is not supported");
    }
    for (flag, v) in [
        ("--crqc-years", crqc_years),
        ("--secrecy-years", secrecy_years),
    ] {
        if !v.is_finite() || !(0.0..=MAX_YEARS).contains(&v) {
            bail!(
                "{flag} {}: must be a finite number of years between 0 and {MAX_YEARS}",
                aiops::core::Num(v)
            );
        }
    }
    let cfg = ReadinessConfig {
        years_to_crqc: crqc_years,
        confidentiality_years: secrecy_years,
        ..ReadinessConfig::default()
    };
    let report = scan(path, &cfg)?;
    if report.files_scanned == 0 && report.issues.is_empty() {
        // An empty directory (or a mount that is not there) is not "no risk".
        bail!("nothing to scan in {}: no files", path.display());
    }
    if report.nothing_readable() {
        bail!(
            "nothing readable in {}: {} problem(s), first {}",
            path.display(),
            report.issues.len(),
            report.issues[0]
        );
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string(&report).context("cannot encode the report")?
        );
    } else {
        // Problems first, so they are not lost below a long table.
        for i in &report.issues {
            if i.skipped {
                outln!("skipped: {}: {}", i.path.display(), i.message);
            } else {
                outln!("unreadable: {}: {}", i.path.display(), i.message);
            }
        }
        outln!(
            "{} files scanned, {} skipped, {} cryptographic uses, {} need migration, {} at risk (x + y > z = {crqc_years})",
            report.files_scanned,
            report.skipped(),
            report.uses.len(),
            report.roadmap.len(),
            report.at_risk()
        );
        outln!(
            "{:>4} {:<16} {:<20} {:>5} {:>7}  {:<40} action",
            "rank",
            "vulnerability",
            "algorithm",
            "bits",
            "x+y-z",
            "where"
        );
        for it in &report.roadmap {
            let u = &it.crypto_use;
            let place = match u.line {
                Some(l) => format!("{}:{l}", u.path.display()),
                None => u.path.display().to_string(),
            };
            outln!(
                "{:>4} {:<16} {:<20} {:>5} {:>7.1}  {:<40} {}",
                it.rank,
                format!("{:?}", u.vulnerability),
                u.algorithm,
                u.key_bits.map(|b| b.to_string()).unwrap_or_default(),
                it.mosca.margin,
                place,
                it.action
            );
        }
    }
    Ok(if report.at_risk() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
