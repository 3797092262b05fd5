//! Season detection with augurs' periodogram, and a streaming per-phase
//! baseline for the detected period.
//!
//! [`detect_period`] runs [`augurs::seasons::PeriodogramDetector`] (Welch's
//! periodogram) over a series and keeps the strongest peak only when the
//! phase means of that period explain a minimum share of the variance, so
//! white noise (whose periodogram always has *some* peak) yields no period.
//! [`PeriodicBaseline`] buffers the first points of a stream, detects the
//! period once, and then learns a level and deviation per phase slot, like
//! [`SeasonalBaseline`](crate::SeasonalBaseline) does per hour of the week but
//! for any period in points (a day of 5-minute points, a 7-point week of
//! daily points, an unknown machine cycle).

use augurs::seasons::PeriodogramDetector;

use crate::error::{Error, Result};
use crate::streaming::Slot as PhaseSlot;

/// Smallest period [`detect_period`] reports.
pub const MIN_PERIOD: usize = 4;

/// Detects the dominant period of `values` (in points) with augurs'
/// periodogram, or `None` when there is no convincing season.
///
/// Non-finite values are skipped (the period is then in finite points).
/// Candidates are the periodogram peaks within 90% of the strongest, between
/// [`MIN_PERIOD`] and `max_period` (also at most half the series), each
/// refined to the integer periods between its neighbouring frequency bins; of
/// those, the one whose phase means explain the largest share of the variance
/// is kept if that share (the seasonal strength, `1 - var(x - phase mean) /
/// var(x)`, adjusted for the number of phases) is at least `min_strength`. Fewer than `3 * MIN_PERIOD` finite
/// points or a constant series give `None`.
pub fn detect_period(values: &[f64], max_period: usize, min_strength: f64) -> Option<usize> {
    let x: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let max_period = max_period.min(x.len() / 2);
    if max_period < MIN_PERIOD || x.len() < 3 * MIN_PERIOD {
        return None;
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    if !(var > 0.0 && var.is_finite()) {
        return None;
    }
    let detector = PeriodogramDetector::builder()
        .min_period(MIN_PERIOD as u32)
        .max_period(max_period as u32 + 1)
        .threshold(0.9)
        .build();
    let mut best: Option<(usize, f64)> = None;
    for peak in detector.periodogram(&x).peaks(0.9) {
        // A peak stands for every period between its neighbouring bins (a
        // 512-point DFT has bins at periods 512, 256, 171, ...): refine it
        // to the integer period in that range with the strongest season.
        let hi = if peak.prev_period == 0 {
            max_period
        } else {
            (peak.prev_period as usize).min(max_period)
        };
        let lo = (peak.next_period as usize).max(MIN_PERIOD);
        for p in lo..=hi {
            let s = seasonal_strength(&x, p, var);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((p, s));
            }
        }
    }
    tracing::debug!(?best, n = x.len(), "periodogram season detection");
    best.filter(|(_, s)| *s >= min_strength).map(|(p, _)| p)
}

/// Like [`detect_period`], but returns the smallest divisor of the detected
/// period whose seasonal strength is within `0.02` of the period's own
/// (a multiple of the true period always fits at least as well, and with few
/// cycles the extra phases fit noise). Use it when each phase needs many
/// points, as SH-ESD's phase medians do; [`PeriodicBaseline`] keeps the
/// multiple, whose finer slots scored better on NAB.
pub fn detect_base_period(values: &[f64], max_period: usize, min_strength: f64) -> Option<usize> {
    let p = detect_period(values, max_period, min_strength)?;
    let x: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    let s = seasonal_strength(&x, p, var);
    (MIN_PERIOD..p)
        .filter(|d| p % d == 0)
        .find(|d| seasonal_strength(&x, *d, var) >= s - 0.02)
        .or(Some(p))
}

/// The share of variance explained by the phase means of period `p`,
/// adjusted for the `p` fitted means like an adjusted R²:
/// `1 - (sum((x - phase mean)^2) / (n - p)) / (total / (n - 1))`, so white
/// noise scores about 0 whatever `p` (the raw share would be about `p / n`).
fn seasonal_strength(x: &[f64], p: usize, total: f64) -> f64 {
    let mut sum = vec![0.0; p];
    let mut cnt = vec![0.0; p];
    for (i, v) in x.iter().enumerate() {
        sum[i % p] += v;
        cnt[i % p] += 1.0;
    }
    let resid: f64 = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let m = sum[i % p] / cnt[i % p];
            (v - m) * (v - m)
        })
        .sum();
    let n = x.len() as f64;
    1.0 - (resid / (n - p as f64).max(1.0)) / (total / (n - 1.0))
}

