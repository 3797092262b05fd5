//! `aiops logs threats --format syslog`: the fail2ban sshd jail runs on syslog
//! input (RFC 3164 and RFC 5424) and bans as it does on the same lines in the
//! Loghub OpenSSH format.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use common::aiops;

const OPENSSH_2K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/logs/OpenSSH_2k.log"
);

/// The `bans` array of `logs threats --json`.
fn bans(format: &str, file: &str, stdin: Option<&str>) -> Vec<serde_json::Value> {
    let out = aiops(
        &["logs", "threats", "--format", format, "--json", file],
        stdin,
    );
    assert!(
        out.status.success(),
        "{format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unmatched"], 0, "{format}");
    v["bans"].as_array().unwrap().clone()
}

#[test]
fn logs_threats_syslog_bans_like_openssh() {
    let want = bans("OpenSSH", OPENSSH_2K, None);
    assert_eq!(want.len(), 13);
    // The Loghub OpenSSH lines are RFC 3164 syslog lines already.
    assert_eq!(bans("syslog", OPENSSH_2K, None), want);
    // With a PRI (auth.info), through standard input.
    let text = std::fs::read_to_string(OPENSSH_2K).unwrap();
    let with_pri: String = text.lines().map(|l| format!("<38>{l}\n")).collect();
    assert_eq!(bans("syslog", "-", Some(&with_pri)), want);
    // The text report says so too.
    let out = aiops(&["logs", "threats", "--format", "syslog", OPENSSH_2K], None);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("bans (13):")
    );
}

#[test]
fn logs_threats_syslog_rfc3164_and_rfc5424_ban_a_small_brute_force() {
    let failed = "Failed password for root from 10.0.0.9 port 22001 ssh2";
    let lines = |f: &dyn Fn(u32) -> String| (1..=6).map(|i| f(i) + "\n").collect::<String>();
    let bsd = lines(&|i| format!("Dec 10 07:0{i}:00 host sshd[100{i}]: {failed}"));
    let rfc5424 = lines(&|i| format!("<38>1 2024-12-10T07:0{i}:00Z host sshd 100{i} - - {failed}"));
    let want = bans("OpenSSH", "-", Some(&bsd));
    assert_eq!(want.len(), 1);
    assert_eq!(want[0]["address"], "10.0.0.9");
    assert_eq!(want[0]["failures"], 5);
    assert_eq!(bans("syslog", "-", Some(&bsd)), want);
    let got = bans("syslog", "-", Some(&rfc5424));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["address"], "10.0.0.9");
    assert_eq!(got[0]["start"], "2024-12-10T07:05:00Z");
    assert_eq!(got[0]["end"], "2024-12-10T07:15:00Z");
    assert_eq!(got[0]["failures"], 5);
    // `--year` gives RFC 3164 lines the same times as the RFC 5424 ones.
    let out = aiops(
        &[
            "logs", "threats", "--format", "syslog", "--json", "--year", "2024", "-",
        ],
        Some(&bsd),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bans"].as_array().unwrap(), &got);
}

