//! Rollout strategies (canary steps, blue-green, Flagger-style linear) and
//! the serializable state machine that drives them.

use std::collections::BTreeMap;
use std::fmt;

use aiops_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::analysis::{AnalysisPhase, AnalysisRun, AnalysisTemplate, MetricProvider, run_analysis};
use crate::error::{Error, Result};

/// One step of a canary strategy (Argo Rollouts' `steps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryStep {
    /// Send this percentage of traffic to the canary.
    SetWeight(u32),
    /// Wait: for a duration in milliseconds, or until promoted (`None`).
    Pause(Option<i64>),
    /// Run these analysis templates; the worst result decides.
    Analysis(Vec<String>),
}

/// A rollout strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Ordered canary steps; after the last one the canary is promoted.
    Canary {
        /// The steps.
        steps: Vec<CanaryStep>,
    },
    /// Blue-green: the new revision runs as preview, is checked, then takes
    /// all traffic at once.
    BlueGreen {
        /// Promote without a manual command (Argo default true).
        auto_promotion: bool,
        /// Wait this long before auto-promotion (milliseconds).
        auto_promotion_ms: Option<i64>,
        /// Templates run before promotion.
        pre_promotion_analysis: Vec<String>,
        /// Templates run after promotion; failure rolls back.
        post_promotion_analysis: Vec<String>,
    },
    /// Flagger-style linear progression: every `interval_ms` the checks run;
    /// on success the weight grows by `step_weight` up to `max_weight`, then
    /// the canary is promoted; `threshold` failed checks roll back.
    Linear {
        /// Weight increment (percent).
        step_weight: u32,
        /// Highest canary weight before promotion (percent).
        max_weight: u32,
        /// Time between checks (milliseconds).
        interval_ms: i64,
        /// Failed checks before rollback.
        threshold: u32,
        /// Templates run at each check (none: checks always pass).
        analysis: Vec<String>,
    },
}

/// What the state machine executes; strategies compile to a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum PlanStep {
    SetWeight(u32),
    Pause(Option<i64>),
    Analysis(Vec<String>),
    /// A linear check: retried every interval until `threshold` failures.
    Check {
        templates: Vec<String>,
        interval_ms: i64,
    },
}

/// A rollout: its strategy and the analysis templates it references.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSpec {
    /// Rollout name.
    pub name: String,
    /// The strategy.
    pub strategy: Strategy,
    /// Analysis templates by name.
    pub templates: BTreeMap<String, AnalysisTemplate>,
}

impl RolloutSpec {
    /// A spec with no templates.
    pub fn new(name: impl Into<String>, strategy: Strategy) -> Self {
        Self {
            name: name.into(),
            strategy,
            templates: BTreeMap::new(),
        }
    }

    /// Checks the strategy: canary steps exist, weights are percentages,
    /// durations are not negative, linear weights are ordered with a positive
    /// interval and threshold, and every referenced template is defined.
    ///
    /// # Errors
    /// [`Error::Strategy`], [`Error::UnknownTemplate`] or the template's own
    /// [`AnalysisTemplate::check`] error.
    pub fn check(&self) -> Result<()> {
        let bad = |message: String| Err(Error::Strategy { message });
        let mut refs: Vec<&String> = Vec::new();
        match &self.strategy {
            Strategy::Canary { steps } => {
                if steps.is_empty() {
                    return bad("a canary strategy needs at least one step".into());
                }
                for (i, s) in steps.iter().enumerate() {
                    match s {
                        CanaryStep::SetWeight(w) if *w > 100 => {
                            return bad(format!("step {i}: weight {w} is over 100"));
                        }
                        CanaryStep::Pause(Some(d)) if *d < 0 => {
                            return bad(format!("step {i}: pause duration {d} ms is negative"));
                        }
                        CanaryStep::Analysis(t) => {
                            if t.is_empty() {
                                return bad(format!("step {i}: analysis names no template"));
                            }
                            refs.extend(t);
                        }
                        _ => {}
                    }
                }
            }
            Strategy::BlueGreen {
                auto_promotion_ms,
                pre_promotion_analysis,
                post_promotion_analysis,
                ..
            } => {
                if auto_promotion_ms.is_some_and(|d| d < 0) {
                    return bad("auto-promotion delay is negative".into());
                }
                refs.extend(pre_promotion_analysis);
                refs.extend(post_promotion_analysis);
            }
            Strategy::Linear {
                step_weight,
                max_weight,
                interval_ms,
                threshold,
                analysis,
            } => {
                if !(0 < *step_weight && step_weight <= max_weight && *max_weight <= 100) {
                    return bad(format!(
                        "need 0 < step weight ({step_weight}) <= max weight ({max_weight}) <= 100"
                    ));
                }
                if *interval_ms <= 0 {
                    return bad(format!("interval {interval_ms} ms must be positive"));
                }
                if *threshold == 0 {
                    return bad("threshold must be at least 1".into());
                }
                refs.extend(analysis);
            }
        }
        for r in refs {
            self.templates
                .get(r)
                .ok_or_else(|| Error::UnknownTemplate(r.clone()))?
                .check()?;
        }
        Ok(())
    }

