//! Apply: run a plan's steps through a [`Provider`] over the dependency
//! graph, with bounded parallelism and a state file written atomically
//! after every completed step.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_trait::async_trait;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::plan::{Action, Plan, StepKind};
use crate::resource::{Attributes, ConfigRef, Mode, RefView, ResourceState, State};
use crate::value::{Lookup, Resolved, resolve};

/// A resource handed to a provider, with every reference resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSpec {
    /// Address.
    pub address: String,
    /// Resource type.
    pub resource_type: String,
    /// Provider configuration.
    pub provider: String,
    /// Desired attributes, fully known.
    pub attributes: Attributes,
}

/// An error reported by a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// What went wrong.
    pub message: String,
}

impl ProviderError {
    /// A provider error with `message`.
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProviderError {}

/// Creates, updates, deletes and reads real resources.
///
/// Returned attributes are the full object as it now exists (desired
/// attributes plus computed ones such as `id`); they are recorded in the
/// state and resolve references of dependents.
#[async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// Creates a resource.
    async fn create(&self, spec: &ResourceSpec) -> std::result::Result<Attributes, ProviderError>;
    /// Updates a resource in place from `prior` to `spec`.
    async fn update(
        &self,
        spec: &ResourceSpec,
        prior: &Attributes,
    ) -> std::result::Result<Attributes, ProviderError>;
    /// Deletes the object described by `prior`.
    async fn delete(
        &self,
        address: &str,
        resource_type: &str,
        prior: &Attributes,
    ) -> std::result::Result<(), ProviderError>;
    /// Reads a data source.
    async fn read(&self, spec: &ResourceSpec) -> std::result::Result<Attributes, ProviderError>;
}

/// Apply settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Maximum provider calls in flight (Terraform's `-parallelism`);
    /// default 10, must be at least 1.
    pub parallelism: usize,
    /// Where to write the state after every completed step; `None` keeps
    /// it in memory only.
    pub state_path: Option<PathBuf>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            state_path: None,
        }
    }
}

/// What happened to one step.
#[derive(Debug)]
pub enum StepStatus {
    /// The provider applied it and the state records it.
    Applied,
    /// The provider failed or panicked; nothing was recorded for it.
    Failed(Error),
    /// Not run because a step it waits for failed or was skipped.
    Skipped {
        /// Address whose failure caused the skip.
        because: String,
    },
}

/// The outcome of one step.
#[derive(Debug)]
pub struct StepOutcome {
    /// Resource address.
    pub address: String,
    /// What the step did.
    pub kind: StepKind,
    /// How it ended.
    pub status: StepStatus,
}

/// The result of an apply.
#[derive(Debug)]
pub struct ApplyReport {
    /// One outcome per step, in completion order (skips last).
    pub outcomes: Vec<StepOutcome>,
    /// The state after the apply: exactly what was applied.
    pub state: State,
}

impl ApplyReport {
    /// Number of applied steps.
    pub fn applied(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, StepStatus::Applied))
            .count()
    }
    /// The failed steps with their errors.
    pub fn failures(&self) -> Vec<(&str, &Error)> {
        self.outcomes
            .iter()
            .filter_map(|o| match &o.status {
                StepStatus::Failed(e) => Some((o.address.as_str(), e)),
                _ => None,
            })
            .collect()
    }
    /// Addresses of skipped steps.
    pub fn skipped(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, StepStatus::Skipped { .. }))
            .map(|o| o.address.as_str())
            .collect()
    }
    /// True when every step was applied.
    pub fn is_success(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o.status, StepStatus::Applied))
    }
}

/// A future that turns a panic while polling into an `Err` with the
/// panic message.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, String>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                Poll::Ready(Err(msg))
            }
        }
    }
}

/// What a finished provider call produced.
enum Done {
    Attrs(Attributes),
    Deleted,
}

type CallResult = std::result::Result<std::result::Result<Done, ProviderError>, String>;

/// Resolves a step's spec against the working state.
fn spec_for(plan: &Plan, change: usize, state: &State) -> Result<ResourceSpec> {
    let c = &plan.changes()[change];
    let cfg = c.config.as_ref().map(ConfigRef::get).ok_or_else(|| {
        Error::field(
            &c.address,
            "config",
            "this plan carries no configuration for the resource (plans read from Terraform cannot be applied)",
        )
    })?;
    let lookup = |r: &RefView<'_>| -> Lookup<'_> {
        match state
            .resources
            .get(r.target.as_ref())
            .and_then(|t| t.attributes.get(r.attribute.as_ref()))
        {
            Some(v) => Lookup::Known(v),
            None => Lookup::Missing,
        }
    };
    let mut attributes = Attributes::new();
    for (k, v) in &cfg.attributes {
        match resolve(&c.address, k, v, &lookup)? {
            Resolved::Known(x) => {
                attributes.insert(k.clone(), x);
            }
            Resolved::Unknown => {
                return Err(Error::DanglingReference {
                    resource: c.address.clone(),
                    target: k.clone(),
                });
            }
        }
    }
    Ok(ResourceSpec {
        address: c.address.clone(),
        resource_type: c.resource_type.clone(),
        provider: c.provider.clone(),
        attributes,
    })
}

