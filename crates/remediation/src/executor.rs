//! Executors: the async trait actions run through, a dry-run executor, a test
//! executor that fails on demand, metric sources for verification, and clocks.
//!
//! No executor here runs shell commands; a real integration (a cloud API, an
//! orchestrator client) implements [`Executor`] in the application.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::action::{Action, ActionKind, Outcome};

/// Runs actions. Guards wrap an executor and implement this trait too, so
/// they compose in any order; the engine stores the stack as
/// `Arc<dyn Executor>`.
#[async_trait]
pub trait Executor: Send + Sync + fmt::Debug {
    /// Runs (or plans, or refuses) one action.
    async fn execute(&self, action: &Action) -> Outcome;
}

#[async_trait]
impl<E: Executor + ?Sized> Executor for Box<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        (**self).execute(action).await
    }
}

#[async_trait]
impl<E: Executor + ?Sized> Executor for Arc<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        (**self).execute(action).await
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of our locks cannot leave the plain data
    // inside inconsistent (every critical section is a single update), so a
    // poisoned lock is recovered rather than propagated.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn describe(action: &Action) -> String {
    let mut s = format!("{} {}", action.kind, action.resource);
    if !action.params.is_empty() {
        let params: Vec<String> = action
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        s.push_str(&format!(" ({})", params.join(", ")));
    }
    s
}

/// Records what would happen and changes nothing: every action is
/// [`Outcome::Planned`].
#[derive(Debug, Default)]
pub struct DryRunExecutor {
    planned: Mutex<Vec<Action>>,
}

impl DryRunExecutor {
    /// A new dry-run executor.
    pub fn new() -> Self {
        Self::default()
    }

    /// The actions planned so far, in order.
    pub fn planned(&self) -> Vec<Action> {
        lock(&self.planned).clone()
    }
}

#[async_trait]
impl Executor for DryRunExecutor {
    async fn execute(&self, action: &Action) -> Outcome {
        lock(&self.planned).push(action.clone());
        Outcome::Planned {
            detail: format!("dry run: would {}", describe(action)),
        }
    }
}

/// How the [`TestExecutor`] misbehaves for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Return a failure.
    Fail,
    /// Panic inside `execute`.
    Panic,
    /// Never return (until cancelled by a timeout).
    Hang,
}

#[derive(Debug, Default)]
struct TestState {
    executed: Vec<Action>,
    attempts: usize,
    by_kind: HashMap<ActionKind, Misbehaviour>,
    by_resource: HashMap<String, Misbehaviour>,
    fail_next: usize,
    fail_all: bool,
    in_flight: usize,
    max_in_flight: usize,
}

/// An executor for tests that succeeds, fails, panics or hangs on demand and
/// records every action it actually executed.
#[derive(Debug, Default)]
pub struct TestExecutor {
    state: Mutex<TestState>,
    delay_ms: u64,
}

impl TestExecutor {
    /// An executor that succeeds at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// An executor whose successful actions take `delay_ms` (tokio time).
    pub fn with_delay_ms(delay_ms: u64) -> Self {
        TestExecutor {
            delay_ms,
            ..Self::default()
        }
    }

    /// Misbehave for every action of a kind.
    pub fn misbehave_on_kind(&self, kind: ActionKind, how: Misbehaviour) {
        lock(&self.state).by_kind.insert(kind, how);
    }

    /// Misbehave for every action on a resource.
    pub fn misbehave_on_resource(&self, resource: &str, how: Misbehaviour) {
        lock(&self.state)
            .by_resource
            .insert(resource.to_owned(), how);
    }

    /// Fail the next `n` attempts, then succeed.
    pub fn fail_next(&self, n: usize) {
        lock(&self.state).fail_next = n;
    }

    /// Fail every attempt (`true`) or stop doing so (`false`).
    pub fn fail_all(&self, on: bool) {
        lock(&self.state).fail_all = on;
    }

    /// Actions executed successfully, in order.
    pub fn executed(&self) -> Vec<Action> {
        lock(&self.state).executed.clone()
    }

