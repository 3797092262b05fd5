//! Streaming detectors for one metric: one point at a time, bounded state.
//!
//! Every detector implements [`StreamingDetector`]: `update(t, x)` returns
//! `Some(score)` with a score in [0, 1] (higher = more anomalous), or `None`
//! when `x` is a missing point (NaN or infinite). A missing point is reported
//! as missing: it is neither scored as normal nor learned from, and the state
//! is left unchanged. Timestamps only select seasonal slots; they are not
//! required to increase (a repeated or earlier timestamp is scored like any
//! other point).
//!
//! Every detector has a warm-up during which `update` returns `Some(0)`
//! (a score, so that every row has one, as NAB needs; not a missing point):
//! [`RobustBaseline`] its first [`RobustParams::warmup`] points (30),
//! [`WindowedGaussian`] its first [`WindowedGaussian::MIN_POINTS`] (10),
//! [`SeasonalBaseline`] each hour of the day until that hour has
//! [`SeasonalParams::min_count`] points (6), and
//! [`Ensemble`](crate::Ensemble) its first `warmup` points (150).
//!
//! State is plain data (`Clone`, serde behind the `serde` feature), so a
//! checkpointed detector restored later continues exactly as the original.

use aiops_core::{AnomalyScore, Timestamp};

use crate::error::{Error, Result};

/// A detector that scores one point at a time with bounded state.
pub trait StreamingDetector {
    /// Scores `x` observed at `t`, then learns from it. Returns `None` for a
    /// missing point (`x` NaN or infinite), which leaves the state unchanged.
    fn update(&mut self, t: Timestamp, x: f64) -> Option<AnomalyScore>;

    /// Bytes of memory this detector keeps per series (inline and on the heap).
    fn state_bytes(&self) -> usize;

    /// Scores a whole series into `out` (cleared first); a missing point is
    /// written as NaN.
    fn score_into(&mut self, timestamps: &[Timestamp], values: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.reserve(values.len());
        for (t, x) in timestamps.iter().zip(values) {
            out.push(self.update(*t, *x).map_or(f64::NAN, AnomalyScore::get));
        }
    }

    /// Scores a whole series; a missing point is NaN.
    fn score_series(&mut self, timestamps: &[Timestamp], values: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        self.score_into(timestamps, values, &mut out);
        out
    }
}

/// Two-sided Gaussian probability of a deviation of `z` standard deviations:
/// `erf(|z| / sqrt(2))`, in [0, 1].
pub fn gaussian_score(z: f64) -> f64 {
    if z.is_nan() {
        return 0.0;
    }
    statrs::function::erf::erf(z.abs() * std::f64::consts::FRAC_1_SQRT_2).clamp(0.0, 1.0)
}

fn check_unit(name: &'static str, v: f64) -> Result<()> {
    if v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(Error::param(name, v, "must be in (0, 1]"))
    }
}

/// Parameters of [`RobustBaseline`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustParams {
    /// Smoothing factor of the exponentially weighted level (0, 1].
    pub alpha: f64,
    /// Smoothing factor of the exponentially weighted absolute deviation (0, 1].
    pub dev_alpha: f64,
    /// Warm-up: the first `warmup` points score 0 (default 30); the level and
    /// deviation start from their median and deviation around it.
    pub warmup: u32,
    /// Deviations (in sigmas) beyond which a point, after warm-up, moves the
    /// level only as far as this bound, and the deviation estimate as far as
    /// three times it (Huber clipping, a winsorized EWMA), so single spikes
    /// do not drag the baseline or blind it.
    pub clip: f64,
}

impl Default for RobustParams {
    fn default() -> Self {
        RobustParams {
            alpha: 0.02,
            dev_alpha: 0.02,
            warmup: 30,
            clip: 3.0,
        }
    }
}

impl RobustParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        check_unit("alpha", self.alpha)?;
        check_unit("dev_alpha", self.dev_alpha)?;
        if self.clip.is_nan() || self.clip <= 0.0 {
            return Err(Error::param("clip", self.clip, "must be > 0"));
        }
        Ok(self)
    }
}

