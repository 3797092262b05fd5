//! Input cleaning: missing points, gaps and irregular timestamps.

use aiops_core::{TimeSeries, Timestamp};

use crate::error::{Error, Result};

/// A series made ready for a model: no NaN, with a record of what was done.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    /// Finite values; interior gaps linearly interpolated.
    pub(crate) values: Vec<f64>,
    /// Number of NaN points that were filled by interpolation (or carried forward at the end).
    pub(crate) imputed: usize,
    /// Number of leading NaN points dropped (nothing to interpolate from).
    pub(crate) dropped_leading: usize,
}

/// Largest magnitude of a value the models accept: their sums of squares
/// over long histories stay finite far beyond any real metric (1e100).
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Fills interior NaN by linear interpolation, carries the last observation
/// over trailing NaN, drops leading NaN; rejects infinities, values beyond
/// [`MAX_ABS_VALUE`] and all-missing input.
pub(crate) fn prepare(series: &str, y: &[f64]) -> Result<Prepared> {
    if let Some((index, &value)) = y.iter().enumerate().find(|(_, v)| v.abs() > MAX_ABS_VALUE) {
        return Err(if value.is_infinite() {
            Error::NonFinite {
                series: series.to_owned(),
                index,
                value,
            }
        } else {
            Error::ValueTooLarge {
                series: series.to_owned(),
                index,
                value,
            }
        });
    }
    let Some(first) = y.iter().position(|v| !v.is_nan()) else {
        return Err(Error::AllMissing {
            series: series.to_owned(),
            len: y.len(),
        });
    };
    let y = &y[first..];
    let mut values = y.to_vec();
    let mut imputed = 0;
    let mut last_obs = 0usize; // index of the last observed value
    let mut i = 1;
    while i < values.len() {
        if values[i].is_nan() {
            let start = i;
            while i < values.len() && values[i].is_nan() {
                i += 1;
            }
            imputed += i - start;
            if i == values.len() {
                let v = values[last_obs];
                values[start..].iter_mut().for_each(|x| *x = v);
            } else {
                let (a, b) = (values[last_obs], values[i]);
                let span = (i - last_obs) as f64;
                for (k, x) in values[start..i].iter_mut().enumerate() {
                    let frac = (start + k - last_obs) as f64 / span;
                    *x = a + (b - a) * frac;
                }
            }
        } else {
            last_obs = i;
            i += 1;
        }
    }
    Ok(Prepared {
        values,
        imputed,
        dropped_leading: first,
    })
}

/// A series put on a regular time grid: missing grid points are NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct RegularSeries {
    /// Timestamp of the first grid point.
    pub start: Timestamp,
    /// Grid step in milliseconds (the series' most common spacing).
    pub step_millis: i64,
    /// One value per grid point; NaN where the series had no point or a NaN.
    pub values: Vec<f64>,
    /// Points whose timestamp was off the grid and was moved to the nearest grid point.
    pub snapped: usize,
    /// Points that fell on an already-filled grid point and were averaged into it.
    pub merged: usize,
}

impl RegularSeries {
    /// Timestamp of grid point `i` (may be past the end, for forecasts).
    pub fn timestamp_at(&self, i: usize) -> Timestamp {
        self.start.add_millis(
            self.step_millis
                .saturating_mul(i64::try_from(i).unwrap_or(i64::MAX)),
        )
    }

    /// Timestamps of the `horizon` grid points after the last one.
    pub fn future_timestamps(&self, horizon: usize) -> Vec<Timestamp> {
        (0..horizon)
            .map(|k| self.timestamp_at(self.values.len() + k))
            .collect()
    }
}

/// Largest grid accepted, as a multiple of the number of points (guards
/// against a series with one far-away point exploding memory).
const MAX_GRID_FACTOR: usize = 20;