    fn plan(&self) -> Vec<PlanStep> {
        match &self.strategy {
            Strategy::Canary { steps } => steps
                .iter()
                .map(|s| match s {
                    CanaryStep::SetWeight(w) => PlanStep::SetWeight(*w),
                    CanaryStep::Pause(d) => PlanStep::Pause(*d),
                    CanaryStep::Analysis(t) => PlanStep::Analysis(t.clone()),
                })
                .collect(),
            Strategy::BlueGreen {
                auto_promotion,
                auto_promotion_ms,
                pre_promotion_analysis,
                post_promotion_analysis,
            } => {
                let mut plan = Vec::new();
                if !pre_promotion_analysis.is_empty() {
                    plan.push(PlanStep::Analysis(pre_promotion_analysis.clone()));
                }
                plan.push(PlanStep::Pause(if *auto_promotion {
                    Some(auto_promotion_ms.unwrap_or(0))
                } else {
                    None
                }));
                plan.push(PlanStep::SetWeight(100));
                if !post_promotion_analysis.is_empty() {
                    plan.push(PlanStep::Analysis(post_promotion_analysis.clone()));
                }
                plan
            }
            Strategy::Linear {
                step_weight,
                max_weight,
                interval_ms,
                analysis,
                ..
            } => {
                let mut plan = Vec::new();
                let mut w = 0;
                while w < *max_weight {
                    w = (w + step_weight).min(*max_weight);
                    plan.push(PlanStep::SetWeight(w));
                    plan.push(PlanStep::Pause(Some(*interval_ms)));
                    plan.push(PlanStep::Check {
                        templates: analysis.clone(),
                        interval_ms: *interval_ms,
                    });
                }
                plan
            }
        }
    }
}

/// Why a rollout is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// A pause step without duration (or blue-green without auto-promotion).
    AwaitingPromotion,
    /// An analysis was inconclusive.
    Inconclusive,
}

/// Phase of a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutPhase {
    /// Moving through its steps.
    Progressing,
    /// Waiting for a promote (or abort) command.
    Paused(PauseReason),
    /// The canary is the new stable revision.
    Completed,
    /// Traffic went back to the stable revision.
    Aborted {
        /// Why.
        reason: String,
    },
    /// The rollout was rolled back to this revision.
    RolledBack {
        /// The revision now serving.
        to: String,
    },
}

impl fmt::Display for RolloutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Progressing => f.write_str("progressing"),
            Self::Paused(PauseReason::AwaitingPromotion) => {
                f.write_str("paused (awaiting promotion)")
            }
            Self::Paused(PauseReason::Inconclusive) => {
                f.write_str("paused (inconclusive analysis)")
            }
            Self::Completed => f.write_str("completed"),
            Self::Aborted { reason } => write!(f, "aborted ({reason})"),
            Self::RolledBack { to } => write!(f, "rolled back to {to}"),
        }
    }
}

/// What the state is blocked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Pending {
    None,
    /// Waiting for a time; then move to the next step (or retry a check).
    Until {
        at: Timestamp,
        advance: bool,
    },
    Analysis(Vec<String>),
}

/// What the driver should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextAction {
    /// Send [`RolloutEvent::Tick`] at this time.
    WaitUntil(Timestamp),
    /// Run these templates and send [`RolloutEvent::AnalysisCompleted`].
    RunAnalysis(Vec<String>),
    /// Paused: send promote, abort or rollback.
    AwaitPromotion,
    /// Completed, aborted or rolled back (aborted accepts retry and rollback).
    Done,
}

