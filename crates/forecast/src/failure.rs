//! Failure prediction: the probability that a series crosses a threshold
//! within a horizon, the expected time until it does, and the recommendation
//! mapping.

use std::fmt;

use aiops_core::{Signal, SignalKind, TimeSeries, Timestamp};
use augurs::mstl::stlrs;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::UNNAMED;
use crate::error::{Error, Result};
use crate::mstl::{Seasonality, detect_clean};
use crate::prepare::{prepare, regularize};

/// Which side of the threshold is a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Failure when the value reaches or exceeds the threshold (disk used, latency).
    #[default]
    Above,
    /// Failure when the value reaches or falls below the threshold (free memory).
    Below,
}

impl Direction {
    fn crossed(self, value: f64, threshold: f64) -> bool {
        match self {
            Direction::Above => value >= threshold,
            Direction::Below => value <= threshold,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Above => "above",
            Direction::Below => "below",
        })
    }
}

/// Parameters of a failure prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureParams {
    /// The failure threshold.
    pub threshold: f64,
    /// Which side of it is a failure.
    pub direction: Direction,
    /// Horizon in steps of the series.
    pub horizon: usize,
    /// Number of simulated paths (default 2000: standard error of a
    /// probability at most 0.011).
    pub paths: usize,
    /// Only the last `max_history` points are used (default 4032: two weeks
    /// of 5-minute data). Fewer points fit the drift less precisely: its
    /// standard error is `sigma / sqrt(max_history)`.
    pub max_history: usize,
    /// Seasonal periods removed before modelling (default: detected).
    pub seasonality: Seasonality,
    /// Seed of the simulation (results are reproducible).
    pub seed: u64,
}

impl FailureParams {
    /// Parameters with defaults for everything but the question asked.
    pub fn new(threshold: f64, direction: Direction, horizon: usize) -> Self {
        FailureParams {
            threshold,
            direction,
            horizon,
            paths: 2000,
            max_history: 4032,
            seasonality: Seasonality::Auto,
            seed: 0x5eed,
        }
    }

    fn check(&self) -> Result<()> {
        if !self.threshold.is_finite() {
            return Err(Error::InvalidParameter {
                name: "threshold",
                value: aiops_core::Num(self.threshold).to_string(),
                reason: "must be finite",
            });
        }
        crate::forecast::check_horizon(self.horizon)?;
        if self.paths < 100 {
            return Err(Error::InvalidParameter {
                name: "paths",
                value: self.paths.to_string(),
                reason: "must be at least 100",
            });
        }
        if self.max_history < 10 {
            return Err(Error::InvalidParameter {
                name: "max_history",
                value: self.max_history.to_string(),
                reason: "must be at least 10",
            });
        }
        Ok(())
    }
}

/// The answer of a failure prediction, in steps of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct FailurePrediction {
    /// Probability that the series crosses the threshold at some step in `1..=horizon`.
    pub probability: f64,
    /// Expected number of steps until the first crossing, given that it
    /// happens within the horizon (`None` when no simulated path crosses).
    pub expected_steps: Option<f64>,
    /// First step at which the crossing probability reaches 0.5, if it does.
    pub median_steps: Option<usize>,
    /// First step at which the mean forecast crosses, looking up to ten
    /// horizons ahead (the "disk full in N steps" estimate of the trend).
    pub mean_crossing_steps: Option<usize>,
    /// `cumulative[k]`: probability of a crossing by step `k + 1`.
    pub cumulative: Vec<f64>,
    /// True when the last observation is already on the failure side; then
    /// `probability` is 1 and `expected_steps` is 0.
    pub already_crossed: bool,
    /// The process model fitted, e.g. `AR(1) phi=0.91` or `ARIMA(1,1,0)+drift`.
    pub model: String,
    /// Fallbacks and repairs applied.
    pub notes: Vec<String>,
}

