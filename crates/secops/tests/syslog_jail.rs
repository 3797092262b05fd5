//! The fail2ban sshd jail gives the same bans for the same sshd lines whatever the
//! log format: Loghub OpenSSH and Linux, syslog (RFC 3164 and RFC 5424) and JSON lines.
//!
//! The syslog format once read no timestamps, so the jail (which, like fail2ban,
//! skips lines without a time) never counted a failure in a syslog file.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]

use aiops_secops::{
    Ban, BanEvent, DetectorConfig, LogFormat, SshdLine, ThreatReport, classify_sshd,
    detect_threats, mine,
};

const OPENSSH_2K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/data/logs/OpenSSH_2k.log"
);

fn threats(format: &str, text: &str) -> ThreatReport {
    let format = LogFormat::builtin(format).unwrap();
    let log = format.parse_bytes(text.as_bytes());
    assert_eq!(log.stats.unmatched, 0, "{}", format.name());
    assert!(
        log.records.iter().all(|r| r.timestamp.is_some()),
        "{}: every line has a time",
        format.name()
    );
    let mined = mine(&format, log).unwrap();
    detect_threats(&mined, &[], &DetectorConfig::default()).unwrap()
}

/// The OpenSSH sample rewritten line by line: `convert(fields, content)` where
/// `fields` are the OpenSSH header fields and the record's time.
fn converted(convert: impl Fn(&[&str], &str) -> String) -> String {
    let format = LogFormat::builtin("OpenSSH").unwrap();
    let log = format.parse_file(OPENSSH_2K).unwrap();
    let mut out = String::new();
    for rec in &log.records {
        assert!(!rec.flags.unmatched, "line {}", rec.line);
        let time = rec.timestamp.unwrap().to_string();
        let f = |name| rec.field(&format, name).unwrap();
        let fields = [
            f("Date"),
            f("Day"),
            f("Time"),
            f("Component"),
            f("Pid"),
            &time,
        ];
        out.push_str(&convert(&fields, &rec.content));
        out.push('\n');
    }
    out
}

fn openssh_bans() -> ThreatReport {
    let report = threats("OpenSSH", &std::fs::read_to_string(OPENSSH_2K).unwrap());
    // The figure cross-checked with fail2ban (tests/bruteforce.rs).
    assert_eq!(report.bans.len(), 13);
    report
}

fn summary(bans: &[Ban]) -> Vec<(String, String, String, u32)> {
    bans.iter()
        .map(|b| {
            (
                b.address.to_string(),
                b.start.to_string(),
                b.end.to_string(),
                b.failures,
            )
        })
        .collect()
}

#[test]
fn openssh_sample_as_rfc3164_syslog_gives_the_same_13_bans() {
    let want = openssh_bans();
    // auth.info (<38>), day padded with a space as syslog daemons write it.
    let text = converted(|f, content| {
        let day: u32 = f[1].parse().unwrap();
        format!(
            "<38>{} {day:>2} {} {} sshd[{}]: {content}",
            f[0], f[2], f[3], f[4]
        )
    });
    let got = threats("syslog", &text);
    assert_eq!(summary(&got.bans), summary(&want.bans));
    assert_eq!(got.bans, want.bans, "same lines counted too");
    assert_eq!(got.ban_events, want.ban_events);
    let first = &got.bans[0];
    assert_eq!(first.address.to_string(), "112.95.230.3");
    assert_eq!(first.failures, 5);
}

#[test]
fn openssh_sample_as_rfc5424_syslog_gives_the_same_13_bans() {
    let want = openssh_bans();
    let text =
        converted(|f, content| format!("<38>1 {} {} sshd {} - - {content}", f[5], f[3], f[4]));
    let got = threats("syslog", &text);
    assert_eq!(summary(&got.bans), summary(&want.bans));
    assert_eq!(got.bans, want.bans);
    assert_eq!(got.ban_events, want.ban_events);
}

/// Six failures of one address within ten minutes, in each format.
fn six_failures(line: impl Fn(u32) -> String) -> String {
    (0..6).map(|i| line(i) + "\n").collect()
}

const FAILED: &str = "Failed password for root from 10.0.0.9 port 22001 ssh2";

fn expect_one_ban(format: &str, text: &str) -> (String, String, String, u32) {
    let report = threats(format, text);
    let got = summary(&report.bans);
    assert_eq!(got.len(), 1, "{format}: {got:?}");
    assert_eq!(report.bans[0].lines, vec![1, 2, 3, 4, 5], "{format}");
    let bans = report
        .ban_events
        .iter()
        .filter(|e| matches!(e, BanEvent::Ban { .. }))
        .count();
    assert_eq!(bans, 1, "{format}");
    got[0].clone()
}