/// An input to the state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutEvent {
    /// Time has reached this instant.
    Tick(Timestamp),
    /// The pending analysis finished.
    AnalysisCompleted {
        /// Its phase (worst of its metrics).
        phase: AnalysisPhase,
        /// When it finished.
        at: Timestamp,
    },
    /// Continue past a pause or the current step; `full` skips all remaining steps.
    Promote {
        /// Skip to completion.
        full: bool,
        /// When.
        at: Timestamp,
    },
    /// Send all traffic back to stable.
    Abort {
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Restart an aborted rollout from its first step.
    Retry {
        /// When.
        at: Timestamp,
    },
    /// Roll back to `to` (the last healthy revision from the history) or,
    /// when `None`, to the stable revision.
    Rollback {
        /// Revision to return to.
        to: Option<String>,
        /// When.
        at: Timestamp,
    },
}

impl RolloutEvent {
    fn at(&self) -> Timestamp {
        match self {
            Self::Tick(at)
            | Self::AnalysisCompleted { at, .. }
            | Self::Promote { at, .. }
            | Self::Abort { at, .. }
            | Self::Retry { at }
            | Self::Rollback { at, .. } => *at,
        }
    }
}

/// One line of a rollout's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// Step index in the compiled plan.
    pub step: usize,
    /// Canary weight after the entry (percent).
    pub weight: u32,
    /// What happened.
    pub message: String,
}

/// The serializable state of one rollout. Resuming from a deserialized copy
/// behaves exactly as if the process had never stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutState {
    /// Revision being rolled out.
    pub canary_revision: String,
    /// Revision serving before (and after an abort).
    pub stable_revision: String,
    /// Phase.
    pub phase: RolloutPhase,
    /// Index of the current step in the compiled plan.
    pub step: usize,
    /// Canary weight (percent).
    pub weight: u32,
    /// Failed linear checks so far.
    pub failed_checks: u32,
    /// Latest time seen.
    pub now: Timestamp,
    /// When the rollout started.
    pub started_at: Timestamp,
    pending: Pending,
}

impl RolloutState {
    /// Starts rolling `canary_revision` out over `stable_revision` at `now`,
    /// running the steps that need no waiting.
    ///
    /// # Errors
    /// As [`RolloutSpec::check`].
    pub fn start(
        spec: &RolloutSpec,
        canary_revision: impl Into<String>,
        stable_revision: impl Into<String>,
        now: Timestamp,
    ) -> Result<(Self, Vec<TimelineEntry>)> {
        spec.check()?;
        let mut s = Self {
            canary_revision: canary_revision.into(),
            stable_revision: stable_revision.into(),
            phase: RolloutPhase::Progressing,
            step: 0,
            weight: 0,
            failed_checks: 0,
            now,
            started_at: now,
            pending: Pending::None,
        };
        let mut tl = Vec::new();
        s.log(
            &mut tl,
            format!(
                "rollout of {} started over {}",
                s.canary_revision, s.stable_revision
            ),
        );
        s.settle(spec, &mut tl);
        Ok((s, tl))
    }

    /// What the driver should do next.
    pub fn next_action(&self) -> NextAction {
        match &self.phase {
            RolloutPhase::Progressing => match &self.pending {
                Pending::Until { at, .. } => NextAction::WaitUntil(*at),
                Pending::Analysis(t) => NextAction::RunAnalysis(t.clone()),
                Pending::None => NextAction::WaitUntil(self.now),
            },
            RolloutPhase::Paused(_) => NextAction::AwaitPromotion,
            _ => NextAction::Done,
        }
    }

    /// Whether the rollout reached a final phase (completed, aborted or rolled back).
    pub fn is_finished(&self) -> bool {
        matches!(
            self.phase,
            RolloutPhase::Completed
                | RolloutPhase::Aborted { .. }
                | RolloutPhase::RolledBack { .. }
        )
    }

