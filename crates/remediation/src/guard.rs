//! Guards: wrappers that implement [`Executor`] around another executor, so
//! they compose in any order (the tower `Layer` idea without the generics
//! machinery). Each refuses an action with [`Outcome::Blocked`] naming
//! itself, or passes it on.
//!
//! [`GuardConfig::build`] assembles the default stack, outermost first:
//!
//! ```text
//! kill_switch → circuit_breaker → idempotency → approval → rate_limit
//!   → cooldown → blast_radius → [dry_run] → retry → journaled → timeout → executor
//! ```
//!
//! Cheap global stops come first; idempotency precedes the budget guards so a
//! re-delivered incident does not consume rate-limit budget; dry-run sits
//! after every guard so a dry run reports exactly what a live run would be
//! allowed to do; the journal writes `action_started` immediately before the
//! real executor, and the timeout (which also contains panics) sits inside it
//! so every attempt's result is journaled.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use aiops_core::Severity;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind, Outcome};
use crate::error::{Result, config};
use crate::executor::{Approver, Clock, Executor, lock};
use crate::journal::{Entry, Journal};

// ---- kill switch --------------------------------------------------------

/// A global stop shared by the engine and its guards. While engaged no
/// action starts, including the next steps of runbooks already in flight.
#[derive(Debug, Clone, Default)]
pub struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    /// A released switch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops all automation.
    pub fn engage(&self) {
        self.0.store(true, Ordering::SeqCst);
        tracing::warn!("remediation kill switch engaged");
    }

    /// Allows automation again.
    pub fn release(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// Whether automation is stopped.
    pub fn is_engaged(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Blocks every action while the [`KillSwitch`] is engaged.
#[derive(Debug)]
pub struct KillSwitchGuard<E> {
    inner: E,
    switch: KillSwitch,
}

impl<E> KillSwitchGuard<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, switch: KillSwitch) -> Self {
        KillSwitchGuard { inner, switch }
    }
}

#[async_trait]
impl<E: Executor> Executor for KillSwitchGuard<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        if self.switch.is_engaged() {
            return Outcome::blocked("kill_switch", "automation stopped by the kill switch");
        }
        self.inner.execute(action).await
    }
}

// ---- circuit breaker ----------------------------------------------------

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open: bool,
}

/// Shared state of a circuit breaker: it opens after `threshold` consecutive
/// failed actions and stays open until [`CircuitBreaker::reset`].
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    state: Arc<Mutex<BreakerState>>,
    threshold: u32,
}

impl CircuitBreaker {
    /// A closed breaker opening after `threshold` (at least 1) consecutive failures.
    pub fn new(threshold: u32) -> Self {
        CircuitBreaker {
            state: Arc::new(Mutex::new(BreakerState::default())),
            threshold: threshold.max(1),
        }
    }

    /// Whether automation is stopped by the breaker.
    pub fn is_open(&self) -> bool {
        lock(&self.state).open
    }

    /// Closes the breaker (a human has looked).
    pub fn reset(&self) {
        let mut s = lock(&self.state);
        s.open = false;
        s.consecutive_failures = 0;
    }

    fn record(&self, outcome: &Outcome) {
        let mut s = lock(&self.state);
        match outcome {
            Outcome::Failed { .. } => {
                s.consecutive_failures += 1;
                if s.consecutive_failures >= self.threshold && !s.open {
                    s.open = true;
                    tracing::warn!(
                        failures = s.consecutive_failures,
                        "remediation circuit breaker opened"
                    );
                }
            }
            Outcome::Executed { .. } | Outcome::Planned { .. } => s.consecutive_failures = 0,
            Outcome::Blocked { .. } | Outcome::Skipped { .. } => {}
        }
    }
}

/// Blocks every action while its [`CircuitBreaker`] is open; counts failures.
#[derive(Debug)]
pub struct CircuitBreakerGuard<E> {
    inner: E,
    breaker: CircuitBreaker,
}