/// How many times `clip` the deviation estimate of [`RobustBaseline`] learns
/// from: wider than the level's bound, so a lasting change widens the
/// deviation about as fast as without clipping (clipping it at `clip` lost
/// a labelled window of the main example's NAB check), yet bounded, so one
/// huge value cannot blind the detector.
const DEV_CLIP: f64 = 3.0;

/// Robust baseline: an exponentially weighted level with an adaptive,
/// exponentially weighted mean absolute deviation (scaled to a standard
/// deviation by sqrt(pi/2)); after warm-up, the deviation a point is learned
/// from is clipped to `clip` sigmas, `3 * clip` for the deviation (see
/// [`RobustBaseline::z_update`]), so one
/// outlier, however large, neither drags the level nor inflates the deviation
/// enough to hide a later anomaly. Score: [`gaussian_score`] of the deviation
/// from the level.
///
/// Warm-up: the first [`RobustParams::warmup`] points (30 by default) score
/// 0 (a score per point is still returned); they are kept, and the level and
/// deviation start from their median and winsorized deviation when warm-up
/// ends, so one glitch among them neither drags nor blinds the baseline.
/// 80 bytes of state after warm-up (plus the warm-up points during it).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustBaseline {
    params: RobustParams,
    level: f64,
    dev: f64,
    n: u32,
    /// The warm-up points, kept until warm-up ends (then empty). A
    /// checkpoint written before this field existed restores with none.
    #[cfg_attr(feature = "serde", serde(default))]
    warm: Vec<f64>,
}

/// sqrt(pi / 2): mean absolute deviation to standard deviation for a Gaussian.
pub(crate) const MAD_TO_SIGMA: f64 = 1.253_314_137_315_500_3;

impl RobustBaseline {
    /// A baseline with validated parameters.
    pub fn new(params: RobustParams) -> Result<Self> {
        Ok(RobustBaseline {
            params: params.check()?,
            level: 0.0,
            dev: 0.0,
            n: 0,
            warm: Vec::new(),
        })
    }

    /// The deviation of `x` from the level in standard deviations (0 during
    /// warm-up), then learns `x`. `x` must be finite.
    ///
    /// After warm-up the deviation a point is learned from is clipped (a
    /// winsorized EWMA): to `clip` standard deviations for the level, to
    /// `3 * clip` for the deviation estimate. One outlier moves the level by
    /// at most `alpha * clip` sigmas and grows the deviation by at most a
    /// factor `1 + dev_alpha * (3 * clip * sqrt(pi/2) - 1)` (1.21 with the
    /// defaults), however far out it is,
    /// while a lasting level shift still widens the deviation geometrically
    /// until it is absorbed. Warm-up points are only kept; when warm-up
    /// ends, the level starts at their median and
    /// the deviation at their mean absolute deviation from it with the
    /// largest one winsorized to the next, so one glitch among the first
    /// points does not blind the baseline either (winsorizing more, at the
    /// 90th percentile, lost a labelled window of the main example's check).
    pub fn z_update(&mut self, x: f64) -> f64 {
        if self.n < self.params.warmup {
            self.warm.push(x);
            self.n += 1;
            return 0.0;
        }
        if !self.warm.is_empty() {
            self.start_from_warm_up();
        } else if self.n == 0 {
            // No warm-up (`warmup` 0): the first point is the level.
            self.level = x;
            self.dev = 0.0;
            self.n = 1;
            return 0.0;
        }
        let sigma = (self.dev * MAD_TO_SIGMA).min(f64::MAX);
        let floor = 1e-9 * (1.0 + self.level.abs());
        // `x - level` overflows only for values near f64::MAX of opposite
        // signs; keep it finite so the state stays finite.
        let diff = (x - self.level).clamp(-f64::MAX, f64::MAX);
        let z = diff.abs() / sigma.max(floor);
        let p = &self.params;
        // The level learns the deviation clipped to `clip` sigmas, the
        // deviation estimate to `DEV_CLIP * clip` sigmas.
        let clipped = |k: f64| {
            let bound = (k * p.clip * sigma.max(floor)).min(f64::MAX);
            // A NaN bound would make `clamp` panic; the state is finite, but
            // never let that reach it.
            if bound.is_nan() {
                0.0
            } else {
                diff.clamp(-bound, bound)
            }
        };
        let step = clipped(1.0);
        let dev_step = clipped(DEV_CLIP);
        let a = p.alpha.max(1.0 / (self.n as f64 + 1.0));
        let b = p.dev_alpha.max(1.0 / (self.n as f64 + 1.0));
        // Both updates are convex combinations of finite numbers: no overflow.
        self.level += a * step;
        self.dev += b * (dev_step.abs() - self.dev);
        self.n = self.n.saturating_add(1);
        z
    }

