//! The autoscaling environment: a request-rate trace served by replicas.

use std::fmt;

use rand::Rng;

use crate::autoscale::cluster::{Cluster, Usage};
use crate::autoscale::trace::Trace;
use crate::env::{Environment, Space, Step};
use crate::error::{self, Error, Result};

/// How much traffic one replica serves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    /// Rate (in the trace's units) one replica serves at 100 % utilisation.
    PerReplica(f64),
    /// Per-trace capacity such that the trace's mean rate fills this many
    /// replicas at 100 % utilisation. Traces in different units (tweets per
    /// 5 minutes, taxi passengers per 30 minutes) then give comparable
    /// problems; the HPA and the agent see the same scaled trace.
    MeanLoadReplicas(f64),
}

/// Weights of the reward `-(cost + slo + action)` per step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RewardWeights {
    /// Weight of the mean replicas over the step, divided by the trace's mean
    /// load in replicas (so 1.0 means "as many replicas as the mean load").
    pub replica_cost: f64,
    /// Weight of the fraction of the step spent violating the SLO.
    pub slo_violation: f64,
    /// Cost of changing the replica count.
    pub scaling_action: f64,
    /// Extra penalty for an action the safety shield vetoed.
    pub veto: f64,
}

impl Default for RewardWeights {
    fn default() -> Self {
        RewardWeights {
            replica_cost: 1.0,
            slo_violation: 5.0,
            scaling_action: 0.02,
            veto: 1.0,
        }
    }
}

/// Configuration of [`AutoscaleEnv`].
#[derive(Debug, Clone, PartialEq)]
pub struct AutoscaleConfig {
    /// Per-replica capacity.
    pub capacity: Capacity,
    /// Mean service time of one request in seconds (M/M/c service rate `1 / S`).
    pub service_time_secs: f64,
    /// SLO on the mean latency, in seconds; must exceed the service time.
    pub latency_slo_secs: f64,
    /// Seconds from creating a replica until it serves traffic.
    pub startup_delay_secs: f64,
    /// Fewest replicas.
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// Both controllers start with `ceil(load / initial_utilization)` ready replicas.
    pub initial_utilization: f64,
    /// The agent's actions: action 0 keeps the replica count, action `i >= 1`
    /// sets it to `ceil(load / target_utilizations[i - 1])`.
    pub target_utilizations: Vec<f64>,
    /// Steps of history behind the "recent peak" feature.
    pub history: usize,
    /// Reward weights.
    pub reward: RewardWeights,
}

impl Default for AutoscaleConfig {
    fn default() -> Self {
        AutoscaleConfig {
            capacity: Capacity::MeanLoadReplicas(10.0),
            service_time_secs: 0.1,
            latency_slo_secs: 0.2,
            startup_delay_secs: 60.0,
            min_replicas: 1,
            max_replicas: 200,
            initial_utilization: 0.7,
            target_utilizations: vec![0.5, 0.6, 0.7, 0.8, 0.9],
            history: 12,
            reward: RewardWeights::default(),
        }
    }
}

impl AutoscaleConfig {
    /// Validates the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero or negative capacity, service
    /// time or SLO, an SLO not above the service time, a negative start-up
    /// delay, utilisations outside (0, 1], no history, negative weights;
    /// [`Error::InvalidReplicaBounds`] unless `1 <= min <= max`.
    pub fn check(&self) -> Result<()> {
        match self.capacity {
            Capacity::PerReplica(c) => error::positive("capacity", c)?,
            Capacity::MeanLoadReplicas(c) => error::positive("capacity", c)?,
        };
        error::positive("service_time_secs", self.service_time_secs)?;
        error::positive("latency_slo_secs", self.latency_slo_secs)?;
        if self.latency_slo_secs <= self.service_time_secs {
            return Err(Error::InvalidParameter {
                name: "latency_slo_secs",
                value: self.latency_slo_secs,
                expected: "a latency SLO above the mean service time",
            });
        }
        error::non_negative("startup_delay_secs", self.startup_delay_secs)?;
        if self.min_replicas == 0 || self.min_replicas > self.max_replicas {
            return Err(Error::InvalidReplicaBounds {
                min: self.min_replicas,
                max: self.max_replicas,
            });
        }
        error::in_unit_open_closed("initial_utilization", self.initial_utilization)?;
        if self.target_utilizations.is_empty() {
            return Err(Error::InvalidParameter {
                name: "target_utilizations",
                value: 0.0,
                expected: "at least one target utilisation",
            });
        }
        for &u in &self.target_utilizations {
            error::in_unit_open_closed("target_utilizations", u)?;
        }
        if self.history == 0 {
            return Err(Error::InvalidParameter {
                name: "history",
                value: 0.0,
                expected: "at least 1 step",
            });
        }
        error::non_negative("reward.replica_cost", self.reward.replica_cost)?;
        error::non_negative("reward.slo_violation", self.reward.slo_violation)?;
        error::non_negative("reward.scaling_action", self.reward.scaling_action)?;
        error::non_negative("reward.veto", self.reward.veto)?;
        Ok(())
    }

