//! The NAB-tuned streaming ensemble.

use aiops_core::{AnomalyScore, Timestamp};

use crate::error::{Error, Result};
use crate::knn::{KnnConformity, KnnParams};
use crate::periodic::{PeriodicBaseline, PeriodicParams};
use crate::streaming::{
    RobustBaseline, RobustParams, SeasonalBaseline, SeasonalParams, StreamingDetector,
    WindowedGaussian, WindowedGaussianParams,
};

/// Parameters of [`Ensemble`]. `Default` is the configuration tuned on NAB.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EnsembleParams {
    /// The slow robust baseline (level and deviation).
    pub slow: RobustParams,
    /// The seasonal (hour-of-week) baseline.
    pub seasonal: SeasonalParams,
    /// The windowed Gaussian.
    pub window: WindowedGaussianParams,
    /// Weight of the seasonal deviation in the raw score, in [0, 1].
    pub seasonal_weight: f64,
    /// Smoothing factor of the short-term average of raw scores (0, 1].
    pub short_alpha: f64,
    /// Smoothing factor of the long-term mean and variance of raw scores (0, 1].
    pub long_alpha: f64,
    /// Points before the ensemble emits non-zero scores.
    pub warmup: u32,
    /// Score at or above which a point counts as an alert for the refractory
    /// period (see [`Ensemble::RECOMMENDED_THRESHOLD`]).
    pub alert_level: f64,
    /// Points after an alert during which scores are capped below
    /// `alert_level`, so one anomaly raises one alert.
    pub refractory: u32,
    /// Novelty gate: a score can reach `alert_level` only when the short-term
    /// raw score is at least this fraction of its decayed running peak
    /// (0 disables the gate).
    pub novelty: f64,
    /// Per-point decay factor of the running peak of the short-term raw score, in (0, 1].
    pub peak_decay: f64,
    /// The per-phase baseline of the period augurs' periodogram finds in the
    /// first points of the series.
    pub periodic: PeriodicParams,
    /// Once a period is found, the deviation from its phase slot times this
    /// weight caps `z` like the hour-of-week cap (0 disables), in [0, 100].
    pub periodic_cap: f64,
    /// Once a period is found, the deviation from its phase slot times this
    /// weight is also evidence on its own (0 disables), in [0, 100].
    pub periodic_boost: f64,
    /// Smoothing factor of a short-term average of the values whose distance
    /// from the slow level (in standard errors) is level-shift evidence, (0, 1].
    pub shift_alpha: f64,
    /// Weight of the level-shift evidence (0 disables), in [0, 100].
    pub shift_weight: f64,
    /// The k-NN non-conformity of the latest window.
    pub knn: KnnParams,
    /// Weight of the k-NN evidence `sqrt(non-conformity / its mean)`
    /// (0 disables and skips the computation), in [0, 100].
    pub knn_weight: f64,
    /// Whether the k-NN evidence comes after the seasonal caps (true) or
    /// is capped by them like the level deviations (false).
    pub knn_uncapped: bool,
    /// Spatial novelty: after warm-up, a value beyond the range of all
    /// values seen so far by more than this fraction of that range scores 1,
    /// also during the refractory period, which it restarts (0 disables), in
    /// [0, 10]. A checkpoint written before this field existed restores
    /// with 0, so it continues as it did.
    #[cfg_attr(feature = "serde", serde(default))]
    pub spatial_tolerance: f64,
    /// Points seen before spatial novelty applies (the larger of this and
    /// `warmup` is used): the range of the first points is narrow, so early
    /// values are often new without being anomalous.
    #[cfg_attr(feature = "serde", serde(default))]
    pub spatial_warmup: u32,
}

impl Default for EnsembleParams {
    fn default() -> Self {
        EnsembleParams {
            slow: RobustParams {
                alpha: 0.005,
                dev_alpha: 0.005,
                warmup: 50,
                clip: 3.0,
            },
            seasonal: SeasonalParams::default(),
            window: WindowedGaussianParams { window: 256 },
            seasonal_weight: 0.5,
            short_alpha: 0.4,
            long_alpha: 0.0005,
            warmup: 150,
            alert_level: Ensemble::RECOMMENDED_THRESHOLD,
            refractory: 150,
            novelty: 0.8,
            peak_decay: 0.999,
            periodic: PeriodicParams::default(),
            periodic_cap: 0.5,
            periodic_boost: 1.0,
            shift_alpha: 0.1,
            shift_weight: 0.0,
            knn: KnnParams::default(),
            knn_weight: 0.0,
            knn_uncapped: false,
            spatial_tolerance: 0.05,
            spatial_warmup: 150,
        }
    }
}

