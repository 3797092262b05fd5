//! The engine end to end: the seed's three paths, a storm, the kill switch
//! mid-flight, verification failure with rollback and escalation, external
//! actions, learning persisted through the journal, and a plugged selector.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aiops_core::{Incident, IncidentId, Labels, Severity, Signal, SignalKind, Timestamp};
use aiops_remediation::journal::Entry;
use aiops_remediation::{
    ActionKind, ActionStatus, Durability, GuardConfig, JournalTarget, LearningStats, ManualClock,
    Mode, RemediationEngine, Replay, RunbookSelector, RunbookSet, StaticApprover, StaticMetrics,
    TestExecutor, isolate_source_action,
};

fn signal(kind: SignalKind, value: f64) -> Signal {
    Signal {
        kind,
        source: "svc:latency".into(),
        at: Timestamp::from_secs(1_000),
        value,
        detail: String::new(),
    }
}

fn incident(id: u64, resource: &str, anomaly: f64, failure: Option<f64>) -> Incident {
    let mut inc = Incident::open(
        IncidentId(id),
        resource,
        signal(SignalKind::Anomaly, anomaly),
    );
    inc.failure_probability = failure;
    inc
}

/// Metrics under which the warning runbooks verify.
fn healthy_db() -> Arc<StaticMetrics> {
    let m = StaticMetrics::new();
    m.set("db", "utilization", 0.3);
    m.set("db", "error_rate", 0.0);
    Arc::new(m)
}

fn live() -> GuardConfig {
    GuardConfig {
        mode: Mode::Live,
        retries: 0,
        ..GuardConfig::default()
    }
}

#[tokio::test]
async fn the_three_default_paths_in_dry_run() {
    let engine = RemediationEngine::builder()
        .approver(Arc::new(StaticApprover::approve_all()))
        .build()
        .expect("engine");
    assert_eq!(engine.mode(), Mode::DryRun);

    let crit = engine
        .handle(&incident(1, "db", 0.97, Some(0.9)))
        .await
        .expect("critical");
    assert_eq!(crit.decision.severity, Severity::Critical);
    assert_eq!(crit.decision.runbook.as_deref(), Some("critical-failover"));
    let kinds: Vec<ActionKind> = crit.actions.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ActionKind::Failover,
            ActionKind::RootCauseAnalysis,
            ActionKind::DeployFix,
            ActionKind::Learn
        ]
    );
    assert!(
        crit.actions
            .iter()
            .all(|a| a.status == ActionStatus::Planned),
        "{crit:#?}"
    );
    assert!(crit.actions[0].reason.contains("not checked in a dry run"));

    let warn = engine
        .handle(&incident(2, "web", 0.8, None))
        .await
        .expect("warning");
    assert_eq!(warn.decision.severity, Severity::Warning);
    assert_eq!(
        warn.decision.candidates,
        ["warning-scale-out", "warning-restart"]
    );
    assert!(matches!(
        warn.actions[0].kind,
        ActionKind::Scale | ActionKind::Restart
    ));
    assert_eq!(warn.actions[0].status, ActionStatus::Planned);

    // A caller-provided assessment (e.g. with the orchestrator's affected count).
    let mut input = aiops_remediation::SeverityInput::from_incident(
        &incident(4, "cache", 0.75, None),
        engine.severity_rules().short_window_max_ms,
    );
    input.affected = 30;
    let assessed = engine.severity_rules().assess_input(&input);
    assert_eq!(assessed.severity, Severity::Critical);
    let r = engine
        .handle_assessed(&incident(4, "cache", 0.75, None), assessed)
        .await
        .expect("assessed");
    assert_eq!(r.decision.runbook.as_deref(), Some("critical-failover"));

    let info = engine
        .handle(&incident(3, "cache", 0.2, None))
        .await
        .expect("info");
    assert_eq!(info.decision.severity, Severity::Info);
    let kinds: Vec<ActionKind> = info.actions.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [ActionKind::Record, ActionKind::Notify]);

    // The journal reconstructs each incident.
    let replay = engine.journal().replay().expect("replay");
    for id in 1..=3 {
        let recs = replay.incident(IncidentId(id));
        assert!(matches!(recs[0].entry, Entry::Decision { .. }));
        assert!(
            recs.iter()
                .any(|r| matches!(r.entry, Entry::ActionResult { .. }))
        );
    }
    // Dry runs do not teach the selector.
    assert!(engine.stats().entries().is_empty());
}

