//! Window features of metrics for the Isolation Forest: per window and per
//! metric the mean, the standard deviation, the trend (least-squares slope
//! per step) and the seasonality strength.
//!
//! Seasonality strength follows Wang, Smith and Hyndman (2006):
//! `max(0, 1 - var(remainder) / var(detrended))`, where the detrended window
//! has its linear trend removed and the seasonal component is the mean of
//! each phase of `period`; it is 0 when `period < 2` or the window holds
//! fewer than two periods.

use ndarray::Array2;

use crate::error::{Error, Result};

/// Number of features per metric.
pub const FEATURES_PER_METRIC: usize = 4;

/// Names of the features of one metric, in column order.
pub const FEATURE_NAMES: [&str; FEATURES_PER_METRIC] = ["mean", "std", "trend", "seasonality"];

/// Parameters of [`extract`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowParams {
    /// Points per window (>= 2).
    pub window: usize,
    /// Points between window starts (>= 1).
    pub step: usize,
    /// Seasonal period in points (0 or 1: no seasonality feature).
    pub period: usize,
}

impl Default for WindowParams {
    fn default() -> Self {
        WindowParams {
            window: 60,
            step: 1,
            period: 0,
        }
    }
}

/// The four features of one window of finite values.
pub fn window_features(w: &[f64], period: usize) -> [f64; FEATURES_PER_METRIC] {
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let var = w.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    // Least-squares slope against 0..n.
    let tm = (n - 1.0) / 2.0;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (i, v) in w.iter().enumerate() {
        let d = i as f64 - tm;
        sxy += d * (v - mean);
        sxx += d * d;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let mut strength = 0.0;
    if period >= 2 && w.len() >= 2 * period {
        let detr: Vec<f64> = w
            .iter()
            .enumerate()
            .map(|(i, v)| v - mean - slope * (i as f64 - tm))
            .collect();
        let mut phase = vec![(0.0, 0usize); period];
        for (i, v) in detr.iter().enumerate() {
            phase[i % period].0 += v;
            phase[i % period].1 += 1;
        }
        let var_d = detr.iter().map(|v| v * v).sum::<f64>();
        let var_r = detr
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (s, c) = phase[i % period];
                let r = v - s / c as f64;
                r * r
            })
            .sum::<f64>();
        if var_d > 0.0 {
            strength = (1.0 - var_r / var_d).max(0.0);
        }
    }
    [mean, var.sqrt(), slope, strength]
}

/// Window features of several aligned metrics: one row per window (windows
/// end at `window - 1`, `window - 1 + step`, ...), columns
/// `metric0.mean, metric0.std, metric0.trend, metric0.seasonality, metric1.mean, ...`.
///
/// Errors when the metrics have different lengths, are shorter than a window,
/// hold a NaN or infinite value, or the parameters are invalid.
pub fn extract(metrics: &[&[f64]], params: WindowParams) -> Result<Array2<f64>> {
    if params.window < 2 {
        return Err(Error::param("window", params.window, "must be >= 2"));
    }
    if params.step == 0 {
        return Err(Error::param("step", params.step, "must be >= 1"));
    }
    let Some(first) = metrics.first() else {
        return Err(Error::WidthMismatch {
            expected: 1,
            got: 0,
        });
    };
    let len = first.len();
    for (k, m) in metrics.iter().enumerate() {
        if m.len() != len {
            return Err(Error::WidthMismatch {
                expected: len,
                got: m.len(),
            });
        }
        if let Some((row, v)) = m.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "feature extraction",
                row,
                column: k,
                value: *v,
            });
        }
    }
    if len < params.window {
        return Err(Error::TooFewRows {
            what: "feature extraction",
            needed: params.window,
            got: len,
        });
    }
    let rows = (len - params.window) / params.step + 1;
    let mut out = Array2::zeros((rows, metrics.len() * FEATURES_PER_METRIC));
    for r in 0..rows {
        let start = r * params.step;
        for (k, m) in metrics.iter().enumerate() {
            let f = window_features(&m[start..start + params.window], params.period);
            for (j, v) in f.iter().enumerate() {
                out[[r, k * FEATURES_PER_METRIC + j]] = *v;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_of_known_windows() {
        let line: Vec<f64> = (0..10).map(|i| 2.0 * i as f64 + 1.0).collect();
        let f = window_features(&line, 0);
        assert!((f[0] - 10.0).abs() < 1e-12);
        assert!((f[2] - 2.0).abs() < 1e-12);
        assert_eq!(f[3], 0.0);
        let season: Vec<f64> = (0..48).map(|i| [0.0, 5.0, 10.0, 5.0][i % 4]).collect();
        let g = window_features(&season, 4);
        assert!(g[3] > 0.99, "{g:?}");
        let m = extract(
            &[&line, &line],
            WindowParams {
                window: 4,
                step: 2,
                period: 0,
            },
        )
        .unwrap();
        assert_eq!(m.dim(), (4, 8));
    }

    #[test]
    fn bad_input_is_rejected() {
        let a = [1.0, 2.0, 3.0];
        let b = [1.0, 2.0];
        assert!(
            extract(
                &[&a, &b],
                WindowParams {
                    window: 2,
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(
            extract(
                &[&a],
                WindowParams {
                    window: 5,
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(
            extract(
                &[&[1.0, f64::NAN, 2.0]],
                WindowParams {
                    window: 2,
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(extract(&[], WindowParams::default()).is_err());
    }
}