    /// Number of calls to `execute`, including failures.
    pub fn attempts(&self) -> usize {
        lock(&self.state).attempts
    }

    /// Highest number of concurrent calls seen.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }
}

struct InFlight<'a>(&'a Mutex<TestState>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut s = lock(self.0);
        s.in_flight = s.in_flight.saturating_sub(1);
    }
}

#[async_trait]
impl Executor for TestExecutor {
    async fn execute(&self, action: &Action) -> Outcome {
        let how = {
            let mut s = lock(&self.state);
            s.attempts += 1;
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            if s.fail_all {
                Some(Misbehaviour::Fail)
            } else if s.fail_next > 0 {
                s.fail_next -= 1;
                Some(Misbehaviour::Fail)
            } else {
                s.by_kind
                    .get(&action.kind)
                    .or_else(|| s.by_resource.get(&action.resource))
                    .copied()
            }
        };
        let _guard = InFlight(&self.state);
        match how {
            Some(Misbehaviour::Fail) => {
                Outcome::failed(format!("injected failure for {}", describe(action)))
            }
            Some(Misbehaviour::Panic) => panic!("injected panic for {}", action.kind),
            Some(Misbehaviour::Hang) => {
                std::future::pending::<()>().await;
                Outcome::failed("unreachable")
            }
            None => {
                if self.delay_ms > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(self.delay_ms)).await;
                }
                lock(&self.state).executed.push(action.clone());
                Outcome::Executed {
                    detail: format!("executed {}", describe(action)),
                }
            }
        }
    }
}

/// Where verifications read metrics of a resource after a step.
#[async_trait]
pub trait MetricSource: Send + Sync + fmt::Debug {
    /// The current value of `metric` on `resource`, or `None` when unknown.
    async fn read(&self, resource: &str, metric: &str) -> Option<f64>;
}

/// A metric source that knows nothing: every verification is unverifiable.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

#[async_trait]
impl MetricSource for NoMetrics {
    async fn read(&self, _resource: &str, _metric: &str) -> Option<f64> {
        None
    }
}

/// A metric source backed by a settable table (tests, simulations).
#[derive(Debug, Default)]
pub struct StaticMetrics {
    values: Mutex<HashMap<(String, String), f64>>,
}

impl StaticMetrics {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `metric` of `resource`.
    pub fn set(&self, resource: &str, metric: &str, value: f64) {
        lock(&self.values).insert((resource.to_owned(), metric.to_owned()), value);
    }
}

#[async_trait]
impl MetricSource for StaticMetrics {
    async fn read(&self, resource: &str, metric: &str) -> Option<f64> {
        lock(&self.values)
            .get(&(resource.to_owned(), metric.to_owned()))
            .copied()
    }
}

/// Wall-clock time for guards (rate limits, cool-downs), in milliseconds.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock moved by hand (tests, replays of recorded data).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `ms`.
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Approves or denies actions that an approval gate holds.
#[async_trait]
pub trait Approver: Send + Sync + fmt::Debug {
    /// `Ok(())` to approve, `Err(reason)` to deny.
    async fn approve(&self, action: &Action) -> Result<(), String>;
}

/// An approver with a fixed answer, optionally allowing only some resources.
#[derive(Debug, Clone, Default)]
pub struct StaticApprover {
    approve_all: bool,
    allowed_resources: HashSet<String>,
}

impl StaticApprover {
    /// Approves everything (for dry runs and tests).
    pub fn approve_all() -> Self {
        StaticApprover {
            approve_all: true,
            allowed_resources: HashSet::new(),
        }
    }

    /// Denies everything.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Approves only actions on these resources.
    pub fn only_resources<I, S>(resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        StaticApprover {
            approve_all: false,
            allowed_resources: resources.into_iter().map(Into::into).collect(),
        }
    }
}

#[async_trait]
impl Approver for StaticApprover {
    async fn approve(&self, action: &Action) -> Result<(), String> {
        if self.approve_all || self.allowed_resources.contains(&action.resource) {
            Ok(())
        } else {
            Err(format!(
                "approval denied for {} on {}",
                action.kind, action.resource
            ))
        }
    }
}