impl<E> CircuitBreakerGuard<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, breaker: CircuitBreaker) -> Self {
        CircuitBreakerGuard { inner, breaker }
    }
}

#[async_trait]
impl<E: Executor> Executor for CircuitBreakerGuard<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        if self.breaker.is_open() {
            return Outcome::blocked(
                "circuit_breaker",
                format!(
                    "open after {} consecutive failures; reset required",
                    self.breaker.threshold
                ),
            );
        }
        let outcome = self.inner.execute(action).await;
        self.breaker.record(&outcome);
        outcome
    }
}

// ---- idempotency --------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    InProgress,
    Done,
    InDoubt,
}

/// Idempotency keys already used, shared and seeded from the journal on start.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyStore(Arc<Mutex<HashMap<String, KeyState>>>);

impl IdempotencyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks a key done (`in_doubt` = started before a crash with no result).
    pub fn mark(&self, key: &str, in_doubt: bool) {
        let state = if in_doubt {
            KeyState::InDoubt
        } else {
            KeyState::Done
        };
        lock(&self.0).insert(key.to_owned(), state);
    }

    /// Whether a key is done, in progress or in doubt.
    pub fn contains(&self, key: &str) -> bool {
        lock(&self.0).contains_key(key)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        lock(&self.0).is_empty()
    }
}

/// Skips an action whose idempotency key was already executed (or is running,
/// or is in doubt after a crash).
#[derive(Debug)]
pub struct IdempotencyGuard<E> {
    inner: E,
    store: IdempotencyStore,
}

impl<E> IdempotencyGuard<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, store: IdempotencyStore) -> Self {
        IdempotencyGuard { inner, store }
    }
}

#[async_trait]
impl<E: Executor> Executor for IdempotencyGuard<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let key = action.idempotency_key.as_str();
        {
            let mut map = lock(&self.store.0);
            if let Some(state) = map.get(key) {
                let why = match state {
                    KeyState::Done => "already executed",
                    KeyState::InProgress => "already running",
                    KeyState::InDoubt => "in doubt: started before a crash with no recorded result",
                };
                return Outcome::Skipped {
                    reason: format!("idempotency key {key}: {why}"),
                };
            }
            map.insert(key.to_owned(), KeyState::InProgress);
        }
        let outcome = self.inner.execute(action).await;
        let mut map = lock(&self.store.0);
        if matches!(outcome, Outcome::Executed { .. }) {
            map.insert(key.to_owned(), KeyState::Done);
        } else {
            map.remove(key);
        }
        outcome
    }
}

// ---- approval -----------------------------------------------------------

/// Holds mutating actions at or above a severity until an [`Approver`]
/// approves; with no approver they are blocked.
#[derive(Debug)]
pub struct ApprovalGate<E> {
    inner: E,
    approver: Option<Arc<dyn Approver>>,
    min_severity: Severity,
}

impl<E> ApprovalGate<E> {
    /// Wraps `inner`; mutating actions with severity ≥ `min_severity` need approval.
    pub fn new(inner: E, approver: Option<Arc<dyn Approver>>, min_severity: Severity) -> Self {
        ApprovalGate {
            inner,
            approver,
            min_severity,
        }
    }
}

#[async_trait]
impl<E: Executor> Executor for ApprovalGate<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        if action.kind.is_mutating() && action.severity >= self.min_severity {
            match &self.approver {
                None => {
                    return Outcome::blocked(
                        "approval",
                        format!(
                            "{} at {} needs approval and no approver is configured",
                            action.kind, action.severity
                        ),
                    );
                }
                Some(a) => {
                    if let Err(reason) = a.approve(action).await {
                        return Outcome::blocked("approval", reason);
                    }
                }
            }
        }
        self.inner.execute(action).await
    }
}

// ---- rate limit ---------------------------------------------------------

/// At most `max_actions` actions of each kind per sliding `window_ms`.
#[derive(Debug)]
pub struct RateLimit<E> {
    inner: E,
    max_actions: usize,
    window_ms: i64,
    clock: Arc<dyn Clock>,
    log: Mutex<HashMap<ActionKind, VecDeque<i64>>>,
}

