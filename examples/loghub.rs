//! Loghub 2k harness: mines each system's `<S>_2k.log` with its built-in format,
//! writes `DIR/<S>_2k.log_structured.csv` (`LineId,<header fields>,Content,EventId,EventTemplate`)
//! and prints per-system and average grouping accuracy, parsing accuracy and lines/s.
//!
//! Run: `cargo run --release --example loghub -- --data ../shared/data/loghub --out DIR`
//! (add `--system OpenSSH` to run one system).

#![allow(clippy::print_stdout, reason = "a harness prints its result table")]

use std::path::PathBuf;
use std::time::Instant;

use aiops::secops::{
    LogFormat, grouping_accuracy, mine, parsing_accuracy, read_ground_truth, write_structured_csv,
};
use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let mut data: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            "--system" => only = args.next(),
            other => {
                bail!("unknown argument {other:?}; usage: --data DIR --out DIR [--system NAME]")
            }
        }
    }
    let data = data.context("--data DIR is required")?;
    let out = out.context("--out DIR is required")?;
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

    println!(
        "{:<12} {:>6} {:>9} {:>9} {:>10} {:>11} {:>9}",
        "system", "lines", "grouping", "parsing", "templates", "lines/s", "unmatched"
    );
    let (mut ga_sum, mut pa_sum, mut n) = (0.0, 0.0, 0usize);
    let (mut total_lines, mut total_secs) = (0u64, 0.0f64);
    for system in LogFormat::loghub_systems() {
        if only
            .as_deref()
            .is_some_and(|o| !o.eq_ignore_ascii_case(system))
        {
            continue;
        }
        let dir = data.join(system);
        let log_path = dir.join(format!("{system}_2k.log"));
        let truth_path = dir.join(format!("{system}_2k.log_structured.csv"));
        let format = LogFormat::builtin(system)?;
        let bytes = std::fs::read(&log_path)
            .with_context(|| format!("cannot read {}", log_path.display()))?;
        // Warm-up pass (page cache, allocator), then the timed pass: parse + mask + mine + merge.
        let _ = mine(&format, format.parse_bytes(&bytes))?;
        let reps = 5;
        let start = Instant::now();
        let mut mined = None;
        for _ in 0..reps {
            mined = Some(mine(&format, format.parse_bytes(&bytes))?);
        }
        let secs = start.elapsed().as_secs_f64() / f64::from(reps);
        let mined = mined.context("no run")?;
        let truth = read_ground_truth(&truth_path)?;
        let ga = grouping_accuracy(&truth.event_ids, &mined.events)?;
        let predicted: Vec<String> = mined
            .events
            .iter()
            .map(|id| mined.template_text(*id))
            .collect();
        let pa = parsing_accuracy(&truth.templates, &predicted)?;
        let file = std::fs::File::create(out.join(format!("{system}_2k.log_structured.csv")))?;
        write_structured_csv(std::io::BufWriter::new(file), &mined)?;
        let lines = mined.log.stats.lines;
        println!(
            "{:<12} {:>6} {:>9.4} {:>9.4} {:>10} {:>11.0} {:>9}",
            system,
            lines,
            ga,
            pa,
            mined.templates.len(),
            lines as f64 / secs,
            mined.log.stats.unmatched
        );
        ga_sum += ga;
        pa_sum += pa;
        n += 1;
        total_lines += lines;
        total_secs += secs;
    }
    if n > 0 {
        println!(
            "{:<12} {:>6} {:>9.4} {:>9.4} {:>10} {:>11.0}",
            "average",
            total_lines,
            ga_sum / n as f64,
            pa_sum / n as f64,
            "",
            total_lines as f64 / total_secs
        );
    }
    Ok(())
}