/// Puts a validated series on the grid of its typical step. Gaps become NaN;
/// off-grid points snap to the nearest grid point; two points on one grid
/// point are averaged. Counts of both are reported.
pub fn regularize(series: &TimeSeries) -> Result<RegularSeries> {
    let name = series.key().to_string();
    let ts = series.timestamps();
    let vs = series.values();
    let Some(&start) = ts.first() else {
        return Err(Error::AllMissing {
            series: name,
            len: 0,
        });
    };
    let step = match series.typical_step_millis() {
        Some(s) if s > 0 => s,
        _ => {
            return Err(Error::TooShort {
                series: name,
                model: "regular grid".into(),
                needed: 2,
                got: ts.len(),
            });
        }
    };
    let span = ts[ts.len() - 1].millis_since(start);
    let cells = ((span as f64 / step as f64).round() as usize).saturating_add(1);
    if cells > ts.len().saturating_mul(MAX_GRID_FACTOR) {
        return Err(Error::Irregular {
            series: name,
            reason: format!(
                "{} points span {cells} steps of {step} ms (more than {MAX_GRID_FACTOR}x the points)",
                ts.len()
            ),
        });
    }
    let mut sum = vec![0.0; cells];
    let mut count = vec![0u32; cells];
    let (mut snapped, mut merged) = (0, 0);
    for (&t, &v) in ts.iter().zip(vs) {
        let offset = t.millis_since(start);
        let idx = ((offset as f64) / (step as f64)).round() as usize;
        let idx = idx.min(cells - 1);
        if offset % step != 0 {
            snapped += 1;
        }
        if v.is_nan() {
            continue;
        }
        if count[idx] > 0 {
            merged += 1;
        }
        sum[idx] += v;
        count[idx] += 1;
    }
    let values = sum
        .iter()
        .zip(&count)
        .map(|(&s, &c)| if c == 0 { f64::NAN } else { s / f64::from(c) })
        .collect();
    Ok(RegularSeries {
        start,
        step_millis: step,
        values,
        snapped,
        merged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::SeriesKey;

    #[test]
    fn values_too_large_to_model_are_errors() {
        let mut y = vec![1.0; 50];
        y[7] = -1e300;
        let e = prepare("cpu", &y).unwrap_err();
        assert!(
            matches!(e, Error::ValueTooLarge { index: 7, value, .. } if value == -1e300),
            "{e}"
        );
        assert!(e.to_string().contains("index 7 (-1e300)"), "{e}");
        y[7] = MAX_ABS_VALUE;
        assert!(prepare("cpu", &y).is_ok());
        y[7] = f64::NEG_INFINITY;
        assert!(matches!(
            prepare("cpu", &y),
            Err(Error::NonFinite { index: 7, .. })
        ));
    }

    #[test]
    fn interpolates_and_counts() {
        let p = prepare("s", &[f64::NAN, 1.0, f64::NAN, 3.0, f64::NAN]).unwrap();
        assert_eq!(p.values, vec![1.0, 2.0, 3.0, 3.0]);
        assert_eq!(p.imputed, 2);
        assert_eq!(p.dropped_leading, 1);
        assert!(matches!(
            prepare("s", &[f64::NAN, f64::NAN]),
            Err(Error::AllMissing { len: 2, .. })
        ));
        assert!(matches!(
            prepare("s", &[1.0, f64::INFINITY]),
            Err(Error::NonFinite { index: 1, .. })
        ));
    }

    #[test]
    fn regularizes_gaps() {
        let ts = [0, 60, 120, 300, 330]
            .iter()
            .map(|&s| Timestamp::from_secs(s))
            .collect();
        let s = TimeSeries::new(SeriesKey::new("m"), ts, vec![1.0, 2.0, 3.0, 6.0, 7.0]).unwrap();
        let r = regularize(&s).unwrap();
        assert_eq!(r.step_millis, 60_000);
        assert_eq!(r.values.len(), 7);
        assert!(r.values[3].is_nan() && r.values[4].is_nan());
        assert_eq!(r.snapped, 1);
        assert_eq!(r.future_timestamps(1)[0], Timestamp::from_secs(420));
    }
}