/// A recommendation derived from a failure probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommendation {
    /// Probability above the preventive threshold (0.8 by default).
    PreventiveMaintenance,
    /// Probability above the optimisation threshold (0.5 by default).
    ResourceOptimisation,
    /// Nothing to do.
    None,
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Recommendation::PreventiveMaintenance => "preventive_maintenance",
            Recommendation::ResourceOptimisation => "resource_optimisation",
            Recommendation::None => "none",
        })
    }
}

/// Maps a failure probability to a recommendation: strictly above
/// `preventive` gives preventive maintenance, strictly above `optimise`
/// resource optimisation (the seed's 0.8 and 0.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendationPolicy {
    preventive: f64,
    optimise: f64,
}

impl Default for RecommendationPolicy {
    fn default() -> Self {
        RecommendationPolicy {
            preventive: 0.8,
            optimise: 0.5,
        }
    }
}

impl RecommendationPolicy {
    /// A policy with these thresholds; needs `0 <= optimise <= preventive <= 1`.
    pub fn new(preventive: f64, optimise: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&optimise)
            || !(0.0..=1.0).contains(&preventive)
            || optimise > preventive
        {
            return Err(Error::InvalidParameter {
                name: "recommendation thresholds",
                value: format!("preventive {preventive}, optimise {optimise}"),
                reason: "need 0 <= optimise <= preventive <= 1",
            });
        }
        Ok(RecommendationPolicy {
            preventive,
            optimise,
        })
    }

    /// The recommendation for a probability.
    pub fn recommend(&self, probability: f64) -> Recommendation {
        if probability > self.preventive {
            Recommendation::PreventiveMaintenance
        } else if probability > self.optimise {
            Recommendation::ResourceOptimisation
        } else {
            Recommendation::None
        }
    }
}

/// The fitted stochastic process simulated for failure prediction.
#[derive(Debug, Clone, Copy)]
enum Process {
    /// `x_t = c + phi x_{t-1} + sigma e_t`.
    Levels { c: f64, phi: f64, sigma: f64 },
    /// `x_t = c + d (t - 1) + phi x_{t-1} + sigma e_t`, t counted from the first point.
    TrendLevels {
        c: f64,
        d: f64,
        phi: f64,
        sigma: f64,
        t0: f64,
    },
    /// `d_t = c + theta d_{t-1} + sigma e_t`, `x_t = x_{t-1} + d_t`.
    Differences {
        c: f64,
        theta: f64,
        sigma: f64,
        last_d: f64,
    },
}

