//! Models chosen by name, and the automatic combination model.

use crate::UNNAMED;
use crate::baselines::{Naive, Naive2, SeasonalNaive};
use crate::error::{Error, Result};
use crate::forecast::{Fitted, Forecast, Forecaster};
use crate::mstl::{Ets, EtsSpec, Mstl, Seasonality};
use crate::prepare::prepare;

/// Every model of the crate, chosen at run time (CLI `--model`, M4 harness).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Model {
    /// Holdout-selected combination ([`Auto`]), the default.
    Auto(Auto),
    /// MSTL + AutoETS trend.
    Mstl(Mstl),
    /// Non-seasonal AutoETS.
    Ets(Ets),
    /// Seasonal naive.
    SeasonalNaive(SeasonalNaive),
    /// M4 Naive2.
    Naive2(Naive2),
    /// Naive (random walk).
    Naive(Naive),
    /// Prophet (augurs, WebAssembly Stan optimizer), hourly steps.
    #[cfg(feature = "prophet")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prophet")))]
    Prophet(crate::prophet::Prophet),
}

impl Model {
    /// Accepted names for [`Model::from_name`].
    #[cfg(not(feature = "prophet"))]
    pub const NAMES: &'static str = "auto, mstl, mstl-log, ets, snaive, naive2, naive";
    /// Accepted names for [`Model::from_name`].
    #[cfg(feature = "prophet")]
    pub const NAMES: &'static str = "auto, mstl, mstl-log, ets, snaive, naive2, naive, prophet";

    /// Builds a model by name. `periods` are the seasonal periods in steps,
    /// main one first (empty for non-seasonal data); baselines use the first.
    pub fn from_name(name: &str, periods: &[usize]) -> Result<Model> {
        let main = periods.first().copied().unwrap_or(1);
        let seasonality = if periods.is_empty() {
            Seasonality::None
        } else {
            Seasonality::Periods(periods.to_vec())
        };
        Ok(match name {
            "auto" => Model::Auto(Auto::new(periods)),
            "mstl" => Model::Mstl(Mstl {
                seasonality,
                ..Mstl::default()
            }),
            "mstl-log" => Model::Mstl(Mstl {
                seasonality,
                log: true,
                ..Mstl::default()
            }),
            "ets" => Model::Ets(Ets::default()),
            "snaive" => Model::SeasonalNaive(SeasonalNaive { period: main }),
            "naive2" => Model::Naive2(Naive2 { period: main }),
            "naive" => Model::Naive(Naive),
            #[cfg(feature = "prophet")]
            "prophet" => Model::Prophet(crate::prophet::Prophet::default()),
            other => {
                return Err(Error::UnknownModel {
                    name: other.to_owned(),
                    expected: Self::NAMES,
                });
            }
        })
    }
}

impl Forecaster for Model {
    type Fitted = Box<dyn Fitted>;
    fn name(&self) -> String {
        match self {
            Model::Auto(m) => m.name(),
            Model::Mstl(m) => m.name(),
            Model::Ets(m) => m.name(),
            Model::SeasonalNaive(m) => m.name(),
            Model::Naive2(m) => m.name(),
            Model::Naive(m) => m.name(),
            #[cfg(feature = "prophet")]
            Model::Prophet(m) => m.name(),
        }
    }
    fn fit(&self, y: &[f64]) -> Result<Box<dyn Fitted>> {
        Ok(match self {
            Model::Auto(m) => Box::new(m.fit(y)?),
            Model::Mstl(m) => Box::new(m.fit(y)?),
            Model::Ets(m) => Box::new(m.fit(y)?),
            Model::SeasonalNaive(m) => Box::new(m.fit(y)?),
            Model::Naive2(m) => Box::new(m.fit(y)?),
            Model::Naive(m) => Box::new(m.fit(y)?),
            #[cfg(feature = "prophet")]
            Model::Prophet(m) => Box::new(m.fit(y)?),
        })
    }
}

/// The automatic model: a combination of candidates chosen per series on a
/// holdout slice of the training data.
///
/// Each candidate is fitted on the history minus the last `holdout` points
/// and scored by MASE on them; the `top_k` best are refitted on the whole
/// history and their forecasts averaged (point forecasts and interval bounds
/// alike: averaging quantiles). With too little data for a holdout
/// (`n < holdout + 3 * scale_period`) all candidates are averaged.
/// Candidates that fail to fit are skipped and noted.
#[derive(Debug, Clone, PartialEq)]
pub struct Auto {
    /// Candidate models.
    pub candidates: Vec<Model>,
    /// Holdout length in steps used for selection.
    pub holdout: usize,
    /// How many of the best candidates to average.
    pub top_k: usize,
    /// Season length used to scale errors (MASE); 1 for non-seasonal data.
    pub scale_period: usize,
}

