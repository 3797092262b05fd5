//! Each guard: one scenario where it must block and one where it must allow;
//! a storm on one resource; the kill switch; panicking and hanging executors.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use std::sync::Arc;

use aiops_core::{IncidentId, Severity};
use aiops_remediation::guard::{
    ApprovalGate, BlastRadius, CircuitBreaker, CircuitBreakerGuard, Cooldown, DryRun,
    IdempotencyGuard, IdempotencyStore, Journaled, KillSwitch, KillSwitchGuard, RateLimit, Retry,
    Timeout,
};
use aiops_remediation::journal::Entry;
use aiops_remediation::{
    Action, ActionKind, ActionStatus, Executor, Journal, ManualClock, Misbehaviour, Outcome,
    StaticApprover, TestExecutor,
};

fn act(incident: u64, kind: ActionKind, resource: &str) -> Action {
    Action::new(
        Some(IncidentId(incident)),
        kind,
        resource,
        "rb",
        format!("step-{incident}"),
    )
}

fn status(o: &Outcome) -> ActionStatus {
    o.status()
}

#[tokio::test]
async fn kill_switch_blocks_when_engaged_and_allows_when_released() {
    let exec = Arc::new(TestExecutor::new());
    let switch = KillSwitch::new();
    let g = KillSwitchGuard::new(Arc::clone(&exec), switch.clone());
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    switch.engage();
    let o = g.execute(&act(2, ActionKind::Restart, "a")).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "kill_switch"));
    switch.release();
    assert_eq!(
        status(&g.execute(&act(3, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    assert_eq!(exec.executed().len(), 2);
}

#[tokio::test]
async fn circuit_breaker_opens_after_repeated_failures_until_reset() {
    let exec = Arc::new(TestExecutor::new());
    let breaker = CircuitBreaker::new(3);
    let g = CircuitBreakerGuard::new(Arc::clone(&exec), breaker.clone());
    // Allows: a failure then a success resets the count.
    exec.fail_next(2);
    for i in 0..2 {
        assert_eq!(
            status(&g.execute(&act(i, ActionKind::Restart, "a")).await),
            ActionStatus::Failed
        );
    }
    assert_eq!(
        status(&g.execute(&act(9, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    assert!(!breaker.is_open());
    // Blocks: three consecutive failures open it.
    exec.fail_all(true);
    for i in 10..13 {
        assert_eq!(
            status(&g.execute(&act(i, ActionKind::Restart, "a")).await),
            ActionStatus::Failed
        );
    }
    assert!(breaker.is_open());
    exec.fail_all(false);
    let attempts = exec.attempts();
    let o = g.execute(&act(20, ActionKind::Restart, "a")).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "circuit_breaker"));
    assert_eq!(
        exec.attempts(),
        attempts,
        "an open breaker must not call the executor"
    );
    breaker.reset();
    assert_eq!(
        status(&g.execute(&act(21, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
}

#[tokio::test]
async fn idempotency_skips_a_redelivered_action_but_allows_new_ones() {
    let exec = Arc::new(TestExecutor::new());
    let g = IdempotencyGuard::new(Arc::clone(&exec), IdempotencyStore::new());
    let a = act(1, ActionKind::Failover, "db");
    assert_eq!(status(&g.execute(&a).await), ActionStatus::Executed);
    assert_eq!(status(&g.execute(&a.clone()).await), ActionStatus::Skipped);
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Failover, "db")).await),
        ActionStatus::Executed
    );
    // A failed action may be retried under the same key.
    exec.fail_next(1);
    let b = act(3, ActionKind::Failover, "db");
    assert_eq!(status(&g.execute(&b).await), ActionStatus::Failed);
    assert_eq!(status(&g.execute(&b).await), ActionStatus::Executed);
    assert_eq!(exec.executed().len(), 3);
}

#[tokio::test]
async fn approval_gate_holds_critical_mutations_only() {
    let exec = Arc::new(TestExecutor::new());
    let none = ApprovalGate::new(Arc::clone(&exec), None, Severity::Critical);
    let crit = act(1, ActionKind::Failover, "db").with_severity(Severity::Critical);
    let o = none.execute(&crit).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "approval"));
    // Non-mutating and lower-severity actions pass.
    let note = act(2, ActionKind::Notify, "db").with_severity(Severity::Critical);
    assert_eq!(status(&none.execute(&note).await), ActionStatus::Executed);
    let warn = act(3, ActionKind::Restart, "db").with_severity(Severity::Warning);
    assert_eq!(status(&none.execute(&warn).await), ActionStatus::Executed);
    // An approver decides.
    let only_db = ApprovalGate::new(
        Arc::clone(&exec),
        Some(Arc::new(StaticApprover::only_resources(["db"]))),
        Severity::Critical,
    );
    assert_eq!(
        status(&only_db.execute(&crit).await),
        ActionStatus::Executed
    );
    let web = act(4, ActionKind::Failover, "web").with_severity(Severity::Critical);
    assert_eq!(status(&only_db.execute(&web).await), ActionStatus::Blocked);
}

#[tokio::test]
async fn rate_limit_is_per_kind_and_window() {
    let exec = Arc::new(TestExecutor::new());
    let clock = Arc::new(ManualClock::new(0));
    let g = RateLimit::new(Arc::clone(&exec), 2, 60_000, clock.clone());
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Restart, "b")).await),
        ActionStatus::Executed
    );
    let o = g.execute(&act(3, ActionKind::Restart, "c")).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "rate_limit"));
    // Another kind has its own budget.
    assert_eq!(
        status(&g.execute(&act(4, ActionKind::Scale, "c")).await),
        ActionStatus::Executed
    );
    clock.advance(60_000);
    assert_eq!(
        status(&g.execute(&act(5, ActionKind::Restart, "c")).await),
        ActionStatus::Executed
    );
}

