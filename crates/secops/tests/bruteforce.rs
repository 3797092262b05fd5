//! fail2ban sshd-jail semantics on the Loghub OpenSSH sample.
//!
//! Expected figures were established with fail2ban 1.0.2 (Debian 12 package) by
//! `tests/data/fail2ban_crosscheck.py`, which replays the file through fail2ban's own
//! `Filter` (filter.d/sshd.conf, mode normal, usedns no), `FailManager` and
//! `BanManager` with the clock set to each line's time (a live jail ignores lines
//! older than findtime, so it cannot be run on an old file directly):
//!
//! ```text
//! python3 tests/data/fail2ban_crosscheck.py ../../examples/data/logs/OpenSSH_2k.log -v
//! ```
//!
//! It reports 640 counted failures and 13 bans (112.95.230.3 first at +1937 s,
//! 103.99.0.122 twice); the bans below are its output, times relative to line 1.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]

use aiops_core::Severity;
use aiops_secops::{
    BanEvent, DetectorConfig, LogFormat, ResponseAction, ResponsePolicy, ThreatKind, analyze_file,
    detect_threats, mine, respond_all, sha256_hex,
};

fn openssh() -> aiops_secops::MinedLog {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/logs/OpenSSH_2k.log"
    );
    let format = LogFormat::builtin("OpenSSH").unwrap();
    mine(&format, format.parse_file(path).unwrap()).unwrap()
}

/// (address, start, end, failures, line of the banning failure) from fail2ban_crosscheck.py.
const FAIL2BAN: [(&str, i64, i64, u32); 12] = [
    ("112.95.230.3", 1937, 2578, 5),
    ("123.235.32.19", 2304, 2904, 5),
    ("195.154.37.122", 3334, 3934, 5),
    ("5.188.10.180", 5339, 6014, 5),
    ("103.207.39.212", 5865, 6465, 5),
    ("185.190.58.151", 7972, 8833, 5),
    ("103.99.0.122", 8140, 8814, 5),
    ("187.141.143.180", 8244, 9245, 5),
    ("103.207.39.16", 8569, 9169, 5),
    ("60.2.12.12", 11376, 11976, 5),
    ("119.4.203.64", 11902, 12502, 5),
    ("183.62.140.253", 14327, 15537, 5),
];

#[test]
fn openssh_sample_gives_fail2bans_13_bans() {
    let mined = openssh();
    let report = detect_threats(&mined, &[], &DetectorConfig::default()).unwrap();
    let t0 = mined.log.records[0].timestamp.unwrap();
    let rel = |t: aiops_core::Timestamp| t.millis_since(t0) / 1000;
    let got: Vec<(String, i64, i64, u32)> = report
        .bans
        .iter()
        .map(|b| (b.address.to_string(), rel(b.start), rel(b.end), b.failures))
        .collect();
    assert_eq!(got.len(), 13, "{got:#?}");
    for (g, want) in got.iter().zip(FAIL2BAN) {
        assert_eq!((g.0.as_str(), g.1, g.2, g.3), want);
    }
    // The 13th ban is 103.99.0.122 again, still active at the end of the file.
    assert_eq!(got[12].0, "103.99.0.122");
    assert_eq!(got[12].1, 14879);
    let bans = report
        .ban_events
        .iter()
        .filter(|e| matches!(e, BanEvent::Ban { .. }))
        .count();
    let unbans = report
        .ban_events
        .iter()
        .filter(|e| matches!(e, BanEvent::Unban { .. }))
        .count();
    assert_eq!((bans, unbans), (13, 13));
    assert_eq!(report.of_kind("brute_force").count(), 13);
}

#[test]
fn brute_force_becomes_isolate_action_with_evidence() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/logs/OpenSSH_2k.log"
    );
    let (mined, report) = analyze_file(path, "OpenSSH", None).unwrap();
    let responses = respond_all(&report, &mined, &ResponsePolicy::default());
    let first = responses
        .iter()
        .find(|r| r.threat.kind == ThreatKind::BruteForce)
        .unwrap();
    assert_eq!(first.severity, Severity::Critical);
    assert_eq!(first.threat.source.as_deref(), Some("112.95.230.3"));
    assert_eq!(
        first.actions[0],
        ResponseAction::IsolateAddress {
            address: "112.95.230.3".into(),
            duration_secs: 641
        }
    );
    assert!(
        first
            .actions
            .iter()
            .any(|a| matches!(a, ResponseAction::OpenIncident { .. }))
    );
    assert!(
        first
            .actions
            .iter()
            .any(|a| matches!(a, ResponseAction::Notify { .. }))
    );
    let matched: Vec<_> = first.evidence.iter().filter(|e| e.matched).collect();
    assert_eq!(matched.len(), 5, "five counted failures");
    assert!(
        first.evidence.len() > matched.len(),
        "context lines included"
    );
    for e in &first.evidence {
        assert_eq!(e.sha256, sha256_hex(&e.raw));
        assert!(e.matched == first.threat.lines.contains(&e.line));
    }
    assert!(matched.iter().all(|e| e.raw.contains("112.95.230.3")));
}