impl<E> RateLimit<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, max_actions: usize, window_ms: i64, clock: Arc<dyn Clock>) -> Self {
        RateLimit {
            inner,
            max_actions,
            window_ms,
            clock,
            log: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl<E: Executor> Executor for RateLimit<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let now = self.clock.now_millis();
        {
            let mut log = lock(&self.log);
            let q = log.entry(action.kind).or_default();
            while q.front().is_some_and(|t| now - *t >= self.window_ms) {
                q.pop_front();
            }
            if q.len() >= self.max_actions {
                return Outcome::blocked(
                    "rate_limit",
                    format!(
                        "{} {} action(s) in the last {} ms (limit {})",
                        q.len(),
                        action.kind,
                        self.window_ms,
                        self.max_actions
                    ),
                );
            }
            q.push_back(now);
        }
        let outcome = self.inner.execute(action).await;
        if matches!(outcome, Outcome::Blocked { .. }) {
            // Refund: a guard further in refused it, so nothing ran and the
            // budget of other resources must not be eaten by it.
            let mut log = lock(&self.log);
            if let Some(q) = log.get_mut(&action.kind)
                && let Some(pos) = q.iter().rposition(|t| *t == now)
            {
                q.remove(pos);
            }
        }
        outcome
    }
}

// ---- cool-down ----------------------------------------------------------

/// After a mutating action on a resource, blocks mutating actions on it from
/// *other* incidents for `cooldown_ms`; the steps of the incident being
/// remediated may continue.
#[derive(Debug)]
pub struct Cooldown<E> {
    inner: E,
    cooldown_ms: i64,
    clock: Arc<dyn Clock>,
    last: Mutex<HashMap<String, (Option<aiops_core::IncidentId>, i64)>>,
}

impl<E> Cooldown<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, cooldown_ms: i64, clock: Arc<dyn Clock>) -> Self {
        Cooldown {
            inner,
            cooldown_ms,
            clock,
            last: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl<E: Executor> Executor for Cooldown<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        if !action.kind.is_mutating() {
            return self.inner.execute(action).await;
        }
        let now = self.clock.now_millis();
        let previous = {
            let mut last = lock(&self.last);
            if let Some((inc, at)) = last.get(&action.resource) {
                let age = now - at;
                let same_incident = action.incident.is_some() && *inc == action.incident;
                if age < self.cooldown_ms && !same_incident {
                    return Outcome::blocked(
                        "cooldown",
                        format!(
                            "{} was acted on {age} ms ago (cool-down {} ms)",
                            action.resource, self.cooldown_ms
                        ),
                    );
                }
            }
            last.insert(action.resource.clone(), (action.incident, now))
        };
        let outcome = self.inner.execute(action).await;
        if matches!(outcome, Outcome::Blocked { .. }) {
            // Refund: nothing ran, so the cool-down must not start.
            let mut last = lock(&self.last);
            if last.get(&action.resource) == Some(&(action.incident, now)) {
                match previous {
                    Some(p) => last.insert(action.resource.clone(), p),
                    None => last.remove(&action.resource),
                };
            }
        }
        outcome
    }
}

// ---- blast radius -------------------------------------------------------

/// At most `max_concurrent` actions in flight, and mutating actions on at
/// most `max_fleet_fraction` of a fleet of `fleet_size` distinct resources
/// within `window_ms`.
#[derive(Debug)]
pub struct BlastRadius<E> {
    inner: E,
    max_concurrent: usize,
    max_resources: usize,
    window_ms: i64,
    clock: Arc<dyn Clock>,
    in_flight: AtomicUsize,
    touched: Mutex<HashMap<String, i64>>,
}

