//! `aiops version`.

use std::process::ExitCode;

/// Arguments of `aiops version`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let crates = aiops::compiled_crates();
    if args.json {
        let v = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "crates": crates,
        });
        outln!("{v}");
    } else {
        outln!("aiops {}", env!("CARGO_PKG_VERSION"));
        outln!("crates: {}", crates.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
