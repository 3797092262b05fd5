//! End-to-end tests of `aiops quantum`: readiness over symlinks, FIFOs and
//! loops; QAOA angles whose phases cannot be computed; the qubit cap of
//! `maxcut` and `balance`.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn aiops(args: &[&str]) -> Output {
    common::aiops(args, None)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2 and exactly one line on stderr (nothing on stdout); returns the line.
fn one_line_error(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout {}\nstderr {err}",
        stdout(o)
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty(), "{}", stdout(o));
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The RSA certificate fixture of the readiness tests (generated with openssl,
/// see crates/quantum-sim/tests/data/README.md), copied into `dir/real/cert.pem`.
fn certificate_in(dir: &Path) -> PathBuf {
    let real = dir.join("real");
    std::fs::create_dir(&real).unwrap();
    let cert = real.join("cert.pem");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../quantum-sim/tests/data/rsa2048.pem"),
        &cert,
    )
    .unwrap();
    cert
}

/// A ring of `n` nodes as an edge-list CSV in `dir`.
fn ring(dir: &Path, n: usize) -> PathBuf {
    let mut csv = String::from("from,to\n");
    for i in 0..n {
        csv.push_str(&format!("{i},{}\n", (i + 1) % n));
    }
    let path = dir.join(format!("ring{n}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn readiness_follows_a_symlink_given_as_the_path_and_in_a_folder() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let cert = certificate_in(dir.path());
    let link = dir.path().join("cert-link.pem");
    symlink(&cert, &link).unwrap();
    let o = aiops(&["quantum", "readiness", s(&link)]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("1 files scanned, 0 skipped"), "{out}");
    assert!(
        out.contains("RSA") && out.contains("cert-link.pem"),
        "{out}"
    );
    // A folder of links only, as /etc/ssl/certs: both links reach one file.
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    symlink(&cert, certs.join("named.pem")).unwrap();
    symlink(certs.join("named.pem"), certs.join("0a1b2c3d.0")).unwrap();
    let o = aiops(&["quantum", "readiness", s(&certs)]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("1 files scanned, 1 skipped"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("skipped: ")
            && l.contains("named.pem")
            && l.contains("already scanned as")),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn readiness_reports_loops_and_dangling_links_as_skipped_in_text_and_json() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    certificate_in(dir.path());
    let real = dir.path().join("real");
    symlink(&real, real.join("up")).unwrap();
    symlink(dir.path().join("gone.pem"), real.join("dangling.pem")).unwrap();
    let o = aiops(&["quantum", "readiness", s(&real)]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("1 files scanned, 2 skipped"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("skipped: ") && l.contains("up: symlink loop")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("skipped: ") && l.contains("dangling.pem")),
        "{out}"
    );
    let o = aiops(&["quantum", "readiness", s(&real), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files_scanned"], 1);
    let issues = v["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2, "{v}");
    assert!(issues.iter().all(|i| i["skipped"] == true), "{v}");
}

#[cfg(unix)]
#[test]
fn readiness_of_a_fifo_or_a_link_loop_alone_is_nothing_readable() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // Opening the FIFO would block: the command must return without a writer.
    let err = one_line_error(&aiops(&["quantum", "readiness", s(&fifo)]));
    assert!(
        err.contains("nothing readable in")
            && err.contains("skipped: named pipe (FIFO), not opened"),
        "{err}"
    );
    let selfie = dir.path().join("loop");
    symlink(&selfie, &selfie).unwrap();
    let err = one_line_error(&aiops(&["quantum", "readiness", s(&selfie)]));
    assert!(
        err.contains("nothing readable in") && err.contains("symlink cannot be followed"),
        "{err}"
    );
    // A folder whose only entry is a FIFO has nothing readable either.
    let only = dir.path().join("only");
    std::fs::create_dir(&only).unwrap();
    symlink(&fifo, only.join("p")).unwrap();
    let err = one_line_error(&aiops(&["quantum", "readiness", s(&only)]));
    assert!(err.contains("named pipe"), "{err}");
}

#[test]
fn maxcut_angles_whose_phase_overflows_exit_2_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let g = ring(dir.path(), 4);
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec![
            "quantum",
            "maxcut",
            "--graph",
            s(&g),
            "--gamma",
            "1e308",
            "--beta",
            "1e308",
        ];
        args.extend_from_slice(extra);
        let err = one_line_error(&aiops(&args));
        assert!(
            err.contains("gamma[0]") && err.contains("reduce it"),
            "{err}"
        );
    }
    // The cost phase is |gamma| x max cut (4 here): 3e5 x 4 is above 1e6 rad.
    let err = one_line_error(&aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--gamma",
        "3e5",
        "--beta",
        "0.3",
    ]));
    assert!(err.contains("gamma[0]") && err.contains("x 4"), "{err}");
    let err = one_line_error(&aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--p",
        "2",
        "--gamma",
        "0.1,0.2",
        "--beta",
        "0.3,2e6",
    ]));
    assert!(err.contains("beta[1]"), "{err}");
    // Large but accurate angles still evaluate.
    let o = aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--gamma",
        "2e5",
        "--beta",
        "1e6",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["expected_cut"].as_f64().unwrap().is_finite(), "{v}");
}

