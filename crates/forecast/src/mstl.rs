//! MSTL with an AutoETS trend, non-seasonal AutoETS, and season detection (augurs).

use std::fmt;
use std::str::FromStr;

use augurs::Fit as _;
use augurs::Predict as _;
use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::seasons::PeriodogramDetector;

use crate::UNNAMED;
use crate::baselines::{imputation_notes, rms};
use crate::error::{Error, Result};
use crate::forecast::{Fitted, Forecast, Forecaster};
use crate::prepare::prepare;

/// Which seasonal periods a model uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Seasonality {
    /// Detect periods with augurs' periodogram (up to two, strongest first).
    #[default]
    Auto,
    /// These periods, in steps (e.g. `[24, 168]` for hourly data).
    Periods(Vec<usize>),
    /// No seasonality.
    None,
}

/// Detects up to `max_periods` seasonal periods in `y` with augurs' Welch
/// periodogram (after removing a linear trend). Each peak is refined to the
/// integer period with the highest seasonal strength and kept only with at
/// least four cycles in the data, a strength of at least 0.3 and an
/// autocorrelation at lag p of the detrended series of at least 0.5;
/// multiples of a kept period must add 0.1 of strength. Shortest first.
/// NaN values are interpolated first.
pub fn detect_periods(y: &[f64], max_periods: usize) -> Result<Vec<usize>> {
    let p = prepare(UNNAMED, y)?;
    Ok(detect_clean(&p.values, max_periods))
}

/// Minimum seasonal strength for a detected period to be kept.
const MIN_SEASONAL_STRENGTH: f64 = 0.3;
/// Minimum autocorrelation at lag p of the detrended series: a random walk
/// detrended over a window can look seasonal by position means, but
/// consecutive cycles of it are unrelated.
const MIN_LAG_AUTOCORRELATION: f64 = 0.5;

pub(crate) fn detect_clean(v: &[f64], max_periods: usize) -> Vec<usize> {
    if v.len() < 16 {
        return Vec::new();
    }
    // Remove a linear trend first: otherwise its low-frequency power dwarfs
    // every seasonal peak.
    let n = v.len() as f64;
    let tm = (n - 1.0) / 2.0;
    let ym = v.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, y) in v.iter().enumerate() {
        sxy += (t as f64 - tm) * (y - ym);
        sxx += (t as f64 - tm) * (t as f64 - tm);
    }
    let slope = sxy / sxx;
    let detrended: Vec<f64> = v
        .iter()
        .enumerate()
        .map(|(t, y)| y - ym - slope * (t as f64 - tm))
        .collect();
    let pg = PeriodogramDetector::builder()
        .build()
        .periodogram(&detrended);
    // Local maxima of the power, strongest first; the strength test below
    // decides which are real (a periodogram always has a highest peak).
    let k = pg.powers.len();
    let mut peaks: Vec<(usize, f64)> = (0..k)
        .filter(|&i| {
            let p = pg.powers[i];
            (i == 0 || p >= pg.powers[i - 1]) && (i + 1 == k || p >= pg.powers[i + 1])
        })
        .map(|i| (i, pg.powers[i]))
        .collect();
    peaks.sort_by(|a, b| b.1.total_cmp(&a.1));
    peaks.truncate(6);
    let mut found: Vec<(usize, f64)> = Vec::new();
    for (i, _) in peaks {
        // The Welch periodogram's frequency grid is coarse (a 128-point FFT
        // cannot represent 24 exactly): refine each peak to the integer
        // period between its grid neighbours (at most 30% away) with the
        // highest seasonal strength.
        let per = pg.periods[i] as usize;
        let prev = if i > 0 {
            pg.periods[i - 1] as usize
        } else {
            per * 13 / 10
        };
        let next = if i + 1 < k {
            pg.periods[i + 1] as usize
        } else {
            per * 7 / 10
        };
        let lo = prev.min(next).max(per * 7 / 10).max(2);
        // At least four cycles in the data for a detected period.
        let hi = prev.max(next).min(per * 13 / 10).min(v.len() / 4);
        // At most ~40 candidates per peak (long periods have wide gaps),
        // then every period around the best of them.
        let stride = ((hi.saturating_sub(lo)) / 40).max(1);
        let score = |q: usize| (q, seasonal_strength(v, q));
        let coarse = (lo..=hi)
            .step_by(stride)
            .map(score)
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0));
        let best = coarse.and_then(|(q, _)| {
            (q.saturating_sub(stride).max(lo)..=(q + stride).min(hi))
                .map(score)
                .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        });
        if let Some((q, (strength, lag_acf))) = best
            && strength >= MIN_SEASONAL_STRENGTH
            && lag_acf >= MIN_LAG_AUTOCORRELATION
            && !found.iter().any(|(p, _)| *p == q)
        {
            found.push((q, strength));
        }
    }
    // Shortest first; a multiple of an accepted period is kept only when it
    // explains clearly more (a weekly cycle over a daily one), not when it
    // merely contains the shorter cycle.
    found.sort_by_key(|(p, _)| *p);
    let mut out: Vec<(usize, f64)> = Vec::new();
    for (q, strength) in found {
        let redundant = out.iter().any(|&(p, sp)| {
            let r = q as f64 / p as f64;
            (r - r.round()).abs() < 0.05 && strength < sp + 0.1
        });
        if !redundant && out.len() < max_periods {
            out.push((q, strength));
        }
    }
    tracing::debug!(?out, "detected seasonal periods (period, strength)");
    out.into_iter().map(|(p, _)| p).collect()
}

