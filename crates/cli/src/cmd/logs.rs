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
    ///
    /// Header fields are written as they appear in the log (a syslog
    /// `Dec 10 06:55:46` stays so) and no time column is added, so `--year`
    /// has nothing to change here and is refused: it is an option of `logs threats`.
    Parse {
        /// Log format: a Loghub system name (OpenSSH, Linux, HDFS, ...), `syslog` or `jsonl`.
        #[arg(long)]
        format: String,
        /// Log file; `-` for stdin.
        file: PathBuf,
        /// Refused with a message saying why (see above); hidden from the options.
        #[arg(long, hide = true, value_name = "YEAR")]
        year: Option<String>,
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
        /// Year for timestamps that carry none (syslog-style `Dec 10 06:55:46`), 1970 to 9999.
        #[arg(
            long,
            default_value_t = aiops::secops::DEFAULT_ASSUMED_YEAR,
            value_parser = clap::value_parser!(i32).range(YEARS),
        )]
        year: i32,
    },
}

/// Years `--year` accepts: Unix time onwards, four digits (a larger year reads
/// no timestamp at all, so it is refused rather than silently timeless).
const YEARS: std::ops::RangeInclusive<i64> = 1970..=9999;

fn read_mined(format: &str, file: &Path, year: i32) -> anyhow::Result<MinedLog> {
    let format = LogFormat::builtin(format)?.with_assumed_year(year);
    let bytes = if file == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let mined = mine(&format, format.parse_bytes(&bytes))?;
    let s = mined.log.stats;
    let name = input::display_name(file);
    if s.lines == 0 {
        anyhow::bail!("{name}: no log lines");
    }
    if s.unmatched == s.lines {
        anyhow::bail!(
            "{name}: none of the {} lines matches the `{}` header format (is --format right?)",
            s.lines,
            format.name()
        );
    }
    if s.unmatched + s.lossy + s.truncated > 0 {
        eprintln!(
            "aiops: {name}: {} lines, {} unmatched (kept), {} invalid UTF-8 (kept lossily), {} longer than 1 MiB (truncated for mining)",
            s.lines, s.unmatched, s.lossy, s.truncated
        );
    }
    Ok(mined)
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
        LogsCommand::Parse { format, file, year } => {
            if year.is_some() {
                anyhow::bail!(
                    "--year does not apply to `logs parse`: its CSV keeps the header fields as written and has no time column (`logs threats --year` reads times)"
                );
            }
            let mined = read_mined(&format, &file, aiops::secops::DEFAULT_ASSUMED_YEAR)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_structured_csv(&mut out, &mined)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        LogsCommand::Threats {
            format,
            rules,
            file,
            json,
            year,
        } => {
            let mined = read_mined(&format, &file, year)?;
            let rules = match &rules {
                Some(d) => load_rules_dir(d)?,
                None => Vec::new(),
            };
            let report = detect_threats(&mined, &rules, &DetectorConfig::default())?;
            // Lines without a time are kept for the other detectors, but the
            // jail windows on time and skips them: say so, as for unmatched lines.
            let untimed = mined.log.stats.bad_timestamps;
            let first_untimed = mined.log.first_bad_timestamp_line();
            if untimed > 0 {
                let first = first_untimed.map_or(String::new(), |l| format!(" (first: line {l})"));
                eprintln!(
                    "aiops: warning: {}: {untimed} line(s) have no readable timestamp{first}; the brute-force jail skips them",
                    input::display_name(&file)
                );
            }
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
                    "untimed_lines": untimed,
                    "first_untimed_line": first_untimed,
                    "bans": bans,
                    "scans": scans.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                    "sigma": sigma.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                    "anomalies": anomalies.iter().map(|t| threat_json(t)).collect::<Vec<_>>(),
                });
                outln!("{v}");
            } else {
                outln!("bans ({}):", report.bans.len());
                outln!(
                    "  {:<40} {:<24} {:<24} {:>8}",
                    "address",
                    "start",
                    "end",
                    "failures"
                );
                for b in &report.bans {
                    outln!(
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
                    outln!("{title} ({}):", list.len());
                    for t in list.iter() {
                        outln!("  [{}] {}", t.severity, t.summary);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