    /// Sets level and deviation from the warm-up points (see
    /// [`RobustBaseline::z_update`]) and frees them.
    fn start_from_warm_up(&mut self) {
        let mut v = std::mem::take(&mut self.warm);
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            v[mid - 1] / 2.0 + v[mid] / 2.0
        };
        let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs().min(f64::MAX)).collect();
        dev.sort_by(f64::total_cmp);
        // One glitch: the largest deviation counts as the second largest.
        let cap = dev[dev.len().saturating_sub(2)];
        self.level = median;
        self.dev = dev.iter().map(|d| d.min(cap) / dev.len() as f64).sum();
    }

    /// The current level (0 during warm-up).
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The current standard deviation estimate (0 during warm-up).
    pub fn sigma(&self) -> f64 {
        self.dev * MAD_TO_SIGMA
    }
}

impl Default for RobustBaseline {
    fn default() -> Self {
        RobustBaseline {
            params: RobustParams::default(),
            level: 0.0,
            dev: 0.0,
            n: 0,
            warm: Vec::new(),
        }
    }
}

impl StreamingDetector for RobustBaseline {
    fn update(&mut self, _t: Timestamp, x: f64) -> Option<AnomalyScore> {
        if !x.is_finite() {
            return None;
        }
        Some(AnomalyScore::saturating(gaussian_score(self.z_update(x))))
    }

    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + 8 * self.warm.capacity()
    }
}

/// Number of hour-of-week slots.
pub const WEEK_SLOTS: usize = 168;

/// Hour of the week of `t` in UTC, Monday 00:00 = 0.
pub fn hour_of_week(t: Timestamp) -> usize {
    // 1970-01-01 was a Thursday: 72 hours after a Monday 00:00.
    ((t.as_millis().div_euclid(3_600_000) + 72).rem_euclid(168)) as usize
}

/// Parameters of [`SeasonalBaseline`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeasonalParams {
    /// Smoothing factor of each slot's level and deviation (0, 1].
    pub alpha: f64,
    /// Observations a weekly slot needs before it is used; until then the
    /// hour-of-day slot is used, and until that has as many, the score is 0.
    pub min_count: u32,
}

impl Default for SeasonalParams {
    fn default() -> Self {
        SeasonalParams {
            alpha: 0.1,
            min_count: 6,
        }
    }
}

impl SeasonalParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        check_unit("alpha", self.alpha)?;
        Ok(self)
    }
}

/// One learned slot: level, mean absolute deviation, count (the seasonal
/// baseline's hour-of-week slots and the periodic baseline's phase slots).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Slot {
    level: f32,
    dev: f32,
    pub(crate) n: u32,
}

impl Slot {
    pub(crate) fn z(&self, x: f64, floor: f64) -> f64 {
        (x - self.level as f64).abs() / (self.dev as f64 * MAD_TO_SIGMA).max(floor)
    }

    pub(crate) fn learn(&mut self, x: f64, alpha: f64) {
        if self.n == 0 {
            self.level = x as f32;
            self.dev = 0.0;
        } else {
            let a = alpha.max(1.0 / (self.n as f64 + 1.0));
            let diff = x - self.level as f64;
            self.level = (self.level as f64 + a * diff) as f32;
            self.dev = (self.dev as f64 + a * (diff.abs() - self.dev as f64)) as f32;
        }
        self.n = self.n.saturating_add(1);
    }
}

