//! Request-rate traces: validated `timestamp,value` series.

use std::path::Path;

use aiops_core::{TimeSeries, Timestamp};

use crate::error::{Error, Result};

/// A request-rate trace sampled at a regular step: no missing points, no
/// negative rates, no gaps.
///
/// Each point's rate holds from its timestamp for one step (the trace is
/// piecewise constant at its own resolution).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    name: String,
    start: Timestamp,
    step_secs: f64,
    rates: Vec<f64>,
}

/// Fewest points a trace may have (one to start from, one to act on, one to
/// observe the trend).
pub const MIN_TRACE_POINTS: usize = 3;

impl Trace {
    /// A trace from rates at a fixed step.
    ///
    /// # Errors
    /// [`Error::TraceTooShort`], [`Error::InvalidRate`] for a NaN, infinite or
    /// negative rate, [`Error::InvalidParameter`] for a non-positive step.
    pub fn new(
        name: impl Into<String>,
        start: Timestamp,
        step_secs: f64,
        rates: Vec<f64>,
    ) -> Result<Self> {
        let name = name.into();
        crate::error::positive("step_secs", step_secs)?;
        if rates.len() < MIN_TRACE_POINTS {
            return Err(Error::TraceTooShort {
                series: name,
                points: rates.len(),
                needed: MIN_TRACE_POINTS,
            });
        }
        for (index, &value) in rates.iter().enumerate() {
            let reason = if value.is_nan() {
                "missing (NaN)"
            } else if !value.is_finite() {
                "not finite"
            } else if value < 0.0 {
                "negative"
            } else {
                continue;
            };
            return Err(Error::InvalidRate {
                timestamp: start
                    .add_millis((step_secs * 1000.0 * index as f64) as i64)
                    .to_string(),
                series: name,
                index,
                value,
                reason,
            });
        }
        Ok(Trace {
            name,
            start,
            step_secs,
            rates,
        })
    }

    /// A trace from a series read with [`aiops_core::read_nab_csv`].
    ///
    /// # Errors
    /// [`Error::TraceTooShort`]; [`Error::TraceGap`] when consecutive points
    /// are more than 1.5 typical steps apart; [`Error::InvalidRate`] for a
    /// missing or negative point.
    pub fn from_series(series: &TimeSeries) -> Result<Self> {
        let name = series.key().name().to_owned();
        let ts = series.timestamps();
        let values = series.values();
        if ts.len() < MIN_TRACE_POINTS {
            return Err(Error::TraceTooShort {
                series: name,
                points: ts.len(),
                needed: MIN_TRACE_POINTS,
            });
        }
        let step_ms = series.typical_step_millis().unwrap_or(1000).max(1);
        for (i, w) in ts.windows(2).enumerate() {
            let gap = w[1].millis_since(w[0]);
            if gap * 2 > step_ms * 3 {
                return Err(Error::TraceGap {
                    series: name,
                    index: i + 1,
                    previous: w[0].to_string(),
                    next: w[1].to_string(),
                    gap_seconds: gap as f64 / 1000.0,
                    step_seconds: step_ms as f64 / 1000.0,
                });
            }
        }
        for (index, (&value, t)) in values.iter().zip(ts).enumerate() {
            let reason = if value.is_nan() {
                "missing (NaN)"
            } else if value < 0.0 {
                "negative"
            } else {
                continue;
            };
            return Err(Error::InvalidRate {
                series: name,
                index,
                timestamp: t.to_string(),
                value,
                reason,
            });
        }
        Trace::new(name, ts[0], step_ms as f64 / 1000.0, values.to_vec())
    }

    /// Reads a NAB-style `timestamp,value` CSV file and validates it.
    ///
    /// # Errors
    /// [`Error::Core`] when the file cannot be read or parsed (the message
    /// names the file, line and column), then as [`Trace::from_series`].
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Self> {
        let series = aiops_core::read_nab_csv(path)?;
        Trace::from_series(&series)
    }

    /// Name of the trace (the file stem when read from a file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Timestamp of the first point.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Step between points, in seconds.
    pub fn step_secs(&self) -> f64 {
        self.step_secs
    }

    /// The rates, in the trace's own units.
    pub fn rates(&self) -> &[f64] {
        &self.rates
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    /// Always false: a trace has at least [`MIN_TRACE_POINTS`] points.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// Duration covered, in seconds (points x step).
    pub fn duration_secs(&self) -> f64 {
        self.rates.len() as f64 * self.step_secs
    }

    /// Mean rate.
    pub fn mean(&self) -> f64 {
        self.rates.iter().sum::<f64>() / self.rates.len() as f64
    }

    /// Timestamp of point `i`.
    pub fn timestamp(&self, i: usize) -> Timestamp {
        self.start
            .add_millis((self.step_secs * 1000.0 * i as f64).round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::read_nab_csv_str;

    #[test]
    fn rejects_gaps_nan_negative() {
        let gap = "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n2024-01-01 00:10:00,2\n2024-01-01 00:30:00,3\n";
        let s = read_nab_csv_str("gap", gap).unwrap();
        assert!(matches!(
            Trace::from_series(&s),
            Err(Error::TraceGap { index: 3, .. })
        ));
        let nan =
            "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,\n2024-01-01 00:10:00,2\n";
        let s = read_nab_csv_str("nan", nan).unwrap();
        assert!(matches!(
            Trace::from_series(&s),
            Err(Error::InvalidRate { index: 1, .. })
        ));
        let neg = "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,-4\n2024-01-01 00:10:00,2\n";
        let s = read_nab_csv_str("neg", neg).unwrap();
        let err = Trace::from_series(&s).unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        let short = "timestamp,value\n2024-01-01 00:00:00,1\n";
        let s = read_nab_csv_str("short", short).unwrap();
        assert!(matches!(
            Trace::from_series(&s),
            Err(Error::TraceTooShort { .. })
        ));
    }

    #[test]
    fn reads_regular_trace() {
        let ok = "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n2024-01-01 00:10:00,3\n";
        let s = read_nab_csv_str("ok", ok).unwrap();
        let t = Trace::from_series(&s).unwrap();
        assert_eq!(t.step_secs(), 300.0);
        assert_eq!(t.len(), 3);
        assert_eq!(t.mean(), 2.0);
    }
}