#[tokio::test]
async fn without_an_approver_critical_mutations_are_blocked_and_later_steps_skipped() {
    let engine = RemediationEngine::dry_run_in_memory().expect("engine");
    let r = engine
        .handle(&incident(1, "db", 0.97, Some(0.9)))
        .await
        .expect("handle");
    assert_eq!(r.actions[0].status, ActionStatus::Blocked);
    assert!(r.actions[0].reason.starts_with("approval:"));
    assert!(
        r.actions[1..]
            .iter()
            .all(|a| a.status == ActionStatus::Skipped)
    );
    assert!(!r.succeeded);
}

#[tokio::test(start_paused = true)]
async fn a_storm_on_one_resource_is_rate_limited() {
    let exec = Arc::new(TestExecutor::new());
    let clock = Arc::new(ManualClock::new(0));
    let engine = RemediationEngine::builder()
        .guards(GuardConfig {
            rate_limit_max: 5,
            cooldown_ms: 0,
            ..live()
        })
        .executor(exec.clone())
        .metrics(healthy_db())
        .clock(clock.clone())
        .build()
        .expect("engine");
    for i in 0..1_000 {
        clock.advance(100);
        engine
            .handle(&incident(i, "db", 0.8, None))
            .await
            .expect("handle");
    }
    // Two warning runbooks (scale or restart), each kind limited to 5 per hour.
    let executed = exec.executed();
    assert!(executed.len() <= 10, "{} actions ran", executed.len());
    assert!(
        executed
            .iter()
            .all(|a| matches!(a.kind, ActionKind::Scale | ActionKind::Restart))
    );
    let scale = executed
        .iter()
        .filter(|a| a.kind == ActionKind::Scale)
        .count();
    let restart = executed
        .iter()
        .filter(|a| a.kind == ActionKind::Restart)
        .count();
    assert!(scale <= 5 && restart <= 5);
    assert!(scale + restart > 0);
}