/// Seasonal strength `max(0, 1 - Var(R) / Var(S + R))` of an additive
/// classical decomposition with period `p` (Wang, Smith & Hyndman 2006),
/// corrected for the variance position means explain in noise, and the
/// autocorrelation at lag `p` of the detrended series; zeros with fewer
/// than three cycles.
/// A periodogram always has a highest peak, even in noise: this keeps only
/// periods that explain a real share of the detrended variance.
pub(crate) fn seasonal_strength(v: &[f64], p: usize) -> (f64, f64) {
    let n = v.len();
    let half = p / 2;
    if p < 2 || n < 3 * p {
        return (0.0, 0.0);
    }
    // Prefix sums make each centred moving average O(1).
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    let mut acc = 0.0;
    for x in v {
        acc += x;
        prefix.push(acc);
    }
    let sum = |a: usize, b: usize| prefix[b] - prefix[a]; // v[a..b]
    let mut detrended = Vec::with_capacity(n);
    for t in half..n - half {
        let ma = if p.is_multiple_of(2) {
            (0.5 * v[t - half] + sum(t + 1 - half, t + half) + 0.5 * v[t + half]) / p as f64
        } else {
            sum(t - half, t + half + 1) / p as f64
        };
        detrended.push((t, v[t] - ma));
    }
    let mut sums = vec![0.0; p];
    let mut counts = vec![0usize; p];
    for &(t, d) in &detrended {
        sums[t % p] += d;
        counts[t % p] += 1;
    }
    let means: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| if c == 0 { 0.0 } else { s / c as f64 })
        .collect();
    let var = |it: &mut dyn Iterator<Item = f64>| {
        let (mut s, mut s2, mut k) = (0.0, 0.0, 0.0);
        for x in it {
            s += x;
            s2 += x * x;
            k += 1.0;
        }
        if k < 2.0 {
            0.0
        } else {
            (s2 - s * s / k) / (k - 1.0)
        }
    };
    let total = var(&mut detrended.iter().map(|&(_, d)| d));
    let rem = var(&mut detrended.iter().map(|&(t, d)| d - means[t % p]));
    // Degrees-of-freedom correction: p position means fitted to pure noise
    // already explain a share p / N of its variance (1 / cycles), which made
    // long periods look seasonal in random walks.
    let dof = 1.0 - p as f64 / detrended.len() as f64;
    if total <= 0.0 || dof <= 0.0 {
        return (0.0, 0.0);
    }
    let strength = (1.0 - rem / (dof * total)).max(0.0);
    // Autocorrelation at lag p of the detrended values (consecutive in t).
    let d: Vec<f64> = detrended.iter().map(|&(_, d)| d).collect();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    let den: f64 = d.iter().map(|x| (x - m) * (x - m)).sum();
    let num: f64 = (0..d.len() - p).map(|t| (d[t] - m) * (d[t + p] - m)).sum();
    (strength, if den > 0.0 { num / den } else { 0.0 })
}

