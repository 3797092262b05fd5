//! Training a learned autoscaler and comparing it with the HPA on a trace
//! it did not train on.

use rand::Rng;

use crate::autoscale::cluster::Cluster;
use crate::autoscale::env::{
    AutoscaleConfig, AutoscaleEnv, AutoscaleObservation, Decision, DecisionLog, FEATURE_HIGH,
    FEATURE_LOW, Metrics, PreparedTrace, SafetyShield,
};
use crate::autoscale::hpa::{Hpa, HpaConfig};
use crate::autoscale::trace::Trace;
use crate::env::{Agent, Environment, Transition};
use crate::error::{Error, Result};
use crate::tabular::{DiscretizedAgent, Discretizer, EpsilonSchedule, TabularParams, TdMethod};
use crate::tiles::{LinearParams, SemiGradientSarsa, TileCoder};
use crate::train::{TrainConfig, TrainingStats, train};

/// Runs the Kubernetes HPA on `trace`: the controller syncs every
/// `sync_period_secs`, sees the average utilisation of the ready replicas
/// (capped at 100 %, as CPU saturates) and its replica bounds are the
/// environment's.
///
/// # Errors
/// As [`AutoscaleConfig::check`], [`HpaConfig::check`] and the trace checks.
pub fn run_hpa(trace: &Trace, config: &AutoscaleConfig, hpa: &HpaConfig) -> Result<Metrics> {
    config.check()?;
    let mut hpa_config = hpa.clone();
    hpa_config.min_replicas = config.min_replicas;
    hpa_config.max_replicas = config.max_replicas;
    let mut controller = Hpa::new(hpa_config)?;
    let prepared = PreparedTrace::new(trace.clone(), config)?;
    let initial = config.clamp(prepared.loads[0] / config.initial_utilization);
    let mut cluster = Cluster::with_table(
        initial,
        config.startup_delay_secs,
        config.slo_factor(),
        Cluster::slo_table(config.slo_factor(), config.max_replicas),
    );
    let step = trace.step_secs();
    let sync = controller.config().sync_period_secs;
    let mut metrics = Metrics::default();
    let mut next_sync = 0.0;
    for (k, &load) in prepared.loads.iter().enumerate() {
        let end = (k + 1) as f64 * step;
        while cluster.now < end - 1e-9 {
            if cluster.now >= next_sync - 1e-9 {
                let ready = cluster.ready();
                let utilization = if ready > 0 {
                    (load / f64::from(ready)).min(1.0)
                } else {
                    f64::NAN
                };
                let current = cluster.replicas();
                let desired =
                    controller.sync(cluster.now, current, ready, cluster.starting(), utilization);
                if desired != current {
                    metrics.scaling_actions += 1;
                    cluster.scale_to(desired);
                }
                next_sync += sync;
            }
            let until = next_sync.min(end);
            let usage = cluster.advance(until - cluster.now, load);
            metrics.record(usage);
        }
        metrics.steps += 1;
    }
    Ok(metrics)
}

/// Which learner drives the autoscaler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentKind {
    /// Tabular Q-learning over discretised features.
    #[default]
    QLearning,
    /// Semi-gradient SARSA over tile-coded features.
    TileCodedSarsa,
}

/// A trained autoscaling agent.
#[derive(Debug, Clone)]
pub enum LearnedAutoscaler {
    /// Tabular Q-learning.
    Tabular(DiscretizedAgent),
    /// Tile-coded semi-gradient SARSA.
    TileCoded(SemiGradientSarsa),
}

impl Agent<AutoscaleObservation> for LearnedAutoscaler {
    fn act<R: Rng + ?Sized>(
        &mut self,
        observation: &AutoscaleObservation,
        rng: &mut R,
    ) -> Result<usize> {
        match self {
            LearnedAutoscaler::Tabular(a) => a.act(observation, rng),
            LearnedAutoscaler::TileCoded(a) => a.act(observation, rng),
        }
    }

    fn greedy(&self, observation: &AutoscaleObservation) -> Result<usize> {
        match self {
            LearnedAutoscaler::Tabular(a) => a.greedy(observation),
            LearnedAutoscaler::TileCoded(a) => a.greedy(observation),
        }
    }

    fn learn(&mut self, t: &Transition<'_, AutoscaleObservation>) -> Result<()> {
        match self {
            LearnedAutoscaler::Tabular(a) => a.learn(t),
            LearnedAutoscaler::TileCoded(a) => a.learn(t),
        }
    }

    fn end_episode(&mut self) {
        match self {
            LearnedAutoscaler::Tabular(a) => Agent::<AutoscaleObservation>::end_episode(a),
            LearnedAutoscaler::TileCoded(a) => Agent::<AutoscaleObservation>::end_episode(a),
        }
    }
}

/// How to train the autoscaler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoscalerTraining {
    /// The learner.
    pub agent: AgentKind,
    /// Training episodes; episodes cycle through the training traces.
    pub episodes: usize,
    /// Seed of exploration.
    pub seed: u64,
    /// Exploration schedule (decayed per episode).
    pub epsilon: EpsilonSchedule,
    /// Step size in (0, 1].
    pub alpha: f64,
    /// Discount factor in [0, 1].
    pub gamma: f64,
    /// The shield used while training and evaluating (`None`: none).
    pub shield: Option<SafetyShield>,
}

impl Default for AutoscalerTraining {
    fn default() -> Self {
        AutoscalerTraining {
            agent: AgentKind::QLearning,
            episodes: 60,
            seed: 0,
            epsilon: EpsilonSchedule {
                start: 0.2,
                end: 0.01,
                decay: 0.93,
            },
            alpha: 0.1,
            gamma: 0.9,
            shield: Some(SafetyShield::default()),
        }
    }
}