/// Applies `plan` to `state` through `provider`.
///
/// Steps run as soon as the steps they wait for are applied, at most
/// `options.parallelism` at a time. When a step fails (provider error or
/// panic), every step that waits on it, directly or not, is skipped and
/// all independent steps still run. After every applied step the state is
/// updated and, with `options.state_path`, written atomically, so the file
/// always matches what the provider has applied.
///
/// # Errors
/// [`Error::InvalidField`] for `parallelism == 0`; [`Error::State`] when a
/// state write fails: no new step starts after that, steps in flight
/// finish, and the error is returned (the file still holds the last state
/// that was written completely). Provider failures and panics are not
/// errors of the apply: they are in the report.
pub async fn apply(
    plan: &Plan,
    state: State,
    provider: Arc<dyn Provider>,
    options: &ApplyOptions,
) -> Result<ApplyReport> {
    if options.parallelism == 0 {
        return Err(Error::field(
            "apply options",
            "parallelism",
            "must be at least 1",
        ));
    }
    let steps = plan.steps();
    let changes = plan.changes();
    let mut state = state;
    let mut remaining: Vec<usize> = steps.iter().map(|s| s.after.len()).collect();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        for &a in &s.after {
            succ[a].push(i);
        }
    }
    // Ready steps in the plan's order, so sequential applies are stable.
    let rank: Vec<usize> = {
        let mut r = vec![0; steps.len()];
        for (k, &s) in plan.step_order().iter().enumerate() {
            r[s] = k;
        }
        r
    };
    let mut ready: BTreeMap<usize, usize> = steps
        .iter()
        .enumerate()
        .filter(|(i, _)| remaining[*i] == 0)
        .map(|(i, _)| (rank[i], i))
        .collect();
    let mut blocked_by: Vec<Option<String>> = vec![None; steps.len()];
    let mut outcomes = Vec::with_capacity(steps.len());
    let mut set: JoinSet<(usize, CallResult)> = JoinSet::new();
    let mut write_error: Option<Error> = None;

    loop {
        while write_error.is_none() && set.len() < options.parallelism {
            let Some((_, s)) = ready.pop_first() else {
                break;
            };
            let step = &steps[s];
            let c = &changes[step.change];
            let prior = state.resources.get(&c.address);
            tracing::debug!(address = %c.address, step = step.kind.as_str(), "starting step");
            let p = Arc::clone(&provider);
            let fut: Pin<
                Box<dyn Future<Output = std::result::Result<Done, ProviderError>> + Send>,
            > = match step.kind {
                StepKind::Create | StepKind::Update | StepKind::Read => {
                    let spec = match spec_for(plan, step.change, &state) {
                        Ok(spec) => spec,
                        Err(e) => {
                            fail(s, e, steps, changes, &succ, &mut blocked_by, &mut outcomes);
                            continue;
                        }
                    };
                    let kind = step.kind;
                    let prior_attrs = prior.map(|p| p.attributes.clone()).unwrap_or_default();
                    Box::pin(async move {
                        match kind {
                            StepKind::Create => p.create(&spec).await.map(Done::Attrs),
                            StepKind::Update => {
                                p.update(&spec, &prior_attrs).await.map(Done::Attrs)
                            }
                            _ => p.read(&spec).await.map(Done::Attrs),
                        }
                    })
                }
                StepKind::Delete | StepKind::DeleteDeposed => {
                    let target = match (step.kind, prior) {
                        (StepKind::Delete, Some(p)) => Some(p.attributes.clone()),
                        (StepKind::DeleteDeposed, Some(p)) => p.deposed.first().cloned(),
                        _ => None,
                    };
                    match (target, c.mode) {
                        (Some(attrs), Mode::Managed) => {
                            let addr = c.address.clone();
                            let ty = c.resource_type.clone();
                            Box::pin(async move {
                                p.delete(&addr, &ty, &attrs).await.map(|()| Done::Deleted)
                            })
                        }
                        // Data sources are only forgotten; an object
                        // already gone needs no provider call.
                        _ => Box::pin(async { Ok(Done::Deleted) }),
                    }
                }
            };
            set.spawn(async move { (s, CatchUnwind(Box::pin(fut)).await) });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (s, result) = match joined {
            Ok(x) => x,
            // Cancellation only happens when the runtime shuts down.
            Err(e) => {
                return Err(Error::State {
                    path: options.state_path.clone().unwrap_or_default(),
                    message: format!("apply task lost: {e}"),
                    source: None,
                });
            }
        };
        let step = &steps[s];
        let c = &changes[step.change];
        let op = match step.kind {
            StepKind::Create => "create",
            StepKind::Update => "update",
            StepKind::Read => "read",
            StepKind::Delete | StepKind::DeleteDeposed => "delete",
        };
        match result {
            Ok(Ok(done)) => {
                record(&mut state, plan, step.change, step.kind, done);
                state.serial += 1;
                if let Some(path) = &options.state_path
                    && let Err(e) = state.save_atomic(path)
                {
                    tracing::error!(error = %e, "state write failed; stopping apply");
                    write_error.get_or_insert(e);
                }
                outcomes.push(StepOutcome {
                    address: c.address.clone(),
                    kind: step.kind,
                    status: StepStatus::Applied,
                });
                for &n in &succ[s] {
                    remaining[n] -= 1;
                    if remaining[n] == 0 && blocked_by[n].is_none() {
                        ready.insert(rank[n], n);
                    }
                }
            }
            Ok(Err(pe)) => {
                let e = Error::Provider {
                    address: c.address.clone(),
                    operation: op.to_owned(),
                    message: pe.message,
                };
                fail(s, e, steps, changes, &succ, &mut blocked_by, &mut outcomes);
            }
            Err(msg) => {
                let e = Error::ProviderPanic {
                    address: c.address.clone(),
                    operation: op.to_owned(),
                    message: msg,
                };
                fail(s, e, steps, changes, &succ, &mut blocked_by, &mut outcomes);
            }
        }
    }
    if let Some(e) = write_error {
        return Err(e);
    }
    for (i, b) in blocked_by.into_iter().enumerate() {
        if let Some(because) = b {
            outcomes.push(StepOutcome {
                address: changes[steps[i].change].address.clone(),
                kind: steps[i].kind,
                status: StepStatus::Skipped { because },
            });
        }
    }
    Ok(ApplyReport { outcomes, state })
}