impl EnsembleParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        self.slow.check()?;
        self.seasonal.check()?;
        self.window.check()?;
        self.periodic.check()?;
        self.knn.check()?;
        for (name, v) in [
            ("periodic_cap", self.periodic_cap),
            ("periodic_boost", self.periodic_boost),
            ("shift_weight", self.shift_weight),
            ("knn_weight", self.knn_weight),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(Error::param(name, v, "must be in [0, 100]"));
            }
        }
        if !(0.0..=10.0).contains(&self.spatial_tolerance) {
            return Err(Error::param(
                "spatial_tolerance",
                self.spatial_tolerance,
                "must be in [0, 10]",
            ));
        }
        if !(0.0..=1.0).contains(&self.seasonal_weight) {
            return Err(Error::param(
                "seasonal_weight",
                self.seasonal_weight,
                "must be in [0, 1]",
            ));
        }
        for (name, v) in [
            ("short_alpha", self.short_alpha),
            ("long_alpha", self.long_alpha),
            ("shift_alpha", self.shift_alpha),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::param(name, v, "must be in (0, 1]"));
            }
        }
        if !(self.novelty >= 0.0 && self.novelty <= 10.0) {
            return Err(Error::param("novelty", self.novelty, "must be in [0, 10]"));
        }
        if !(self.peak_decay > 0.0 && self.peak_decay <= 1.0) {
            return Err(Error::param(
                "peak_decay",
                self.peak_decay,
                "must be in (0, 1]",
            ));
        }
        if !(self.alert_level > 0.0 && self.alert_level <= 1.0) {
            return Err(Error::param(
                "alert_level",
                self.alert_level,
                "must be in (0, 1]",
            ));
        }
        Ok(self)
    }
}

/// The streaming ensemble tuned on NAB.
///
/// Per point it measures the deviation `z` of the value from a slow robust
/// baseline and from a windowed Gaussian, takes the larger, and caps it by the
/// (weighted) deviation from the hour-of-week seasonal baseline once that is
/// trained, so a value that is usual for its hour of the week is not flagged.
/// When augurs' periodogram finds a season in the first 600 points
/// ([`PeriodicBaseline`]), the deviation from that period's phase slot also
/// caps `z` (weighted by `periodic_cap`) and is evidence on its own (weighted
/// by `periodic_boost`), so a missing daily peak is flagged even inside the
/// usual range. The raw score is `log(1 + z)`. It then compares a short-term average of raw scores with their
/// long-term distribution (an anomaly likelihood, as in Numenta's detector);
/// and maps that to [0, 1] with the Gaussian CDF. A score can reach
/// `alert_level` only when the short-term raw score is at least `novelty`
/// times its decayed running peak, so a series whose spikes are routine does
/// not alert on each one. After a score reaches
/// `alert_level`, scores are capped just below it for `refractory` points so a
/// single anomaly raises a single alert.
///
/// Spatial novelty overrides all of that: after warm-up, a value outside the
/// range of every value seen so far, widened by `spatial_tolerance` (5%) of
/// its width on each side, scores 1 and restarts the refractory period (the
/// spatial-anomaly rule Numenta added to its NAB detector). Deviation scores
/// adapt to a new level within a few points; a value the series has never
/// reached is evidence that does not. The range is of all values since the
/// start (two numbers of state), so it only widens, but by at most its own
/// width per point: one glitch (a 1e300, a counter reset read as 1.8e19)
/// widens it once instead of hiding every later spike, while a lasting move
/// still widens it geometrically. A metric that keeps growing alerts each
/// time it passes its record by the tolerance (set `spatial_tolerance` to 0
/// for such metrics). A glitch among the very first values, before the range
/// has a width, still widens it to the glitch.
///
/// Warm-up: the first `warmup` points (150 by default) score 0 (a score per
/// point is still returned, as NAB needs; they are not missing). The
/// periodic part joins once its buffer is full (600 points), and spatial
/// novelty starts after `max(warmup, spatial_warmup)` points (150 by
/// default): before a slow cycle has completed once (a daily cycle of
/// 5-minute points is 288), its new extremes are values beyond the range seen
/// so far and score 1. That is inherent to the rule; for live series raise
/// `spatial_warmup` (the `aiops` orchestrator uses 600).
///
/// A missing point (NaN or infinite) returns `None` and leaves the state
/// unchanged. State: under 9 KiB per series ([`StreamingDetector::state_bytes`],
/// which counts the periodic part at its bound).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ensemble {
    params: EnsembleParams,
    slow: RobustBaseline,
    seasonal: SeasonalBaseline,
    window: WindowedGaussian,
    periodic: PeriodicBaseline,
    knn: Option<KnnConformity>,
    shift: f64,
    short: f64,
    long_mean: f64,
    long_var: f64,
    n: u32,
    since_alert: u32,
    peak: f64,
    /// Smallest and largest value seen (spatial novelty).
    #[cfg_attr(feature = "serde", serde(default))]
    min: f64,
    #[cfg_attr(feature = "serde", serde(default))]
    max: f64,
}