    /// Applies one event and returns the timeline entries it produced.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the event's time is before [`Self::now`];
    /// [`Error::Transition`] when the command does not apply in the current
    /// phase (promote a finished rollout, retry one that is not aborted, an
    /// analysis result nobody waits for).
    pub fn apply(&mut self, spec: &RolloutSpec, event: RolloutEvent) -> Result<Vec<TimelineEntry>> {
        let at = event.at();
        if at < self.now {
            return Err(Error::Invalid {
                what: "event time".into(),
                message: format!("{at} is before the rollout's current time {}", self.now),
            });
        }
        let mut tl = Vec::new();
        let transition = |action: &'static str, phase: &RolloutPhase| Error::Transition {
            action,
            phase: phase.to_string(),
        };
        match event {
            RolloutEvent::Tick(t) => self.now = t,
            RolloutEvent::AnalysisCompleted { phase, at } => {
                let Pending::Analysis(templates) = &self.pending else {
                    return Err(transition("complete an analysis of", &self.phase));
                };
                if self.phase != RolloutPhase::Progressing {
                    return Err(transition("complete an analysis of", &self.phase));
                }
                let templates = templates.join(",");
                self.now = at;
                self.pending = Pending::None;
                let check = self.plan_step(spec);
                match (phase, check) {
                    (AnalysisPhase::Successful, _) => {
                        self.log(&mut tl, format!("analysis {templates}: successful"));
                        self.step += 1;
                    }
                    (AnalysisPhase::Inconclusive, _) => {
                        self.phase = RolloutPhase::Paused(PauseReason::Inconclusive);
                        self.log(
                            &mut tl,
                            format!("analysis {templates}: inconclusive, paused"),
                        );
                    }
                    (
                        AnalysisPhase::Failed | AnalysisPhase::Error,
                        Some(PlanStep::Check { interval_ms, .. }),
                    ) => {
                        self.failed_checks += 1;
                        let threshold = match spec.strategy {
                            Strategy::Linear { threshold, .. } => threshold,
                            _ => 1,
                        };
                        if self.failed_checks >= threshold {
                            self.abort(
                                &mut tl,
                                format!(
                                    "{} failed checks reached the threshold {threshold}",
                                    self.failed_checks
                                ),
                            );
                        } else {
                            self.log(&mut tl, format!("check {templates}: {phase} ({}/{threshold} failed checks), retrying", self.failed_checks));
                            self.pending = Pending::Until {
                                at: self.now.add_millis(interval_ms),
                                advance: false,
                            };
                        }
                    }
                    (AnalysisPhase::Failed | AnalysisPhase::Error, _) => {
                        self.abort(&mut tl, format!("analysis {templates}: {phase}"));
                    }
                }
            }
            RolloutEvent::Promote { full, at } => {
                if self.is_finished() {
                    return Err(transition("promote", &self.phase));
                }
                self.now = at;
                self.pending = Pending::None;
                self.phase = RolloutPhase::Progressing;
                if full {
                    self.step = self.plan_len(spec);
                    self.log(&mut tl, "promoted fully".to_owned());
                } else {
                    self.step += 1;
                    self.log(&mut tl, "promoted past the current step".to_owned());
                }
            }
            RolloutEvent::Abort { reason, at } => {
                if self.is_finished() {
                    return Err(transition("abort", &self.phase));
                }
                self.now = at;
                self.abort(&mut tl, reason);
            }
            RolloutEvent::Retry { at } => {
                if !matches!(self.phase, RolloutPhase::Aborted { .. }) {
                    return Err(transition("retry", &self.phase));
                }
                self.now = at;
                self.phase = RolloutPhase::Progressing;
                self.step = 0;
                self.weight = 0;
                self.failed_checks = 0;
                self.pending = Pending::None;
                self.log(&mut tl, "retrying from the first step".to_owned());
            }
            RolloutEvent::Rollback { to, at } => {
                if matches!(self.phase, RolloutPhase::RolledBack { .. }) {
                    return Err(transition("roll back", &self.phase));
                }
                self.now = at;
                let to = to.unwrap_or_else(|| self.stable_revision.clone());
                self.weight = 0;
                self.pending = Pending::None;
                self.stable_revision = to.clone();
                self.phase = RolloutPhase::RolledBack { to: to.clone() };
                self.log(&mut tl, format!("rolled back to {to}"));
            }
        }
        self.settle(spec, &mut tl);
        Ok(tl)
    }

    fn plan_len(&self, spec: &RolloutSpec) -> usize {
        spec.plan().len()
    }

    fn plan_step(&self, spec: &RolloutSpec) -> Option<PlanStep> {
        spec.plan().get(self.step).cloned()
    }

    fn log(&self, tl: &mut Vec<TimelineEntry>, message: String) {
        tl.push(TimelineEntry {
            at: self.now,
            step: self.step,
            weight: self.weight,
            message,
        });
    }

    fn abort(&mut self, tl: &mut Vec<TimelineEntry>, reason: String) {
        self.weight = 0;
        self.pending = Pending::None;
        self.log(
            tl,
            format!(
                "aborted: {reason}; traffic back to {}",
                self.stable_revision
            ),
        );
        self.phase = RolloutPhase::Aborted { reason };
    }

    /// Runs steps until the rollout waits for time, an analysis or a command.
    fn settle(&mut self, spec: &RolloutSpec, tl: &mut Vec<TimelineEntry>) {
        let plan = spec.plan();
        while self.phase == RolloutPhase::Progressing {
            match self.pending {
                Pending::Until { at, advance } => {
                    if self.now < at {
                        return;
                    }
                    self.pending = Pending::None;
                    if advance {
                        self.step += 1;
                    }
                    continue;
                }
                Pending::Analysis(_) => return,
                Pending::None => {}
            }
            let Some(step) = plan.get(self.step) else {
                self.weight = 100;
                self.phase = RolloutPhase::Completed;
                self.stable_revision = self.canary_revision.clone();
                self.log(tl, format!("completed: {} is stable", self.canary_revision));
                return;
            };
            match step {
                PlanStep::SetWeight(w) => {
                    self.weight = *w;
                    self.log(tl, format!("set weight {w}%"));
                    self.step += 1;
                }
                PlanStep::Pause(Some(d)) => {
                    self.log(tl, format!("pause {}", fmt_duration(*d)));
                    self.pending = Pending::Until {
                        at: self.now.add_millis(*d),
                        advance: true,
                    };
                }
                PlanStep::Pause(None) => {
                    self.phase = RolloutPhase::Paused(PauseReason::AwaitingPromotion);
                    self.log(tl, "paused until promoted".to_owned());
                }
                PlanStep::Analysis(t) | PlanStep::Check { templates: t, .. } if !t.is_empty() => {
                    self.log(tl, format!("analysis {}", t.join(",")));
                    self.pending = Pending::Analysis(t.clone());
                }
                PlanStep::Analysis(_) | PlanStep::Check { .. } => {
                    self.step += 1;
                }
            }
        }
    }
}

