//! The remediation engine: assess, choose a runbook, run its steps through
//! the guard stack and the journal, verify, roll back, escalate and learn.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiops_core::{Incident, IncidentId, Num, Severity};
use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind, ActionReport, ActionStatus, Outcome};
use crate::error::{Error, Result};
use crate::executor::{
    Approver, Clock, DryRunExecutor, Executor, MetricSource, NoMetrics, SystemClock, lock,
};
use crate::guard::{CircuitBreaker, GuardConfig, GuardHandles, IdempotencyStore, KillSwitch, Mode};
use crate::journal::{Durability, Entry, Journal};
use crate::learning::{LearningStats, RunbookSelector, ThompsonSampling};
use crate::runbook::{Runbook, RunbookSet, Step};
use crate::severity::{Assessment, SeverityRules};

/// Severity and runbook choice for one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Assessed severity.
    pub severity: Severity,
    /// Why.
    pub reasons: Vec<String>,
    /// Incident class used for learning (label `class`, else
    /// `<severity>:<signal kinds joined by +>`).
    pub class: String,
    /// Matching runbooks, in load order.
    pub candidates: Vec<String>,
    /// The runbook chosen by the selector, if any matched.
    pub runbook: Option<String>,
}

/// What the engine did for one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// The incident.
    pub incident: IncidentId,
    /// The resource.
    pub resource: String,
    /// The decision taken.
    pub decision: Decision,
    /// One report per action, in order (steps, rollback, escalation).
    pub actions: Vec<ActionReport>,
    /// The escalation runbook run, if verification or an action failed.
    pub escalated_to: Option<String>,
    /// Whether every step of the chosen runbook succeeded (planned in a dry
    /// run, executed and verified in a live run).
    pub succeeded: bool,
}

/// Where the engine's journal goes.
#[derive(Debug, Clone)]
pub enum JournalTarget {
    /// In memory (tests, dry runs); lost on exit.
    Memory,
    /// A JSON-lines file, appended to and replayed on start.
    Path(PathBuf, Durability),
    /// An existing journal.
    Shared(Arc<Journal>),
}

/// Builds a [`RemediationEngine`]. Every setting has a safe default: dry
/// run, in-memory journal, default rules and runbooks, Thompson sampling,
/// approvals required for critical mutating actions with no approver.
#[derive(Debug)]
pub struct EngineBuilder {
    rules: SeverityRules,
    guards: GuardConfig,
    runbooks: Option<RunbookSet>,
    selector: Option<Box<dyn RunbookSelector>>,
    executor: Option<Arc<dyn Executor>>,
    approver: Option<Arc<dyn Approver>>,
    metrics: Arc<dyn MetricSource>,
    clock: Arc<dyn Clock>,
    journal: JournalTarget,
    verify_poll_ms: u64,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            rules: SeverityRules::default(),
            guards: GuardConfig::default(),
            runbooks: None,
            selector: None,
            executor: None,
            approver: None,
            metrics: Arc::new(NoMetrics),
            clock: Arc::new(SystemClock),
            journal: JournalTarget::Memory,
            verify_poll_ms: 1_000,
        }
    }
}

impl EngineBuilder {
    /// Severity rules.
    pub fn severity_rules(mut self, rules: SeverityRules) -> Self {
        self.rules = rules;
        self
    }

    /// Guard settings (including [`Mode`]).
    pub fn guards(mut self, guards: GuardConfig) -> Self {
        self.guards = guards;
        self
    }

    /// Runbooks (default: [`RunbookSet::defaults`]).
    pub fn runbooks(mut self, runbooks: RunbookSet) -> Self {
        self.runbooks = Some(runbooks);
        self
    }

    /// Runbook selector (default: [`ThompsonSampling`] seeded with 0x5eed).
    pub fn selector(mut self, selector: Box<dyn RunbookSelector>) -> Self {
        self.selector = Some(selector);
        self
    }

    /// The real executor (default: [`DryRunExecutor`]).
    pub fn executor(mut self, executor: Arc<dyn Executor>) -> Self {
        self.executor = Some(executor);
        self
    }