/// OLS of `y_t = c + b y_{t-1}`: (c, b, residual sd).
fn ar1_ols(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() - 1;
    let (prev, next) = (&x[..n], &x[1..]);
    let mp = prev.iter().sum::<f64>() / n as f64;
    let mn = next.iter().sum::<f64>() / n as f64;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (a, b) in prev.iter().zip(next) {
        sxx += (a - mp) * (a - mp);
        sxy += (a - mp) * (b - mn);
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let c = mn - b * mp;
    let sse: f64 = prev
        .iter()
        .zip(next)
        .map(|(a, y)| {
            let e = y - c - b * a;
            e * e
        })
        .sum();
    let sigma = (sse / (n.saturating_sub(2).max(1)) as f64).sqrt();
    (c, b, sigma)
}

/// Dickey-Fuller 1% critical value for the regression with a constant and a
/// linear trend. The trend term keeps a random walk with drift (whose levels
/// trend) from passing for a stationary AR(1); the 1% level keeps random
/// walks from being taken for stationary processes (which mean-revert to a
/// far-away level) in 99% of cases, while an AR(1) with phi = 0.9 on 2,000
/// points has t near -10.
const DF_TREND_CRITICAL_1PCT: f64 = -3.96;

/// OLS of `x_t = c + d t + b x_{t-1}`.
#[derive(Debug, Clone, Copy)]
struct TrendAr {
    c: f64,
    d: f64,
    b: f64,
    sigma: f64,
    /// Dickey-Fuller t statistic of `b - 1`.
    t_unit: f64,
    /// t statistic of the trend coefficient `d`.
    t_trend: f64,
}

fn trend_ar(x: &[f64]) -> Option<TrendAr> {
    let n = x.len() - 1;
    // Normal equations for regressors [1, t, x_{t-1}], centred for stability.
    let ts: Vec<f64> = (0..n).map(|t| t as f64).collect();
    let (prev, next) = (&x[..n], &x[1..]);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mt, mp, mn) = (mean(&ts), mean(prev), mean(next));
    let (mut stt, mut stp, mut spp, mut sty, mut spy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b, y) = (ts[i] - mt, prev[i] - mp, next[i] - mn);
        stt += a * a;
        stp += a * b;
        spp += b * b;
        sty += a * y;
        spy += b * y;
    }
    let det = stt * spp - stp * stp;
    if det <= 0.0 {
        return None;
    }
    let d = (spp * sty - stp * spy) / det;
    let b = (stt * spy - stp * sty) / det;
    let sse: f64 = (0..n)
        .map(|i| {
            let e = (next[i] - mn) - d * (ts[i] - mt) - b * (prev[i] - mp);
            e * e
        })
        .sum();
    let s2 = sse / (n.saturating_sub(3).max(1)) as f64;
    let se_b = (s2 * stt / det).sqrt();
    let se_d = (s2 * spp / det).sqrt();
    if se_b <= 0.0 || se_d <= 0.0 {
        return None;
    }
    Some(TrendAr {
        c: mn - d * mt - b * mp,
        d,
        b,
        sigma: s2.sqrt(),
        t_unit: (b - 1.0) / se_b,
        t_trend: d / se_d,
    })
}

/// |t| above which a fitted linear trend is kept in the stationary model.
const TREND_T: f64 = 6.0;

fn fit_process(x: &[f64]) -> (Process, String) {
    let (c, phi, sigma) = ar1_ols(x);
    if let Some(tr) = trend_ar(x)
        && tr.b < 1.0
        && tr.t_unit < DF_TREND_CRITICAL_1PCT
    {
        if tr.t_trend.abs() > TREND_T {
            // Trend-stationary: AR(1) around a line (time counted from the first point).
            return (
                Process::TrendLevels {
                    c: tr.c,
                    d: tr.d,
                    phi: tr.b,
                    sigma: tr.sigma,
                    t0: (x.len() - 1) as f64,
                },
                format!(
                    "AR(1)+trend phi={:.3} slope/step={} sigma={}",
                    tr.b,
                    aiops_core::Fixed(tr.d / (1.0 - tr.b), 4),
                    aiops_core::Fixed(tr.sigma, 4)
                ),
            );
        }
        if phi < 1.0 {
            return (
                Process::Levels { c, phi, sigma },
                format!("AR(1) phi={phi:.3} sigma={}", aiops_core::Fixed(sigma, 4)),
            );
        }
    }
    let d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let (c, theta, sigma) = ar1_ols(&d);
    let theta = theta.clamp(-0.99, 0.99);
    let drift = c / (1.0 - theta);
    (
        Process::Differences {
            c,
            theta,
            sigma,
            last_d: d[d.len() - 1],
        },
        format!(
            "ARIMA(1,1,0) theta={theta:.3} drift={} sigma={}",
            aiops_core::Fixed(drift, 4),
            aiops_core::Fixed(sigma, 4)
        ),
    )
}

impl Process {
    /// One step from state (`x`, `d`) at forecast step `k` (1-based) with innovation `e`.
    #[inline]
    fn step(self, x: &mut f64, d: &mut f64, k: usize, e: f64) {
        match self {
            Process::Levels { c, phi, sigma } => *x = c + phi * *x + sigma * e,
            Process::TrendLevels {
                c,
                d: slope,
                phi,
                sigma,
                t0,
            } => {
                // The regression's time index is that of the lagged value.
                *x = c + slope * (t0 + k as f64 - 1.0) + phi * *x + sigma * e;
            }
            Process::Differences {
                c, theta, sigma, ..
            } => {
                *d = c + theta * *d + sigma * e;
                *x += *d;
            }
        }
    }