    /// Number of agent actions (hold plus one per target utilisation).
    pub fn n_actions(&self) -> usize {
        self.target_utilizations.len() + 1
    }

    pub(crate) fn slo_factor(&self) -> f64 {
        self.latency_slo_secs / self.service_time_secs
    }

    pub(crate) fn clamp(&self, replicas: f64) -> u32 {
        let r = replicas.ceil();
        if r >= f64::from(self.max_replicas) {
            self.max_replicas
        } else if r <= f64::from(self.min_replicas) {
            self.min_replicas
        } else {
            r as u32
        }
    }

    /// Replicas for `action` at offered `load` (in replicas) with `current` replicas.
    pub(crate) fn replicas_for(&self, action: usize, load: f64, current: u32) -> u32 {
        match action.checked_sub(1) {
            None => current,
            Some(i) => self.clamp(load / self.target_utilizations[i]),
        }
    }
}

/// Outcome totals of a controller on a trace.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Minutes during which the mean latency exceeded the SLO.
    pub slo_violation_minutes: f64,
    /// Replica-hours paid for (starting replicas included).
    pub replica_hours: f64,
    /// Number of changes of the replica count.
    pub scaling_actions: u64,
    /// Trace steps simulated.
    pub steps: usize,
    /// Decisions the safety shield vetoed (0 without a shield).
    pub vetoes: u64,
}

impl Metrics {
    pub(crate) fn record(&mut self, usage: Usage) {
        self.slo_violation_minutes += usage.violation_secs / 60.0;
        self.replica_hours += usage.replica_secs / 3600.0;
    }
}

/// A trace prepared for simulation: offered load in replicas.
#[derive(Debug, Clone)]
pub(crate) struct PreparedTrace {
    pub(crate) trace: Trace,
    /// Offered load per step, in replicas at 100 % utilisation.
    pub(crate) loads: Vec<f64>,
    pub(crate) mean_load: f64,
}

impl PreparedTrace {
    pub(crate) fn new(trace: Trace, config: &AutoscaleConfig) -> Result<Self> {
        if config.startup_delay_secs >= trace.duration_secs() {
            return Err(Error::StartupLongerThanTrace {
                series: trace.name().to_owned(),
                startup_seconds: config.startup_delay_secs,
                trace_seconds: trace.duration_secs(),
            });
        }
        let per_replica = match config.capacity {
            Capacity::PerReplica(c) => c,
            Capacity::MeanLoadReplicas(m) => trace.mean() / m,
        };
        if !(per_replica.is_finite() && per_replica > 0.0) {
            return Err(Error::InvalidParameter {
                name: "capacity",
                value: per_replica,
                expected: "a positive per-replica capacity (a trace whose mean rate is 0 cannot be scaled by its mean)",
            });
        }
        let loads: Vec<f64> = trace.rates().iter().map(|r| r / per_replica).collect();
        let mean_load = (loads.iter().sum::<f64>() / loads.len() as f64).max(f64::MIN_POSITIVE);
        Ok(PreparedTrace {
            trace,
            loads,
            mean_load,
        })
    }
}

/// What an autoscaler observes before acting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoscaleObservation {
    /// Offered load now, in replicas at 100 % utilisation.
    pub load: f64,
    /// Change of the load since the previous step, in replicas.
    pub trend: f64,
    /// Largest load over the recent history window, in replicas.
    pub recent_peak: f64,
    /// Current replicas (ready and starting).
    pub replicas: u32,
    /// Replicas still starting.
    pub starting: u32,
    features: [f64; 4],
}

impl AutoscaleObservation {
    fn new(
        load: f64,
        trend: f64,
        recent_peak: f64,
        replicas: u32,
        starting: u32,
        max: u32,
    ) -> Self {
        let c = f64::from(replicas.max(1));
        let features = [
            load / c,
            trend / c,
            recent_peak / c,
            f64::from(replicas).ln_1p() / f64::from(max).ln_1p(),
        ];
        AutoscaleObservation {
            load,
            trend,
            recent_peak,
            replicas,
            starting,
            features,
        }
    }