    /// The approver for the approval gate (default: none, so gated actions are blocked).
    pub fn approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// Metric source for verifications (default: [`NoMetrics`]).
    pub fn metrics(mut self, metrics: Arc<dyn MetricSource>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Clock for guards and journal timestamps (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where the journal goes (default: memory).
    pub fn journal(mut self, target: JournalTarget) -> Self {
        self.journal = target;
        self
    }

    /// Interval between verification reads in ms (default 1000).
    pub fn verify_poll_ms(mut self, ms: u64) -> Self {
        self.verify_poll_ms = ms.max(1);
        self
    }

    /// Validates the settings, opens (and replays) the journal, and builds.
    pub fn build(self) -> Result<RemediationEngine> {
        let rules = self.rules.check()?;
        let guards = self.guards.check()?;
        let runbooks = match self.runbooks {
            Some(r) => r,
            None => RunbookSet::defaults()?,
        };
        let (journal, replay) = match self.journal {
            JournalTarget::Memory => {
                let j = Journal::in_memory().with_clock(Arc::clone(&self.clock));
                (Arc::new(j), None)
            }
            JournalTarget::Path(p, d) => {
                let (j, r) = Journal::open(&p, d)?;
                (Arc::new(j.with_clock(Arc::clone(&self.clock))), Some(r))
            }
            JournalTarget::Shared(j) => {
                let r = j.replay()?;
                (j, Some(r))
            }
        };
        let handles = GuardHandles {
            kill_switch: KillSwitch::new(),
            breaker: CircuitBreaker::new(guards.breaker_threshold),
            idempotency: IdempotencyStore::new(),
        };
        let mut stats = LearningStats::new();
        if let Some(r) = &replay {
            stats = LearningStats::from_records(&r.records);
            for (key, in_doubt) in r.done_keys() {
                handles.idempotency.mark(&key, in_doubt);
            }
            tracing::info!(
                records = r.records.len(),
                keys = handles.idempotency.len(),
                "replayed remediation journal"
            );
        }
        let executor = self
            .executor
            .unwrap_or_else(|| Arc::new(DryRunExecutor::new()));
        let stack = guards.build(
            executor,
            Arc::clone(&journal),
            Arc::clone(&self.clock),
            self.approver,
            &handles,
        );
        Ok(RemediationEngine {
            rules,
            mode: guards.mode,
            runbooks,
            selector: self
                .selector
                .unwrap_or_else(|| Box::new(ThompsonSampling::default())),
            stack,
            journal,
            stats: Mutex::new(stats),
            handles,
            metrics: self.metrics,
            clock: self.clock,
            verify_poll_ms: self.verify_poll_ms,
        })
    }
}

/// The remediation engine. `Send + Sync`; share it behind an `Arc`.
#[derive(Debug)]
pub struct RemediationEngine {
    rules: SeverityRules,
    mode: Mode,
    runbooks: RunbookSet,
    selector: Box<dyn RunbookSelector>,
    stack: Arc<dyn Executor>,
    journal: Arc<Journal>,
    stats: Mutex<LearningStats>,
    handles: GuardHandles,
    metrics: Arc<dyn MetricSource>,
    clock: Arc<dyn Clock>,
    verify_poll_ms: u64,
}

/// The learning class of an incident at a severity.
pub fn incident_class(incident: &Incident, severity: Severity) -> String {
    if let Some(c) = incident.labels.get("class") {
        return c.to_owned();
    }
    // Distinct kinds by linear scan (there are a handful): no allocation per signal.
    let mut kinds: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    for s in &incident.signals {
        let k = crate::runbook::kind_str(&s.kind);
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.sort_unstable();
    format!("{severity}:{}", kinds.join("+"))
}

enum StepEnd {
    Continue,
    /// Stop without rollback (blocked by a guard).
    Stop(String),
    /// Stop, roll back and escalate.
    Fail(String),
}

impl RemediationEngine {
    /// A builder with safe defaults.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Dry run, default rules and runbooks, in-memory journal.
    pub fn dry_run_in_memory() -> Result<Self> {
        Self::builder().build()
    }

    /// Dry run, default rules and runbooks, journal appended to `path`.
    pub fn dry_run_with_journal(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder()
            .journal(JournalTarget::Path(path.into(), Durability::Flush))
            .build()
    }

    /// Dry run or live.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The runbooks.
    pub fn runbooks(&self) -> &RunbookSet {
        &self.runbooks
    }

    /// The journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// The kill switch: engaging it stops every action from starting,
    /// including later steps of runbooks already running.
    pub fn kill_switch(&self) -> &KillSwitch {
        &self.handles.kill_switch
    }

    /// The circuit breaker (reset it after a human review).
    pub fn circuit_breaker(&self) -> &CircuitBreaker {
        &self.handles.breaker
    }

    /// A copy of the learning statistics.
    pub fn stats(&self) -> LearningStats {
        lock(&self.stats).clone()
    }

    /// Assesses an incident's severity with reasons.
    pub fn assess(&self, incident: &Incident) -> Assessment {
        self.rules.assess(incident)
    }

    /// The severity rules (to assess [`SeverityInput`](crate::SeverityInput)
    /// built with context the incident lacks, such as the affected count).
    pub fn severity_rules(&self) -> &SeverityRules {
        &self.rules
    }

    /// Severity plus runbook choice (no I/O, no journal).
    pub fn decide(&self, incident: &Incident) -> Decision {
        self.decide_assessed(incident, self.rules.assess(incident))
    }

    /// Runbook choice for an incident already assessed (by
    /// [`RemediationEngine::assess`] or by the caller).
    pub fn decide_assessed(&self, incident: &Incident, assessment: Assessment) -> Decision {
        let Assessment { severity, reasons } = assessment;
        let class = incident_class(incident, severity);
        let mut idx = Vec::new();
        self.runbooks.matching_into(incident, severity, &mut idx);
        let names: Vec<&str> = idx
            .iter()
            .map(|&i| self.runbooks.runbooks()[i].name.as_str())
            .collect();
        let runbook = if names.is_empty() {
            None
        } else {
            let stats = lock(&self.stats);
            let pick = self.selector.select(&class, &names, &stats);
            Some(names[pick.min(names.len() - 1)].to_owned())
        };
        Decision {
            severity,
            reasons,
            class,
            candidates: names.into_iter().map(str::to_owned).collect(),
            runbook,
        }
    }

    /// Decides, journals the decision, and runs the chosen runbook's steps
    /// through the guards (see [`Remediation`]). Errors only when the
    /// journal cannot be written: then nothing further is run.
    pub async fn handle(&self, incident: &Incident) -> Result<Remediation> {
        self.handle_assessed(incident, self.rules.assess(incident))
            .await
    }

    /// [`RemediationEngine::handle`] with a severity assessed by the caller.
    pub async fn handle_assessed(
        &self,
        incident: &Incident,
        assessment: Assessment,
    ) -> Result<Remediation> {
        let decision = self.decide_assessed(incident, assessment);
        self.journal.append(
            Some(incident.id),
            Entry::Decision {
                resource: incident.resource.clone(),
                severity: decision.severity,
                reasons: decision.reasons.clone(),
                class: decision.class.clone(),
                candidates: decision.candidates.clone(),
                runbook: decision.runbook.clone(),
            },
        )?;
        let mut out = Remediation {
            incident: incident.id,
            resource: incident.resource.clone(),
            decision,
            actions: Vec::new(),
            escalated_to: None,
            succeeded: false,
        };
        let Some(name) = out.decision.runbook.clone() else {
            return Ok(out);
        };
        let runbook = self
            .runbooks
            .get(&name)
            .ok_or_else(|| Error::InvalidRunbook {
                runbook: name.clone(),
                step: None,
                field: "name".to_owned(),
                message: "the selector chose a runbook that is not loaded".to_owned(),
            })?;
        let severity = out.decision.severity;
        let end = self
            .run_runbook(incident, runbook, severity, &mut out.actions)
            .await?;
        match end {
            None => out.succeeded = true,
            Some((failure, escalate)) => {
                if escalate && let Some(to) = &runbook.escalate_to {
                    self.journal.append(
                        Some(incident.id),
                        Entry::Escalation {
                            from: runbook.name.clone(),
                            to: to.clone(),
                            reason: failure.clone(),
                        },
                    )?;
                    out.escalated_to = Some(to.clone());
                    self.escalate(incident, to, severity, &mut out.actions)
                        .await?;
                }
            }
        }
        // Learn only from runs that did something and were not stopped by a
        // guard: a blocked run or a re-delivery (all skipped) says nothing
        // about the runbook.
        let blocked = out
            .actions
            .iter()
            .any(|a| a.status == ActionStatus::Blocked);
        let acted = out
            .actions
            .iter()
            .any(|a| matches!(a.status, ActionStatus::Executed | ActionStatus::Failed));
        if self.mode == Mode::Live && !blocked && acted {
            let now = self.clock.now_millis();
            let ttr = (now >= incident.start.as_millis()).then(|| now - incident.start.as_millis());
            self.record_outcome(
                Some(incident.id),
                &out.decision.class,
                &name,
                out.succeeded,
                if out.succeeded { ttr } else { None },
            )?;
        }
        Ok(out)
    }

    async fn escalate(
        &self,
        incident: &Incident,
        first: &str,
        severity: Severity,
        reports: &mut Vec<ActionReport>,
    ) -> Result<()> {
        // Escalation chains are acyclic (checked on load); follow on failure.
        let mut next = Some(first.to_owned());
        let mut hops = 0;
        while let Some(name) = next.take() {
            hops += 1;
            let Some(rb) = self.runbooks.get(&name) else {
                break;
            };
            if hops > self.runbooks.len() {
                break;
            }
            if let Some((why, true)) = self.run_runbook(incident, rb, severity, reports).await?
                && let Some(to) = &rb.escalate_to
            {
                self.journal.append(
                    Some(incident.id),
                    Entry::Escalation {
                        from: rb.name.clone(),
                        to: to.clone(),
                        reason: why,
                    },
                )?;
                next = Some(to.clone());
            }
        }
        Ok(())
    }

    fn action_for(
        incident: &Incident,
        runbook: &Runbook,
        step: &Step,
        severity: Severity,
        prefix: &str,
    ) -> Action {
        let mut a = Action::new(
            Some(incident.id),
            step.action,
            incident.resource.clone(),
            runbook.name.clone(),
            format!("{prefix}{}", step.name),
        )
        .with_severity(severity)
        .with_timeout_ms(step.timeout_ms);
        a.params = step.params.clone();
        a
    }

    /// Runs the steps; `Ok(None)` on success, `Ok(Some((why, escalate)))` on failure.
    async fn run_runbook(
        &self,
        incident: &Incident,
        runbook: &Runbook,
        severity: Severity,
        reports: &mut Vec<ActionReport>,
    ) -> Result<Option<(String, bool)>> {
        let mut stopped: Option<(String, bool)> = None;
        let mut executed_any = false;
        for step in &runbook.steps {
            if let Some((why, _)) = &stopped {
                reports.push(ActionReport {
                    step: step.name.clone(),
                    kind: step.action,
                    resource: incident.resource.clone(),
                    status: ActionStatus::Skipped,
                    reason: format!("not run: {why}"),
                });
                continue;
            }
            let action = Self::action_for(incident, runbook, step, severity, "");
            let (report, end) = self.run_step(incident, &action, step).await?;
            executed_any |= report.status == ActionStatus::Executed;
            reports.push(report);
            match end {
                StepEnd::Continue => {}
                StepEnd::Stop(why) => stopped = Some((why, false)),
                StepEnd::Fail(why) => stopped = Some((why, true)),
            }
        }
        if let Some((why, true)) = &stopped
            && executed_any
            && !runbook.rollback.is_empty()
        {
            self.journal.append(
                Some(incident.id),
                Entry::Rollback {
                    runbook: runbook.name.clone(),
                    reason: why.clone(),
                },
            )?;
            for step in &runbook.rollback {
                let action = Self::action_for(incident, runbook, step, severity, "rollback:");
                let (report, _) = self.run_step(incident, &action, step).await?;
                reports.push(report);
            }
        }
        Ok(stopped)
    }

    async fn run_step(
        &self,
        incident: &Incident,
        action: &Action,
        step: &Step,
    ) -> Result<(ActionReport, StepEnd)> {
        self.journal.append(
            Some(incident.id),
            Entry::ActionPlanned {
                action: action.clone(),
            },
        )?;
        let outcome = self.stack.execute(action).await;
        self.journal_result(action, &outcome)?;
        let mut report = ActionReport {
            step: action.step.clone(),
            kind: action.kind,
            resource: action.resource.clone(),
            status: outcome.status(),
            reason: outcome.reason(),
        };
        let end = match &outcome {
            Outcome::Blocked { .. } => {
                StepEnd::Stop(format!("step `{}` blocked: {}", step.name, report.reason))
            }
            Outcome::Failed { .. } => {
                StepEnd::Fail(format!("step `{}` failed: {}", step.name, report.reason))
            }
            Outcome::Skipped { .. } => StepEnd::Continue,
            Outcome::Planned { .. } => {
                if let Some(v) = &step.verify {
                    report.reason.push_str(&format!(
                        "; verification `{} {} {}` not checked in a dry run",
                        v.metric, v.op, v.threshold
                    ));
                }
                StepEnd::Continue
            }
            Outcome::Executed { .. } => match &step.verify {
                None => StepEnd::Continue,
                Some(v) => {
                    let (held, value, detail) = self.verify(&action.resource, v).await;
                    self.journal.append(
                        Some(incident.id),
                        Entry::Verification {
                            step: step.name.clone(),
                            metric: v.metric.clone(),
                            value,
                            held,
                            detail: detail.clone(),
                        },
                    )?;
                    report.reason.push_str(&format!("; {detail}"));
                    if held {
                        StepEnd::Continue
                    } else {
                        StepEnd::Fail(format!(
                            "step `{}` verification failed: {detail}",
                            step.name
                        ))
                    }
                }
            },
        };
        Ok((report, end))
    }

    async fn verify(
        &self,
        resource: &str,
        v: &crate::runbook::Verification,
    ) -> (bool, Option<f64>, String) {
        let mut waited = 0u64;
        let mut last = None;
        loop {
            let value = self
                .metrics
                .read(resource, &v.metric)
                .await
                .filter(|x| x.is_finite());
            match value {
                Some(x) => {
                    last = Some(x);
                    if v.op.holds(x, v.threshold) {
                        return (
                            true,
                            last,
                            format!(
                                "verified {} = {} {} {}",
                                v.metric,
                                Num(x),
                                v.op,
                                Num(v.threshold)
                            ),
                        );
                    }
                }
                // Unknown to the metric source: polling will not help.
                None if last.is_none() => {
                    return (
                        false,
                        None,
                        format!("{} unavailable: cannot verify", v.metric),
                    );
                }
                None => {}
            }
            if waited >= v.within_ms {
                let detail = match last {
                    Some(x) => format!(
                        "{} = {} does not satisfy {} {} within {} ms",
                        v.metric,
                        Num(x),
                        v.op,
                        Num(v.threshold),
                        v.within_ms
                    ),
                    None => format!("{} unavailable: cannot verify", v.metric),
                };
                return (false, last, detail);
            }
            let step = self.verify_poll_ms.min(v.within_ms - waited).max(1);
            tokio::time::sleep(Duration::from_millis(step)).await;
            waited += step;
        }
    }

    fn journal_result(&self, action: &Action, outcome: &Outcome) -> Result<()> {
        self.journal
            .append(
                action.incident,
                Entry::ActionResult {
                    step: action.step.clone(),
                    kind: action.kind,
                    resource: action.resource.clone(),
                    idempotency_key: action.idempotency_key.clone(),
                    outcome: outcome.clone(),
                },
            )
            .map(|_| ())
    }

    /// Runs one externally produced action (for example "isolate source
    /// address X" from a threat detector) through the same guards and journal.
    pub async fn execute_action(&self, action: Action) -> Result<ActionReport> {
        self.journal.append(
            action.incident,
            Entry::ActionPlanned {
                action: action.clone(),
            },
        )?;
        let outcome = self.stack.execute(&action).await;
        self.journal_result(&action, &outcome)?;
        Ok(ActionReport {
            step: action.step.clone(),
            kind: action.kind,
            resource: action.resource.clone(),
            status: outcome.status(),
            reason: outcome.reason(),
        })
    }

    /// Records a runbook outcome (journaled first, then counted, and told to
    /// the selector). The engine calls this itself after live runs; call it
    /// for outcomes learned elsewhere (e.g. a later resolution).
    pub fn record_outcome(
        &self,
        incident: Option<IncidentId>,
        class: &str,
        runbook: &str,
        success: bool,
        ttr_ms: Option<i64>,
    ) -> Result<()> {
        self.journal.append(
            incident,
            Entry::RunbookOutcome {
                class: class.to_owned(),
                runbook: runbook.to_owned(),
                success,
                ttr_ms,
            },
        )?;
        lock(&self.stats).record(class, runbook, success, ttr_ms);
        self.selector.observe(class, runbook, success, ttr_ms);
        Ok(())
    }
}

/// A convenience for building an isolate-source action from plain data (the
/// shape a threat detector produces).
pub fn isolate_source_action(
    incident: Option<IncidentId>,
    address: &str,
    severity: Severity,
    reason: &str,
) -> Action {
    Action::new(
        incident,
        ActionKind::IsolateSource,
        address,
        "external",
        "isolate-source",
    )
    .with_param("address", address)
    .with_param("reason", reason)
    .with_severity(severity)
}