/// Parameters of [`PeriodicBaseline`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PeriodicParams {
    /// Points buffered before the period is detected (>= 12, <= 4096).
    pub buffer: usize,
    /// Longest period considered, in points (>= 4; at most `buffer / 3` is used).
    pub max_period: usize,
    /// Most phase slots kept; a longer period shares slots between
    /// neighbouring phases (>= 4).
    pub max_slots: usize,
    /// Minimum seasonal strength (share of variance explained by the phase
    /// means) for a period to be used, in [0, 1].
    pub min_strength: f64,
    /// Smoothing factor of each slot's level and deviation (0, 1].
    pub alpha: f64,
}

impl Default for PeriodicParams {
    fn default() -> Self {
        PeriodicParams {
            buffer: 600,
            max_period: 300,
            max_slots: 300,
            min_strength: 0.4,
            alpha: 0.1,
        }
    }
}

impl PeriodicParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        if !(12..=4096).contains(&self.buffer) {
            return Err(Error::param("buffer", self.buffer, "must be in [12, 4096]"));
        }
        if self.max_period < MIN_PERIOD {
            return Err(Error::param("max_period", self.max_period, "must be >= 4"));
        }
        if !(4..=4096).contains(&self.max_slots) {
            return Err(Error::param(
                "max_slots",
                self.max_slots,
                "must be in [4, 4096]",
            ));
        }
        if !(0.0..=1.0).contains(&self.min_strength) {
            return Err(Error::param(
                "min_strength",
                self.min_strength,
                "must be in [0, 1]",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(Error::param("alpha", self.alpha, "must be in (0, 1]"));
        }
        Ok(self)
    }
}

/// A streaming per-phase baseline whose period comes from augurs'
/// periodogram ([`detect_period`]) over the first `buffer` points.
///
/// The phase advances by one per (finite) point, so the period is in points
/// and assumes a regular sampling step. Until the buffer is full, and for a
/// series without a season, [`PeriodicBaseline::z_update`] returns `None`.
/// When the period is found the buffered points train the slots, so the
/// baseline is usable at once; a slot scores once it holds 2 points, with a
/// deviation of at least the buffer's pooled deviation around the slot means
/// until it holds `1 / alpha` points (a deviation from 2 or 3 points is
/// mostly luck). Warm-up: `buffer` points (600 by default) without a score.
/// State: the buffer (`4 * buffer` bytes) until
/// detection, then `12 * min(period, max_slots)` bytes.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PeriodicBaseline {
    params: PeriodicParams,
    buf: Vec<f32>,
    slots: Vec<PhaseSlot>,
    period: u32,
    phase: u32,
    decided: bool,
    /// Standard deviation of the buffered points around their slot means
    /// (pooled over all slots, adjusted for the fitted means), the floor of a
    /// young slot's deviation. A checkpoint written before this field
    /// existed restores with 0 (no floor), so it continues as it did.
    #[cfg_attr(feature = "serde", serde(default))]
    pooled_sd: f64,
}

impl PeriodicBaseline {
    /// A periodic baseline with validated parameters.
    pub fn new(params: PeriodicParams) -> Result<Self> {
        let p = params.check()?;
        Ok(PeriodicBaseline {
            params: p,
            buf: Vec::new(),
            slots: Vec::new(),
            period: 0,
            phase: 0,
            decided: false,
            pooled_sd: 0.0,
        })
    }

    /// The detected period in points (`None` before detection or without a season).
    pub fn period(&self) -> Option<usize> {
        (self.period > 0).then_some(self.period as usize)
    }

    fn slot_of(&self, phase: u32) -> usize {
        let slots = self.slots.len();
        (phase as usize * slots) / self.period as usize
    }

    fn learn(&mut self, x: f64) {
        let alpha = self.params.alpha;
        let k = self.slot_of(self.phase);
        self.slots[k].learn(x, alpha);
        self.phase = (self.phase + 1) % self.period;
    }