#[tokio::test(start_paused = true)]
async fn the_default_cooldown_keeps_a_storm_to_one_action() {
    let exec = Arc::new(TestExecutor::new());
    let engine = RemediationEngine::builder()
        .guards(live())
        .executor(exec.clone())
        .metrics(healthy_db())
        .clock(Arc::new(ManualClock::new(0)))
        .build()
        .expect("engine");
    for i in 0..1_000 {
        engine
            .handle(&incident(i, "db", 0.8, None))
            .await
            .expect("handle");
    }
    assert_eq!(exec.executed().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_kill_switch_stops_runbooks_in_flight() {
    let exec = Arc::new(TestExecutor::with_delay_ms(1_000));
    let engine = Arc::new(
        RemediationEngine::builder()
            .guards(live())
            .executor(exec.clone())
            .approver(Arc::new(StaticApprover::approve_all()))
            .build()
            .expect("engine"),
    );
    let inc = incident(1, "info-host", 0.1, None); // info: record then notify
    let e2 = Arc::clone(&engine);
    let run = tokio::spawn(async move { e2.handle(&inc).await });
    // Engage while the first step (1 s) is running.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    engine.kill_switch().engage();
    let r = run.await.expect("join").expect("handle");
    assert_eq!(r.actions[0].status, ActionStatus::Executed, "{r:#?}");
    assert_eq!(r.actions[1].status, ActionStatus::Blocked);
    assert!(r.actions[1].reason.starts_with("kill_switch"));
    assert_eq!(exec.executed().len(), 1);
    // Nothing else starts while engaged.
    let r = engine
        .handle(&incident(2, "other", 0.1, None))
        .await
        .expect("handle");
    assert!(r.actions.iter().all(|a| a.status != ActionStatus::Executed));
    assert_eq!(exec.executed().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn failed_verification_rolls_back_and_escalates() {
    let exec = Arc::new(TestExecutor::new());
    let metrics = Arc::new(StaticMetrics::new());
    metrics.set("db", "error_rate", 0.5); // failover does not help
    let yaml = r#"
- name: crit
  match: { severity: [critical] }
  steps:
    - { name: failover, action: failover, verify: { metric: error_rate, op: "<", threshold: 0.05 } }
    - { name: fix, action: deploy_fix }
  rollback:
    - { name: undo, action: rollback_deployment }
  escalate_to: humans
- name: humans
  steps:
    - { name: ticket, action: open_ticket }
"#;
    let engine = RemediationEngine::builder()
        .guards(live())
        .runbooks(RunbookSet::from_yaml_str("t", yaml).expect("runbooks"))
        .executor(exec.clone())
        .metrics(metrics)
        .approver(Arc::new(StaticApprover::approve_all()))
        .build()
        .expect("engine");
    let r = engine
        .handle(&incident(1, "db", 0.97, Some(0.9)))
        .await
        .expect("handle");
    let seq: Vec<(String, ActionStatus)> = r
        .actions
        .iter()
        .map(|a| (a.step.clone(), a.status))
        .collect();
    assert_eq!(
        seq,
        [
            ("failover".to_owned(), ActionStatus::Executed),
            ("fix".to_owned(), ActionStatus::Skipped),
            ("rollback:undo".to_owned(), ActionStatus::Executed),
            ("ticket".to_owned(), ActionStatus::Executed),
        ]
    );
    assert!(r.actions[0].reason.contains("does not satisfy"));
    assert_eq!(r.escalated_to.as_deref(), Some("humans"));
    assert!(!r.succeeded);
    let s = engine.stats();
    let class = &r.decision.class;
    assert_eq!(s.get(class, "crit").failures, 1);
    let replay = engine.journal().replay().expect("replay");
    assert!(
        replay
            .records
            .iter()
            .any(|r| matches!(r.entry, Entry::Rollback { .. }))
    );
    assert!(
        replay
            .records
            .iter()
            .any(|r| matches!(&r.entry, Entry::Escalation { to, .. } if to == "humans"))
    );
    assert!(
        replay
            .records
            .iter()
            .any(|r| matches!(r.entry, Entry::Verification { held: false, .. }))
    );
}

#[tokio::test]
async fn external_actions_go_through_the_same_guards() {
    let exec = Arc::new(TestExecutor::new());
    let engine = RemediationEngine::builder()
        .guards(live())
        .executor(exec.clone())
        .approver(Arc::new(StaticApprover::approve_all()))
        .build()
        .expect("engine");
    let a = isolate_source_action(None, "203.0.113.7", Severity::Critical, "ssh brute force");
    let r = engine.execute_action(a.clone()).await.expect("run");
    assert_eq!(
        (r.kind, r.status),
        (ActionKind::IsolateSource, ActionStatus::Executed)
    );
    assert_eq!(
        exec.executed()[0].params.get("address").map(String::as_str),
        Some("203.0.113.7")
    );
    // Re-delivered: idempotent.
    let r = engine.execute_action(a).await.expect("run");
    assert_eq!(r.status, ActionStatus::Skipped);
    engine.kill_switch().engage();
    let b = isolate_source_action(None, "198.51.100.1", Severity::Critical, "scan");
    assert_eq!(
        engine.execute_action(b).await.expect("run").status,
        ActionStatus::Blocked
    );
}

#[tokio::test(start_paused = true)]
async fn learning_and_idempotency_survive_a_restart_through_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let exec = Arc::new(TestExecutor::new());
    let build = |exec: Arc<TestExecutor>| {
        RemediationEngine::builder()
            .guards(GuardConfig {
                cooldown_ms: 0,
                ..live()
            })
            .executor(exec)
            .journal(JournalTarget::Path(path.clone(), Durability::Flush))
            .build()
            .expect("engine")
    };
    let engine = build(exec.clone());
    // Restarts never verify (no metrics): they fail; scale-outs have no metric either.
    let r = engine
        .handle(&incident(1, "db", 0.8, None))
        .await
        .expect("handle");
    let class = r.decision.class.clone();
    let before = engine.stats();
    drop(engine);
    let engine = build(exec.clone());
    assert_eq!(engine.stats(), before);
    assert_eq!(
        before
            .get(&class, r.decision.runbook.as_deref().unwrap_or_default())
            .failures,
        1
    );
    // The same incident re-delivered after the restart does not repeat its action.
    let n = exec.executed().len();
    let again = engine
        .handle(&incident(1, "db", 0.8, None))
        .await
        .expect("handle");
    if again.decision.runbook == r.decision.runbook {
        assert_eq!(again.actions[0].status, ActionStatus::Skipped, "{again:#?}");
        assert_eq!(exec.executed().len(), n);
    }
    let replay = Replay::from_path(&path).expect("replay");
    assert!(!replay.truncated_tail);
    assert_eq!(replay.incidents().len(), 1);
}

#[derive(Debug, Default)]
struct AlwaysLast(AtomicUsize);

impl RunbookSelector for AlwaysLast {
    fn select(&self, _class: &str, candidates: &[&str], _stats: &LearningStats) -> usize {
        candidates.len() - 1
    }

    fn observe(&self, _class: &str, _runbook: &str, _success: bool, _ttr: Option<i64>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_plugged_selector_chooses_and_the_default_learns() {
    let engine = RemediationEngine::builder()
        .selector(Box::new(AlwaysLast::default()))
        .build()
        .expect("engine");
    let d = engine.decide(&incident(1, "web", 0.8, None));
    assert_eq!(d.runbook.as_deref(), Some("warning-restart"));

    // Thompson sampling (default) moves to the runbook that works.
    let exec = Arc::new(TestExecutor::new());
    exec.misbehave_on_kind(ActionKind::Restart, aiops_remediation::Misbehaviour::Fail);
    let metrics = Arc::new(StaticMetrics::new());
    metrics.set("web", "utilization", 0.5);
    let engine = RemediationEngine::builder()
        .guards(GuardConfig {
            cooldown_ms: 0,
            rate_limit_max: 1_000,
            breaker_threshold: 1_000,
            ..live()
        })
        .executor(exec.clone())
        .metrics(metrics)
        .build()
        .expect("engine");
    let mut late_scale = 0;
    for i in 0..60 {
        let mut inc = incident(i, "web", 0.8, None);
        inc.labels = Labels::new().with("class", "web-latency").expect("label");
        let r = engine.handle(&inc).await.expect("handle");
        if i >= 40 && r.decision.runbook.as_deref() == Some("warning-scale-out") {
            late_scale += 1;
        }
    }
    assert!(
        late_scale >= 18,
        "scale-out chosen {late_scale}/20 times late in the run"
    );
    let s = engine.stats().get("web-latency", "warning-scale-out");
    assert!(s.successes > 0 && s.mean_ttr_ms().is_some());
}

#[test]
fn the_engine_is_send_sync_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let e = RemediationEngine::dry_run_in_memory().expect("engine");
    send_sync(&e);
    let inc = incident(1, "a", 0.1, None);
    send(e.handle(&inc));
    send(e.execute_action(isolate_source_action(
        None,
        "10.0.0.1",
        Severity::Warning,
        "t",
    )));
    let a = aiops_remediation::Assessment {
        severity: Severity::Warning,
        reasons: vec!["from the caller".into()],
    };
    send(e.handle_assessed(&inc, a));
    let shared: Arc<dyn std::any::Any + Send + Sync> = Arc::new(e);
    assert!(shared.downcast_ref::<RemediationEngine>().is_some());
}
