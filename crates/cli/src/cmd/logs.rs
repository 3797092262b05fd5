//! `aiops logs`: parse logs into structured CSV, and find threats in them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aiops::secops::{
    DetectorConfig, LogFormat, MinedLog, Threat, detect_threats, load_rules_dir, mine,
    write_structured_csv,
};
use anyhow::Context;

use super::input;

/// Arguments of `aiops logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: LogsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LogsCommand {
    /// Mine templates and write `LineId,<header fields>,Content,EventId,EventTemplate` CSV to stdout.
    Parse {
        /// Log format: a Loghub system name (OpenSSH, Linux, HDFS, ...), `syslog` or `jsonl`.
        #[arg(long)]
        format: String,
        /// Log file; `-` for stdin.
        file: PathBuf,
    },
    /// Print bans (fail2ban sshd jail), scans, Sigma matches and log anomalies.
    Threats {
        /// Log format: a Loghub system name (OpenSSH, Linux, HDFS, ...), `syslog` or `jsonl`.
        #[arg(long)]
        format: String,
        /// Directory of Sigma rules (`*.yml`, `*.yaml`).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Log file; `-` for stdin.
        file: PathBuf,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

fn read_mined(format: &str, file: &Path) -> anyhow::Result<MinedLog> {
    let format = LogFormat::builtin(format)?;
    let bytes = if file == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    Ok(mine(&format, format.parse_bytes(&bytes))?)
}

fn threat_json(t: &Threat) -> serde_json::Value {
    serde_json::json!({
        "kind": t.kind.as_str(),
        "rule": match &t.kind { aiops::secops::ThreatKind::Sigma { rule } => Some(rule.clone()), _ => None },
        "severity": t.severity.as_str(),
        "source": t.source,
        "start": t.start.map(|x| x.to_string()),
        "end": t.end.map(|x| x.to_string()),
        "count": t.count,
        "lines": t.lines,
        "summary": t.summary,
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        LogsCommand::Parse { format, file } => {
            let mined = read_mined(&format, &file)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_structured_csv(&mut out, &mined)?;
            out.flush()?;
            let s = mined.log.stats;
            if s.unmatched + s.lossy + s.truncated > 0 {
                eprintln!(
                    "aiops: {}: {} lines, {} unmatched (kept), {} invalid UTF-8 (kept lossily), {} longer than 1 MiB (truncated for mining)",
                    input::display_name(&file),
                    s.lines,
                    s.unmatched,
                    s.lossy,
                    s.truncated
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LogsCommand::Threats {
            format,
            rules,
            file,
            json,
        } => {
            let mined = read_mined(&format, &file)?;
            let rules = match &rules {
                Some(d) => load_rules_dir(d)?,
                None => Vec::new(),
            };
            let report = detect_threats(&mined, &rules, &DetectorConfig::default())?;
            let pick = |names: &[&str]| -> Vec<&Threat> {
                report
                    .threats
                    .iter()
                    .filter(|t| names.contains(&t.kind.as_str()))
                    .collect()
            };
            let scans = pick(&["port_scan", "connection_flood"]);
            let sigma = pick(&["sigma"]);
            let anomalies = pick(&["new_template", "frequency_spike"]);
            if json {
                let bans: Vec<_> = report
                    .bans
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "address": b.address.to_string(),
                            "start": b.start.to_string(),
                            "end": b.end.to_string(),
                            "failures": b.failures,
                        })
                    })
                    .collect();
                let v = serde_json::json!({
                    "file": input::display_name(&file),
                    "lines": mined.log.stats.lines,
                    "unmatched": mined.log.stats.unmatched,
                    "bans": bans,
                    "scans": scans.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                    "sigma": sigma.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                    "anomalies": anomalies.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                });
                println!("{v}");
            } else {
                println!("bans ({}):", report.bans.len());
                println!(
                    "  {:<40} {:<24} {:<24} {:>8}",
                    "address", "start", "end", "failures"
                );
                for b in &report.bans {
                    println!(
                        "  {:<40} {:<24} {:<24} {:>8}",
                        b.address.to_string(),
                        b.start.to_string(),
                        b.end.to_string(),
                        b.failures
                    );
                }
                for (title, list) in [
                    ("scans", &scans),
                    ("sigma matches", &sigma),
                    ("log anomalies", &anomalies),
                ] {
                    println!("{title} ({}):", list.len());
                    for t in list.iter() {
                        println!("  [{}] {}", t.severity, t.summary);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
