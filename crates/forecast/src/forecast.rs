//! The forecaster traits and the forecast type.

use std::fmt;

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Result};

/// A point forecast with a central prediction interval.
///
/// Invariants (checked when a model produces it): `mean`, `lower` and `upper`
/// have the same length (the horizon), every value is finite and
/// `lower[i] <= mean[i] <= upper[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Point forecasts, one per step ahead.
    pub mean: Vec<f64>,
    /// Lower bounds of the prediction interval.
    pub lower: Vec<f64>,
    /// Upper bounds of the prediction interval.
    pub upper: Vec<f64>,
    /// Coverage of the interval, in (0, 1), e.g. 0.95.
    pub level: f64,
    /// The model that actually produced the forecast, with its selected
    /// parameters, e.g. `MSTL[24,168]+AutoETS(AAdN)`.
    pub model: String,
    /// Fallbacks and repairs applied (non-seasonal fallback, imputed points,
    /// ensemble members chosen), one short sentence each. Empty when none.
    pub notes: Vec<String>,
}

impl Forecast {
    /// An empty forecast at `level`, to be filled by [`Fitted::predict_into`].
    pub fn empty(level: f64) -> Self {
        Forecast {
            mean: Vec::new(),
            lower: Vec::new(),
            upper: Vec::new(),
            level,
            model: String::new(),
            notes: Vec::new(),
        }
    }

    /// The horizon (number of steps).
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// True for a zero-length forecast.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// The standard deviation implied by the interval at each step, assuming
    /// a normal forecast distribution: `(upper - lower) / (2 z)`.
    pub fn implied_sigma(&self) -> Vec<f64> {
        let z = z_for_level(self.level);
        self.lower
            .iter()
            .zip(&self.upper)
            .map(|(l, u)| (u - l) / (2.0 * z))
            .collect()
    }

    /// Checks the invariants, repairing tiny crossing of bounds caused by
    /// float rounding (bounds are widened to include the mean).
    pub(crate) fn finish(&mut self, series: &str) -> Result<()> {
        for (i, m) in self.mean.iter().enumerate() {
            if !m.is_finite() || !self.lower[i].is_finite() || !self.upper[i].is_finite() {
                return Err(Error::NonFiniteForecast {
                    series: series.to_owned(),
                    model: self.model.clone(),
                    step: i + 1,
                });
            }
            self.lower[i] = self.lower[i].min(*m);
            self.upper[i] = self.upper[i].max(*m);
        }
        Ok(())
    }
}

/// The standard normal quantile for a central interval of coverage `level`.
pub(crate) fn z_for_level(level: f64) -> f64 {
    // Normal::standard() cannot fail; inverse_cdf of (0,1) is finite.
    let n = Normal::standard();
    n.inverse_cdf(0.5 + level / 2.0)
}

/// Largest forecast horizon, in steps, that the crate accepts: 100,000
/// steps (ten years of hours) is far beyond what a model fitted on a history
/// can say; the ETS-based models' time grows with the square of the horizon
/// (about 4 s at this bound), and a far larger one would allocate gigabytes.
pub const MAX_HORIZON: usize = 100_000;

/// Validates a horizon: 1 to [`MAX_HORIZON`] steps.
pub(crate) fn check_horizon(horizon: usize) -> Result<()> {
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(Error::InvalidParameter {
            name: "horizon",
            value: horizon.to_string(),
            reason: "must be between 1 and MAX_HORIZON (100,000) steps",
        });
    }
    Ok(())
}

/// Validates a horizon and an interval level.
pub(crate) fn check_request(horizon: usize, level: f64) -> Result<()> {
    check_horizon(horizon)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::InvalidParameter {
            name: "level",
            value: aiops_core::Num(level).to_string(),
            reason: "must be strictly between 0 and 1",
        });
    }
    Ok(())
}

/// An unfitted forecasting model: configuration only.
///
/// `fit` takes the history oldest first, on a regular grid. NaN values are
/// missing points: leading ones are dropped, interior ones linearly
/// interpolated, trailing ones carried forward; the forecast's
/// [`notes`](Forecast::notes) say how many.
pub trait Forecaster: fmt::Debug + Send + Sync {
    /// The fitted model.
    type Fitted: Fitted;

    /// A short name (`mstl`, `snaive`, `auto`, ...).
    fn name(&self) -> String;

    /// Fits the model to `y`.
    fn fit(&self, y: &[f64]) -> Result<Self::Fitted>;

    /// Fits and forecasts in one call.
    fn forecast(&self, y: &[f64], horizon: usize, level: f64) -> Result<Forecast> {
        check_request(horizon, level)?;
        self.fit(y)?.predict(horizon, level)
    }
}

/// A fitted model that forecasts with prediction intervals.
pub trait Fitted: fmt::Debug + Send + Sync {
    /// Writes a `horizon`-step forecast with a central interval of coverage
    /// `level` into `out`, reusing its buffers.
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()>;

    /// Allocating convenience over [`predict_into`](Fitted::predict_into).
    fn predict(&self, horizon: usize, level: f64) -> Result<Forecast> {
        check_request(horizon, level)?;
        let mut out = Forecast::empty(level);
        self.predict_into(horizon, level, &mut out)?;
        Ok(out)
    }
}

impl<T: Fitted + ?Sized> Fitted for Box<T> {
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()> {
        (**self).predict_into(horizon, level, out)
    }
}

/// Forecasts many series in parallel (rayon), one result per input, in order.
///
/// A failure on one series does not stop the others.
pub fn forecast_batch<F, S>(
    model: &F,
    series: &[S],
    horizon: usize,
    level: f64,
) -> Vec<Result<Forecast>>
where
    F: Forecaster,
    S: AsRef<[f64]> + Sync,
{
    series
        .par_iter()
        .map(|y| model.forecast(y.as_ref(), horizon, level))
        .collect()
}
