//! End-to-end tests of the `aiops` binary: exit codes and output shapes.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::aiops;

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
    let rows = csv(50, 10);
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
        // Options the threshold mode would ignore are refused, not dropped.
        (
            vec![
                "forecast",
                "--threshold",
                "5",
                "--horizon",
                "3",
                "--model",
                "naive",
                "-",
            ],
            Some("timestamp,value\n"),
            "--model",
        ),
        (
            vec![
                "rca",
                "--graph",
                "g.csv",
                "--metrics",
                "m.csv",
                "--start",
                "0",
                "--top",
                "0",
            ],
            None,
            "--top must be at least 1",
        ),
        // Limits and numbers in messages: short, naming the flag.
        (
            vec!["forecast", "--horizon", "1000000000000", "-"],
            Some("timestamp,value\n"),
            "--horizon 1000000000000 must be between 1 and 100000 steps",
        ),
        (
            vec!["run", "--quiet-hours", "1e300", "-"],
            Some(rows.as_str()),
            "got 1e300",
        ),
        (
            vec!["run", "--horizon-hours", "1e-300", "-"],
            Some(rows.as_str()),
            "--horizon-hours 1e-300 is under a millisecond",
        ),
        (
            vec!["validate", "-"],
            Some("timestamp,value\n2014-01-01 00:00:00\n"),
            "stdin:2:2: row has 1 column(s)",
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
    assert_eq!(v["series"][0]["skipped_rows"], 0);
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
    assert_eq!(v["series"][0]["skipped_rows"], 1);
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
    assert!(err.is_empty(), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

#[test]
fn missing_arguments_are_named_on_the_one_line() {
    let out = aiops(&["detect", "x.csv"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("not provided: --method <METHOD>, --output <OUTPUT>"),
        "{err}"
    );
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

fn gitops_stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn canary_metric_missing_from_one_input_is_an_input_error() {
    let canary = std::fs::read_to_string(data("gitops/canary.csv"))
        .unwrap()
        .replace("latency_p99_ms", "latency_p99");
    let out = aiops(
        &[
            "canary",
            "judge",
            "--baseline",
            &data("gitops/baseline.csv"),
            "--canary",
            "-",
            "--config",
            &data("gitops/judge.yaml"),
        ],
        Some(&canary),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("metric `latency_p99_ms` is in ") && err.contains("missing from stdin"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn canary_configured_metric_in_neither_input_is_shown() {
    let config = std::fs::read_to_string(data("gitops/judge.yaml")).unwrap()
        + "  - name: disk_util\n    group: saturation\n";
    let out = aiops(
        &[
            "canary",
            "judge",
            "--baseline",
            &data("gitops/baseline.csv"),
            "--canary",
            &data("gitops/canary.csv"),
            "--config",
            "-",
        ],
        Some(&config),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = text.lines().find(|l| l.starts_with("disk_util")).unwrap();
    assert!(row.contains("NoData (absent)"), "{row}");
    assert!(
        text.contains("note: `disk_util` is in the judge config but in neither"),
        "{text}"
    );
}

#[test]
fn canary_reports_missing_removed_in_table_and_json() {
    // Blank the latency cell of the second data row.
    let baseline: String = std::fs::read_to_string(data("gitops/baseline.csv"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells[1] = "";
                cells.join(",") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let args = |json: bool| {
        let mut a = vec![
            "canary".to_owned(),
            "judge".to_owned(),
            "--baseline".to_owned(),
            "-".to_owned(),
            "--canary".to_owned(),
            data("gitops/canary.csv"),
        ];
        if json {
            a.push("--json".to_owned());
        }
        a
    };
    let a = args(true);
    let out = aiops(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(&baseline),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let metrics = v["metrics"].as_array().unwrap();
    let lat = metrics
        .iter()
        .find(|m| m["name"] == "latency_p99_ms")
        .unwrap();
    assert_eq!(lat["missing_removed"], 1);
    let keys: Vec<&str> = lat
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "name",
        "classification",
        "u",
        "p_value",
        "ci_low",
        "ci_high",
    ] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert!(
        metrics
            .iter()
            .filter(|m| m["name"] != "latency_p99_ms")
            .all(|m| m["missing_removed"] == 0)
    );
    let a = args(false);
    let out = aiops(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(&baseline),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().ends_with("missing"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("latency_p99_ms"))
        .unwrap();
    assert!(row.ends_with(" 1"), "{row}");
}

#[test]
fn canary_huge_values_are_rejected_with_file_and_line() {
    let baseline = "timestamp,lat\n1,10\n2,1e308\n3,12\n";
    let out = aiops(
        &[
            "canary",
            "judge",
            "--baseline",
            "-",
            "--canary",
            &data("gitops/canary.csv"),
        ],
        Some(baseline),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("stdin:3:2: value 1e308 exceeds"), "{err}");
}

#[test]
fn canary_and_rollout_refuse_two_standard_inputs() {
    let out = aiops(
        // No input: the command refuses before reading (a write could race its exit).
        &["canary", "judge", "--baseline", "-", "--canary", "-"],
        None,
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("only one input can be standard input"),
        "{err}"
    );
    let out = aiops(&["rollout", "simulate", "-", "--metrics", "-"], None);
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("only one input can be standard input"),
        "{err}"
    );
}

#[test]
fn config_validation_errors_name_the_file() {
    let out = aiops(
        &[
            "canary",
            "judge",
            "--baseline",
            &data("gitops/baseline.csv"),
            "--canary",
            &data("gitops/canary.csv"),
            "--config",
            "-",
        ],
        Some("thresholds: {pass: 75, marginal: 95}\n"),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("aiops: error: stdin: judge config: thresholds"),
        "{err}"
    );
    let rollout = std::fs::read_to_string(data("gitops/rollout.yaml"))
        .unwrap()
        .replace("setWeight: 60", "setWeight: 150");
    let out = aiops(
        &[
            "rollout",
            "simulate",
            "-",
            "--metrics",
            &data("gitops/metrics.csv"),
        ],
        Some(&rollout),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("aiops: error: stdin: strategy:"), "{err}");
    assert!(err.contains("150"), "{err}");
}

#[test]
fn rollout_measurements_outside_the_metrics_are_input_errors() {
    let rollout = data("gitops/rollout.yaml");
    let full = std::fs::read_to_string(data("gitops/metrics.csv")).unwrap();
    // `head -5`: the data ends before the first analysis finishes.
    let head: String = full.lines().take(5).map(|l| format!("{l}\n")).collect();
    let out = aiops(
        &["rollout", "simulate", &rollout, "--metrics", "-"],
        Some(&head),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("stdin: recorded metrics: metric `success_rate`: no data at ")
            && err.contains("after the recording")
            && err.contains("the recording covers "),
        "{err}"
    );
    for start in ["2030-01-01T00:00:00Z", "1700000000"] {
        let out = aiops(
            &[
                "rollout",
                "simulate",
                &rollout,
                "--metrics",
                "-",
                "--start",
                start,
            ],
            Some(&full),
        );
        let err = gitops_stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("is outside the metrics data in stdin"),
            "{err}"
        );
    }
    // The full data still completes the steps up to the final pause.
    let out = aiops(
        &["rollout", "simulate", &rollout, "--metrics", "-"],
        Some(&full),
    );
    assert_eq!(out.status.code(), Some(0), "{}", gitops_stderr(&out));
}

#[test]
fn rollout_unknown_metrics_are_input_errors_not_aborts() {
    // A metric column missing from the CSV.
    let only_success: String = std::fs::read_to_string(data("gitops/metrics.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let out = aiops(
        &[
            "rollout",
            "simulate",
            &data("gitops/rollout.yaml"),
            "--metrics",
            "-",
        ],
        Some(&only_success),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("metric `latency_p99_ms`: not in the recorded metrics"),
        "{err}"
    );
    // A Flagger Canary naming a metric the CSV does not have.
    let flagger = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo}\n\
        spec:\n  analysis:\n    interval: 1m\n    threshold: 2\n    stepWeight: 20\n    maxWeight: 60\n\
        \x20   metrics:\n    - name: request-success-rate\n      thresholdRange: {min: 99}\n";
    let out = aiops(
        &[
            "rollout",
            "simulate",
            "-",
            "--metrics",
            &data("gitops/metrics.csv"),
        ],
        Some(flagger),
    );
    let err = gitops_stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("metric `request-success-rate`: not in the recorded metrics"),
        "{err}"
    );
}

#[test]
fn run_counts_the_rows_it_left_out_in_the_report() {
    let path = data("nab/realKnownCause/machine_temperature_system_failure.csv");
    let out = aiops(&["run", "--skip-unsorted", "--json", &path], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["skipped_rows"], 12, "{}", v["summary"]);
    assert_eq!(v["series"][0]["skipped_rows"], 12);
}

/// `aiops detect ARGS --output - -` on `stdin`: must succeed; the score
/// column of each output row (`None` for an empty score) and stderr.
fn detect_scores(args: &[&str], stdin: &str) -> (Vec<Option<f64>>, String) {
    let mut all = vec!["detect"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "-", "-"]);
    let out = aiops(&all, Some(stdin));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let scores = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().ok())
        .collect();
    (scores, stderr)
}

#[test]
fn detect_leaves_unsorted_rows_out_with_empty_scores_when_asked() {
    let mut lines: Vec<String> = csv(300, 200).lines().map(str::to_owned).collect();
    // Line 6 repeats the timestamp of line 5.
    let dup = lines[4].split(',').next().unwrap().to_owned();
    lines[5] = format!("{dup},51");
    let text = lines.join("\n") + "\n";
    let out = aiops(
        &["detect", "--method", "robust", "--output", "-", "-"],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--skip-unsorted"));
    let (scores, stderr) = detect_scores(&["--method", "robust", "--skip-unsorted"], &text);
    assert_eq!(scores.len(), 300, "one output row per input row");
    assert!(
        scores[4].is_none() && scores[3].is_some(),
        "{:?}",
        &scores[..6]
    );
    assert!(stderr.contains("1 row(s) out of time order"), "{stderr}");
    // The maximum (the spike on data row 200) is reported at its output row,
    // which counts the row left out before it.
    let dir = tempfile::tempdir().unwrap();
    let scores_csv = dir.path().join("scores.csv");
    let out = aiops(
        &[
            "detect",
            "--method",
            "robust",
            "--skip-unsorted",
            "--json",
            "--output",
            scores_csv.to_str().unwrap(),
            "-",
        ],
        Some(&text),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["max_row"], 200, "{v}");
    assert_eq!(v["max_line"], 202, "{v}");
}

#[test]
fn the_forest_scores_complete_rows_and_leaves_the_others_missing() {
    let mut text = String::from("a,b\n");
    for i in 0..100 {
        let b = if i == 7 {
            String::new()
        } else {
            format!("{}", i % 3)
        };
        text.push_str(&format!("{},{b}\n", i % 5));
    }
    text.push_str("40,40\n");
    let (scores, _) = detect_scores(&["--method", "isolation-forest"], &text);
    assert_eq!(scores.len(), 101);
    assert_eq!(scores[7], None);
    let outlier = scores[100].unwrap();
    assert!(scores.iter().flatten().all(|s| *s <= outlier));
    let all_missing = "a,b\n1,\n,2\n";
    let out = aiops(
        &[
            "detect",
            "--method",
            "isolation-forest",
            "--output",
            "-",
            "-",
        ],
        Some(all_missing),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shesd_flags_a_spike_on_a_flat_series() {
    let mut text = String::from("timestamp,value\n");
    for i in 0..1000 {
        let v = if i == 500 { 150 } else { 50 };
        text.push_str(&format!("{},{v}\n", 1_400_000_000 + 60 * i));
    }
    let (scores, _) = detect_scores(&["--method", "shesd"], &text);
    assert_eq!(scores[500], Some(1.0));
    assert_eq!(scores.iter().filter(|s| s.unwrap() > 0.0).count(), 1);
}

#[test]
fn a_canary_of_one_point_a_side_is_no_data() {
    let dir = std::env::temp_dir().join(format!("aiops-cli-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (b, c) = (dir.join("b.csv"), dir.join("c.csv"));
    std::fs::write(&b, "metric,value\nm,10\n").unwrap();
    std::fs::write(&c, "metric,value\nm,1000\n").unwrap();
    let out = aiops(
        &[
            "canary",
            "judge",
            "--baseline",
            b.to_str().unwrap(),
            "--canary",
            c.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["metrics"][0]["classification"], "NoData", "{v}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_utf8_is_named_by_line_and_column() {
    let dir = std::env::temp_dir().join(format!("aiops-cli-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(
        &path,
        b"timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\xff\n",
    )
    .unwrap();
    let out = aiops(&["run", path.to_str().unwrap()], None);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.csv:3:22: not valid UTF-8 (byte 0xff)"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
