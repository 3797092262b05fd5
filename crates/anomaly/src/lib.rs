#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod ensemble;
mod error;
pub mod features;
pub mod forest;
pub mod knn;
pub mod nab;
pub mod periodic;
pub mod shesd;
pub mod streaming;
pub mod table;

pub use batch::{BatchDetector, ScoreRows};
pub use ensemble::{Ensemble, EnsembleParams};
pub use error::{Error, Result};
pub use forest::{FittedForest, IsolationForest, IsolationForestParams};
pub use knn::{KnnConformity, KnnParams};
pub use periodic::{PeriodicBaseline, PeriodicParams, detect_base_period, detect_period};
pub use shesd::{ShEsd, ShEsdParams, ShEsdResult};
pub use streaming::{
    RobustBaseline, RobustParams, SeasonalBaseline, SeasonalParams, StreamingDetector,
    WindowedGaussian, WindowedGaussianParams,
};
