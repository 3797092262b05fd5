#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod baselines;
mod error;
mod failure;
mod forecast;
pub mod m4;
mod model;
mod mstl;
mod prepare;
#[cfg(feature = "prophet")]
mod prophet;
mod series;

pub use baselines::{
    FittedNaive, Naive, Naive2, SeasonalNaive, classical_multiplicative_index, m4_seasonality_test,
};
pub use error::{Error, Result};
pub use failure::{
    Direction, FailureForecast, FailureParams, FailurePrediction, Recommendation,
    RecommendationPolicy, failure_probability, predict_failure,
};
pub use forecast::{Fitted, Forecast, Forecaster, MAX_HORIZON, forecast_batch};
pub use model::{Auto, FittedAuto, Model};
pub use mstl::{Ets, EtsSpec, FittedMstl, Mstl, Seasonality, detect_periods};
pub use prepare::{MAX_ABS_VALUE, RegularSeries, regularize};
#[cfg(feature = "prophet")]
#[cfg_attr(docsrs, doc(cfg(feature = "prophet")))]
pub use prophet::{FittedProphet, Prophet};
pub use series::{
    Breach, SeriesForecast, breaches, forecast_auto, forecast_series, residual_breaches,
};

/// Series name used in errors raised on raw slices.
pub(crate) const UNNAMED: &str = "<values>";
