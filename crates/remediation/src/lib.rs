#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod action;
mod engine;
mod error;
mod executor;
pub mod guard;
pub mod journal;
mod learning;
pub mod rca;
pub mod runbook;
pub mod severity;

pub use action::{Action, ActionKind, ActionReport, ActionStatus, Outcome};
pub use engine::{
    Decision, EngineBuilder, JournalTarget, Remediation, RemediationEngine, incident_class,
    isolate_source_action,
};
pub use error::{Error, Result};
pub use executor::{
    Approver, Clock, DryRunExecutor, Executor, ManualClock, MetricSource, Misbehaviour, NoMetrics,
    StaticApprover, StaticMetrics, SystemClock, TestExecutor,
};
pub use guard::{GuardConfig, KillSwitch, Mode};
pub use journal::{Durability, Journal, Replay};
pub use learning::{ArmStats, FirstMatch, LearningStats, RunbookSelector, ThompsonSampling};
pub use rca::{DependencyGraph, RankedService, RcaParams, ServiceMetrics, rank_root_causes};
pub use runbook::{Runbook, RunbookSet};
pub use severity::{Assessment, Criticality, SeverityInput, SeverityRules};
