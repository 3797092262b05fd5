//! The deployment history on disk: append, reopen, corrupt lines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use aiops_core::Timestamp;
use aiops_gitops::{
    DeploymentHistory, DeploymentRecord, Error, JudgementSummary, Outcome, Verdict,
};

fn rec(rev: &str, start: i64, end: i64, outcome: Outcome) -> DeploymentRecord {
    DeploymentRecord {
        revision: rev.to_owned(),
        previous: None,
        started_at: Timestamp::from_secs(start),
        finished_at: Timestamp::from_secs(end),
        outcome,
        steps: vec!["set weight 20%".into()],
        judgements: vec![JudgementSummary {
            score: 100.0,
            verdict: Verdict::Pass,
            failed_metrics: vec![],
        }],
    }
}

#[test]
fn persists_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let mut h = DeploymentHistory::open(&path).unwrap();
    assert!(h.records().is_empty());
    h.append(rec("a1", 0, 60, Outcome::Succeeded)).unwrap();
    h.append(rec("b2", 100, 400, Outcome::Aborted)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let mut again = DeploymentHistory::open(&path).unwrap();
    assert_eq!(again.records(), h.records());
    assert_eq!(again.last_healthy_revision(), Some("a1"));
    assert_eq!(again.change_failure_rate(), Some(0.5));
    assert_eq!(again.times_to_restore(), vec![300_000]);
    // A rejected record is not written.
    assert!(matches!(
        again.append(rec("c3", 50, 60, Outcome::Succeeded)),
        Err(Error::Record { .. })
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn corrupt_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let mut h = DeploymentHistory::open(&path).unwrap();
    h.append(rec("a1", 0, 60, Outcome::Succeeded)).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"revision\": \"x\"}\n");
    std::fs::write(&path, text).unwrap();
    match DeploymentHistory::open(&path) {
        Err(Error::HistoryCorrupt { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected a corrupt-line error, got {other:?}"),
    }
    // A directory that does not exist cannot be written: an I/O error, record not kept.
    let mut h = DeploymentHistory::open(dir.path().join("missing/h.jsonl")).unwrap();
    assert!(matches!(
        h.append(rec("a", 0, 1, Outcome::Succeeded)),
        Err(Error::Io { .. })
    ));
    assert!(h.records().is_empty());
}