#[tokio::test]
async fn cooldown_blocks_other_incidents_on_the_same_resource() {
    let exec = Arc::new(TestExecutor::new());
    let clock = Arc::new(ManualClock::new(0));
    let g = Cooldown::new(Arc::clone(&exec), 300_000, clock.clone());
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "db")).await),
        ActionStatus::Executed
    );
    // Same incident, next step: allowed.
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Scale, "db")).await),
        ActionStatus::Executed
    );
    // Other incident within the cool-down: blocked; other resource: allowed.
    let o = g.execute(&act(2, ActionKind::Restart, "db")).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "cooldown"));
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Restart, "web")).await),
        ActionStatus::Executed
    );
    // Notifications are not throttled by the cool-down.
    assert_eq!(
        status(&g.execute(&act(3, ActionKind::Notify, "db")).await),
        ActionStatus::Executed
    );
    clock.advance(300_000);
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Restart, "db")).await),
        ActionStatus::Executed
    );
}

#[tokio::test]
async fn blast_radius_limits_fleet_fraction() {
    let exec = Arc::new(TestExecutor::new());
    let clock = Arc::new(ManualClock::new(0));
    // 20 % of a fleet of 10 = 2 resources per window.
    let g = BlastRadius::new(Arc::clone(&exec), 4, 0.2, 10, 60_000, clock.clone());
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "h1")).await),
        ActionStatus::Executed
    );
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Restart, "h2")).await),
        ActionStatus::Executed
    );
    // A resource already in the set is allowed again.
    assert_eq!(
        status(&g.execute(&act(3, ActionKind::Scale, "h1")).await),
        ActionStatus::Executed
    );
    let o = g.execute(&act(4, ActionKind::Restart, "h3")).await;
    assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "blast_radius"));
    clock.advance(60_000);
    assert_eq!(
        status(&g.execute(&act(5, ActionKind::Restart, "h3")).await),
        ActionStatus::Executed
    );
}

#[tokio::test(start_paused = true)]
async fn blast_radius_limits_concurrency() {
    let exec = Arc::new(TestExecutor::with_delay_ms(1_000));
    let clock = Arc::new(ManualClock::new(0));
    let g = Arc::new(BlastRadius::new(
        Arc::clone(&exec),
        2,
        1.0,
        100,
        60_000,
        clock,
    ));
    let actions: Vec<Action> = (0..5)
        .map(|i| act(i, ActionKind::Notify, &format!("h{i}")))
        .collect();
    let outs = futures_join(&g, &actions).await;
    let executed = outs
        .iter()
        .filter(|o| o.status() == ActionStatus::Executed)
        .count();
    let blocked = outs
        .iter()
        .filter(|o| o.status() == ActionStatus::Blocked)
        .count();
    assert_eq!((executed, blocked), (2, 3));
    assert!(exec.max_in_flight() <= 2);
    // Once they finish, new actions are allowed.
    assert_eq!(
        status(&g.execute(&act(9, ActionKind::Notify, "h9")).await),
        ActionStatus::Executed
    );
}

/// Runs the actions concurrently on one task.
async fn futures_join<E: Executor + 'static>(g: &Arc<E>, actions: &[Action]) -> Vec<Outcome> {
    let mut set = tokio::task::JoinSet::new();
    for a in actions {
        let g = Arc::clone(g);
        let a = a.clone();
        set.spawn(async move { g.execute(&a).await });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap_or_else(|e| Outcome::failed(e.to_string())));
    }
    out
}