    fn initial_d(self) -> f64 {
        match self {
            Process::Differences { last_d, .. } => last_d,
            _ => 0.0,
        }
    }
}

/// Box-Muller standard normal pair.
fn normal_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let a = std::f64::consts::TAU * u2;
    (r * a.cos(), r * a.sin())
}

/// Splits `v` into (seasonal future contribution per step, deseasonalised values).
fn deseasonalise(
    v: &[f64],
    seasonality: &Seasonality,
    future: usize,
    notes: &mut Vec<String>,
) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let n = v.len();
    let periods: Vec<usize> = match seasonality {
        Seasonality::Auto => detect_clean(v, 2),
        Seasonality::Periods(p) => p.iter().copied().filter(|&p| p >= 2 && n > 2 * p).collect(),
        Seasonality::None => Vec::new(),
    };
    if periods.is_empty() {
        return (vec![0.0; future], v.to_vec(), periods);
    }
    let mut periods = periods;
    periods.sort_unstable();
    let y32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    match stlrs::MstlParams::new().fit(&y32, &periods) {
        Ok(fit) => {
            let mut seas_future = vec![0.0; future];
            let mut des = v.to_vec();
            for (p, comp) in periods.iter().zip(fit.seasonal()) {
                for (d, s) in des.iter_mut().zip(comp) {
                    *d -= f64::from(*s);
                }
                let last = &comp[comp.len() - p..];
                for (h, f) in seas_future.iter_mut().enumerate() {
                    *f += f64::from(last[h % p]);
                }
            }
            (seas_future, des, periods)
        }
        Err(e) => {
            notes.push(format!(
                "seasonal decomposition failed ({e}); modelled without seasonality"
            ));
            (vec![0.0; future], v.to_vec(), Vec::new())
        }
    }
}

/// Half-width of the Hampel filter's window in [`replace_outliers`].
const HAMPEL_HALF: usize = 5;
/// Robust deviations beyond which a point is an isolated outlier.
const HAMPEL_K: f64 = 10.0;

/// A Hampel filter: a point more than [`HAMPEL_K`] robust deviations from the
/// median of the `2 * HAMPEL_HALF + 1` points around it is replaced by that
/// median; returns how many were. The deviation scale is 1.4826 times the
/// median absolute residual (the mean absolute residual when that is 0, as
/// for a constant series with one glitch). Runs of up to `HAMPEL_HALF`
/// points are isolated; a level shift is not (past its middle the window's
/// median is the new level), and the last `HAMPEL_HALF` points, whose window
/// is incomplete, are never touched: a jump there may be the failure coming.
/// One glitch (a counter read as 1e6 in a ramp to 100) otherwise dominates
/// the fitted noise and turns a P of 0 into 0.999.
fn replace_outliers(v: &mut [f64]) -> usize {
    let n = v.len();
    if n < 2 * HAMPEL_HALF + 1 + HAMPEL_HALF {
        return 0;
    }
    let mut window = Vec::with_capacity(2 * HAMPEL_HALF + 1);
    let mut medians = vec![0.0; n];
    let mut resid = Vec::with_capacity(n);
    for i in HAMPEL_HALF..n - HAMPEL_HALF {
        window.clear();
        window.extend_from_slice(&v[i - HAMPEL_HALF..=i + HAMPEL_HALF]);
        window.sort_by(f64::total_cmp);
        medians[i] = window[HAMPEL_HALF];
        resid.push((v[i] - medians[i]).abs());
    }
    let mean_abs = resid.iter().map(|r| r / resid.len() as f64).sum::<f64>();
    resid.sort_by(f64::total_cmp);
    let mad = resid[resid.len() / 2];
    let scale = if mad > 0.0 { 1.4826 * mad } else { mean_abs };
    if !(scale > 0.0 && scale.is_finite()) {
        return 0;
    }
    let mut replaced = 0;
    for i in HAMPEL_HALF..n - HAMPEL_HALF {
        if (v[i] - medians[i]).abs() > HAMPEL_K * scale {
            v[i] = medians[i];
            replaced += 1;
        }
    }
    replaced
}