impl<E> BlastRadius<E> {
    /// Wraps `inner`. The resource budget is `ceil(fraction × fleet_size)`, at least 1.
    pub fn new(
        inner: E,
        max_concurrent: usize,
        max_fleet_fraction: f64,
        fleet_size: usize,
        window_ms: i64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let max_resources = ((max_fleet_fraction * fleet_size as f64).ceil() as usize).max(1);
        BlastRadius {
            inner,
            max_concurrent: max_concurrent.max(1),
            max_resources,
            window_ms,
            clock,
            in_flight: AtomicUsize::new(0),
            touched: Mutex::new(HashMap::new()),
        }
    }
}

struct FlightTicket<'a>(&'a AtomicUsize);

impl Drop for FlightTicket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl<E: Executor> Executor for BlastRadius<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        if !action.kind.is_mutating() {
            return self.run_counted(action).await;
        }
        let now = self.clock.now_millis();
        let previous = {
            let mut touched = lock(&self.touched);
            touched.retain(|_, t| now - *t < self.window_ms);
            if !touched.contains_key(&action.resource) && touched.len() >= self.max_resources {
                return Outcome::blocked(
                    "blast_radius",
                    format!(
                        "{} resources already acted on in the last {} ms (limit {})",
                        touched.len(),
                        self.window_ms,
                        self.max_resources
                    ),
                );
            }
            touched.insert(action.resource.clone(), now)
        };
        let outcome = self.run_counted(action).await;
        if matches!(outcome, Outcome::Blocked { .. }) {
            // Refund: nothing ran, so the resource does not use a fleet slot.
            let mut touched = lock(&self.touched);
            match previous {
                Some(p) => touched.insert(action.resource.clone(), p),
                None => touched.remove(&action.resource),
            };
        }
        outcome
    }
}

impl<E: Executor> BlastRadius<E> {
    async fn run_counted(&self, action: &Action) -> Outcome {
        let prev = self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _ticket = FlightTicket(&self.in_flight);
        if prev >= self.max_concurrent {
            return Outcome::blocked(
                "blast_radius",
                format!("{prev} actions in flight (limit {})", self.max_concurrent),
            );
        }
        self.inner.execute(action).await
    }
}

// ---- dry run ------------------------------------------------------------

/// Never calls the wrapped executor: reports what would run.
#[derive(Debug)]
pub struct DryRun<E> {
    #[allow(
        dead_code,
        reason = "kept so a dry-run stack has the same shape as a live one"
    )]
    inner: E,
}

impl<E> DryRun<E> {
    /// Wraps `inner` (which will not be called).
    pub fn new(inner: E) -> Self {
        DryRun { inner }
    }
}

#[async_trait]
impl<E: Executor> Executor for DryRun<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let mut detail = format!("dry run: would {} {}", action.kind, action.resource);
        if !action.params.is_empty() {
            let p: Vec<String> = action
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            detail.push_str(&format!(" ({})", p.join(", ")));
        }
        Outcome::Planned { detail }
    }
}

// ---- retry --------------------------------------------------------------

/// Retries failed attempts with exponential backoff (`base_ms`, doubling,
/// capped at `max_backoff_ms`). Blocked and skipped outcomes are not retried.
#[derive(Debug)]
pub struct Retry<E> {
    inner: E,
    retries: u32,
    base_ms: u64,
    max_backoff_ms: u64,
}

impl<E> Retry<E> {
    /// Wraps `inner`: up to `retries` extra attempts.
    pub fn new(inner: E, retries: u32, base_ms: u64, max_backoff_ms: u64) -> Self {
        Retry {
            inner,
            retries,
            base_ms,
            max_backoff_ms,
        }
    }
}

#[async_trait]
impl<E: Executor> Executor for Retry<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let mut attempt = 0u32;
        let mut current = action.clone();
        loop {
            current.attempt = attempt + 1;
            let outcome = self.inner.execute(&current).await;
            match outcome {
                Outcome::Failed { reason } if attempt < self.retries => {
                    let backoff = self
                        .base_ms
                        .saturating_mul(1u64 << attempt.min(30))
                        .min(self.max_backoff_ms);
                    tracing::debug!(kind = %action.kind, resource = %action.resource, attempt, backoff, %reason, "retrying");
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                    attempt += 1;
                }
                Outcome::Failed { reason } if attempt > 0 => {
                    return Outcome::failed(format!("{reason} (after {} attempts)", attempt + 1));
                }
                other => return other,
            }
        }
    }
}