/// A non-seasonal AutoETS search specification: error and trend letters,
/// seasonal letter `N`.
///
/// Parsed from strings like `"ZZN"`. Seasonal letters other than `N` are
/// rejected with [`Error::UnsupportedSpec`]: augurs-ets 0.10 silently fits a
/// non-seasonal model for `AutoETS::new(1, "ZZZ")` and reaches
/// `unimplemented!()` for a season length above one. A multiplicative trend
/// (`M`) is rejected too: its intervals are simulated with an unseeded RNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EtsSpec {
    error: char,
    trend: char,
}

impl Default for EtsSpec {
    fn default() -> Self {
        EtsSpec {
            error: 'Z',
            trend: 'Z',
        }
    }
}

impl fmt::Display for EtsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}N", self.error, self.trend)
    }
}

impl FromStr for EtsSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let c: Vec<char> = s.chars().map(|c| c.to_ascii_uppercase()).collect();
        let bad = |reason| Error::UnsupportedSpec {
            spec: s.to_owned(),
            reason,
        };
        if c.len() != 3 {
            return Err(bad("expected three letters: error, trend, season"));
        }
        if !matches!(c[0], 'A' | 'M' | 'Z') {
            return Err(bad("error letter must be A, M or Z"));
        }
        if !matches!(c[1], 'N' | 'A' | 'Z') {
            return Err(bad("trend letter must be N, A or Z (M is not supported)"));
        }
        if c[2] != 'N' {
            return Err(bad(
                "seasonal ETS is not implemented by augurs-ets; use MSTL for seasonality",
            ));
        }
        Ok(EtsSpec {
            error: c[0],
            trend: c[1],
        })
    }
}

impl EtsSpec {
    fn auto_ets(self) -> Result<AutoETS> {
        AutoETS::new(1, self.to_string().as_str()).map_err(|e| Error::UnsupportedSpec {
            spec: self.to_string(),
            reason: if matches!(e, augurs::ets::Error::InvalidModelSpec(_)) {
                "invalid ETS combination"
            } else {
                "rejected by augurs-ets"
            },
        })
    }
}

/// Non-seasonal AutoETS (augurs), selected by AICc over the spec's candidates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ets {
    /// The search specification.
    pub spec: EtsSpec,
}

/// MSTL decomposition with an AutoETS model of the trend + remainder (augurs).
///
/// Periods with fewer than two full cycles in the data are dropped; when none
/// remain (or none is detected, or STL fails) the model falls back to
/// non-seasonal AutoETS and says so in the forecast's notes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mstl {
    /// Seasonal periods.
    pub seasonality: Seasonality,
    /// AutoETS specification of the trend model.
    pub trend: EtsSpec,
    /// Fit on `ln(y)` and exponentiate the forecast (needs positive values).
    pub log: bool,
}

#[derive(Debug)]
enum Inner {
    Mstl(augurs::mstl::FittedMSTLModel),
    Ets(augurs::ets::FittedAutoETS),
    Constant(f64),
}

/// A fitted [`Mstl`] or [`Ets`] model.
#[derive(Debug)]
pub struct FittedMstl {
    inner: Inner,
    log: bool,
    name: String,
    notes: Vec<String>,
}

fn model_err(model: &str, e: impl fmt::Display) -> Error {
    Error::Model {
        series: UNNAMED.into(),
        model: model.to_owned(),
        message: e.to_string(),
    }
}

fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|x| *x == v[0])
}

fn constant(v: f64, log: bool, mut notes: Vec<String>) -> FittedMstl {
    notes.push("constant series: flat forecast with zero-width interval".into());
    FittedMstl {
        inner: Inner::Constant(v),
        log,
        name: "constant".into(),
        notes,
    }
}