/// Predicts threshold crossing for `y` (oldest first, regular steps; NaN =
/// missing, interpolated). Isolated outliers are replaced first (see the
/// notes of the result).
///
/// Method: the last `max_history` points are seasonally adjusted with MSTL
/// when periods are found (augurs' periodogram, kept only when the seasonal
/// strength is at least 0.3), an AR(1) with a constant is fitted to the
/// adjusted series by least squares, and a Dickey-Fuller test (with trend,
/// 1% level) chooses between that stationary model (with a linear trend when
/// its t statistic exceeds 6) and an ARIMA(1,1,0) with drift. `paths`
/// paths are simulated with Gaussian innovations (seeded), the seasonal
/// profile is added back, and the first crossing step of each path gives the
/// probability, its cumulative curve and the expected crossing time.
/// Parameter uncertainty is not propagated (documented in the architecture
/// notes): with thousands of points it is small next to the innovation noise.
pub fn failure_probability(y: &[f64], params: &FailureParams) -> Result<FailurePrediction> {
    params.check()?;
    let start = y.len().saturating_sub(params.max_history);
    let p = prepare(UNNAMED, &y[start..])?;
    let mut notes = crate::baselines::imputation_notes(p.dropped_leading, p.imputed);
    let mut v = p.values;
    let replaced = replace_outliers(&mut v);
    if replaced > 0 {
        notes.push(format!(
            "{replaced} isolated outlier(s) beyond {HAMPEL_K} robust deviations replaced by their local median"
        ));
    }
    if v.len() < 10 {
        return Err(Error::TooShort {
            series: UNNAMED.into(),
            model: "failure probability".into(),
            needed: 10,
            got: v.len(),
        });
    }
    let h = params.horizon;
    let dir = params.direction;
    let thr = params.threshold;
    let last = v[v.len() - 1];
    if dir.crossed(last, thr) {
        notes.push(format!(
            "last value {} is already {dir} the threshold {}",
            aiops_core::Num(last),
            aiops_core::Num(thr)
        ));
        return Ok(FailurePrediction {
            probability: 1.0,
            expected_steps: Some(0.0),
            median_steps: Some(0),
            mean_crossing_steps: Some(0),
            cumulative: vec![1.0; h],
            already_crossed: true,
            model: "none".into(),
            notes,
        });
    }
    if v.iter().all(|x| *x == v[0]) {
        notes.push("constant history: no variability to simulate".into());
        return Ok(FailurePrediction {
            probability: 0.0,
            expected_steps: None,
            median_steps: None,
            mean_crossing_steps: None,
            cumulative: vec![0.0; h],
            already_crossed: false,
            model: "constant".into(),
            notes,
        });
    }
    let long = h.saturating_mul(10).min(100_000).max(h);
    let (seas, des, periods) = deseasonalise(&v, &params.seasonality, long, &mut notes);
    let (process, mut model) = fit_process(&des);
    if !periods.is_empty() {
        model = format!("MSTL{periods:?} + {model}");
    }
    let x0 = des[des.len() - 1];

    // Mean path (no noise), up to ten horizons.
    let mut mean_crossing_steps = None;
    {
        let (mut x, mut d) = (x0, process.initial_d());
        for (k, s) in seas.iter().enumerate() {
            process.step(&mut x, &mut d, k + 1, 0.0);
            if dir.crossed(x + s, thr) {
                mean_crossing_steps = Some(k + 1);
                break;
            }
        }
    }

    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut first_hits = vec![0usize; h];
    let mut spare: Option<f64> = None;
    let mut draw = |rng: &mut ChaCha8Rng| {
        if let Some(z) = spare.take() {
            z
        } else {
            let (a, b) = normal_pair(rng);
            spare = Some(b);
            a
        }
    };
    for _ in 0..params.paths {
        let (mut x, mut d) = (x0, process.initial_d());
        for k in 0..h {
            let e = draw(&mut rng);
            process.step(&mut x, &mut d, k + 1, e);
            if dir.crossed(x + seas[k], thr) {
                first_hits[k] += 1;
                break;
            }
        }
    }
    let total = params.paths as f64;
    let mut cumulative = Vec::with_capacity(h);
    let (mut acc, mut weighted) = (0usize, 0.0);
    for (k, &c) in first_hits.iter().enumerate() {
        acc += c;
        weighted += (k + 1) as f64 * c as f64;
        cumulative.push(acc as f64 / total);
    }
    let probability = acc as f64 / total;
    Ok(FailurePrediction {
        probability,
        expected_steps: (acc > 0).then(|| weighted / acc as f64),
        median_steps: cumulative.iter().position(|&c| c >= 0.5).map(|k| k + 1),
        mean_crossing_steps,
        cumulative,
        already_crossed: false,
        model,
        notes,
    })
}