/// Bins of the tabular learner over the observation features.
pub const TABULAR_BINS: [usize; 4] = [15, 5, 4, 4];

/// Builds an untrained learner of the given kind for `config`.
///
/// # Errors
/// [`Error::InvalidParameter`] for invalid hyperparameters.
pub fn new_autoscaler(
    config: &AutoscaleConfig,
    training: &AutoscalerTraining,
) -> Result<LearnedAutoscaler> {
    let n_actions = config.n_actions();
    Ok(match training.agent {
        AgentKind::QLearning => {
            let disc = Discretizer::new(
                FEATURE_LOW.to_vec(),
                FEATURE_HIGH.to_vec(),
                TABULAR_BINS.to_vec(),
            )?;
            LearnedAutoscaler::Tabular(DiscretizedAgent::new(
                disc,
                n_actions,
                TabularParams {
                    method: TdMethod::QLearning,
                    alpha: training.alpha,
                    gamma: training.gamma,
                    epsilon: training.epsilon,
                    ..TabularParams::default()
                },
            )?)
        }
        AgentKind::TileCodedSarsa => {
            let coder = TileCoder::new(
                FEATURE_LOW.to_vec(),
                FEATURE_HIGH.to_vec(),
                vec![8, 4, 4, 4],
                8,
            )?;
            LearnedAutoscaler::TileCoded(SemiGradientSarsa::new(
                coder,
                n_actions,
                LinearParams {
                    alpha: training.alpha,
                    gamma: training.gamma,
                    epsilon: training.epsilon,
                    initial_q: 0.0,
                },
            )?)
        }
    })
}

/// Trains an autoscaler on `traces`.
///
/// # Errors
/// [`Error::NoTrainingData`] without traces; invalid configuration or
/// traces.
pub fn train_autoscaler(
    traces: Vec<Trace>,
    config: &AutoscaleConfig,
    training: &AutoscalerTraining,
) -> Result<(LearnedAutoscaler, TrainingStats)> {
    if traces.is_empty() {
        return Err(Error::NoTrainingData);
    }
    let max_steps = traces.iter().map(Trace::len).max().unwrap_or(1);
    let mut env = AutoscaleEnv::new(traces, config.clone())?;
    if let Some(shield) = training.shield {
        env = env.with_shield(shield)?;
    }
    let mut agent = new_autoscaler(config, training)?;
    let stats = train(
        &mut env,
        &mut agent,
        &TrainConfig {
            episodes: training.episodes,
            max_steps,
            seed: training.seed,
        },
    )?;
    Ok((agent, stats))
}

/// The agent's greedy policy on `trace`, with every decision logged.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Totals.
    pub metrics: Metrics,
    /// Every decision with its reason.
    pub decisions: Vec<Decision>,
}

/// Runs the agent's greedy policy (behind `shield`, if any) on `trace`.
///
/// # Errors
/// Invalid configuration or trace.
pub fn evaluate_autoscaler<A: Agent<AutoscaleObservation>>(
    agent: &A,
    trace: Trace,
    config: &AutoscaleConfig,
    shield: Option<SafetyShield>,
) -> Result<Evaluation> {
    let mut env =
        AutoscaleEnv::new(vec![trace], config.clone())?.with_decision_log(DecisionLog::Keep);
    if let Some(s) = shield {
        env = env.with_shield(s)?;
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let mut obs = env.reset(&mut rng);
    loop {
        let action = agent.greedy(&obs)?;
        let step = env.step(action, &mut rng)?;
        if step.done() {
            break;
        }
        obs = step.observation;
    }
    Ok(Evaluation {
        metrics: env.metrics(),
        decisions: env.decisions().to_vec(),
    })
}

/// The HPA and the learned autoscaler on the same evaluation trace.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Name of the evaluation trace.
    pub eval_trace: String,
    /// Names of the training traces.
    pub train_traces: Vec<String>,
    /// The HPA's totals.
    pub hpa: Metrics,
    /// The agent's totals.
    pub agent: Metrics,
    /// The agent's decisions on the evaluation trace.
    pub decisions: Vec<Decision>,
    /// Training statistics.
    pub training: TrainingStats,
}

/// Trains on `train_traces`, then runs the HPA and the agent on `eval`.
///
/// # Errors
/// [`Error::NoTrainingData`], invalid configuration or traces.
pub fn compare(
    train_traces: Vec<Trace>,
    eval: Trace,
    config: &AutoscaleConfig,
    hpa: &HpaConfig,
    training: &AutoscalerTraining,
) -> Result<Comparison> {
    let train_names = train_traces.iter().map(|t| t.name().to_owned()).collect();
    let hpa_metrics = run_hpa(&eval, config, hpa)?;
    let (agent, stats) = train_autoscaler(train_traces, config, training)?;
    let eval_name = eval.name().to_owned();
    let evaluation = evaluate_autoscaler(&agent, eval, config, training.shield)?;
    tracing::info!(
        trace = %eval_name,
        hpa_violation_min = hpa_metrics.slo_violation_minutes,
        agent_violation_min = evaluation.metrics.slo_violation_minutes,
        hpa_replica_hours = hpa_metrics.replica_hours,
        agent_replica_hours = evaluation.metrics.replica_hours,
        "autoscaling comparison"
    );
    Ok(Comparison {
        eval_trace: eval_name,
        train_traces: train_names,
        hpa: hpa_metrics,
        agent: evaluation.metrics,
        decisions: evaluation.decisions,
        training: stats,
    })
}