/// Records a failure and marks every transitive successor as skipped.
fn fail(
    s: usize,
    e: Error,
    steps: &[crate::plan::Step],
    changes: &[crate::plan::ResourceChange],
    succ: &[Vec<usize>],
    blocked_by: &mut [Option<String>],
    outcomes: &mut Vec<StepOutcome>,
) {
    let addr = changes[steps[s].change].address.clone();
    tracing::warn!(address = %addr, error = %e, "step failed");
    outcomes.push(StepOutcome {
        address: addr.clone(),
        kind: steps[s].kind,
        status: StepStatus::Failed(e),
    });
    let mut stack: Vec<usize> = succ[s].clone();
    while let Some(n) = stack.pop() {
        if blocked_by[n].is_none() {
            blocked_by[n] = Some(addr.clone());
            stack.extend_from_slice(&succ[n]);
        }
    }
}

/// Updates the working state after an applied step.
fn record(state: &mut State, plan: &Plan, change: usize, kind: StepKind, done: Done) {
    let c = &plan.changes()[change];
    match (kind, done) {
        (StepKind::Delete, _) => {
            state.resources.remove(&c.address);
        }
        (StepKind::DeleteDeposed, _) => {
            if let Some(r) = state.resources.get_mut(&c.address)
                && !r.deposed.is_empty()
            {
                r.deposed.remove(0);
            }
        }
        (_, Done::Attrs(attrs)) => {
            let deposed = match (c.action, state.resources.remove(&c.address)) {
                (Action::Replace, Some(old)) => {
                    let mut d = old.deposed;
                    d.push(old.attributes);
                    d
                }
                (_, Some(old)) => old.deposed,
                (_, None) => Vec::new(),
            };
            state.resources.insert(
                c.address.clone(),
                ResourceState {
                    address: c.address.clone(),
                    mode: c.mode,
                    resource_type: c.resource_type.clone(),
                    provider: c.provider.clone(),
                    attributes: attrs,
                    depends_on: c.depends_on.clone(),
                    create_before_destroy: c.create_before_destroy,
                    deposed,
                },
            );
        }
        (_, Done::Deleted) => {}
    }
}

/// One object held by the [`InMemoryProvider`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    /// Address it was created for.
    pub address: String,
    /// Resource type.
    pub resource_type: String,
    /// Its attributes (with `id`).
    pub attributes: Attributes,
}

#[derive(Debug, Default)]
struct Inner {
    objects: BTreeMap<String, StoredObject>,
    next_id: u64,
    calls: u64,
    log: Vec<String>,
}

/// Fault injection for one address of the [`InMemoryProvider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Return a provider error.
    Error,
    /// Panic inside the provider call.
    Panic,
}