    /// The scale-free features the agents learn from: utilisation
    /// (`load / replicas`), trend per replica, recent peak per replica and
    /// `ln(1 + replicas) / ln(1 + max_replicas)`.
    pub fn features(&self) -> [f64; 4] {
        self.features
    }
}

impl AsRef<[f64]> for AutoscaleObservation {
    fn as_ref(&self) -> &[f64] {
        &self.features
    }
}

/// Lower and upper bounds used to discretise or tile-code the features.
pub const FEATURE_LOW: [f64; 4] = [0.0, -0.5, 0.0, 0.0];
/// See [`FEATURE_LOW`].
pub const FEATURE_HIGH: [f64; 4] = [1.5, 0.5, 2.0, 1.0];

/// The safety shield: vetoes actions whose predicted SLO violation exceeds a
/// limit, replacing them with the cheapest action predicted to stay within it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SafetyShield {
    /// Largest acceptable predicted fraction of the horizon in violation, in [0, 1].
    pub max_violation_fraction: f64,
}

impl Default for SafetyShield {
    fn default() -> Self {
        SafetyShield {
            max_violation_fraction: 0.2,
        }
    }
}

/// The model's estimate of an action's impact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The action.
    pub action: usize,
    /// Replicas it sets.
    pub replicas: u32,
    /// Predicted seconds in SLO violation over the horizon.
    pub violation_secs: f64,
    /// Predicted replica-seconds over the horizon.
    pub replica_secs: f64,
    /// Horizon in seconds: the current step plus one start-up delay into the
    /// next, where the model assumes the load keeps its upward trend.
    pub horizon_secs: f64,
}

impl Prediction {
    /// Predicted fraction of the horizon in violation.
    pub fn violation_fraction(&self) -> f64 {
        if self.horizon_secs > 0.0 {
            self.violation_secs / self.horizon_secs
        } else {
            0.0
        }
    }
}

/// Why a decision was executed as it was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DecisionReason {
    /// No shield: the agent's action was executed.
    Unshielded,
    /// The predicted violation was within the limit.
    WithinLimit,
    /// Vetoed: the predicted violation exceeded the limit; the cheapest
    /// action within it was executed instead.
    Vetoed {
        /// The shield's limit, as a fraction of the horizon.
        limit: f64,
    },
    /// Vetoed, and no action met the limit: the one with the least
    /// predicted violation was executed.
    VetoedNoSafeAction {
        /// The shield's limit, as a fraction of the horizon.
        limit: f64,
    },
}

/// One logged decision of the autonomous controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Step index in the trace.
    pub step: usize,
    /// Timestamp of the step.
    pub timestamp: aiops_core::Timestamp,
    /// Offered load, in replicas.
    pub load: f64,
    /// Replicas before the decision.
    pub previous_replicas: u32,
    /// The agent's proposal and its predicted impact.
    pub proposed: Prediction,
    /// What was executed and its predicted impact.
    pub executed: Prediction,
    /// Why.
    pub reason: DecisionReason,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({}): load {:.2} replicas, {} -> proposed {} (predicted violation {:.0} s of {:.0} s)",
            self.step,
            self.timestamp,
            self.load,
            self.previous_replicas,
            self.proposed.replicas,
            self.proposed.violation_secs,
            self.proposed.horizon_secs
        )?;
        match self.reason {
            DecisionReason::Unshielded => write!(f, "; executed without a shield"),
            DecisionReason::WithinLimit => write!(f, "; within the limit, executed"),
            DecisionReason::Vetoed { limit } => write!(
                f,
                "; vetoed (limit {:.0} %), executed {} replicas (predicted violation {:.0} s)",
                limit * 100.0,
                self.executed.replicas,
                self.executed.violation_secs
            ),
            DecisionReason::VetoedNoSafeAction { limit } => write!(
                f,
                "; vetoed (limit {:.0} %), no action within the limit, executed the safest: {} replicas (predicted violation {:.0} s)",
                limit * 100.0,
                self.executed.replicas,
                self.executed.violation_secs
            ),
        }
    }
}

/// The autoscaling environment.
///
/// One step is one trace point: the controller sees the load of the step
/// (and its trend and recent peak), sets the replica count, and the step's
/// duration is simulated with the M/M/c latency model, new replicas serving
/// only after the start-up delay. Episodes cycle through the traces in
/// order; the end of a trace truncates the episode.
#[derive(Debug, Clone)]
pub struct AutoscaleEnv {
    config: AutoscaleConfig,
    traces: Vec<PreparedTrace>,
    next_trace: usize,
    current: usize,
    k: usize,
    cluster: Cluster,
    slo_table: std::sync::Arc<[f64]>,
    metrics: Metrics,
    shield: Option<SafetyShield>,
    log: DecisionLog,
    decisions: Vec<Decision>,
    done: bool,
}

