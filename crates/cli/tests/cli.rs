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