/// A provider that keeps objects in memory, for tests and dry runs.
///
/// Objects get an `id` of the form `TYPE-N` and an `arn`. Faults can be injected per
/// address, and [`InMemoryProvider::halt_after`] makes every call after the
/// first `n` hang forever, which simulates a crash of the applying process
/// when the apply future is dropped.
#[derive(Debug, Default)]
pub struct InMemoryProvider {
    inner: Mutex<Inner>,
    faults: Mutex<BTreeMap<String, Fault>>,
    halt_after: Mutex<Option<u64>>,
    delay: Option<std::time::Duration>,
}

impl InMemoryProvider {
    /// An empty provider.
    pub fn new() -> InMemoryProvider {
        InMemoryProvider::default()
    }

    /// A provider whose calls each sleep `delay` first (to exercise
    /// parallelism).
    pub fn with_delay(delay: std::time::Duration) -> InMemoryProvider {
        InMemoryProvider {
            delay: Some(delay),
            ..InMemoryProvider::default()
        }
    }

    /// Injects `fault` into every call for `address`.
    pub fn inject(&self, address: &str, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(address.to_owned(), fault);
    }

    /// Lets the first `n` calls complete; later calls never return.
    pub fn halt_after(&self, n: u64) {
        *self.halt_after.lock().unwrap_or_else(|e| e.into_inner()) = Some(n);
    }

    /// Lifts [`InMemoryProvider::halt_after`]: later calls complete again.
    pub fn resume(&self) {
        *self.halt_after.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Number of calls that have started and were let through.
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// The objects that exist now, by id.
    pub fn objects(&self) -> BTreeMap<String, StoredObject> {
        self.lock().objects.clone()
    }

    /// Completed calls, e.g. `create aws_vpc.main`.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn gate(&self, address: &str) -> std::result::Result<(), ProviderError> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        let halted = {
            let limit = *self.halt_after.lock().unwrap_or_else(|e| e.into_inner());
            let mut inner = self.lock();
            match limit {
                Some(n) if inner.calls >= n => true,
                _ => {
                    inner.calls += 1;
                    false
                }
            }
        };
        if halted {
            std::future::pending::<()>().await;
        }
        let fault = self
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(address)
            .copied();
        match fault {
            Some(Fault::Error) => Err(ProviderError::new(format!(
                "injected failure for {address}"
            ))),
            Some(Fault::Panic) => panic!("injected panic for {address}"),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Provider for InMemoryProvider {
    async fn create(&self, spec: &ResourceSpec) -> std::result::Result<Attributes, ProviderError> {
        self.gate(&spec.address).await?;
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = format!("{}-{}", spec.resource_type, inner.next_id);
        let mut attrs = spec.attributes.clone();
        attrs.insert("id".to_owned(), Value::String(id.clone()));
        attrs.insert("arn".to_owned(), Value::String(format!("arn:aiops:{id}")));
        inner.objects.insert(
            id,
            StoredObject {
                address: spec.address.clone(),
                resource_type: spec.resource_type.clone(),
                attributes: attrs.clone(),
            },
        );
        inner.log.push(format!("create {}", spec.address));
        Ok(attrs)
    }

    async fn update(
        &self,
        spec: &ResourceSpec,
        prior: &Attributes,
    ) -> std::result::Result<Attributes, ProviderError> {
        self.gate(&spec.address).await?;
        let id = prior
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ProviderError::new("prior state has no id"))?
            .to_owned();
        let mut inner = self.lock();
        let obj = inner
            .objects
            .get_mut(&id)
            .ok_or_else(|| ProviderError::new(format!("object {id} does not exist")))?;
        let mut attrs = prior.clone();
        for (k, v) in &spec.attributes {
            attrs.insert(k.clone(), v.clone());
        }
        obj.attributes = attrs.clone();
        inner.log.push(format!("update {}", spec.address));
        Ok(attrs)
    }

    async fn delete(
        &self,
        address: &str,
        _resource_type: &str,
        prior: &Attributes,
    ) -> std::result::Result<(), ProviderError> {
        self.gate(address).await?;
        let id = prior
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ProviderError::new("prior state has no id"))?
            .to_owned();
        let mut inner = self.lock();
        if inner.objects.remove(&id).is_none() {
            return Err(ProviderError::new(format!("object {id} does not exist")));
        }
        inner.log.push(format!("delete {address}"));
        Ok(())
    }

    async fn read(&self, spec: &ResourceSpec) -> std::result::Result<Attributes, ProviderError> {
        self.gate(&spec.address).await?;
        let mut attrs = spec.attributes.clone();
        attrs
            .entry("id".to_owned())
            .or_insert_with(|| Value::String(format!("{}-data", spec.resource_type)));
        self.lock().log.push(format!("read {}", spec.address));
        Ok(attrs)
    }
}