/// Seasonal baseline learned online: a level and deviation per hour of the
/// week (168 slots) and per hour of the day (24 slots, used while the weekly
/// slot is young). Score: [`gaussian_score`] of the deviation from the slot.
///
/// Warm-up: a point scores 0 until its hour of the day has seen
/// [`SeasonalParams::min_count`] points (6 by default: the first 6 points of
/// each hour of the first day for 5-minute data, the first 6 days for hourly
/// data). About 2.3 KiB of state.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeasonalBaseline {
    params: SeasonalParams,
    week: Vec<Slot>,
    day: Vec<Slot>,
}

impl SeasonalBaseline {
    /// A seasonal baseline with validated parameters.
    pub fn new(params: SeasonalParams) -> Result<Self> {
        Ok(SeasonalBaseline {
            params: params.check()?,
            week: vec![Slot::default(); WEEK_SLOTS],
            day: vec![Slot::default(); 24],
        })
    }

    /// The deviation of `x` from its slot in standard deviations (`None` while
    /// neither slot is trained), then learns `x`. `x` must be finite.
    pub fn z_update(&mut self, t: Timestamp, x: f64) -> Option<f64> {
        let h = hour_of_week(t);
        let floor = 1e-6 * (1.0 + x.abs());
        let min = self.params.min_count;
        let (w, d) = (&mut self.week[h], &mut self.day[h % 24]);
        let z = if w.n >= min {
            Some(w.z(x, floor))
        } else if d.n >= min {
            Some(d.z(x, floor))
        } else {
            None
        };
        w.learn(x, self.params.alpha);
        d.learn(x, self.params.alpha);
        z
    }
}

impl Default for SeasonalBaseline {
    fn default() -> Self {
        SeasonalBaseline {
            params: SeasonalParams::default(),
            week: vec![Slot::default(); WEEK_SLOTS],
            day: vec![Slot::default(); 24],
        }
    }
}

impl StreamingDetector for SeasonalBaseline {
    fn update(&mut self, t: Timestamp, x: f64) -> Option<AnomalyScore> {
        if !x.is_finite() {
            return None;
        }
        let z = self.z_update(t, x).unwrap_or(0.0);
        Some(AnomalyScore::saturating(gaussian_score(z)))
    }

    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + (self.week.capacity() + self.day.capacity()) * std::mem::size_of::<Slot>()
    }
}

/// Parameters of [`WindowedGaussian`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowedGaussianParams {
    /// Number of past points the mean and deviation are computed over (>= 2).
    pub window: usize,
}

impl Default for WindowedGaussianParams {
    fn default() -> Self {
        WindowedGaussianParams { window: 512 }
    }
}

impl WindowedGaussianParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        if self.window < 2 || self.window > 1 << 20 {
            return Err(Error::param("window", self.window, "must be in [2, 2^20]"));
        }
        Ok(self)
    }
}

/// Windowed Gaussian (NAB's baseline): the mean and standard deviation of the
/// last `window` points; score: [`gaussian_score`] of the new point's
/// deviation.
///
/// Warm-up: the first [`WindowedGaussian::MIN_POINTS`] points (10) score 0
/// (a score per point is still returned).
///
/// The mean and deviation come from running sums of the values and their
/// squares, recomputed exactly from the window every `window` points, when
/// they lost precision (the sum of squares fell below a millionth of its
/// peak since the last recomputation: a large value left the window) and
/// when they overflowed (a value beyond about 1e154 is in the window, whose
/// moments are then computed from the window, scaled so they stay finite).
/// So one huge value affects the scores only while it is in the window.
/// State: `8 * window` bytes plus 72.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowedGaussian {
    buf: Vec<f64>,
    window: usize,
    head: usize,
    len: usize,
    sum: f64,
    sum_sq: f64,
    since_refresh: usize,
    /// Largest `sum_sq` since the last exact recomputation (a checkpoint
    /// written before this field existed restores with 0 and starts
    /// tracking from there).
    #[cfg_attr(feature = "serde", serde(default))]
    peak_sq: f64,
}

