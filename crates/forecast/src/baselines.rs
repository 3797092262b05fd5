//! Baselines: naive, seasonal naive and the M4 competition's Naive2.

use crate::UNNAMED;
use crate::error::{Error, Result};
use crate::forecast::{Fitted, Forecast, Forecaster, z_for_level};
use crate::prepare::prepare;

/// Root mean square of `e`, ignoring nothing (callers pass finite values).
pub(crate) fn rms(e: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in e {
        s += x * x;
        n += 1;
    }
    if n == 0 { 0.0 } else { (s / n as f64).sqrt() }
}

pub(crate) fn imputation_notes(dropped_leading: usize, imputed: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if dropped_leading > 0 {
        notes.push(format!("dropped {dropped_leading} leading missing points"));
    }
    if imputed > 0 {
        notes.push(format!("interpolated {imputed} missing points"));
    }
    notes
}

/// Random walk forecast: the last value, with intervals widening as `sqrt(h)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Naive;

/// Seasonal naive: each step repeats the value one period earlier; intervals
/// widen with the number of whole periods ahead (`sqrt(floor((h-1)/m)+1)`).
///
/// With fewer than `period + 1` points it falls back to [`Naive`] and says so
/// in the forecast's notes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeasonalNaive {
    /// Season length in steps (24 for hourly data with a daily cycle).
    pub period: usize,
}

/// The M4 competition's Naive2: naive on the series seasonally adjusted by a
/// classical multiplicative decomposition, applied only when a 90% ACF test
/// finds seasonality at lag `period` (and `n >= 3 period`).
///
/// Needs strictly positive values when the test finds seasonality (the
/// decomposition is multiplicative): otherwise it reports a
/// [`Error::NonPositive`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Naive2 {
    /// Season length in steps.
    pub period: usize,
}

/// A fitted naive-family model: a repeating last cycle, a seasonal index and
/// a residual scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedNaive {
    name: String,
    /// Values repeated forward (last `period` values; length 1 for naive).
    last: Vec<f64>,
    /// Seasonal index for future steps, indexed by `(n + h - 1) % period` (all ones if none).
    index: Vec<f64>,
    n: usize,
    /// One-step residual standard deviation (on the adjusted scale).
    sigma: f64,
    /// Steps per interval-widening unit: 1 for naive, the period for seasonal naive.
    widen_every: usize,
    notes: Vec<String>,
}

impl Fitted for FittedNaive {
    fn predict_into(&self, horizon: usize, level: f64, out: &mut Forecast) -> Result<()> {
        let z = z_for_level(level);
        out.mean.clear();
        out.lower.clear();
        out.upper.clear();
        out.level = level;
        out.model.clone_from(&self.name);
        out.notes.clone_from(&self.notes);
        let p = self.last.len();
        for h in 1..=horizon {
            let base = self.last[(h - 1) % p];
            let k = ((h - 1) / self.widen_every + 1) as f64;
            let half = z * self.sigma * k.sqrt();
            let s = self.index[(self.n + h - 1) % self.index.len()];
            out.mean.push(base * s);
            out.lower.push((base - half) * s);
            out.upper.push((base + half) * s);
        }
        out.finish(UNNAMED)
    }
}

