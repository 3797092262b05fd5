//! Seasonal-hybrid ESD (Hochenbaum, Vallis and Kejariwal 2017), the batch
//! method behind Twitter's AnomalyDetection.
//!
//! The series is decomposed into a seasonal component (the median of each
//! phase of `period` after removing the overall median) and the median; the
//! residuals are tested with the generalized ESD test using the median and
//! the MAD (the "hybrid" part), removing the most extreme residual up to
//! `max_anoms * n` times and keeping the largest count whose test statistic
//! exceeds the critical value at significance `alpha` (Student's t from
//! statrs).

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result};
use crate::streaming::gaussian_score;

/// Parameters of [`ShEsd`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ShEsdParams {
    /// Seasonal period in points (0 or 1: no seasonal component).
    pub period: usize,
    /// Largest fraction of points reported as anomalies, in (0, 0.5].
    pub max_anoms: f64,
    /// Significance level of the test, in (0, 1).
    pub alpha: f64,
}

impl Default for ShEsdParams {
    fn default() -> Self {
        ShEsdParams {
            period: 0,
            max_anoms: 0.1,
            alpha: 0.05,
        }
    }
}

/// The seasonal-hybrid ESD detector.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ShEsd {
    params: ShEsdParams,
}

/// The result of [`ShEsd::detect`].
#[derive(Debug, Clone, PartialEq)]
pub struct ShEsdResult {
    /// Indices of the anomalous points, in increasing order.
    pub anomalies: Vec<usize>,
    /// Per point, from the [`gaussian_score`] `g` of the residual's robust
    /// z-score (`|r - median| / (1.4826 MAD)`): `0.5 + 0.5 g` for flagged
    /// points (in [0.5, 1]) and `0.5 g` (below 0.5) for the rest, so the
    /// score orders points within each class; NaN for a missing point.
    pub scores: Vec<f64>,
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if v.len() % 2 == 1 {
        m
    } else {
        let lo = v[..mid].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (lo + m) / 2.0
    }
}

impl ShEsd {
    /// A detector with validated parameters.
    pub fn new(params: ShEsdParams) -> Result<Self> {
        if !(params.max_anoms > 0.0 && params.max_anoms <= 0.5) {
            return Err(Error::param(
                "max_anoms",
                params.max_anoms,
                "must be in (0, 0.5]",
            ));
        }
        if !(params.alpha > 0.0 && params.alpha < 1.0) {
            return Err(Error::param("alpha", params.alpha, "must be in (0, 1)"));
        }
        Ok(ShEsd { params })
    }