/// Whether the environment keeps every [`Decision`] in memory (evaluation)
/// or only traces them (training).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecisionLog {
    /// Decisions go to `tracing` at trace level only.
    #[default]
    TraceOnly,
    /// Decisions are also kept and returned by [`AutoscaleEnv::decisions`].
    Keep,
}

impl AutoscaleEnv {
    /// An environment over `traces` (at least one).
    ///
    /// # Errors
    /// [`Error::NoTrainingData`] with no trace; as [`AutoscaleConfig::check`];
    /// [`Error::StartupLongerThanTrace`]; [`Error::InvalidParameter`] for a
    /// trace whose capacity comes out as zero.
    pub fn new(traces: Vec<Trace>, config: AutoscaleConfig) -> Result<Self> {
        config.check()?;
        if traces.is_empty() {
            return Err(Error::NoTrainingData);
        }
        let traces = traces
            .into_iter()
            .map(|t| PreparedTrace::new(t, &config))
            .collect::<Result<Vec<_>>>()?;
        let slo_table = Cluster::slo_table(config.slo_factor(), config.max_replicas);
        let cluster = Cluster::with_table(
            config.min_replicas,
            config.startup_delay_secs,
            config.slo_factor(),
            slo_table.clone(),
        );
        Ok(AutoscaleEnv {
            config,
            traces,
            next_trace: 0,
            current: 0,
            k: 0,
            cluster,
            slo_table,
            metrics: Metrics::default(),
            shield: None,
            log: DecisionLog::TraceOnly,
            decisions: Vec::new(),
            done: true,
        })
    }

    /// Puts a safety shield in front of every action.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a limit outside [0, 1].
    pub fn with_shield(mut self, shield: SafetyShield) -> Result<Self> {
        error::in_unit_closed("max_violation_fraction", shield.max_violation_fraction)?;
        self.shield = Some(shield);
        Ok(self)
    }

    /// Chooses whether decisions are kept in memory.
    pub fn with_decision_log(mut self, log: DecisionLog) -> Self {
        self.log = log;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &AutoscaleConfig {
        &self.config
    }

    /// Metrics of the current (or last) episode.
    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Decisions kept in the current episode (with [`DecisionLog::Keep`]).
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Trace of the current episode.
    pub fn trace(&self) -> &Trace {
        &self.traces[self.current].trace
    }

    fn observe(&self) -> AutoscaleObservation {
        let t = &self.traces[self.current];
        let k = self.k.min(t.loads.len() - 1);
        let load = t.loads[k];
        let trend = if k > 0 { load - t.loads[k - 1] } else { 0.0 };
        let from = (k + 1).saturating_sub(self.config.history);
        let peak = t.loads[from..=k].iter().copied().fold(0.0, f64::max);
        AutoscaleObservation::new(
            load,
            trend,
            peak,
            self.cluster.replicas(),
            self.cluster.starting(),
            self.config.max_replicas,
        )
    }

    /// Estimates the impact of `action` now on a copy of the cluster model:
    /// the current step at its load, then one start-up delay of the next
    /// step at the load extrapolated by a non-negative trend.
    ///
    /// # Errors
    /// [`Error::InvalidAction`] or [`Error::EpisodeOver`].
    pub fn predict(&self, action: usize) -> Result<Prediction> {
        if self.done {
            return Err(Error::EpisodeOver);
        }
        if action >= self.config.n_actions() {
            return Err(Error::InvalidAction {
                action,
                n_actions: self.config.n_actions(),
            });
        }
        let t = &self.traces[self.current];
        let load = t.loads[self.k];
        let trend = if self.k > 0 {
            load - t.loads[self.k - 1]
        } else {
            0.0
        };
        let replicas = self
            .config
            .replicas_for(action, load, self.cluster.replicas());
        let mut model = self.cluster.clone();
        model.scale_to(replicas);
        let step = t.trace.step_secs();
        let mut usage = model.advance(step, load);
        let ahead = self.config.startup_delay_secs.min(step);
        usage.add(model.advance(ahead, load + trend.max(0.0)));
        Ok(Prediction {
            action,
            replicas,
            violation_secs: usage.violation_secs,
            replica_secs: usage.replica_secs,
            horizon_secs: step + ahead,
        })
    }

    fn shielded(
        &self,
        action: usize,
        shield: SafetyShield,
    ) -> Result<(Prediction, Prediction, DecisionReason)> {
        let proposed = self.predict(action)?;
        let limit = shield.max_violation_fraction;
        if proposed.violation_fraction() <= limit {
            return Ok((proposed, proposed, DecisionReason::WithinLimit));
        }
        let mut safe: Option<Prediction> = None;
        let mut safest = proposed;
        for a in 0..self.config.n_actions() {
            let p = self.predict(a)?;
            if p.violation_fraction() <= limit
                && safe.is_none_or(|s| p.replica_secs < s.replica_secs)
            {
                safe = Some(p);
            }
            if p.violation_secs < safest.violation_secs
                || (p.violation_secs == safest.violation_secs
                    && p.replica_secs < safest.replica_secs)
            {
                safest = p;
            }
        }
        Ok(match safe {
            Some(p) => (proposed, p, DecisionReason::Vetoed { limit }),
            None => (
                proposed,
                safest,
                DecisionReason::VetoedNoSafeAction { limit },
            ),
        })
    }
}

impl Environment for AutoscaleEnv {
    type Observation = AutoscaleObservation;