impl Forecaster for Naive {
    type Fitted = FittedNaive;
    fn name(&self) -> String {
        "naive".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedNaive> {
        let p = prepare(UNNAMED, y)?;
        let v = &p.values;
        let sigma = rms(v.windows(2).map(|w| w[1] - w[0]));
        Ok(FittedNaive {
            name: "naive".into(),
            last: vec![v[v.len() - 1]],
            index: vec![1.0],
            n: v.len(),
            sigma,
            widen_every: 1,
            notes: imputation_notes(p.dropped_leading, p.imputed),
        })
    }
}

impl Forecaster for SeasonalNaive {
    type Fitted = FittedNaive;
    fn name(&self) -> String {
        "snaive".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedNaive> {
        check_period(self.period)?;
        let p = prepare(UNNAMED, y)?;
        let v = &p.values;
        let m = self.period;
        if v.len() <= m {
            let mut f = Naive.fit(&p.values)?;
            f.notes = imputation_notes(p.dropped_leading, p.imputed);
            f.notes.push(format!(
                "seasonal naive fell back to naive: {} points, period {m}",
                v.len()
            ));
            return Ok(f);
        }
        let sigma = rms((m..v.len()).map(|t| v[t] - v[t - m]));
        Ok(FittedNaive {
            name: format!("snaive[{m}]"),
            last: v[v.len() - m..].to_vec(),
            index: vec![1.0],
            n: v.len(),
            sigma,
            widen_every: m,
            notes: imputation_notes(p.dropped_leading, p.imputed),
        })
    }
}

fn check_period(period: usize) -> Result<()> {
    if period == 0 {
        return Err(Error::InvalidParameter {
            name: "period",
            value: "0".into(),
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// Biased autocorrelation at lags `1..=max_lag` (index 0 is lag 1).
pub(crate) fn acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let denom: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (1..=max_lag)
        .map(|k| {
            if k >= n || denom == 0.0 {
                return 0.0;
            }
            let num: f64 = (0..n - k).map(|t| (x[t] - mean) * (x[t + k] - mean)).sum();
            num / denom
        })
        .collect()
}

/// The M4 seasonality test: `|r_m| > 1.645 / sqrt(n) * sqrt(1 + 2 sum_{k<m} r_k^2)`.
pub fn m4_seasonality_test(x: &[f64], period: usize) -> bool {
    let n = x.len();
    if period < 2 || n < 3 * period {
        return false;
    }
    let r = acf(x, period);
    let s: f64 = r[..period - 1].iter().map(|v| v * v).sum();
    let limit = 1.645 / (n as f64).sqrt() * (1.0 + 2.0 * s).sqrt();
    r[period - 1].abs() > limit
}

/// Classical multiplicative decomposition's seasonal index (length `period`,
/// mean 1), positions relative to the start of `x`: centred moving average
/// (2 x m for even m), ratio to it, mean ratio per position, normalised.
pub fn classical_multiplicative_index(x: &[f64], period: usize) -> Vec<f64> {
    let n = x.len();
    let m = period;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    let half = m / 2;
    for t in half..n.saturating_sub(half) {
        let ma = if m.is_multiple_of(2) {
            if t + half >= n {
                continue;
            }
            let inner: f64 = x[t + 1 - half..t + half].iter().sum();
            (0.5 * x[t - half] + inner + 0.5 * x[t + half]) / m as f64
        } else {
            x[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        sums[t % m] += x[t] / ma;
        counts[t % m] += 1;
    }
    let mut idx: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(&s, &c)| if c == 0 { 1.0 } else { s / c as f64 })
        .collect();
    let mean = idx.iter().sum::<f64>() / m as f64;
    idx.iter_mut().for_each(|v| *v /= mean);
    idx
}

impl Forecaster for Naive2 {
    type Fitted = FittedNaive;
    fn name(&self) -> String {
        "naive2".into()
    }
    fn fit(&self, y: &[f64]) -> Result<FittedNaive> {
        check_period(self.period)?;
        let p = prepare(UNNAMED, y)?;
        let v = &p.values;
        let m = self.period;
        let mut notes = imputation_notes(p.dropped_leading, p.imputed);
        let index = if m4_seasonality_test(v, m) {
            if let Some((index, &value)) = v.iter().enumerate().find(|(_, x)| **x <= 0.0) {
                return Err(Error::NonPositive {
                    series: UNNAMED.into(),
                    model: "naive2 (multiplicative decomposition)".into(),
                    index,
                    value,
                });
            }
            classical_multiplicative_index(v, m)
        } else {
            notes.push(format!("naive2: no seasonality at lag {m}, plain naive"));
            vec![1.0]
        };
        let n = v.len();
        let des: Vec<f64> = v
            .iter()
            .enumerate()
            .map(|(t, x)| x / index[t % index.len()])
            .collect();
        let sigma = rms(des.windows(2).map(|w| w[1] - w[0]));
        Ok(FittedNaive {
            name: format!("naive2[{m}]"),
            last: vec![des[n - 1]],
            index,
            n,
            sigma,
            widen_every: 1,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_repeats_last_cycle() {
        let y: Vec<f64> = (0..30).map(|t| (t % 4) as f64).collect();
        let f = SeasonalNaive { period: 4 }.forecast(&y, 6, 0.9).unwrap();
        assert_eq!(f.mean, vec![2.0, 3.0, 0.0, 1.0, 2.0, 3.0]);
        // Perfectly periodic: zero residuals, zero-width intervals.
        assert_eq!(f.lower, f.mean);
        let f = SeasonalNaive { period: 50 }.forecast(&y, 2, 0.9).unwrap();
        assert_eq!(f.mean, vec![1.0, 1.0]);
        assert!(f.notes.iter().any(|n| n.contains("fell back")));
    }

    #[test]
    fn naive_intervals_widen() {
        let y = [1.0, 2.0, 1.0, 2.0, 1.0];
        let f = Naive.forecast(&y, 4, 0.95).unwrap();
        assert!(f.mean.iter().all(|&m| m == 1.0));
        let w: Vec<f64> = f.upper.iter().zip(&f.lower).map(|(u, l)| u - l).collect();
        assert!((w[3] / w[0] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn naive2_deseasonalises() {
        let y: Vec<f64> = (0..96)
            .map(|t| 10.0 * if t % 4 == 0 { 2.0 } else { 1.0 })
            .collect();
        let f = Naive2 { period: 4 }.forecast(&y, 4, 0.9).unwrap();
        for (h, m) in f.mean.iter().enumerate() {
            let expect = if (96 + h) % 4 == 0 { 20.0 } else { 10.0 };
            assert!((m - expect).abs() < 1e-9, "{h}: {m}");
        }
        assert!(matches!(
            Naive2 { period: 4 }.fit(&y.iter().map(|v| v - 15.0).collect::<Vec<_>>()),
            Err(Error::NonPositive { .. })
        ));
    }
}