// ---- journaled ----------------------------------------------------------

/// Writes `action_started` to the journal, flushed, before calling the
/// wrapped executor, and the attempt's result after. If the journal cannot
/// be written the action does not run.
#[derive(Debug)]
pub struct Journaled<E> {
    inner: E,
    journal: Arc<Journal>,
}

impl<E> Journaled<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, journal: Arc<Journal>) -> Self {
        Journaled { inner, journal }
    }
}

#[async_trait]
impl<E: Executor> Executor for Journaled<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let attempt = action.attempt;
        let started = Entry::ActionStarted {
            action: action.clone(),
            attempt,
        };
        if let Err(e) = self.journal.append(action.incident, started) {
            return Outcome::failed(format!("not run: {e}"));
        }
        let outcome = self.inner.execute(action).await;
        let result = Entry::AttemptResult {
            idempotency_key: action.idempotency_key.clone(),
            attempt,
            outcome: outcome.clone(),
        };
        if let Err(e) = self.journal.append(action.incident, result) {
            tracing::error!(error = %e, "could not journal an attempt result");
        }
        outcome
    }
}

// ---- timeout ------------------------------------------------------------

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Bounds each attempt by the action's `timeout_ms` (capped at `max_ms`)
/// and contains panics: a panicking or hanging executor becomes
/// [`Outcome::Failed`]. Needs a tokio runtime with the time driver enabled.
#[derive(Debug)]
pub struct Timeout<E> {
    inner: E,
    max_ms: u64,
}

impl<E> Timeout<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, max_ms: u64) -> Self {
        Timeout { inner, max_ms }
    }
}

#[async_trait]
impl<E: Executor> Executor for Timeout<E> {
    async fn execute(&self, action: &Action) -> Outcome {
        let ms = action.timeout_ms.clamp(1, self.max_ms.max(1));
        let created = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.execute(action)));
        let mut fut = match created {
            Ok(f) => f,
            Err(p) => return Outcome::failed(format!("executor panicked: {}", panic_message(&*p))),
        };
        let contained = std::future::poll_fn(move |cx| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(p) => p,
                Err(p) => Poll::Ready(Outcome::failed(format!(
                    "executor panicked: {}",
                    panic_message(&*p)
                ))),
            }
        });
        match tokio::time::timeout(Duration::from_millis(ms), contained).await {
            Ok(o) => o,
            Err(_) => Outcome::failed(format!("timed out after {ms} ms")),
        }
    }
}

// ---- configuration ------------------------------------------------------

/// Whether the stack changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Plan only: the real executor is never called (the default).
    #[default]
    DryRun,
    /// Run actions through the real executor.
    Live,
}

/// Settings of the default guard stack. `Default` is conservative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardConfig {
    /// Dry run (default) or live.
    pub mode: Mode,
    /// Mutating actions at or above this severity need approval; `None` = never.
    pub approval_min_severity: Option<Severity>,
    /// Actions per kind per window.
    pub rate_limit_max: usize,
    /// Rate-limit window in ms.
    pub rate_limit_window_ms: i64,
    /// Cool-down per resource in ms.
    pub cooldown_ms: i64,
    /// Concurrent actions.
    pub max_concurrent: usize,
    /// Fraction of the fleet that may be acted on within the blast window.
    pub max_fleet_fraction: f64,
    /// Number of resources in the fleet.
    pub fleet_size: usize,
    /// Blast-radius window in ms.
    pub blast_window_ms: i64,
    /// Consecutive failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// Extra attempts after a failure.
    pub retries: u32,
    /// First backoff in ms (doubles per retry).
    pub backoff_base_ms: u64,
    /// Largest backoff in ms.
    pub backoff_max_ms: u64,
    /// Cap on any step's timeout in ms.
    pub max_timeout_ms: u64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            mode: Mode::DryRun,
            approval_min_severity: Some(Severity::Critical),
            rate_limit_max: 10,
            rate_limit_window_ms: 3_600_000,
            cooldown_ms: 600_000,
            max_concurrent: 4,
            max_fleet_fraction: 0.25,
            fleet_size: 20,
            blast_window_ms: 600_000,
            breaker_threshold: 5,
            retries: 2,
            backoff_base_ms: 500,
            backoff_max_ms: 30_000,
            max_timeout_ms: crate::runbook::MAX_TIMEOUT_MS,
        }
    }
}