#[tokio::test]
async fn dry_run_never_calls_the_executor() {
    let exec = Arc::new(TestExecutor::new());
    let g = DryRun::new(Arc::clone(&exec));
    let o = g
        .execute(&act(1, ActionKind::Failover, "db").with_param("target", "standby"))
        .await;
    assert_eq!(o.status(), ActionStatus::Planned);
    assert!(o.reason().contains("failover db (target=standby)"));
    assert_eq!(exec.attempts(), 0);
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_then_succeed_or_give_up() {
    let exec = Arc::new(TestExecutor::new());
    let g = Retry::new(Arc::clone(&exec), 2, 100, 1_000);
    exec.fail_next(2);
    let t0 = tokio::time::Instant::now();
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    assert_eq!(exec.attempts(), 3);
    // Backoff 100 ms then 200 ms.
    assert_eq!(t0.elapsed().as_millis(), 300);
    exec.fail_all(true);
    let o = g.execute(&act(2, ActionKind::Restart, "a")).await;
    assert!(o.reason().contains("after 3 attempts"), "{o:?}");
}

#[tokio::test(start_paused = true)]
async fn a_hanging_executor_times_out() {
    let exec = Arc::new(TestExecutor::new());
    exec.misbehave_on_kind(ActionKind::Restart, Misbehaviour::Hang);
    let g = Timeout::new(Arc::clone(&exec), 3_600_000);
    let o = g
        .execute(&act(1, ActionKind::Restart, "a").with_timeout_ms(2_000))
        .await;
    assert_eq!(o.status(), ActionStatus::Failed);
    assert!(o.reason().contains("timed out after 2000 ms"));
    // Allowed: a normal action within its timeout.
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Scale, "a")).await),
        ActionStatus::Executed
    );
}

#[tokio::test]
async fn a_panicking_executor_is_contained_and_journaled_as_failure() {
    let exec = Arc::new(TestExecutor::new());
    exec.misbehave_on_resource("bad", Misbehaviour::Panic);
    let journal = Arc::new(Journal::in_memory());
    let g = Journaled::new(
        Timeout::new(Arc::clone(&exec), 60_000),
        Arc::clone(&journal),
    );
    let o = g.execute(&act(1, ActionKind::Restart, "bad")).await;
    assert_eq!(o.status(), ActionStatus::Failed);
    assert!(
        o.reason().contains("executor panicked: injected panic"),
        "{o:?}"
    );
    assert_eq!(
        status(&g.execute(&act(2, ActionKind::Restart, "good")).await),
        ActionStatus::Executed
    );
    let replay = journal.replay().expect("replay");
    let results: Vec<_> = replay
        .records
        .iter()
        .filter_map(|r| match &r.entry {
            Entry::AttemptResult { outcome, .. } => Some(outcome.status()),
            _ => None,
        })
        .collect();
    assert_eq!(results, [ActionStatus::Failed, ActionStatus::Executed]);
}

/// Blocks every action (stands in for a guard further in).
#[derive(Debug)]
struct BlockAll;

#[async_trait::async_trait]
impl Executor for BlockAll {
    async fn execute(&self, _action: &Action) -> Outcome {
        Outcome::blocked("inner", "refused further in")
    }
}

#[tokio::test]
async fn budgets_are_refunded_when_a_guard_further_in_blocks() {
    let clock = Arc::new(ManualClock::new(0));
    // A storm on a cooling-down resource must not eat the rate budget of others.
    let exec = Arc::new(TestExecutor::new());
    let cool = Cooldown::new(Arc::clone(&exec), 600_000, clock.clone());
    let g = RateLimit::new(cool, 2, 3_600_000, clock.clone());
    assert_eq!(
        status(&g.execute(&act(1, ActionKind::Restart, "a")).await),
        ActionStatus::Executed
    );
    for i in 2..100 {
        let o = g.execute(&act(i, ActionKind::Restart, "a")).await;
        assert!(matches!(&o, Outcome::Blocked { guard, .. } if guard == "cooldown"));
    }
    assert_eq!(
        status(&g.execute(&act(100, ActionKind::Restart, "b")).await),
        ActionStatus::Executed
    );
    // Blocked further in: no cool-down starts and no fleet slot is used.
    let cool = Cooldown::new(BlockAll, 600_000, clock.clone());
    assert_eq!(
        status(&cool.execute(&act(1, ActionKind::Restart, "a")).await),
        ActionStatus::Blocked
    );
    let o = cool.execute(&act(2, ActionKind::Restart, "a")).await;
    assert!(
        matches!(&o, Outcome::Blocked { guard, .. } if guard == "inner"),
        "{o:?}"
    );
    let blast = BlastRadius::new(BlockAll, 4, 0.1, 10, 60_000, clock);
    for i in 0..3 {
        let o = blast
            .execute(&act(i, ActionKind::Restart, &format!("h{i}")))
            .await;
        assert!(
            matches!(&o, Outcome::Blocked { guard, .. } if guard == "inner"),
            "{o:?}"
        );
    }
}