impl Ensemble {
    /// The recommended alerting threshold: alert when `update` returns a
    /// score `>=` this value. It is the level the refractory logic keys on.
    pub const RECOMMENDED_THRESHOLD: f64 = 0.995;

    /// An ensemble with validated parameters.
    pub fn new(params: EnsembleParams) -> Result<Self> {
        let p = params.check()?;
        Ok(Ensemble {
            params: p,
            slow: RobustBaseline::new(p.slow)?,
            seasonal: SeasonalBaseline::new(p.seasonal)?,
            window: WindowedGaussian::new(p.window)?,
            periodic: PeriodicBaseline::new(p.periodic)?,
            knn: if p.knn_weight > 0.0 {
                Some(KnnConformity::new(p.knn)?)
            } else {
                None
            },
            shift: 0.0,
            short: 0.0,
            long_mean: 0.0,
            long_var: 0.0,
            n: 0,
            since_alert: u32::MAX,
            peak: 0.0,
            min: 0.0,
            max: 0.0,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &EnsembleParams {
        &self.params
    }

    /// Scores `x` at `t` and learns it; `None` for a missing point (NaN or
    /// infinite `x`), which leaves the state unchanged.
    pub fn update(&mut self, t: Timestamp, x: f64) -> Option<AnomalyScore> {
        if !x.is_finite() {
            return None;
        }
        let p = &self.params;
        // Level-shift evidence: a short average of the values against the
        // slow level, in standard errors of that average.
        let z_shift = if p.shift_weight > 0.0 {
            let (level, sigma) = (self.slow.level(), self.slow.sigma());
            if self.n == 0 {
                self.shift = x;
            } else {
                self.shift += p.shift_alpha * (x - self.shift);
            }
            let se = sigma * (p.shift_alpha / (2.0 - p.shift_alpha)).sqrt();
            if self.n > p.slow.warmup {
                (self.shift - level).abs() / se.max(1e-9 * (1.0 + level.abs())) * p.shift_weight
            } else {
                0.0
            }
        } else {
            0.0
        };
        let z_per = if p.periodic_cap > 0.0 || p.periodic_boost > 0.0 {
            self.periodic.z_update(x)
        } else {
            None
        };
        let z_knn = match &mut self.knn {
            Some(k) => k.update(x).map_or(0.0, |r| r.sqrt() * p.knn_weight),
            None => 0.0,
        };
        let spatial = if p.spatial_tolerance > 0.0
            && self.n >= p.warmup.max(p.spatial_warmup)
            && self.max > self.min
        {
            let tol = (self.max - self.min) * p.spatial_tolerance;
            x > self.max + tol || x < self.min - tol
        } else {
            false
        };
        if self.n == 0 {
            (self.min, self.max) = (x, x);
        } else if self.max > self.min {
            // One point widens the range by at most its width, so a single
            // glitch (a counter reset read as 1.8e19, a 1e300) cannot hide
            // every later spike; a lasting move still widens it geometrically.
            let w = self.max - self.min;
            self.min = self.min.min(x.max(self.min - w));
            self.max = self.max.max(x.min(self.max + w));
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        let z_slow = self.slow.z_update(x);
        let z_win = self.window.z_update(x);
        let z_sea = self.seasonal.z_update(t, x);
        // Deviant from the recent level or window, and (once it is trained)
        // from the same hour of the week.
        // A zero seasonal deviation (a flat slot) carries no information.
        let seasonal_cap = match z_sea {
            Some(z) if z > 0.0 => z * p.seasonal_weight,
            _ => f64::MAX,
        };
        let (periodic_cap, periodic_boost) = match z_per {
            Some(z) => (
                if p.periodic_cap > 0.0 && z > 0.0 {
                    z * p.periodic_cap
                } else {
                    f64::MAX
                },
                z * p.periodic_boost,
            ),
            None => (f64::MAX, 0.0),
        };
        let (knn_capped, knn_uncapped) = if p.knn_uncapped {
            (0.0, z_knn)
        } else {
            (z_knn, 0.0)
        };
        let z = z_slow
            .max(z_win)
            .max(z_shift)
            .max(knn_capped)
            .min(seasonal_cap)
            .min(periodic_cap)
            .max(periodic_boost)
            .max(knn_uncapped)
            .min(1e6);
        let raw = z.ln_1p();
        self.short += p.short_alpha * (raw - self.short);
        let std = self.long_var.sqrt().max(1e-3);
        let lz = (self.short - self.long_mean) / std;
        // Learn the long-term distribution after scoring.
        let a = p.long_alpha.max(1.0 / (self.n as f64 + 1.0));
        let d = raw - self.long_mean;
        self.long_mean += a * d;
        self.long_var = (1.0 - a) * (self.long_var + a * d * d);
        self.n = self.n.saturating_add(1);
        let novel = self.short >= p.novelty * self.peak;
        self.peak = (self.peak * p.peak_decay).max(self.short);
        if self.n <= p.warmup {
            return Some(AnomalyScore::ZERO);
        }
        let mut score = 0.5 * statrs::function::erf::erfc(-lz * std::f64::consts::FRAC_1_SQRT_2);
        if !novel {
            score = score.min(p.alert_level) * 0.5;
        }
        if spatial {
            // A value beyond everything seen is an alert of its own, also
            // inside the refractory period of an earlier one.
            score = 1.0;
            self.since_alert = 0;
        } else if self.since_alert < p.refractory {
            self.since_alert += 1;
            score = score.min(p.alert_level) * 0.5;
        } else if score >= p.alert_level {
            self.since_alert = 0;
        }
        Some(AnomalyScore::saturating(score))
    }
}

impl Default for Ensemble {
    fn default() -> Self {
        let p = EnsembleParams::default();
        Ensemble {
            params: p,
            slow: RobustBaseline::default(),
            seasonal: SeasonalBaseline::default(),
            window: WindowedGaussian::default(),
            periodic: PeriodicBaseline::default(),
            knn: None,
            shift: 0.0,
            short: 0.0,
            long_mean: 0.0,
            long_var: 0.0,
            n: 0,
            since_alert: u32::MAX,
            peak: 0.0,
            min: 0.0,
            max: 0.0,
        }
        .with_params_unchecked(p)
    }
}

impl Ensemble {
    fn with_params_unchecked(self, p: EnsembleParams) -> Self {
        // The default parameters are valid; rebuild the parts from them.
        match Ensemble::new(p) {
            Ok(e) => e,
            Err(_) => self,
        }
    }
}

impl StreamingDetector for Ensemble {
    fn update(&mut self, t: Timestamp, x: f64) -> Option<AnomalyScore> {
        Ensemble::update(self, t, x)
    }

    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            - std::mem::size_of::<SeasonalBaseline>()
            - std::mem::size_of::<WindowedGaussian>()
            - std::mem::size_of::<PeriodicBaseline>()
            + self.seasonal.state_bytes()
            + self.window.state_bytes()
            // The periodic part's bound: its buffer is freed and its phase
            // slots allocated when the period is detected.
            + self.periodic.max_state_bytes()
            + self.knn.as_ref().map_or(0, |k| {
                k.state_bytes() - std::mem::size_of::<KnnConformity>()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(i: usize) -> Timestamp {
        Timestamp::from_secs(1_400_000_000 + 300 * i as i64)
    }

    /// Uniform noise in [10, 11] for `n` points (xorshift, seeded: no season
    /// for the periodic part to find).
    fn feed(e: &mut Ensemble, n: usize) {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = 10.0 + (state >> 11) as f64 / (1u64 << 53) as f64;
            e.update(ts(i), x);
        }
    }

    #[test]
    fn a_value_beyond_the_seen_range_scores_one() {
        let mut e = Ensemble::default();
        feed(&mut e, 2000);
        // Inside the range: not a spatial anomaly.
        let inside = e.update(ts(2000), 10.5).map(AnomalyScore::get);
        assert!(inside.is_some_and(|s| s < 1.0), "{inside:?}");
        // Beyond max + 5% of the range [10, 11]: 11.1 is, 11.04 is not.
        let mut near = e.clone();
        let s = near.update(ts(2001), 11.04).map(AnomalyScore::get);
        assert!(s.is_some_and(|s| s < 1.0), "{s:?}");
        let s = e.update(ts(2001), 11.1).map(AnomalyScore::get);
        assert_eq!(s, Some(1.0));
        // The range has grown to 11.1: the same value is no longer novel,
        // but a further one is, even inside the refractory period it opened.
        let s = e.update(ts(2002), 11.1).map(AnomalyScore::get);
        assert!(
            s.is_some_and(|s| s < Ensemble::RECOMMENDED_THRESHOLD),
            "{s:?}"
        );
        let s = e.update(ts(2003), 9.0).map(AnomalyScore::get);
        assert_eq!(s, Some(1.0));
    }

    #[test]
    fn one_glitch_does_not_hide_a_later_spike() {
        // A daily sinusoid of 5-minute points around 100 (+-20), one glitch,
        // and a spike to 200 at point 1800: the spike is still beyond the
        // range, which the glitch widened by one width only.
        for (at, glitch) in [(700, 1e300), (700, -1e308), (700, f64::MAX), (5, 1e19)] {
            let mut e = Ensemble::default();
            let mut last = None;
            for i in 0..1801 {
                let x = match i {
                    _ if i == at => glitch,
                    1800 => 200.0,
                    _ => 100.0 + 20.0 * (std::f64::consts::TAU * i as f64 / 288.0).sin(),
                };
                let s = e.update(ts(i), x).map(AnomalyScore::get);
                assert!(
                    s.is_some_and(|s| (0.0..=1.0).contains(&s)),
                    "{glitch} at {i}: {s:?}"
                );
                last = s;
            }
            assert_eq!(last, Some(1.0), "glitch {glitch} at {at}");
        }
    }

    #[test]
    fn spatial_novelty_waits_for_warm_up_and_can_be_disabled() {
        let mut e = Ensemble::default();
        feed(&mut e, 20);
        // During warm-up every score is 0, however far out the value.
        assert_eq!(e.update(ts(20), 1e6), Some(AnomalyScore::ZERO));
        // With a longer spatial warm-up, a new extreme at point 300 is not
        // yet an alert by itself; after it, one is.
        let p = EnsembleParams {
            spatial_warmup: 400,
            ..Default::default()
        };
        let mut late = Ensemble::new(p).unwrap();
        feed(&mut late, 300);
        let s = late.update(ts(300), 11.1).map(AnomalyScore::get);
        assert!(s.is_some_and(|s| s < 1.0), "{s:?}");
        let mut late = Ensemble::new(p).unwrap();
        feed(&mut late, 400);
        assert_eq!(late.update(ts(400), 11.1).map(AnomalyScore::get), Some(1.0));
        let mut off = Ensemble::new(EnsembleParams {
            spatial_tolerance: 0.0,
            ..Default::default()
        })
        .unwrap();
        feed(&mut off, 2000);
        // Without spatial novelty, a point just past the range is not an
        // alert by itself (the deviation is about 1 sigma).
        let s = off.update(ts(2000), 11.1).map(AnomalyScore::get);
        assert!(s.is_some_and(|s| s < 1.0), "{s:?}");
    }

    #[test]
    fn missing_points_leave_the_state_alone() {
        let mut e = Ensemble::default();
        feed(&mut e, 1000);
        let before = e.clone();
        assert_eq!(e.update(ts(1000), f64::NAN), None);
        assert_eq!(e.update(ts(1000), f64::NEG_INFINITY), None);
        assert_eq!(e, before);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn a_checkpoint_without_the_spatial_fields_restores_with_spatial_novelty_off() {
        let mut e = Ensemble::default();
        feed(&mut e, 1000);
        let mut v = serde_json::to_value(&e).unwrap();
        for (obj, key) in [
            ("params", "spatial_tolerance"),
            ("params", "spatial_warmup"),
            ("", "min"),
            ("", "max"),
        ] {
            let o = if obj.is_empty() { &mut v } else { &mut v[obj] };
            assert!(o.as_object_mut().unwrap().remove(key).is_some(), "{key}");
        }
        let mut old: Ensemble = serde_json::from_value(v).unwrap();
        assert_eq!(old.params().spatial_tolerance, 0.0);
        let s = old.update(ts(1000), 11.1).map(AnomalyScore::get);
        assert!(s.is_some_and(|s| s < 1.0), "{s:?}");
        assert_eq!(e.update(ts(1000), 11.1).map(AnomalyScore::get), Some(1.0));
    }

    #[test]
    fn bad_spatial_tolerance_is_rejected() {
        for v in [-0.1, 11.0, f64::NAN] {
            let p = EnsembleParams {
                spatial_tolerance: v,
                ..Default::default()
            };
            assert!(Ensemble::new(p).is_err(), "{v}");
        }
    }
}
