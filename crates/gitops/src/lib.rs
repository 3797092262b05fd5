#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod analysis;
mod error;
#[cfg(feature = "git")]
mod git;
mod history;
mod impact;
mod judge;
mod manifest;
mod mann_whitney;
mod rollout;
mod samples;

pub use analysis::{
    AnalysisMetric, AnalysisPhase, AnalysisRun, AnalysisTemplate, Condition, InMemoryProvider,
    Measurement, MetricProvider, MetricRun, run_analysis,
};
pub use error::{Error, Result};
#[cfg(feature = "git")]
#[cfg_attr(docsrs, doc(cfg(feature = "git")))]
pub use git::{CommitId, GitRepo};
pub use history::{DeploymentHistory, DeploymentRecord, JudgementSummary, Outcome};
pub use impact::{
    ChangeKind, FieldChange, ImpactAnalysis, Resource, ResourceChange, ResourceKey, Risk,
    diff_manifests, parse_manifests,
};
pub use judge::{
    CanaryJudge, Classification, Direction, EffectSize, GroupScore, JudgeConfig, Judgement,
    MetricConfig, MetricResult, MetricSamples, ScoreThresholds, Verdict,
};
pub use manifest::{parse_duration, parse_rollout_yaml};
pub use mann_whitney::{
    MAX_SAMPLE_MAGNITUDE, MannWhitney, ROOT_TOLERANCE, mann_whitney, mann_whitney_in_place,
};
pub use rollout::{
    CanaryStep, NextAction, PauseReason, RolloutEvent, RolloutPhase, RolloutSpec, RolloutState,
    Simulation, SimulationOptions, Strategy, TimelineEntry, fmt_duration, simulate,
};
pub use samples::read_samples_csv;