    /// Detects anomalies in `values` (in time order). NaN is a missing point:
    /// it is skipped by the test and scored NaN. Errors on an infinite value
    /// or fewer than 3 present points (or fewer than two periods).
    pub fn detect(&self, values: &[f64]) -> Result<ShEsdResult> {
        if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| v.is_infinite()) {
            return Err(Error::NonFinite {
                what: "SH-ESD",
                row,
                column: 0,
                value: *v,
            });
        }
        let present: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
        let p = self.params;
        let needed = if p.period >= 2 {
            (2 * p.period).max(3)
        } else {
            3
        };
        if present.len() < needed {
            return Err(Error::TooFewRows {
                what: "SH-ESD",
                needed,
                got: present.len(),
            });
        }
        let mut tmp: Vec<f64> = present.iter().map(|&i| values[i]).collect();
        let med = median(&mut tmp);
        // Seasonal component: median of each phase of the de-medianed series.
        let mut seasonal = vec![0.0; p.period.max(1)];
        if p.period >= 2 {
            for (ph, s) in seasonal.iter_mut().enumerate() {
                let mut v: Vec<f64> = present
                    .iter()
                    .filter(|&&i| i % p.period == ph)
                    .map(|&i| values[i] - med)
                    .collect();
                *s = median(&mut v);
            }
        }
        let resid: Vec<f64> = present
            .iter()
            .map(|&i| values[i] - med - seasonal[i % seasonal.len()])
            .collect();
        let mut tmp = resid.clone();
        let rmed = median(&mut tmp);
        let mut dev: Vec<f64> = resid.iter().map(|r| (r - rmed).abs()).collect();
        let mad = median(&mut dev) * 1.4826;
        // Generalized ESD with median / MAD, removing the most extreme each round.
        let n = resid.len();
        let k_max = ((p.max_anoms * n as f64).floor() as usize).min(n.saturating_sub(2));
        let mut alive: Vec<usize> = (0..n).collect();
        let mut removed = Vec::with_capacity(k_max);
        let mut count = 0;
        for i in 1..=k_max {
            let mut cur: Vec<f64> = alive.iter().map(|&j| resid[j]).collect();
            let m = median(&mut cur);
            let mut d: Vec<f64> = alive.iter().map(|&j| (resid[j] - m).abs()).collect();
            let s = median(&mut d) * 1.4826;
            // With a zero MAD (most residuals equal), any point off the
            // median is infinitely extreme (R's AnomalyDetection divides by
            // the MAD and gets Inf, which beats every critical value); when
            // nothing is off the median there is nothing left to test.
            let (pos, dev) = alive
                .iter()
                .enumerate()
                .map(|(pos, &j)| (pos, (resid[j] - m).abs()))
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            if dev <= 0.0 {
                break;
            }
            let r = if s > 0.0 { dev / s } else { f64::INFINITY };
            removed.push(alive.swap_remove(pos));
            let nf = n as f64;
            let fi = i as f64;
            let dof = nf - fi - 1.0;
            let lambda = match StudentsT::new(0.0, 1.0, dof) {
                Ok(t) => {
                    let q = t.inverse_cdf(1.0 - p.alpha / (2.0 * (nf - fi + 1.0)));
                    (nf - fi) * q / ((dof + q * q) * (nf - fi + 1.0)).sqrt()
                }
                Err(_) => f64::INFINITY,
            };
            if r > lambda {
                count = i;
            }
        }
        let mut anomalies: Vec<usize> = removed[..count].iter().map(|&j| present[j]).collect();
        anomalies.sort_unstable();
        let mut scores = vec![f64::NAN; values.len()];
        let floor = 1e-12 * (1.0 + rmed.abs());
        // Unflagged points map into [0, 0.5), flagged ones into [0.5, 1],
        // each monotone in the robust z-score.
        for (j, &i) in present.iter().enumerate() {
            let g = gaussian_score((resid[j] - rmed) / mad.max(floor));
            scores[i] = (0.5 * g).min(0.4999);
        }
        for &i in &anomalies {
            let j = present.partition_point(|&q| q < i);
            let g = gaussian_score((resid[j] - rmed) / mad.max(floor));
            scores[i] = 0.5 + 0.5 * g;
        }
        Ok(ShEsdResult { anomalies, scores })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_injected_spikes_in_a_seasonal_series() {
        let mut v: Vec<f64> = (0..480)
            .map(|i| {
                10.0 * ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
                    + ((i * 7919) % 11) as f64 * 0.1
            })
            .collect();
        v[100] += 15.0;
        v[300] -= 15.0;
        v[50] = f64::NAN;
        let r = ShEsd::new(ShEsdParams {
            period: 24,
            ..Default::default()
        })
        .unwrap()
        .detect(&v)
        .unwrap();
        assert_eq!(r.anomalies, vec![100, 300]);
        assert!(r.scores[50].is_nan());
        assert!(r.scores[100] >= 0.5 && r.scores[0] < 0.5);
    }

    #[test]
    fn bad_input() {
        let d = ShEsd::new(ShEsdParams::default()).unwrap();
        assert!(d.detect(&[1.0, 2.0]).is_err());
        assert!(d.detect(&[1.0, f64::INFINITY, 2.0, 3.0]).is_err());
        assert!(
            ShEsd::new(ShEsdParams {
                alpha: 0.0,
                ..Default::default()
            })
            .is_err()
        );
        // Constant series: no anomalies, no panic.
        assert!(d.detect(&[5.0; 20]).unwrap().anomalies.is_empty());
    }

    #[test]
    fn a_spike_on_a_constant_series_is_flagged() {
        // The MAD is zero: the spike is infinitely extreme, not ignored.
        let mut v = vec![50.0; 1000];
        v[500] = 150.0;
        let r = ShEsd::new(ShEsdParams::default())
            .unwrap()
            .detect(&v)
            .unwrap();
        assert_eq!(r.anomalies, vec![500]);
        assert_eq!(r.scores[500], 1.0);
        assert!(
            r.scores
                .iter()
                .enumerate()
                .all(|(i, s)| i == 500 || *s == 0.0)
        );
    }

    #[test]
    fn unflagged_scores_keep_their_order() {
        // Unflagged points are ordered by their deviation, not saturated.
        let v: Vec<f64> = (0..200).map(|i| ((i * 7919) % 101) as f64).collect();
        let r = ShEsd::new(ShEsdParams::default())
            .unwrap()
            .detect(&v)
            .unwrap();
        assert!(r.anomalies.is_empty());
        let distinct: std::collections::BTreeSet<u64> =
            r.scores.iter().map(|s| s.to_bits()).collect();
        assert!(distinct.len() > 50, "{} distinct scores", distinct.len());
        assert!(r.scores.iter().all(|s| (0.0..0.5).contains(s)));
        let (lo, hi) = (
            v.iter().position(|&x| x == 50.0).unwrap(),
            v.iter().position(|&x| x == 100.0).unwrap(),
        );
        assert!(r.scores[hi] > r.scores[lo]);
    }
}