    fn observation_space(&self) -> Space {
        Space::Box {
            low: FEATURE_LOW.to_vec(),
            high: FEATURE_HIGH.to_vec(),
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(self.config.n_actions())
    }

    fn reset<R: Rng + ?Sized>(&mut self, _rng: &mut R) -> AutoscaleObservation {
        self.current = self.next_trace;
        self.next_trace = (self.next_trace + 1) % self.traces.len();
        self.k = 0;
        let load0 = self.traces[self.current].loads[0];
        let initial = self.config.clamp(load0 / self.config.initial_utilization);
        self.cluster = Cluster::with_table(
            initial,
            self.config.startup_delay_secs,
            self.config.slo_factor(),
            self.slo_table.clone(),
        );
        self.metrics = Metrics::default();
        self.decisions.clear();
        self.done = false;
        self.observe()
    }

    fn step<R: Rng + ?Sized>(
        &mut self,
        action: usize,
        _rng: &mut R,
    ) -> Result<Step<AutoscaleObservation>> {
        if self.done {
            return Err(Error::EpisodeOver);
        }
        if action >= self.config.n_actions() {
            return Err(Error::InvalidAction {
                action,
                n_actions: self.config.n_actions(),
            });
        }
        let previous = self.cluster.replicas();
        let load = self.traces[self.current].loads[self.k];
        let mut vetoed = false;
        let executed = match self.shield {
            Some(shield) => {
                let (proposed, executed, reason) = self.shielded(action, shield)?;
                vetoed = !matches!(reason, DecisionReason::WithinLimit);
                let decision = Decision {
                    step: self.k,
                    timestamp: self.traces[self.current].trace.timestamp(self.k),
                    load,
                    previous_replicas: previous,
                    proposed,
                    executed,
                    reason,
                };
                tracing::trace!(%decision, "autoscaling decision");
                if self.log == DecisionLog::Keep {
                    self.decisions.push(decision);
                }
                executed.replicas
            }
            None => {
                let replicas = self.config.replicas_for(action, load, previous);
                if self.log == DecisionLog::Keep {
                    let p = Prediction {
                        action,
                        replicas,
                        violation_secs: f64::NAN,
                        replica_secs: f64::NAN,
                        horizon_secs: 0.0,
                    };
                    self.decisions.push(Decision {
                        step: self.k,
                        timestamp: self.traces[self.current].trace.timestamp(self.k),
                        load,
                        previous_replicas: previous,
                        proposed: p,
                        executed: p,
                        reason: DecisionReason::Unshielded,
                    });
                }
                replicas
            }
        };
        if vetoed {
            self.metrics.vetoes += 1;
        }
        let changed = executed != previous;
        if changed {
            self.metrics.scaling_actions += 1;
        }
        self.cluster.scale_to(executed);
        let t = &self.traces[self.current];
        let step = t.trace.step_secs();
        let usage = self.cluster.advance(step, load);
        self.metrics.record(usage);
        self.metrics.steps += 1;
        let w = &self.config.reward;
        let mut reward = -(w.replica_cost * usage.replica_secs / step / t.mean_load
            + w.slo_violation * usage.violation_secs / step);
        if changed {
            reward -= w.scaling_action;
        }
        if vetoed {
            reward -= w.veto;
        }
        self.k += 1;
        let truncated = self.k >= t.loads.len();
        if truncated {
            self.done = true;
        }
        Ok(Step {
            observation: self.observe(),
            reward,
            terminated: false,
            truncated,
        })
    }
}