/// A [`FailurePrediction`] for a timestamped series, with times.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureForecast {
    /// The prediction in steps.
    pub prediction: FailurePrediction,
    /// The series' step in milliseconds.
    pub step_millis: i64,
    /// Timestamp of the last point of the history.
    pub last: Timestamp,
    /// Expected time until the crossing in milliseconds (from `expected_steps`).
    pub expected_millis: Option<i64>,
    /// When the crossing is expected (`last + expected_millis`).
    pub expected_at: Option<Timestamp>,
}

impl FailureForecast {
    /// The prediction as an incident signal (`value` = probability).
    pub fn to_signal(&self, source: impl Into<String>) -> Signal {
        let p = &self.prediction;
        let detail = match self.expected_millis {
            Some(ms) => format!(
                "P(crossing within horizon) = {:.3}; expected in {:.1} min; model {}",
                p.probability,
                ms as f64 / 60_000.0,
                p.model
            ),
            None => format!(
                "P(crossing within horizon) = {:.3}; model {}",
                p.probability, p.model
            ),
        };
        Signal {
            kind: SignalKind::FailureProbability,
            source: source.into(),
            at: self.last,
            value: p.probability,
            detail,
        }
    }
}

/// [`failure_probability`] on a timestamped series: the series is put on
/// the grid of its typical step (gaps become missing points, interpolated),
/// the horizon is in those steps, and the expected crossing time is
/// converted to milliseconds.
pub fn predict_failure(series: &TimeSeries, params: &FailureParams) -> Result<FailureForecast> {
    let name = series.key().to_string();
    let rename = |e: Error| e.with_series(&name);
    // Only the tail is needed: cut before regularising to stay fast on long series.
    let keep = params.max_history.saturating_mul(2).max(64);
    let tail = if series.len() > keep {
        let from = series.len() - keep;
        TimeSeries::new(
            series.key().clone(),
            series.timestamps()[from..].to_vec(),
            series.values()[from..].to_vec(),
        )?
    } else {
        series.clone()
    };
    let reg = regularize(&tail).map_err(rename)?;
    let mut prediction = failure_probability(&reg.values, params).map_err(rename)?;
    if reg.snapped > 0 || reg.merged > 0 {
        prediction.notes.push(format!(
            "{} off-grid points snapped, {} merged into one grid point",
            reg.snapped, reg.merged
        ));
    }
    let last = reg.timestamp_at(reg.values.len() - 1);
    let expected_millis = prediction
        .expected_steps
        .map(|s| (s * reg.step_millis as f64).round() as i64);
    Ok(FailureForecast {
        prediction,
        step_millis: reg.step_millis,
        last,
        expected_millis,
        expected_at: expected_millis.map(|ms| last.add_millis(ms)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_maps_and_validates() {
        let p = RecommendationPolicy::default();
        assert_eq!(p.recommend(0.81), Recommendation::PreventiveMaintenance);
        assert_eq!(p.recommend(0.8), Recommendation::ResourceOptimisation);
        assert_eq!(p.recommend(0.5), Recommendation::None);
        let q = RecommendationPolicy::new(0.9, 0.3).unwrap();
        assert_eq!(q.recommend(0.85), Recommendation::ResourceOptimisation);
        assert!(RecommendationPolicy::new(0.3, 0.9).is_err());
    }

    #[test]
    fn trend_crosses_with_expected_time() {
        // Disk filling at 0.1 per step with small noise, at 50 now; 60 is ~100 steps away.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let y: Vec<f64> = (0..1000)
            .map(|t| -50.0 + 0.1 * t as f64 + 0.2 * normal_pair(&mut rng).0)
            .collect();
        let params = FailureParams::new(60.0, Direction::Above, 200);
        let f = failure_probability(&y, &params).unwrap();
        assert!(f.probability > 0.95, "{f:?}");
        let e = f.expected_steps.unwrap();
        assert!((e - 101.0).abs() < 10.0, "{e}");
        let below = FailureParams::new(-100.0, Direction::Below, 200);
        assert!(failure_probability(&y, &below).unwrap().probability < 0.01);
    }

    #[test]
    fn an_isolated_glitch_does_not_make_a_crossing_likely() {
        // A ramp from 50 to about 100 with one 1e6 reading: far from 200
        // within 12 steps, with or without the glitch.
        let ramp: Vec<f64> = (0..500).map(|t| 50.0 + 0.1 * t as f64).collect();
        let params = FailureParams::new(200.0, Direction::Above, 12);
        let clean = failure_probability(&ramp, &params).unwrap();
        let mut y = ramp.clone();
        y[100] = 1e6;
        let f = failure_probability(&y, &params).unwrap();
        assert!(
            clean.probability < 0.01 && f.probability < 0.01,
            "{clean:?} {f:?}"
        );
        assert!(
            f.notes.iter().any(|n| n.starts_with("1 isolated outlier")),
            "{f:?}"
        );
        // A jump in the last points is kept: it may be the failure coming.
        let mut z = ramp;
        for x in &mut z[497..] {
            *x = 190.0;
        }
        let g = failure_probability(&z, &params).unwrap();
        assert!(g.notes.iter().all(|n| !n.contains("outlier")), "{g:?}");
        assert!(g.probability > 0.2, "{g:?}");
        // A level shift is kept.
        let mut w: Vec<f64> = (0..500).map(|t| 50.0 + ((t * 7) % 5) as f64).collect();
        for x in &mut w[300..] {
            *x += 1000.0;
        }
        let mut wv = w.clone();
        assert_eq!(replace_outliers(&mut wv), 0);
        assert_eq!(wv, w);
    }

    #[test]
    fn already_crossed_and_bad_params() {
        let y = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0];
        let f = failure_probability(&y, &FailureParams::new(5.0, Direction::Above, 3)).unwrap();
        assert!(f.already_crossed && f.probability == 1.0);
        assert!(matches!(
            failure_probability(&y, &FailureParams::new(5.0, Direction::Above, 0)),
            Err(Error::InvalidParameter {
                name: "horizon",
                ..
            })
        ));
        assert!(matches!(
            failure_probability(
                &[f64::NAN; 20],
                &FailureParams::new(5.0, Direction::Above, 3)
            ),
            Err(Error::AllMissing { .. })
        ));
    }
}