impl WindowedGaussian {
    /// A windowed Gaussian with validated parameters.
    pub fn new(params: WindowedGaussianParams) -> Result<Self> {
        let p = params.check()?;
        Ok(WindowedGaussian {
            buf: Vec::with_capacity(p.window),
            window: p.window,
            head: 0,
            len: 0,
            sum: 0.0,
            sum_sq: 0.0,
            since_refresh: 0,
            peak_sq: 0.0,
        })
    }

    /// The mean and standard deviation of the window (at least 2 points).
    fn moments(&self) -> (f64, f64) {
        let n = self.len as f64;
        if self.sum_sq >= 0.0 {
            // sum^2 / n <= sum_sq (Cauchy-Schwarz): no overflow.
            let mean = self.sum / n;
            let var = ((self.sum_sq - self.sum * mean) / (n - 1.0)).max(0.0);
            return (mean, var.sqrt());
        }
        // A value beyond about 1e154 is in the window: its square overflows.
        // Two passes, scaled by the largest deviation, stay finite.
        let vals = &self.buf[..self.len];
        let mean: f64 = vals.iter().map(|v| v / n).sum();
        let dev = |v: &f64| (v - mean).clamp(-f64::MAX, f64::MAX);
        let m = vals.iter().map(|v| dev(v).abs()).fold(0.0, f64::max);
        if m == 0.0 {
            return (mean, 0.0);
        }
        let ss: f64 = vals.iter().map(|v| (dev(v) / m).powi(2)).sum();
        (mean, m * (ss / (n - 1.0)).sqrt())
    }

    /// Recomputes the running sums from the window.
    fn refresh(&mut self) {
        let vals = &self.buf[..self.len];
        self.sum = vals.iter().sum();
        self.sum_sq = vals.iter().map(|v| v * v).sum();
        self.since_refresh = 0;
        if !(self.sum.is_finite() && self.sum_sq.is_finite()) {
            // Overflow: mark the sums unusable (-1) rather than storing an
            // infinity, so the state stays finite (and serialisable).
            self.sum = 0.0;
            self.sum_sq = -1.0;
        }
        self.peak_sq = self.sum_sq.max(0.0);
    }

    /// The deviation of `x` from the window in standard deviations (0 until
    /// the window holds 2 points), then learns `x`. `x` must be finite.
    pub fn z_update(&mut self, x: f64) -> f64 {
        let z = if self.len >= 2 {
            let (mean, sd) = self.moments();
            let floor = 1e-9 * (1.0 + mean.abs());
            (x - mean).abs() / sd.max(floor)
        } else {
            0.0
        };
        // Negative sums of squares mark an overflowed window (see `refresh`).
        let overflowed = self.sum_sq < 0.0;
        if self.len < self.window {
            self.buf.push(x);
            self.len += 1;
            self.sum += x;
            self.sum_sq += x * x;
        } else {
            let old = self.buf[self.head];
            self.buf[self.head] = x;
            self.head = (self.head + 1) % self.window;
            self.sum += x - old;
            self.sum_sq += x * x - old * old;
            self.since_refresh += 1;
        }
        self.peak_sq = self.peak_sq.max(self.sum_sq);
        if overflowed
            || self.since_refresh >= self.window
            || !self.sum.is_finite()
            || !self.sum_sq.is_finite()
            || self.sum_sq < self.peak_sq * 1e-6
        {
            self.refresh();
        }
        z
    }
}

impl Default for WindowedGaussian {
    fn default() -> Self {
        let window = WindowedGaussianParams::default().window;
        WindowedGaussian {
            buf: Vec::with_capacity(window),
            window,
            head: 0,
            len: 0,
            sum: 0.0,
            sum_sq: 0.0,
            since_refresh: 0,
            peak_sq: 0.0,
        }
    }
}

impl WindowedGaussian {
    /// Points the window must hold before [`StreamingDetector::update`]
    /// scores above 0: a deviation of two or three points says nothing.
    pub const MIN_POINTS: usize = 10;
}

