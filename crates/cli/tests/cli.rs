//! End-to-end tests of the `aiops` binary: exit codes and output shapes.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn aiops(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn csv(n: usize, spike_at: usize) -> String {
    let mut s = String::from("timestamp,value\n");
    for i in 0..n {
        let v = if i == spike_at {
            900.0
        } else {
            50.0 + (i % 5) as f64
        };
        s.push_str(&format!("{},{v}\n", 1_400_000_000 + 300 * i));
    }
    s
}

#[test]
fn help_lists_the_subcommands() {
    let out = aiops(&["--help"], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["version", "run", "validate"] {
        assert!(text.contains(sub), "{sub} missing from --help:\n{text}");
    }
}

#[test]
fn version_prints_the_crates() {
    let out = aiops(&["version", "--json"], None);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        v["crates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "aiops-core")
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for (args, stdin, needle) in [
        (vec!["run", "/definitely/missing.csv"], None, "missing.csv"),
        (
            vec!["run", "-"],
            Some("timestamp,value\n2014-01-01 00:00:00,abc\n"),
            "stdin:2:2",
        ),
        (vec!["validate", "-"], Some(""), "empty input"),
        (
            vec!["run", "-"],
            Some("timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n"),
            "--skip-unsorted",
        ),
    ] {
        let out = aiops(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // clap's own usage errors also exit 2.
    assert_eq!(aiops(&["run"], None).status.code(), Some(2));
}

#[test]
fn run_reads_stdin_and_prints_json() {
    let out = aiops(&["run", "--json", "-"], Some(&csv(600, 500)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["points"], 600);
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{v}");
    assert_eq!(incidents[0]["resource"], "stdin");
}

#[test]
fn validate_counts_missing_points() {
    let out = aiops(
        &["validate", "--json", "-"],
        Some(
            "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,\n2014-01-01 00:10:00,2\n",
        ),
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["series"][0]["missing"], 1);
    assert_eq!(v["series"][0]["points"], 3);
}

#[test]
fn validate_skips_unsorted_rows_only_when_asked() {
    let text =
        "timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n2014-01-01 00:10:00,3\n";
    assert_eq!(aiops(&["validate", "-"], Some(text)).status.code(), Some(2));
    let out = aiops(&["validate", "--skip-unsorted", "--json", "-"], Some(text));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["series"][0]["points"], 2);
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("1 row(s) out of time order")
    );
}

/// The directory of the workspace's shipped example data.
fn data(rel: &str) -> String {
    format!("{}/../../examples/data/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    // `aiops run ... | head -c 1`: the reader goes away after one byte.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(["detect", "--method", "robust", "--output", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = csv(20_000, 500);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut one).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn usage_errors_are_one_line_with_the_usage() {
    let out = aiops(&["run", "--no-such-flag", "x.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--no-such-flag") && err.contains("usage: aiops run"),
        "{err}"
    );
}

#[test]
fn detect_writes_scores_to_stdout_with_dash() {
    let out = aiops(
        &["detect", "--method", "robust", "--output", "-", "-"],
        Some(&csv(600, 500)),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,score"));
    assert_eq!(lines.count(), 600);
    assert!(!std::path::Path::new("-").exists(), "wrote a file named -");
    // Both on stdout would interleave: refused.
    let out = aiops(
        &[
            "detect", "--method", "robust", "--json", "--output", "-", "-",
        ],
        Some(&csv(50, 40)),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn forecast_json_without_threshold_prints_the_forecast_as_json() {
    let out = aiops(
        &[
            "forecast",
            "--horizon",
            "12",
            "--model",
            "snaive",
            "--json",
            "-",
        ],
        Some(&csv(600, 10_000)),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    for p in points {
        let (lo, mean, hi) = (
            p["lower"].as_f64().unwrap(),
            p["mean"].as_f64().unwrap(),
            p["upper"].as_f64().unwrap(),
        );
        assert!(lo <= mean && mean <= hi, "{p}");
    }
}

#[test]
fn empty_or_foreign_inputs_are_errors_not_clean_reports() {
    // No resources: a score of 100 would read as compliant.
    let out = aiops(&["policy", "check", "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("no resources")
    );
    // No log lines, or none in the declared format.
    let out = aiops(&["logs", "threats", "--format", "OpenSSH", "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    let out = aiops(
        &["logs", "threats", "--format", "OpenSSH", "-"],
        Some("garbage\nmore garbage\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("none of the 2 lines"), "{err}");
}

#[test]
fn the_same_series_twice_is_named_in_the_error() {
    let f = data("nab/realKnownCause/nyc_taxi.csv");
    let out = aiops(&["run", &f, &f], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("both give series `nyc_taxi`"), "{err}");
}
