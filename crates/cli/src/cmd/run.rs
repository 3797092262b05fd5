//! `aiops run`: the orchestrator over metric CSV files (being written).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `aiops run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// NAB-style CSV files (`timestamp,value`); the file stem names the resource.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("aiops run is not wired yet")
}
