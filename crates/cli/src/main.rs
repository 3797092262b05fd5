//! The `aiops` command-line tool.
//!
//! Conventions shared by every subcommand: input files are arguments and `-`
//! reads standard input; `--json` prints machine-readable output on stdout,
//! otherwise a human-readable table; the exit code is 0 on success, 1 when a
//! check subcommand has findings, and 2 on bad input, with one clear line on
//! standard error.

#![allow(clippy::print_stdout, reason = "a CLI prints its results")]
#![allow(clippy::print_stderr, reason = "a CLI reports errors on stderr")]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` that returns the write error to the caller instead of panicking,
/// so a closed pipe (`aiops run ... | head`) ends the command quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

mod cmd;

/// AIOps on files: detect anomalies, forecast, remediate safely, check compliance.
#[derive(Debug, Parser)]
#[command(name = "aiops", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of aiops and of each crate compiled in.
    Version(cmd::version::Args),
    /// Run the IntelligentOps orchestrator over metric CSV files and print the incident timeline.
    Run(cmd::run::Args),
    /// Check metric CSV files and report their shape, gaps and missing points.
    Validate(cmd::validate::Args),
    /// Rank likely root-cause services from a dependency graph and per-service metrics.
    Rca(cmd::rca::Args),
    /// Forecast a metric CSV with intervals, or the probability of crossing a threshold.
    Forecast(cmd::forecast::Args),
    /// Reinforcement learning: `rl autoscale` trains an autoscaler and compares it with the Kubernetes HPA.
    Rl(cmd::rl::Args),
    /// Score every row of a CSV with an anomaly detector and write one score per row.
    Detect(cmd::detect::Args),
    /// Team skills: gaps, coverage and learning paths (`plan`), BKT fitting (`bkt-fit`).
    Skills(cmd::skills::Args),
    /// Log template mining and threat detection: `logs parse`, `logs threats`.
    Logs(cmd::logs::Args),
    /// Compliance: `policy check` manifests with native checks (and fix them), `policy verify` Gatekeeper suites.
    Policy(cmd::policy::Args),
    /// Infrastructure as code: Terraform plan risk and capacity sizing.
    Iac(cmd::iac::Args),
    /// Quantum: QAOA MaxCut (`quantum maxcut`), load balancing (`quantum balance`), post-quantum `quantum readiness`.
    Quantum(cmd::quantum::Args),
    /// Canary analysis: `canary judge` a canary against its baseline (Kayenta-style Mann-Whitney judge).
    Canary(cmd::canary::Args),
    /// Progressive delivery: `rollout simulate` an Argo Rollout or Flagger Canary against recorded metrics.
    Rollout(cmd::rollout::Args),
    // Each capability issue adds its subcommand here and in `run` below.
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version(a) => cmd::version::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Rca(a) => cmd::rca::run(a),
        Command::Iac(a) => cmd::iac::run(a),
        Command::Forecast(a) => cmd::forecast::run(a),
        Command::Logs(a) => cmd::logs::run(a),
        Command::Policy(a) => cmd::policy::run(a),
        Command::Rl(a) => cmd::rl::run(a),
        Command::Detect(a) => cmd::detect::run(a),
        Command::Skills(a) => cmd::skills::run(a),
        Command::Quantum(a) => cmd::quantum::run(a),
        Command::Canary(a) => cmd::canary::run(a),
        Command::Rollout(a) => cmd::rollout::run(a),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`| head`): stop quietly with the status of a
        // process killed by SIGPIPE (128 + 13), as coreutils do. Not 0: the
        // command did not finish, and a check's findings may be unprinted,
        // so `set -o pipefail` scripts must not read it as success.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            // One line: the chain of causes joined by ": ".
            eprintln!("aiops: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error comes from writing to a pipe whose reader has closed.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Help and version go out as clap renders them; a usage error becomes one
/// line on stderr (the error and the usage) with exit code 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // Nothing useful to do if the terminal is gone.
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
        _ => {
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim);
            let first = lines.next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // "the following required arguments were not provided:" lists
            // the arguments on the lines after it, up to a blank line.
            let listed: Vec<&str> = if first.ends_with(':') {
                lines.take_while(|l| !l.is_empty()).collect()
            } else {
                Vec::new()
            };
            let first = if listed.is_empty() {
                first.to_owned()
            } else {
                format!("{} {}", first, listed.join(", "))
            };
            let usage = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage: "))
                .map(|u| format!("; usage: {u}"))
                .unwrap_or_default();
            eprintln!("aiops: error: {first}{usage}");
            ExitCode::from(2)
        }
    }
}