#[test]
fn maxcut_optimisation_above_the_qubit_cap_exits_2_with_how_to_raise_it() {
    let dir = tempfile::tempdir().unwrap();
    let g = ring(dir.path(), 12);
    let err = one_line_error(&aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--max-qubits",
        "10",
    ]));
    assert!(
        err.contains("12 qubits")
            && err.contains("--max-qubits 10")
            && err.contains("--max-qubits 12"),
        "{err}"
    );
    // The default cap refuses the 26-node ring at once (it ran for minutes).
    let g26 = ring(dir.path(), 26);
    let err = one_line_error(&aiops(&["quantum", "maxcut", "--graph", s(&g26)]));
    assert!(
        err.contains("26 qubits") && err.contains("--max-qubits"),
        "{err}"
    );
    // At the cap it runs.
    let g4 = ring(dir.path(), 4);
    let o = aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g4),
        "--max-qubits",
        "4",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["best_cut"], 4.0);
}

#[test]
fn maxcut_evaluation_is_bounded_by_memory_not_by_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let g = ring(dir.path(), 12);
    let o = aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--max-qubits",
        "4",
        "--gamma",
        "0.3",
        "--beta",
        "0.4",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 30 qubits need 26 GiB with the diagonal: refused before allocating, in one line.
    let g30 = ring(dir.path(), 30);
    let err = one_line_error(&aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g30),
        "--gamma",
        "0.3",
        "--beta",
        "0.4",
    ]));
    assert!(
        err.contains("30 qubits") && err.contains("memory limit"),
        "{err}"
    );
}

#[test]
fn balance_above_the_cap_prints_the_classical_row_and_why_qaoa_was_skipped() {
    // The reported case: 4 jobs on 5 servers is a 20-qubit QUBO (QAOA ran 180 s).
    let o = aiops(&["quantum", "balance", "--loads", "5,3,8,2", "--servers", "5"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("exact ")), "{out}");
    assert!(
        !out.lines()
            .any(|l| l.starts_with("qaoa ") && !l.starts_with("qaoa skipped")),
        "{out}"
    );
    assert!(
        out.contains("qaoa skipped: 20 qubits > --max-qubits") && out.contains("raise"),
        "{out}"
    );
    let o = aiops(&[
        "quantum",
        "balance",
        "--loads",
        "5,3,8,2",
        "--servers",
        "5",
        "--max-qubits",
        "10",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["qaoa"].is_null(), "{v}");
    let why = v["qaoa_skipped"].as_str().unwrap();
    assert!(why.contains("20 qubits > --max-qubits 10"), "{why}");
    assert_eq!(v["classical"]["method"], "exact");
}

#[test]
fn balance_qaoa_runs_under_the_cap_and_a_raised_cap_meets_the_memory_limit() {
    let o = aiops(&["quantum", "balance", "--loads", "3,1,2", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["qaoa"]["method"], "qaoa", "{v}");
    assert!(v["qaoa_skipped"].is_null());
    // 10 jobs on 3 servers: 30 qubits, over the simulator's memory limit.
    let o = aiops(&[
        "quantum",
        "balance",
        "--loads",
        "1,2,3,4,5,6,7,8,9,10",
        "--servers",
        "3",
        "--max-qubits",
        "40",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("exact ")), "{out}");
    assert!(
        out.contains("qaoa skipped: ") && out.contains("memory limit"),
        "{out}"
    );
}

#[test]
fn readiness_of_an_empty_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = one_line_error(&aiops(&["quantum", "readiness", s(dir.path())]));
    assert!(err.contains("nothing to scan"), "{err}");
}

#[test]
fn negative_angles_need_no_equals_sign() {
    let dir = tempfile::tempdir().unwrap();
    let g = ring(dir.path(), 3);
    let out = aiops(&[
        "quantum",
        "maxcut",
        "--graph",
        s(&g),
        "--gamma",
        "-0.5",
        "--beta",
        "-0.3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("expected cut"), "{}", stdout(&out));
}