/// Formats milliseconds as `1h2m3s` / `250ms`.
pub fn fmt_duration(ms: i64) -> String {
    if ms % 1000 != 0 || ms == 0 {
        return format!("{ms}ms");
    }
    let mut s = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    out
}

/// Options of [`simulate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulationOptions {
    /// Promote paused rollouts at once instead of stopping there.
    pub auto_promote: bool,
    /// Upper bound on events applied (a guard, default 10,000).
    pub max_events: usize,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        Self {
            auto_promote: false,
            max_events: 10_000,
        }
    }
}

/// Result of [`simulate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Final state.
    pub state: RolloutState,
    /// Everything that happened, in order.
    pub timeline: Vec<TimelineEntry>,
    /// Every analysis run.
    pub analyses: Vec<AnalysisRun>,
}

/// Steps a rollout through its strategy on a logical clock, measuring
/// analyses from `provider`, until it finishes or waits for a promotion
/// (unless `auto_promote`).
///
/// # Errors
/// As [`RolloutState::start`], [`run_analysis`] and [`RolloutState::apply`];
/// [`Error::Strategy`] when `max_events` is exceeded.
pub async fn simulate(
    spec: &RolloutSpec,
    provider: &dyn MetricProvider,
    canary_revision: &str,
    stable_revision: &str,
    start: Timestamp,
    options: SimulationOptions,
) -> Result<Simulation> {
    let (mut state, mut timeline) =
        RolloutState::start(spec, canary_revision, stable_revision, start)?;
    let mut analyses = Vec::new();
    for _ in 0..options.max_events {
        let event = match state.next_action() {
            NextAction::Done => {
                return Ok(Simulation {
                    state,
                    timeline,
                    analyses,
                });
            }
            NextAction::WaitUntil(t) => RolloutEvent::Tick(t),
            NextAction::RunAnalysis(templates) => {
                let mut worst = AnalysisPhase::Successful;
                let mut end = state.now;
                for t in &templates {
                    let tpl = spec
                        .templates
                        .get(t)
                        .ok_or_else(|| Error::UnknownTemplate(t.clone()))?;
                    let run = run_analysis(tpl, provider, state.now).await?;
                    worst = worst.max(run.phase);
                    end = end.max(run.finished_at);
                    analyses.push(run);
                }
                RolloutEvent::AnalysisCompleted {
                    phase: worst,
                    at: end,
                }
            }
            NextAction::AwaitPromotion if options.auto_promote => RolloutEvent::Promote {
                full: false,
                at: state.now,
            },
            NextAction::AwaitPromotion => {
                return Ok(Simulation {
                    state,
                    timeline,
                    analyses,
                });
            }
        };
        timeline.extend(state.apply(spec, event)?);
    }
    Err(Error::Strategy {
        message: format!(
            "simulation did not finish within {} events",
            options.max_events
        ),
    })
}