/// Handles on the shared state of a built stack.
#[derive(Debug, Clone)]
pub struct GuardHandles {
    /// The kill switch.
    pub kill_switch: KillSwitch,
    /// The circuit breaker.
    pub breaker: CircuitBreaker,
    /// The idempotency keys.
    pub idempotency: IdempotencyStore,
}

impl GuardConfig {
    /// Validates the settings.
    pub fn check(self) -> Result<Self> {
        if self.rate_limit_max == 0 {
            return Err(config("guards.rate_limit_max", "must be at least 1"));
        }
        if self.rate_limit_window_ms <= 0 {
            return Err(config("guards.rate_limit_window_ms", "must be positive"));
        }
        if self.cooldown_ms < 0 {
            return Err(config("guards.cooldown_ms", "must not be negative"));
        }
        if self.max_concurrent == 0 {
            return Err(config("guards.max_concurrent", "must be at least 1"));
        }
        if !(self.max_fleet_fraction > 0.0 && self.max_fleet_fraction <= 1.0) {
            return Err(config("guards.max_fleet_fraction", "must be in (0, 1]"));
        }
        if self.fleet_size == 0 {
            return Err(config("guards.fleet_size", "must be at least 1"));
        }
        if self.blast_window_ms <= 0 {
            return Err(config("guards.blast_window_ms", "must be positive"));
        }
        if self.breaker_threshold == 0 {
            return Err(config("guards.breaker_threshold", "must be at least 1"));
        }
        if self.retries > 10 {
            return Err(config("guards.retries", "at most 10"));
        }
        if self.max_timeout_ms == 0 {
            return Err(config("guards.max_timeout_ms", "must be positive"));
        }
        Ok(self)
    }

    /// Builds the default stack around `executor` (see the module docs for
    /// the order). `handles` carries shared state (e.g. an idempotency store
    /// seeded from the journal).
    pub fn build(
        &self,
        executor: Arc<dyn Executor>,
        journal: Arc<Journal>,
        clock: Arc<dyn Clock>,
        approver: Option<Arc<dyn Approver>>,
        handles: &GuardHandles,
    ) -> Arc<dyn Executor> {
        let timed = Timeout::new(executor, self.max_timeout_ms);
        let journaled = Journaled::new(timed, journal);
        let retried = Retry::new(
            journaled,
            self.retries,
            self.backoff_base_ms,
            self.backoff_max_ms,
        );
        let core: Box<dyn Executor> = match self.mode {
            Mode::Live => Box::new(retried),
            Mode::DryRun => Box::new(DryRun::new(retried)),
        };
        let blast = BlastRadius::new(
            core,
            self.max_concurrent,
            self.max_fleet_fraction,
            self.fleet_size,
            self.blast_window_ms,
            Arc::clone(&clock),
        );
        let cool = Cooldown::new(blast, self.cooldown_ms, Arc::clone(&clock));
        let rate = RateLimit::new(cool, self.rate_limit_max, self.rate_limit_window_ms, clock);
        let approval: Box<dyn Executor> = match self.approval_min_severity {
            Some(min) => Box::new(ApprovalGate::new(rate, approver, min)),
            None => Box::new(rate),
        };
        let idem = IdempotencyGuard::new(approval, handles.idempotency.clone());
        let breaker = CircuitBreakerGuard::new(idem, handles.breaker.clone());
        Arc::new(KillSwitchGuard::new(breaker, handles.kill_switch.clone()))
    }
}
