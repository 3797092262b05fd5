//! The journal survives a crash between any two writes: the writer is killed
//! at every write of a scenario (leaving a torn line), and replay must show
//! every action that the executor ran. Restarting on the crashed journal and
//! re-delivering the same incidents must not run any action twice.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use std::sync::{Arc, Mutex};

use aiops_core::{Incident, IncidentId, Severity, Signal, SignalKind, Timestamp};
use aiops_remediation::journal::{JournalSink, Replay};
use aiops_remediation::{
    Durability, GuardConfig, Journal, JournalTarget, ManualClock, Mode, RemediationEngine,
    StaticApprover, StaticMetrics, TestExecutor, isolate_source_action,
};

/// A sink that dies at write number `crash_at` (0-based): it writes half of
/// that line, then fails it and every later write.
#[derive(Debug)]
struct CrashingSink {
    buf: Arc<Mutex<Vec<u8>>>,
    writes: usize,
    crash_at: Option<usize>,
}

impl JournalSink for CrashingSink {
    fn append_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let n = self.writes;
        self.writes += 1;
        let mut buf = self.buf.lock().expect("lock");
        match self.crash_at {
            Some(c) if n == c => {
                buf.extend_from_slice(&line[..line.len() / 2]);
                Err(std::io::Error::other("simulated crash"))
            }
            Some(c) if n > c => Err(std::io::Error::other("process is dead")),
            _ => {
                buf.extend_from_slice(line);
                Ok(())
            }
        }
    }

    fn contents(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        Ok(Some(self.buf.lock().expect("lock").clone()))
    }
}

fn incident(id: u64, resource: &str, anomaly: f64, failure: Option<f64>) -> Incident {
    let s = Signal {
        kind: SignalKind::Anomaly,
        source: format!("{resource}:latency"),
        at: Timestamp::from_secs(10),
        value: anomaly,
        detail: String::new(),
    };
    let mut inc = Incident::open(IncidentId(id), resource, s);
    inc.failure_probability = failure;
    inc
}

fn config() -> GuardConfig {
    GuardConfig {
        mode: Mode::Live,
        retries: 1,
        backoff_base_ms: 1,
        cooldown_ms: 0,
        ..GuardConfig::default()
    }
}

fn metrics() -> Arc<StaticMetrics> {
    let m = StaticMetrics::new();
    m.set("db", "error_rate", 0.001);
    m.set("web", "utilization", 0.95); // scale-out does not verify: rollback + escalation
    Arc::new(m)
}

/// The scenario: critical, warning, info incidents and an external action;
/// stops at the first journal error, as a crashed process would.
async fn scenario(engine: &RemediationEngine) -> usize {
    let incidents = [
        incident(1, "db", 0.97, Some(0.9)),
        incident(2, "web", 0.8, None),
        incident(3, "cache", 0.1, None),
    ];
    let mut ok = 0;
    for inc in &incidents {
        if engine.handle(inc).await.is_err() {
            return ok;
        }
        ok += 1;
    }
    let a = isolate_source_action(None, "203.0.113.9", Severity::Critical, "scan");
    if engine.execute_action(a).await.is_ok() {
        ok += 1;
    }
    ok
}

fn engine_on(journal: Arc<Journal>, exec: Arc<TestExecutor>) -> RemediationEngine {
    RemediationEngine::builder()
        .guards(config())
        .executor(exec)
        .metrics(metrics())
        .approver(Arc::new(StaticApprover::approve_all()))
        .clock(Arc::new(ManualClock::new(1_000)))
        .journal(JournalTarget::Shared(journal))
        .build()
        .expect("engine")
}

#[tokio::test(start_paused = true)]
async fn replay_shows_every_executed_action_after_a_crash_at_any_write() {
    // Clean run: count the writes.
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = CrashingSink {
        buf: Arc::clone(&buf),
        writes: 0,
        crash_at: None,
    };
    let journal = Arc::new(Journal::with_sink("clean", Box::new(sink), 0));
    let exec = Arc::new(TestExecutor::new());
    let engine = engine_on(Arc::clone(&journal), Arc::clone(&exec));
    assert_eq!(scenario(&engine).await, 4);
    let total = journal.replay().expect("replay").records.len();
    assert!(total > 30, "scenario too small: {total} writes");
    assert!(exec.executed().len() >= 8);

    let dir = tempfile::tempdir().expect("tempdir");
    for crash_at in 0..=total {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = CrashingSink {
            buf: Arc::clone(&buf),
            writes: 0,
            crash_at: Some(crash_at),
        };
        let journal = Arc::new(Journal::with_sink("crashy", Box::new(sink), 0));
        let exec = Arc::new(TestExecutor::new());
        let engine = engine_on(Arc::clone(&journal), Arc::clone(&exec));
        scenario(&engine).await;
        drop(engine);

        let bytes = buf.lock().expect("lock").clone();
        let replay = Replay::from_bytes("crashy", &bytes)
            .unwrap_or_else(|e| panic!("crash at {crash_at}: replay failed: {e}"));
        assert_eq!(
            replay.truncated_tail,
            crash_at < total,
            "crash at {crash_at}"
        );
        let history = replay.actions();
        for done in exec.executed() {
            let h = history
                .iter()
                .find(|h| h.action.idempotency_key == done.idempotency_key)
                .unwrap_or_else(|| {
                    panic!(
                        "crash at {crash_at}: executed {} missing from the journal",
                        done.idempotency_key
                    )
                });
            assert!(
                h.started,
                "crash at {crash_at}: {} ran without action_started",
                done.idempotency_key
            );
        }

        // Restart on the crashed journal and re-deliver everything.
        let path = dir.path().join(format!("j{crash_at}.jsonl"));
        std::fs::write(&path, &bytes).expect("write");
        let exec2 = Arc::new(TestExecutor::new());
        let engine = RemediationEngine::builder()
            .guards(config())
            .executor(exec2.clone())
            .metrics(metrics())
            .approver(Arc::new(StaticApprover::approve_all()))
            .clock(Arc::new(ManualClock::new(1_000)))
            .journal(JournalTarget::Path(path.clone(), Durability::Flush))
            .build()
            .expect("restart");
        assert_eq!(
            scenario(&engine).await,
            4,
            "crash at {crash_at}: restart must work"
        );
        for again in exec2.executed() {
            assert!(
                !exec
                    .executed()
                    .iter()
                    .any(|a| a.idempotency_key == again.idempotency_key),
                "crash at {crash_at}: {} ran twice",
                again.idempotency_key
            );
        }
        let replay = Replay::from_path(&path).expect("replay after restart");
        assert!(!replay.truncated_tail);
    }
}
