//! Forecasts of timestamped series, and forecast-residual anomalies.

use std::collections::HashMap;

use aiops_core::{Signal, SignalKind, TimeSeries, Timestamp};

use crate::error::Result;
use crate::forecast::{Forecast, Forecaster, check_request};
use crate::prepare::regularize;

/// A forecast with the timestamps it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// One timestamp per forecast step, continuing the series' grid.
    pub timestamps: Vec<Timestamp>,
    /// The forecast.
    pub forecast: Forecast,
    /// The grid step in milliseconds.
    pub step_millis: i64,
}

/// Forecasts a timestamped series `horizon` steps of its typical spacing
/// ahead. The series is put on a regular grid first (gaps become missing
/// points, interpolated; see [`regularize`]); when `max_history` is given,
/// only that many last grid points are used.
pub fn forecast_series<F: Forecaster>(
    model: &F,
    series: &TimeSeries,
    horizon: usize,
    level: f64,
    max_history: Option<usize>,
) -> Result<SeriesForecast> {
    check_request(horizon, level)?;
    let name = series.key().to_string();
    let reg = regularize(series).map_err(|e| e.with_series(&name))?;
    let from = max_history.map_or(0, |m| reg.values.len().saturating_sub(m));
    let mut forecast = model
        .forecast(&reg.values[from..], horizon, level)
        .map_err(|e| e.with_series(&name))?;
    if reg.snapped > 0 || reg.merged > 0 {
        forecast.notes.push(format!(
            "{} off-grid points snapped, {} merged into one grid point",
            reg.snapped, reg.merged
        ));
    }
    Ok(SeriesForecast {
        timestamps: reg.future_timestamps(horizon),
        forecast,
        step_millis: reg.step_millis,
    })
}

/// Forecasts a timestamped series with the default automatic model: the
/// seasonal periods are detected on the last `4032` grid points (two weeks
/// of 5-minute data, eight months of hourly data) and [`Auto`](crate::Auto)
/// is fitted on them.
pub fn forecast_auto(series: &TimeSeries, horizon: usize, level: f64) -> Result<SeriesForecast> {
    const HISTORY: usize = 4032;
    let name = series.key().to_string();
    let reg = regularize(series).map_err(|e| e.with_series(&name))?;
    let from = reg.values.len().saturating_sub(HISTORY);
    let periods =
        crate::mstl::detect_periods(&reg.values[from..], 2).map_err(|e| e.with_series(&name))?;
    let model = crate::model::Model::Auto(crate::model::Auto::new(&periods));
    forecast_series(&model, series, horizon, level, Some(HISTORY))
}

/// An observed value outside a forecast's prediction interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// When it was observed.
    pub timestamp: Timestamp,
    /// The observed value.
    pub observed: f64,
    /// The point forecast for that time.
    pub mean: f64,
    /// Interval lower bound.
    pub lower: f64,
    /// Interval upper bound.
    pub upper: f64,
    /// Strength in [0.5, 1): `1 - 0.5 exp(-e)` where `e` is the distance
    /// beyond the bound in interval half-widths (0.5 right at the bound).
    pub score: f64,
}

impl Breach {
    /// The breach as an incident signal of kind `ForecastBreach`.
    pub fn to_signal(&self, source: impl Into<String>) -> Signal {
        Signal {
            kind: SignalKind::ForecastBreach,
            source: source.into(),
            at: self.timestamp,
            value: self.score,
            detail: format!(
                "observed {} outside the forecast interval [{}, {}] (mean {})",
                self.observed, self.lower, self.upper, self.mean
            ),
        }
    }
}

fn breach_at(t: Timestamp, y: f64, mean: f64, lower: f64, upper: f64) -> Option<Breach> {
    if y.is_nan() || (lower..=upper).contains(&y) {
        return None;
    }
    let (beyond, half) = if y > upper {
        (y - upper, upper - mean)
    } else {
        (lower - y, mean - lower)
    };
    let e = if half > 0.0 {
        beyond / half
    } else {
        f64::INFINITY
    };
    Some(Breach {
        timestamp: t,
        observed: y,
        mean,
        lower,
        upper,
        score: 1.0 - 0.5 * (-e).exp(),
    })
}