    /// The deviation of `x` from its phase slot in standard deviations
    /// (`None` without a trained slot), then learns `x`. `x` must be finite.
    pub fn z_update(&mut self, x: f64) -> Option<f64> {
        if !self.decided {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(self.params.buffer);
            }
            self.buf.push(x as f32);
            if self.buf.len() >= self.params.buffer {
                self.decide();
            }
            return None;
        }
        if self.period == 0 {
            return None;
        }
        let s = self.slots[self.slot_of(self.phase)];
        // A slot trained from the buffer holds about `buffer / period`
        // points; a deviation estimated from so few is often far too small
        // (from two points it is half their difference). Until the slot's
        // average has its full memory (`1 / alpha` points), its deviation is
        // at least the pooled one.
        let mut floor = 1e-6 * (1.0 + x.abs());
        if f64::from(s.n) * self.params.alpha < 1.0 {
            floor = floor.max(self.pooled_sd);
        }
        let z = (s.n >= 2).then(|| s.z(x, floor));
        self.learn(x);
        z
    }

    fn decide(&mut self) {
        self.decided = true;
        let buf = std::mem::take(&mut self.buf);
        let values: Vec<f64> = buf.iter().map(|v| *v as f64).collect();
        if let Some(p) = detect_period(&values, self.params.max_period, self.params.min_strength) {
            self.period = p as u32;
            self.slots = vec![PhaseSlot::default(); p.min(self.params.max_slots)];
            self.pooled_sd = self.pooled_sd_of(&values);
            for v in values {
                self.learn(v);
            }
        }
    }

    /// The standard deviation of `values` (the buffer, from phase 0) around
    /// the means of their slots, with `n - slots` degrees of freedom.
    fn pooled_sd_of(&self, values: &[f64]) -> f64 {
        let slots = self.slots.len();
        let mut sum = vec![0.0; slots];
        let mut cnt = vec![0.0; slots];
        let period = self.period as usize;
        let slot = |i: usize| (i % period) * slots / period;
        for (i, v) in values.iter().enumerate() {
            sum[slot(i)] += v;
            cnt[slot(i)] += 1.0;
        }
        let resid: f64 = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let k = slot(i);
                let d = v - sum[k] / cnt[k];
                d * d
            })
            .sum();
        let dof = values.len().saturating_sub(slots).max(1) as f64;
        let sd = (resid / dof).sqrt();
        if sd.is_finite() { sd } else { 0.0 }
    }

    /// Bytes of state (inline and heap).
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.buf.capacity() * std::mem::size_of::<f32>()
            + self.slots.capacity() * std::mem::size_of::<PhaseSlot>()
    }

    /// The most bytes of state this baseline can reach with its parameters.
    pub fn max_state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + (self.params.buffer * std::mem::size_of::<f32>()).max(
                self.params.max_slots.min(self.params.max_period)
                    * std::mem::size_of::<PhaseSlot>(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal(n: usize, p: usize, noise: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let phase = (i % p) as f64 / p as f64;
                10.0 + 5.0 * (std::f64::consts::TAU * phase).sin()
                    + noise * (((i * 7919) % 101) as f64 / 50.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn finds_a_daily_period_of_five_minute_points() {
        let x = seasonal(1200, 288, 0.5);
        assert_eq!(detect_period(&x, 400, 0.5), Some(288));
    }

    #[test]
    fn finds_a_short_period_and_ignores_nan() {
        let mut x = seasonal(300, 24, 0.2);
        x.insert(5, f64::NAN);
        assert_eq!(detect_period(&x, 100, 0.5), Some(24));
    }

    #[test]
    fn base_period_prefers_the_divisor() {
        // Period 24 with a period-11 pattern on top: multiples of 24 fit the
        // pattern a little better.
        let x: Vec<f64> = (0..480)
            .map(|i| {
                10.0 + 5.0 * (std::f64::consts::TAU * i as f64 / 24.0).sin()
                    + ((i * 7919) % 11) as f64 / 20.0
            })
            .collect();
        let p = detect_period(&x, 240, 0.4).unwrap();
        assert_eq!(p % 24, 0);
        assert_eq!(detect_base_period(&x, 240, 0.4), Some(24));
        assert_eq!(detect_base_period(&[1.0; 100], 40, 0.4), None);
    }

    #[test]
    fn noise_constant_and_short_input_have_no_period() {
        let noise: Vec<f64> = (0..600).map(|i| ((i * 7919) % 101) as f64).collect();
        assert_eq!(detect_period(&noise, 200, 0.5), None);
        assert_eq!(detect_period(&[3.0; 600], 200, 0.5), None);
        assert_eq!(detect_period(&[1.0, 2.0, 3.0], 200, 0.0), None);
        assert_eq!(detect_period(&[], 200, 0.0), None);
    }

    #[test]
    fn baseline_flags_a_missing_daily_peak() {
        let mut b = PeriodicBaseline::new(PeriodicParams {
            buffer: 600,
            max_period: 300,
            ..Default::default()
        })
        .unwrap();
        let mut x = seasonal(2000, 96, 0.2);
        // A flat stretch where the peak should be (value stays inside the global range).
        for v in &mut x[1700..1720] {
            *v = 10.0;
        }
        let z: Vec<Option<f64>> = x.iter().map(|v| b.z_update(*v)).collect();
        // With 600 buffered points a multiple of the period may fit as well.
        assert_eq!(b.period().map(|p| p % 96), Some(0));
        assert!(z[..600].iter().all(Option::is_none));
        let normal = z[1000..1600].iter().flatten().cloned().fold(0.0, f64::max);
        let odd = z[1700..1720].iter().flatten().cloned().fold(0.0, f64::max);
        assert!(odd > 3.0 * normal, "{odd} vs {normal}");
        assert!(b.state_bytes() <= b.max_state_bytes());
    }

    /// The reported series: a daily sinusoid of 5-minute points plus a
    /// 7-point sawtooth, noiseless.
    fn clean(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                50.0 + 5.0 * (std::f64::consts::TAU * i as f64 / 288.0).sin() + 0.3 * (i % 7) as f64
            })
            .collect()
    }

    #[test]
    fn slots_trained_from_the_buffer_do_not_flag_a_deterministic_series() {
        let mut b = PeriodicBaseline::default();
        let z: Vec<Option<f64>> = clean(6000).iter().map(|v| b.z_update(*v)).collect();
        // 287 = 7 * 41 fits the 600 buffered points best (the sawtooth
        // exactly, the sinusoid almost).
        assert!(b.period().is_some_and(|p| (287..=288).contains(&p)));
        // Slots trained from the buffer hold 2 points; a deviation estimated
        // from them is half their difference, often 0.15 or less, while the
        // values a slot sees drift by up to 0.11 a cycle (287 is not quite
        // the sinusoid's period), and where the sinusoid turns the two points
        // are all but equal, so without the pooled deviation as a floor the
        // next point was hundreds of deviations away.
        let worst = z.iter().flatten().cloned().fold(0.0, f64::max);
        let first = z[600..900].iter().flatten().cloned().fold(0.0, f64::max);
        assert!(worst < 5.0 && first < 3.0, "{worst} {first}");
        assert!(b.pooled_sd > 0.0 && b.pooled_sd < 0.5, "{}", b.pooled_sd);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn a_checkpoint_without_the_pooled_deviation_restores_without_the_floor() {
        let mut b = PeriodicBaseline::default();
        for v in clean(700) {
            b.z_update(v);
        }
        let mut v = serde_json::to_value(&b).unwrap();
        assert!(v.as_object_mut().unwrap().remove("pooled_sd").is_some());
        let old: PeriodicBaseline = serde_json::from_value(v).unwrap();
        assert_eq!(old.pooled_sd, 0.0);
        let mut again: PeriodicBaseline =
            serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        for x in clean(1400).into_iter().skip(700) {
            assert_eq!(b.z_update(x), again.z_update(x));
        }
    }

    #[test]
    fn bad_params_are_rejected() {
        for p in [
            PeriodicParams {
                buffer: 3,
                ..Default::default()
            },
            PeriodicParams {
                max_slots: 1,
                ..Default::default()
            },
            PeriodicParams {
                min_strength: 2.0,
                ..Default::default()
            },
            PeriodicParams {
                alpha: 0.0,
                ..Default::default()
            },
        ] {
            assert!(PeriodicBaseline::new(p).is_err());
        }
    }
}
