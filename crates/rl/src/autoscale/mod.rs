//! Autoscaling on request-rate traces.

mod cluster;
mod compare;
mod env;
mod hpa;
mod trace;

pub use cluster::{erlang_c, max_load_within_slo, mmc_mean_latency};
pub use compare::{
    AgentKind, AutoscalerTraining, Comparison, Evaluation, LearnedAutoscaler, TABULAR_BINS,
    compare, evaluate_autoscaler, new_autoscaler, run_hpa, train_autoscaler,
};
pub use env::{
    AutoscaleConfig, AutoscaleEnv, AutoscaleObservation, Capacity, Decision, DecisionLog,
    DecisionReason, FEATURE_HIGH, FEATURE_LOW, Metrics, Prediction, RewardWeights, SafetyShield,
};
pub use hpa::{Hpa, HpaConfig, HpaPolicy, HpaRules};
pub use trace::{MIN_TRACE_POINTS, Trace};