#[test]
fn small_brute_force_is_banned_in_every_format() {
    let bsd = six_failures(|i| format!("Dec 10 07:0{i}:00 host sshd[100{i}]: {FAILED}"));
    let want = expect_one_ban("OpenSSH", &bsd);
    assert_eq!(
        want,
        (
            "10.0.0.9".to_owned(),
            "2000-12-10T07:04:00Z".to_owned(),
            "2000-12-10T07:14:00Z".to_owned(),
            5
        )
    );
    assert_eq!(expect_one_ban("syslog", &bsd), want, "RFC 3164");
    assert_eq!(expect_one_ban("Linux", &bsd), want, "Loghub Linux");
    let pri = six_failures(|i| format!("<38>Dec 10 07:0{i}:00 host sshd[100{i}]: {FAILED}"));
    assert_eq!(expect_one_ban("syslog", &pri), want, "RFC 3164 with PRI");
    let rfc5424 =
        six_failures(|i| format!("<38>1 2000-12-10T07:0{i}:00Z host sshd 100{i} - - {FAILED}"));
    assert_eq!(expect_one_ban("syslog", &rfc5424), want, "RFC 5424");
    let rfc5424_sd = six_failures(|i| {
        format!(
            "<38>1 2000-12-10T08:0{i}:00.000+01:00 host sshd 100{i} - [origin ip=\"192.0.2.1\"] {FAILED}"
        )
    });
    assert_eq!(
        expect_one_ban("syslog", &rfc5424_sd),
        want,
        "RFC 5424 with an offset and structured data"
    );
    let jsonl = six_failures(|i| {
        format!(r#"{{"timestamp":"2000-12-10T07:0{i}:00Z","host":"host","message":"{FAILED}"}}"#)
    });
    assert_eq!(expect_one_ban("jsonl", &jsonl), want, "JSON lines");
}

#[test]
fn syslog_assumed_year_moves_rfc3164_bans_only() {
    let bsd = six_failures(|i| format!("Dec 10 07:0{i}:00 host sshd[100{i}]: {FAILED}"));
    let format = LogFormat::syslog().unwrap().with_assumed_year(2026);
    let mined = mine(&format, format.parse_bytes(bsd.as_bytes())).unwrap();
    let report = detect_threats(&mined, &[], &DetectorConfig::default()).unwrap();
    assert_eq!(report.bans.len(), 1);
    assert_eq!(report.bans[0].start.to_string(), "2026-12-10T07:04:00Z");
}

/// Linux-PAM lines read the same in the Linux and syslog formats. Neither counts as a
/// failure, as in fail2ban 1.0's sshd filter: the current form
/// (`sshd[pid]: pam_unix(sshd:auth): authentication failure; ...`) is NOFAIL there (it
/// only ties the address to the connection), and the old form that Loghub's Linux
/// sample holds (`sshd(pam_unix)[pid]: authentication failure; ...`) matches no sshd
/// pattern (fail2ban leaves it to its `pam-generic` jail).
#[test]
fn pam_lines_read_the_same_in_linux_and_syslog_formats() {
    let pam =
        "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9  user=root";
    let current = six_failures(|i| {
        format!("Dec 10 07:0{i}:00 host sshd[100{i}]: pam_unix(sshd:auth): {pam}")
    });
    let old = six_failures(|i| format!("Jun 14 15:16:0{i} combo sshd(pam_unix)[100{i}]: {pam}"));
    for (text, want) in [
        (&current, SshdLine::Note("10.0.0.9".parse().unwrap())),
        (&old, SshdLine::Other),
    ] {
        let contents = |name: &str| {
            let format = LogFormat::builtin(name).unwrap();
            let log = format.parse_bytes(text.as_bytes());
            log.records
                .into_iter()
                .map(|r| (r.timestamp, r.content))
                .collect::<Vec<_>>()
        };
        let linux = contents("Linux");
        assert_eq!(linux, contents("syslog"));
        assert!(linux.iter().all(|(_, c)| classify_sshd(c) == want));
        for format in ["Linux", "syslog"] {
            assert!(threats(format, text).bans.is_empty(), "{format}");
        }
    }
}

/// Loghub's Linux sample read as `Linux` and as `syslog` gives the same bans
/// (skips when the Loghub data is absent, like tests/loghub.rs).
#[test]
fn loghub_linux_sample_same_bans_as_syslog() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/loghub/Linux/Linux_2k.log"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipping: Loghub data not found at {path}");
        return;
    };
    let run = |name: &str| {
        let format = LogFormat::builtin(name).unwrap();
        let log = format.parse_bytes(text.as_bytes());
        let mined = mine(&format, log).unwrap();
        let sshd_times: Vec<_> = mined
            .log
            .records
            .iter()
            .filter(|r| r.raw.contains(" sshd"))
            .map(|r| (r.line, r.timestamp, r.content.clone()))
            .collect();
        let report = detect_threats(&mined, &[], &DetectorConfig::default()).unwrap();
        (sshd_times, report.bans, report.ban_events)
    };
    let (linux, syslog) = (run("Linux"), run("syslog"));
    assert!(!linux.0.is_empty());
    assert!(linux.0.iter().all(|(_, t, _)| t.is_some()));
    assert_eq!(linux, syslog);
}
