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
    // Each capability issue adds its subcommand here and in `run` below.
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version(a) => cmd::version::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Validate(a) => cmd::validate::run(a),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line: the chain of causes joined by ": ".
            eprintln!("aiops: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