fn to_log(v: &mut [f64], model: &str) -> Result<()> {
    if let Some((index, &value)) = v.iter().enumerate().find(|(_, x)| **x <= 0.0) {
        return Err(Error::NonPositive {
            series: UNNAMED.into(),
            model: model.to_owned(),
            index,
            value,
        });
    }
    v.iter_mut().for_each(|x| *x = x.ln());
    Ok(())
}

fn fit_ets(spec: EtsSpec, v: &[f64], notes: Vec<String>, log: bool) -> Result<FittedMstl> {
    let name = format!("AutoETS({spec})");
    if v.len() < 10 {
        return Err(Error::TooShort {
            series: UNNAMED.into(),
            model: name,
            needed: 10,
            got: v.len(),
        });
    }
    let fitted = spec.auto_ets()?.fit(v).map_err(|e| model_err(&name, e))?;
    let name = format!("AutoETS({})", fitted.model().model_type());
    Ok(FittedMstl {
        inner: Inner::Ets(fitted),
        log,
        name,
        notes,
    })
}

impl Forecaster for Ets {
    type Fitted = FittedMstl;
    fn name(&self) -> String {
        "ets".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedMstl> {
        let p = prepare(UNNAMED, y)?;
        let notes = imputation_notes(p.dropped_leading, p.imputed);
        if is_constant(&p.values) {
            return Ok(constant(p.values[0], false, notes));
        }
        fit_ets(self.spec, &p.values, notes, false)
    }
}

impl Forecaster for Mstl {
    type Fitted = FittedMstl;
    fn name(&self) -> String {
        if self.log {
            "mstl-log".into()
        } else {
            "mstl".into()
        }
    }
    fn fit(&self, y: &[f64]) -> Result<FittedMstl> {
        let p = prepare(UNNAMED, y)?;
        let mut notes = imputation_notes(p.dropped_leading, p.imputed);
        let mut v = p.values;
        if is_constant(&v) {
            return Ok(constant(v[0], false, notes));
        }
        if self.log {
            to_log(&mut v, "mstl-log")?;
        }
        let n = v.len();
        let requested = match &self.seasonality {
            Seasonality::Auto => detect_clean(&v, 2),
            Seasonality::Periods(p) => p.clone(),
            Seasonality::None => Vec::new(),
        };
        let mut periods: Vec<usize> = requested
            .iter()
            .copied()
            .filter(|&p| p >= 2 && n > 2 * p)
            .collect();
        periods.sort_unstable();
        periods.dedup();
        if periods.len() < requested.len() {
            notes.push(format!(
                "dropped periods with fewer than two cycles in {n} points: kept {periods:?} of {requested:?}"
            ));
        }
        if periods.is_empty() {
            notes.push("no usable seasonal period: non-seasonal AutoETS fallback".into());
            return fit_ets(self.trend, &v, notes, self.log);
        }
        let trend = self.trend.auto_ets()?.into_trend_model();
        let name = format!(
            "MSTL{periods:?}+AutoETS({}){}",
            self.trend,
            if self.log { " on log" } else { "" }
        );
        match MSTLModel::new(periods.clone(), trend).fit(&v) {
            Ok(fitted) => Ok(FittedMstl {
                inner: Inner::Mstl(fitted),
                log: self.log,
                name,
                notes,
            }),
            Err(e) => {
                tracing::debug!(error = %e, "MSTL failed, falling back to AutoETS");
                notes.push(format!("MSTL failed ({e}): non-seasonal AutoETS fallback"));
                fit_ets(self.trend, &v, notes, self.log)
            }
        }
    }
}

impl Fitted for FittedMstl {
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()> {
        out.level = level;
        out.model.clone_from(&self.name);
        out.notes.clone_from(&self.notes);
        out.mean.clear();
        out.lower.clear();
        out.upper.clear();
        let f = match &self.inner {
            Inner::Constant(c) => {
                out.mean.resize(horizon, *c);
                out.lower.resize(horizon, *c);
                out.upper.resize(horizon, *c);
                return out.finish(UNNAMED);
            }
            Inner::Mstl(m) => m
                .predict(horizon, level)
                .map_err(|e| model_err(&self.name, e))?,
            Inner::Ets(m) => m
                .predict(horizon, level)
                .map_err(|e| model_err(&self.name, e))?,
        };
        let Some(iv) = f.intervals else {
            return Err(model_err(&self.name, "augurs returned no intervals"));
        };
        if f.point.len() != horizon || iv.lower.len() != horizon || iv.upper.len() != horizon {
            return Err(model_err(
                &self.name,
                "augurs returned a forecast of the wrong length",
            ));
        }
        let tr = |x: f64| if self.log { x.exp() } else { x };
        out.mean.extend(f.point.iter().map(|&x| tr(x)));
        out.lower.extend(iv.lower.iter().map(|&x| tr(x)));
        out.upper.extend(iv.upper.iter().map(|&x| tr(x)));
        out.finish(UNNAMED)
    }
}

impl FittedMstl {
    /// Root mean square of the in-sample one-step residuals (on the fitted
    /// scale), `None` for a constant series.
    pub fn residual_rms(&self) -> Option<f64> {
        let f = match &self.inner {
            Inner::Constant(_) => return None,
            Inner::Mstl(m) => m.predict_in_sample(None).ok()?,
            Inner::Ets(m) => m.predict_in_sample(None).ok()?,
        };
        Some(rms(f.point.iter().copied().filter(|x| x.is_finite())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| {
                let h = ((t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f64;
                let t = t as f64;
                100.0
                    + 0.05 * t
                    + 10.0 * (t * std::f64::consts::TAU / 24.0).sin()
                    + 3.0 * (h / (1u64 << 24) as f64 - 0.5)
            })
            .collect()
    }

    #[test]
    fn spec_guards_seasonal_and_bad_letters() {
        assert!("ZZN".parse::<EtsSpec>().is_ok());
        assert!(matches!(
            "ZZZ".parse::<EtsSpec>(),
            Err(Error::UnsupportedSpec { .. })
        ));
        assert!(matches!(
            "ZZA".parse::<EtsSpec>(),
            Err(Error::UnsupportedSpec { .. })
        ));
        assert!(matches!(
            "ZMN".parse::<EtsSpec>(),
            Err(Error::UnsupportedSpec { .. })
        ));
        assert!(matches!(
            "XX".parse::<EtsSpec>(),
            Err(Error::UnsupportedSpec { .. })
        ));
    }

    #[test]
    fn detects_daily_period() {
        let p = detect_periods(&seasonal(24 * 20), 2).unwrap();
        assert_eq!(p.first(), Some(&24), "{p:?}");
    }

    #[test]
    fn mstl_tracks_season_and_falls_back() {
        let y = seasonal(24 * 10);
        let m = Mstl {
            seasonality: Seasonality::Periods(vec![24]),
            ..Mstl::default()
        };
        let f = m.forecast(&y, 24, 0.95).unwrap();
        assert!(f.model.starts_with("MSTL[24]"), "{}", f.model);
        let truth = seasonal(24 * 11);
        let mae: f64 = f
            .mean
            .iter()
            .zip(&truth[240..])
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / 24.0;
        assert!(mae < 3.0, "mae {mae}");
        // 30 points cannot hold two cycles of 24: non-seasonal fallback, noted.
        let f = m.forecast(&y[..30], 5, 0.95).unwrap();
        assert!(f.model.starts_with("AutoETS"), "{}", f.model);
        assert!(f.notes.iter().any(|n| n.contains("fallback")));
        // Constant input: documented flat forecast.
        let f = m.forecast(&[5.0; 100], 3, 0.9).unwrap();
        assert_eq!(f.mean, vec![5.0; 3]);
        assert_eq!(f.model, "constant");
        // Log model on non-positive data: typed error.
        let m = Mstl { log: true, ..m };
        let neg: Vec<f64> = y.iter().map(|v| v - 100.0).collect();
        assert!(matches!(m.fit(&neg), Err(Error::NonPositive { .. })));
    }
}