/// The `--json` report of `logs threats` with `extra` arguments, and its stderr.
fn threats_json(extra: &[&str], stdin: Option<&str>) -> (serde_json::Value, String) {
    let mut args = vec!["logs", "threats", "--json"];
    args.extend_from_slice(extra);
    let out = aiops(&args, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// `Dec 10 06:55:46 LabSZ sshd[24200]: msg` as RFC 5424 in 2024, with a BOM
/// before the message when `bom`.
fn to_rfc5424(text: &str, bom: bool) -> String {
    let bom = if bom { "\u{feff}" } else { "" };
    text.lines()
        .map(|l| {
            // The sample is all `Dec 10 hh:mm:ss`.
            let (ts, rest) = l.split_at(15);
            let time = ts.strip_prefix("Dec 10 ").unwrap();
            let rest = rest.trim_start();
            let (host, rest) = rest.split_once(' ').unwrap();
            let (tag, msg) = rest.split_once(": ").unwrap();
            let (app, pid) = tag.trim_end_matches(']').split_once('[').unwrap();
            format!("<38>1 2024-12-10T{time}Z {host} {app} {pid} - - {bom}{msg}\n")
        })
        .collect()
}

#[test]
fn logs_threats_syslog_rfc5424_with_bom_bans_like_openssh() {
    let (want, _) = threats_json(&["--format", "OpenSSH", "--year", "2024", OPENSSH_2K], None);
    let want = want["bans"].as_array().unwrap().clone();
    assert_eq!(want.len(), 13);
    let text = std::fs::read_to_string(OPENSSH_2K).unwrap();
    for bom in [false, true] {
        let input = to_rfc5424(&text, bom);
        assert_eq!(input.contains('\u{feff}'), bom);
        let (got, _) = threats_json(&["--format", "syslog", "-"], Some(&input));
        assert_eq!(got["unmatched"], 0, "bom {bom}");
        assert_eq!(got["bans"].as_array().unwrap(), &want, "bom {bom}");
    }
    // `logs parse` keeps the BOM neither in Content nor in the templates.
    let input = to_rfc5424(&text, true);
    let out = aiops(&["logs", "parse", "--format", "syslog", "-"], Some(&input));
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(csv.lines().count(), 2001);
    assert!(!csv.contains('\u{feff}'));
}

#[test]
fn logs_threats_syslog_reads_rsyslog_file_format() {
    // rsyslog's RSYSLOG_FileFormat: the RFC 3164 layout with an RFC 3339 time.
    let (want, _) = threats_json(&["--format", "OpenSSH", "--year", "2024", OPENSSH_2K], None);
    let text = std::fs::read_to_string(OPENSSH_2K).unwrap();
    let input: String = text
        .lines()
        .map(|l| {
            let (ts, rest) = l.split_at(15);
            let time = ts.strip_prefix("Dec 10 ").unwrap();
            format!("2024-12-10T{time}.000000+00:00{rest}\n")
        })
        .collect();
    let (got, _) = threats_json(&["--format", "syslog", "-"], Some(&input));
    assert_eq!(got["unmatched"], 0);
    assert_eq!(got["bans"], want["bans"]);
    assert_eq!(got["bans"].as_array().unwrap().len(), 13);
}

#[test]
fn logs_threats_reports_lines_without_a_readable_timestamp() {
    let failed = "Failed password for root from 10.0.0.9 port 22001 ssh2";
    let feb29: String = (1..=6)
        .map(|i| format!("Feb 29 07:0{i}:00 host sshd[100{i}]: {failed}\n"))
        .collect();
    // 2026 has no Feb 29: no line has a time, the jail bans nobody, and says why.
    let (v, stderr) = threats_json(&["--format", "syslog", "--year", "2026", "-"], Some(&feb29));
    assert_eq!(v["bans"].as_array().unwrap().len(), 0);
    assert_eq!(v["untimed_lines"], 6);
    assert_eq!(v["first_untimed_line"], 1);
    assert_eq!(
        stderr.lines().filter(|l| l.contains("warning")).count(),
        1,
        "{stderr}"
    );
    // In 2024 it has: times, a ban, no warning.
    let (v, stderr) = threats_json(&["--format", "syslog", "--year", "2024", "-"], Some(&feb29));
    assert_eq!(v["bans"].as_array().unwrap().len(), 1);
    assert_eq!(v["untimed_lines"], 0);
    assert_eq!(v["first_untimed_line"], serde_json::Value::Null);
    assert!(!stderr.contains("warning"), "{stderr}");
    // RFC 5424 nil timestamps, in the text report: one warning line, exit 0.
    let nil = format!("<38>1 2024-12-10T07:00:00Z host sshd 1 - - {failed}\n")
        + &format!("<38>1 - host sshd 1 - - {failed}\n").repeat(3);
    let out = aiops(&["logs", "threats", "--format", "syslog", "-"], Some(&nil));
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("3 line(s) have no readable timestamp (first: line 2)"),
        "{stderr}"
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("bans (0):")
    );
}

#[test]
fn logs_year_out_of_range_is_a_usage_error() {
    let line = "Dec 10 07:01:00 host sshd[1]: Connection closed\n";
    // Refused before any input is read (so none is given: the pipe would break).
    for year in ["99999", "2147483647", "1969", "-5", "x"] {
        let flag = format!("--year={year}");
        let out = aiops(&["logs", "threats", "--format", "syslog", &flag, "-"], None);
        assert_eq!(out.status.code(), Some(2), "{year}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--year"), "{stderr}");
    }
    for year in ["1970", "9999"] {
        let (v, stderr) = threats_json(&["--format", "syslog", "--year", year, "-"], Some(line));
        assert_eq!(v["untimed_lines"], 0, "{year}: {stderr}");
    }
}

#[test]
fn logs_parse_refuses_year_it_would_not_use() {
    let line = "Dec 10 07:01:00 host sshd[1]: Connection closed\n";
    let out = aiops(
        &["logs", "parse", "--format", "syslog", "--year", "2026", "-"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--year") && stderr.contains("logs threats"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // The help says so.
    let help = aiops(&["logs", "parse", "--help"], None);
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("--year"), "{help}");
    // Without it, the header fields are written as they appear.
    let out = aiops(&["logs", "parse", "--format", "syslog", "-"], Some(line));
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("Dec 10 07:01:00")
    );
}