/// Observed points of `observed` that fall outside `forecast`'s interval,
/// matched on exact timestamps (missing points are skipped).
pub fn breaches(forecast: &SeriesForecast, observed: &TimeSeries) -> Vec<Breach> {
    let at: HashMap<Timestamp, usize> = forecast
        .timestamps
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i))
        .collect();
    let f = &forecast.forecast;
    observed
        .timestamps()
        .iter()
        .zip(observed.values())
        .filter_map(|(t, &y)| {
            let &i = at.get(t)?;
            breach_at(*t, y, f.mean[i], f.lower[i], f.upper[i])
        })
        .collect()
}

/// Rolling-origin forecast residuals over a whole series: from point
/// `warmup` on, fits on everything before the origin (at most `max_history`
/// points), forecasts the next `horizon` grid points, reports those outside
/// the interval, and moves the origin `horizon` points on.
pub fn residual_breaches<F: Forecaster>(
    model: &F,
    series: &TimeSeries,
    warmup: usize,
    horizon: usize,
    level: f64,
    max_history: usize,
) -> Result<Vec<Breach>> {
    check_request(horizon, level)?;
    let name = series.key().to_string();
    let reg = regularize(series).map_err(|e| e.with_series(&name))?;
    let mut out = Vec::new();
    let mut origin = warmup.max(1);
    while origin < reg.values.len() {
        let from = origin.saturating_sub(max_history);
        let f = model
            .forecast(&reg.values[from..origin], horizon, level)
            .map_err(|e| e.with_series(&name))?;
        for (k, &y) in reg.values[origin..].iter().take(horizon).enumerate() {
            if let Some(b) = breach_at(
                reg.timestamp_at(origin + k),
                y,
                f.mean[k],
                f.lower[k],
                f.upper[k],
            ) {
                out.push(b);
            }
        }
        origin += horizon;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeasonalNaive;
    use aiops_core::SeriesKey;

    fn series(values: Vec<f64>) -> TimeSeries {
        let ts = (0..values.len() as i64)
            .map(|i| Timestamp::from_secs(i * 60))
            .collect();
        TimeSeries::new(SeriesKey::new("cpu"), ts, values).unwrap()
    }

    fn noisy(t: usize) -> f64 {
        // Deterministic pseudo-noise in [-0.5, 0.5) from a hash of t.
        let h = (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (h as f64 / (1u64 << 24) as f64) - 0.5
    }

    #[test]
    fn forecast_continues_the_grid_and_flags_breaches() {
        let y: Vec<f64> = (0..96).map(|t| 10.0 * (t % 12) as f64 + noisy(t)).collect();
        let s = series(y.clone());
        let m = SeasonalNaive { period: 12 };
        let f = forecast_series(&m, &s, 12, 0.999, None).unwrap();
        assert_eq!(f.timestamps[0], Timestamp::from_secs(96 * 60));
        assert_eq!(f.step_millis, 60_000);
        let mut future: Vec<f64> = (96..108)
            .map(|t| 10.0 * (t % 12) as f64 + noisy(t))
            .collect();
        future[5] += 50.0;
        let obs = TimeSeries::new(SeriesKey::new("cpu"), f.timestamps.clone(), future).unwrap();
        let b = breaches(&f, &obs);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].timestamp, f.timestamps[5]);
        assert!(b[0].score > 0.9);
        assert_eq!(b[0].to_signal("cpu").kind, SignalKind::ForecastBreach);

        let mut with_spike = y;
        with_spike[80] = 100.0;
        let r = residual_breaches(&m, &series(with_spike), 48, 12, 0.99, 1000).unwrap();
        assert!(
            r.iter()
                .any(|b| b.timestamp == Timestamp::from_secs(80 * 60)),
            "{r:?}"
        );
    }
}