impl Auto {
    /// The default design for data with these seasonal periods (main first):
    /// MSTL on the log scale and on the raw scale with all periods, MSTL on
    /// the main period only, and seasonal naive; hold out two main periods;
    /// average the best two.
    pub fn new(periods: &[usize]) -> Auto {
        let main = periods.first().copied().unwrap_or(1);
        let mut candidates = Vec::new();
        if periods.is_empty() {
            candidates.push(Model::Ets(Ets::default()));
            candidates.push(Model::Naive(Naive));
        } else {
            let all = Seasonality::Periods(periods.to_vec());
            candidates.push(Model::Mstl(Mstl {
                seasonality: all.clone(),
                trend: EtsSpec::default(),
                log: true,
            }));
            candidates.push(Model::Mstl(Mstl {
                seasonality: all,
                trend: EtsSpec::default(),
                log: false,
            }));
            if periods.len() > 1 {
                candidates.push(Model::Mstl(Mstl {
                    seasonality: Seasonality::Periods(vec![main]),
                    trend: EtsSpec::default(),
                    log: false,
                }));
            }
            candidates.push(Model::SeasonalNaive(SeasonalNaive { period: main }));
        }
        Auto {
            candidates,
            holdout: (2 * main).max(12),
            top_k: 2,
            scale_period: main,
        }
    }

    fn check(&self) -> Result<()> {
        if self.candidates.is_empty() {
            return Err(Error::InvalidParameter {
                name: "candidates",
                value: "[]".into(),
                reason: "need at least one candidate model",
            });
        }
        if self.top_k == 0 || self.scale_period == 0 {
            return Err(Error::InvalidParameter {
                name: "top_k/scale_period",
                value: format!("{}/{}", self.top_k, self.scale_period),
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// A fitted [`Auto`]: the chosen members.
#[derive(Debug)]
pub struct FittedAuto {
    members: Vec<Box<dyn Fitted>>,
    notes: Vec<String>,
}

fn mase_on(fc: &[f64], actual: &[f64], scale: f64) -> f64 {
    let mae = fc
        .iter()
        .zip(actual)
        .map(|(f, a)| (f - a).abs())
        .sum::<f64>()
        / actual.len() as f64;
    if scale > 0.0 { mae / scale } else { mae }
}

impl Forecaster for Auto {
    type Fitted = FittedAuto;
    fn name(&self) -> String {
        "auto".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedAuto> {
        self.check()?;
        let p = prepare(UNNAMED, y)?;
        let v = &p.values;
        let n = v.len();
        let mut notes = crate::baselines::imputation_notes(p.dropped_leading, p.imputed);
        let m = self.scale_period;
        let chosen: Vec<usize> = if n >= self.holdout + 3 * m.max(2) {
            let (train, test) = v.split_at(n - self.holdout);
            let scale = train[m.min(train.len() - 1)..]
                .iter()
                .zip(train)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / (train.len() - m.min(train.len() - 1)).max(1) as f64;
            let mut scores: Vec<(usize, f64)> = self
                .candidates
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let f = c.forecast(train, self.holdout, 0.8).ok()?;
                    Some((i, mase_on(&f.mean, test, scale)))
                })
                .filter(|(_, s)| s.is_finite())
                .collect();
            scores.sort_by(|a, b| a.1.total_cmp(&b.1));
            scores.iter().take(self.top_k).map(|(i, _)| *i).collect()
        } else {
            notes.push(format!(
                "auto: {n} points too few for a {}-step holdout, averaging all candidates",
                self.holdout
            ));
            (0..self.candidates.len()).collect()
        };
        let mut members = Vec::new();
        let mut first_err = None;
        for &i in &chosen {
            match self.candidates[i].fit(v) {
                Ok(f) => members.push(f),
                Err(e) => {
                    notes.push(format!(
                        "auto: candidate {} failed: {e}",
                        self.candidates[i].name()
                    ));
                    first_err.get_or_insert(e);
                }
            }
        }
        if members.is_empty() {
            // Nothing chosen fitted: try every candidate in order.
            for c in &self.candidates {
                if let Ok(f) = c.fit(v) {
                    members.push(f);
                    break;
                }
            }
        }
        if members.is_empty() {
            return Err(first_err.unwrap_or(Error::Model {
                series: UNNAMED.into(),
                model: "auto".into(),
                message: "no candidate could be fitted".into(),
            }));
        }
        Ok(FittedAuto { members, notes })
    }
}

impl Fitted for FittedAuto {
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()> {
        let mut parts = Vec::with_capacity(self.members.len());
        for m in &self.members {
            parts.push(m.predict(horizon, level)?);
        }
        let k = parts.len() as f64;
        out.level = level;
        out.mean.clear();
        out.lower.clear();
        out.upper.clear();
        for h in 0..horizon {
            out.mean
                .push(parts.iter().map(|p| p.mean[h]).sum::<f64>() / k);
            out.lower
                .push(parts.iter().map(|p| p.lower[h]).sum::<f64>() / k);
            out.upper
                .push(parts.iter().map(|p| p.upper[h]).sum::<f64>() / k);
        }
        out.model = format!(
            "mean({})",
            parts
                .iter()
                .map(|p| p.model.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        out.notes.clone_from(&self.notes);
        for p in &parts {
            out.notes.extend(p.notes.iter().cloned());
        }
        out.finish(UNNAMED)
    }
}
