//! Sigma rules over the Loghub OpenSSH sample.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]

use std::path::Path;

use aiops_core::Severity;
use aiops_secops::{DetectorConfig, LogFormat, ThreatKind, detect_threats, load_rules_dir, mine};

#[test]
fn sigma_rules_match_the_expected_lines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma");
    let rules = load_rules_dir(&dir).unwrap();
    assert_eq!(rules.len(), 2);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/data/logs/OpenSSH_2k.log"
    );
    let format = LogFormat::builtin("OpenSSH").unwrap();
    let mined = mine(&format, format.parse_file(path).unwrap()).unwrap();
    let report = detect_threats(&mined, &rules, &DetectorConfig::default()).unwrap();
    let count = |id: &str| {
        report
            .threats
            .iter()
            .filter(|t| {
                t.kind
                    == ThreatKind::Sigma {
                        rule: id.to_owned(),
                    }
            })
            .count()
    };
    // Counted with grep over the message contents (`sed 's/^[^]]*\]: //'`): 92 contents
    // start with "Failed password for root", end in ssh2 and do not name 183.62.140.253
    // (two more are inside "message repeated 5 times: [ ... ]" and do not start so).
    assert_eq!(count("7f1c2a4e-0d55-4a8e-9b1e-ssh-root-guess"), 92);
    // 85 lines carry "POSSIBLE BREAK-IN ATTEMPT"; 112 contents match `^Invalid user \S+ from `
    // (the 113th has two spaces after "user"); no line has both.
    assert_eq!(count("ssh-breakin-keywords"), 85 + 112);
    let root = report
        .threats
        .iter()
        .find(|t| matches!(&t.kind, ThreatKind::Sigma { rule } if rule.starts_with("7f1c")))
        .unwrap();
    assert_eq!(root.severity, Severity::Critical);
}

#[test]
fn a_broken_rule_names_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: t\ndetection:\n  a:\n    Content|contains: x\n  condition: a and (a or\n",
    )
    .unwrap();
    let e = load_rules_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("bad.yml") && e.contains("condition at byte"),
        "{e}"
    );
}