impl StreamingDetector for WindowedGaussian {
    fn update(&mut self, _t: Timestamp, x: f64) -> Option<AnomalyScore> {
        if !x.is_finite() {
            return None;
        }
        let ready = self.len >= Self::MIN_POINTS.min(self.window);
        let z = self.z_update(x);
        Some(if ready {
            AnomalyScore::saturating(gaussian_score(z))
        } else {
            AnomalyScore::ZERO
        })
    }

    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.buf.capacity() * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_of_week_starts_monday() {
        // 2014-01-06 was a Monday.
        let t = Timestamp::parse("2014-01-06 00:30:00").unwrap();
        assert_eq!(hour_of_week(t), 0);
        let t = Timestamp::parse("2014-01-05 23:00:00").unwrap();
        assert_eq!(hour_of_week(t), 167);
    }

    fn series(n: usize) -> (Vec<Timestamp>, Vec<f64>) {
        let ts = (0..n as i64)
            .map(|i| Timestamp::from_secs(1_400_000_000 + i * 300))
            .collect();
        let vs = (0..n)
            .map(|i| 10.0 + ((i * 7919) % 13) as f64 * 0.1)
            .collect();
        (ts, vs)
    }

    fn spike_scores_high<D: StreamingDetector>(mut d: D) {
        let (ts, mut vs) = series(3000);
        vs[2900] = 100.0;
        let s = d.score_series(&ts, &vs);
        let normal_max = s[2000..2900].iter().cloned().fold(0.0, f64::max);
        assert!(s[2900] > 0.999, "spike {}", s[2900]);
        assert!(s[2900] > normal_max, "{} vs {normal_max}", s[2900]);
        assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn detectors_flag_a_spike() {
        spike_scores_high(RobustBaseline::default());
        spike_scores_high(SeasonalBaseline::default());
        spike_scores_high(WindowedGaussian::default());
    }

    /// The reported series: a daily sinusoid of 5-minute points around 50,
    /// `outlier` at row 1500 and a 10x spike (500) at row 3000.
    fn after_outlier(outlier: f64) -> (Vec<Timestamp>, Vec<f64>) {
        let ts = (0..4000)
            .map(|i| Timestamp::from_secs(1_400_000_000 + i * 300))
            .collect();
        let mut vs: Vec<f64> = (0..4000)
            .map(|i| 50.0 + 5.0 * (std::f64::consts::TAU * i as f64 / 288.0).sin())
            .collect();
        vs[1500] = outlier;
        vs[3000] = 500.0;
        (ts, vs)
    }

    #[test]
    fn one_huge_value_does_not_blind_the_robust_baseline() {
        let (ts, clean) = after_outlier(50.0);
        let mut c = RobustBaseline::default();
        let base = c.score_series(&ts, &clean);
        let clean_sigma = c.sigma();
        for big in [1e6, 1e200, 1e308, -1e308, f64::MAX, f64::MIN] {
            let (ts, vs) = after_outlier(big);
            let mut d = RobustBaseline::default();
            let s = d.score_series(&ts, &vs);
            assert!(s.iter().all(|v| (0.0..=1.0).contains(v)), "{big}");
            assert!(s[1500] > 0.999, "{big}: outlier {}", s[1500]);
            assert!(s[3000] > 0.999, "{big}: later spike {}", s[3000]);
            // The level moved by at most alpha * clip sigmas and the
            // deviation grew by a few percent.
            assert!(d.sigma() < 2.0 * clean_sigma, "{big}: {}", d.sigma());
            // Ordinary points are scored about as without the outlier.
            let worst = (1600..2999).map(|i| s[i] - base[i]).fold(0.0, f64::max);
            assert!(worst < 0.2, "{big}: {worst}");
        }
    }

    #[test]
    fn one_glitch_during_warm_up_does_not_blind_the_robust_baseline() {
        let (ts, clean) = after_outlier(50.0);
        for at in [0, 5, 29, 30, 31] {
            for big in [1e300, -1e308] {
                let mut vs = clean.clone();
                vs[at] = big;
                let mut d = RobustBaseline::default();
                let s = d.score_series(&ts, &vs);
                assert!(s.iter().all(|v| (0.0..=1.0).contains(v)), "{big} at {at}");
                assert!(s[3000] > 0.999, "{big} at {at}: later spike {}", s[3000]);
                assert!(
                    (d.level() - 50.0).abs() < 10.0,
                    "{big} at {at}: level {}",
                    d.level()
                );
                assert!(d.state_bytes() <= 80, "{}", d.state_bytes());
            }
        }
    }

    #[test]
    fn the_windowed_gaussian_recovers_once_a_huge_value_leaves_the_window() {
        let (ts, clean) = after_outlier(50.0);
        let base = WindowedGaussian::default().score_series(&ts, &clean);
        for big in [1e6, 1e150, 1e200, 1e308, -1e308, f64::MAX] {
            let (ts, vs) = after_outlier(big);
            let mut d = WindowedGaussian::default();
            let s = d.score_series(&ts, &vs);
            assert!(s.iter().all(|v| (0.0..=1.0).contains(v)), "{big}");
            assert!(s[1500] > 0.999, "{big}: outlier {}", s[1500]);
            assert!(s[3000] > 0.999, "{big}: later spike {}", s[3000]);
            // Once the value has left the 512-point window, scores are those
            // of the clean series (the sums are recomputed exactly).
            for i in 1500 + 513..2999 {
                assert!(
                    (s[i] - base[i]).abs() < 1e-6,
                    "{big} row {i}: {} vs {}",
                    s[i],
                    base[i]
                );
            }
            // While it is in the window the state stays finite.
            let mut d = WindowedGaussian::default();
            d.score_series(&ts[..1600], &vs[..1600]);
            assert!(d.sum.is_finite() && d.sum_sq.is_finite() && d.peak_sq.is_finite());
        }
    }

    #[test]
    fn the_windowed_gaussian_scores_beside_a_huge_value_in_its_window() {
        // 1e200 in the window: the window's deviation is huge, so ordinary
        // points score 0 and an even larger value still scores high.
        let mut d = WindowedGaussian::default();
        for i in 0..100 {
            d.z_update(10.0 + (i % 5) as f64);
        }
        d.z_update(1e200);
        assert!(d.z_update(12.0) < 1.0);
        assert!(d.z_update(-1e300) > 10.0);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn windowed_gaussian_checkpoints_restore_old_and_new() {
        let (ts, vs) = after_outlier(1e200);
        let mut d = WindowedGaussian::default();
        d.score_series(&ts[..1600], &vs[..1600]);
        // With the huge value in the window the state is still finite JSON.
        let json = serde_json::to_string(&d).unwrap();
        let mut again: WindowedGaussian = serde_json::from_str(&json).unwrap();
        let mut v = serde_json::to_value(&d).unwrap();
        assert!(v.as_object_mut().unwrap().remove("peak_sq").is_some());
        let mut old: WindowedGaussian = serde_json::from_value(v).unwrap();
        for (t, x) in ts[1600..].iter().zip(&vs[1600..]) {
            let s = d.update(*t, *x);
            assert_eq!(s, again.update(*t, *x));
            assert!(old.update(*t, *x).is_some());
        }
    }

    #[test]
    fn missing_points_are_reported_and_leave_state_alone() {
        let mut d = RobustBaseline::default();
        let (ts, vs) = series(100);
        d.score_series(&ts, &vs);
        let before = d.clone();
        assert_eq!(d.update(ts[0], f64::NAN), None);
        assert_eq!(d.update(ts[0], f64::INFINITY), None);
        assert_eq!(d, before);
    }

    #[test]
    fn bad_params_are_rejected() {
        assert!(
            RobustBaseline::new(RobustParams {
                alpha: 0.0,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            SeasonalBaseline::new(SeasonalParams {
                alpha: 1.5,
                ..Default::default()
            })
            .is_err()
        );
        assert!(WindowedGaussian::new(WindowedGaussianParams { window: 1 }).is_err());
    }
}
