//! Prophet through augurs' `prophet` crate and its WebAssembly Stan
//! optimizer (feature `prophet`, off by default: it pulls in wasmtime).

use std::sync::OnceLock;

use augurs::prophet::optimizer::OptimizeOpts;
use augurs::prophet::wasmstan::WasmstanOptimizer;
use augurs::prophet::{
    IntervalWidth, PredictionData, Prophet as AugursProphet, ProphetOptions, TrainingData,
};

use crate::UNNAMED;
use crate::baselines::imputation_notes;
use crate::error::{Error, Result};
use crate::forecast::{Fitted, Forecast, Forecaster, z_for_level};
use crate::prepare::prepare;

/// The one WebAssembly optimizer of the process: compiling the embedded Stan
/// component takes a noticeable time, so it is built on first use and
/// cloned afterwards (clones share the wasmtime engine and the
/// pre-instantiated component).
fn optimizer() -> WasmstanOptimizer {
    static OPTIMIZER: OnceLock<WasmstanOptimizer> = OnceLock::new();
    // `WasmstanOptimizer::new` panics only if the WASM image embedded in
    // augurs-prophet is invalid, which augurs tests in its CI; no input of
    // ours reaches it.
    OPTIMIZER.get_or_init(WasmstanOptimizer::new).clone()
}

/// Prophet (augurs) on a regular grid of `step_seconds`.
///
/// Prophet's uncertainty intervals are drawn at fit time for `level` with
/// augurs' unseeded RNG, so they vary slightly between runs; a prediction at
/// another level rescales the half-widths by the ratio of normal quantiles.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(docsrs, doc(cfg(feature = "prophet")))]
pub struct Prophet {
    /// Spacing of the series in seconds (Prophet models calendar time).
    pub step_seconds: i64,
    /// Interval coverage Prophet simulates at fit time.
    pub level: f64,
}

impl Default for Prophet {
    fn default() -> Self {
        Prophet {
            step_seconds: 3600,
            level: 0.95,
        }
    }
}

/// A fitted [`Prophet`].
#[derive(Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "prophet")))]
pub struct FittedProphet {
    model: AugursProphet<WasmstanOptimizer>,
    last: i64,
    step: i64,
    level: f64,
    notes: Vec<String>,
}

fn err(e: impl std::fmt::Display) -> Error {
    Error::Model {
        series: UNNAMED.into(),
        model: "prophet".into(),
        message: e.to_string(),
    }
}

impl Forecaster for Prophet {
    type Fitted = FittedProphet;
    fn name(&self) -> String {
        "prophet".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedProphet> {
        if self.step_seconds <= 0 {
            return Err(Error::InvalidParameter {
                name: "step_seconds",
                value: self.step_seconds.to_string(),
                reason: "must be positive",
            });
        }
        let p = prepare(UNNAMED, y)?;
        if p.values.len() < 3 {
            return Err(Error::TooShort {
                series: UNNAMED.into(),
                model: "prophet".into(),
                needed: 3,
                got: p.values.len(),
            });
        }
        let width = IntervalWidth::try_new(self.level).map_err(|_| Error::InvalidParameter {
            name: "level",
            value: aiops_core::Num(self.level).to_string(),
            reason: "must be strictly between 0 and 1",
        })?;
        let n = p.values.len() as i64;
        let ds: Vec<i64> = (0..n).map(|i| i * self.step_seconds).collect();
        let data = TrainingData::new(ds, p.values).map_err(err)?;
        let opts = ProphetOptions {
            interval_width: width,
            ..ProphetOptions::default()
        };
        let mut model = AugursProphet::new(opts, optimizer());
        model.fit(data, OptimizeOpts::default()).map_err(err)?;
        Ok(FittedProphet {
            model,
            last: (n - 1) * self.step_seconds,
            step: self.step_seconds,
            level: self.level,
            notes: imputation_notes(p.dropped_leading, p.imputed),
        })
    }
}

impl Fitted for FittedProphet {
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()> {
        let h = i64::try_from(horizon).map_err(err)?;
        let ds: Vec<i64> = (1..=h).map(|k| self.last + k * self.step).collect();
        let pred = self.model.predict(PredictionData::new(ds)).map_err(err)?;
        let y = pred.yhat;
        let (Some(lower), Some(upper)) = (y.lower, y.upper) else {
            return Err(err("augurs returned no intervals"));
        };
        let scale = z_for_level(level) / z_for_level(self.level);
        out.level = level;
        out.model = "prophet".into();
        out.notes.clone_from(&self.notes);
        out.mean.clear();
        out.lower.clear();
        out.upper.clear();
        for i in 0..horizon {
            let m = y.point[i];
            out.mean.push(m);
            out.lower.push(m - (m - lower[i]) * scale);
            out.upper.push(m + (upper[i] - m) * scale);
        }
        out.finish(UNNAMED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prophet_follows_a_daily_cycle() {
        let y: Vec<f64> = (0..24 * 14)
            .map(|t| 50.0 + 10.0 * (t as f64 * std::f64::consts::TAU / 24.0).sin())
            .collect();
        let f = Prophet::default().forecast(&y, 24, 0.9).unwrap();
        assert_eq!(f.mean.len(), 24);
        let truth: Vec<f64> = (336..360)
            .map(|t| 50.0 + 10.0 * (t as f64 * std::f64::consts::TAU / 24.0).sin())
            .collect();
        let mae = f
            .mean
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / 24.0;
        assert!(mae < 2.0, "mae {mae}");
    }
}
