#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod autoscale;
mod bandit;
mod env;
mod error;
mod mdp;
mod mountain_car;
mod sample;
mod tabular;
mod tiles;
mod train;

pub use bandit::{
    ArmStats, Bandit, BanditKind, BernoulliThompson, EpsilonGreedyBandit, GaussianThompson,
    NormalGammaPrior, Ucb1, new_bandit,
};
pub use env::{Agent, Environment, Space, Step, Transition};
pub use error::{Error, Result};
pub use mdp::{
    FROZEN_LAKE_4X4, FiniteMdp, Outcome, Slippery, ValueIteration, cliff_walking, frozen_lake,
    value_iteration,
};
pub use mountain_car::MountainCar;
pub use tabular::{
    DiscretizedAgent, Discretizer, EpsilonSchedule, LearningRate, TabularAgent, TabularParams,
    TdMethod,
};
pub use tiles::{LinearParams, SemiGradientSarsa, TileCoder};
pub use train::{EpisodeStats, TrainConfig, TrainingStats, evaluate, train};

/// The autoscaling environment, the Kubernetes HPA baseline, the safety
/// shield and the comparison between a learned autoscaler and the HPA.
pub mod autoscaling {
    pub use crate::autoscale::*;
}
