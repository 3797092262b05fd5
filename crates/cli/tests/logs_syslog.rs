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
