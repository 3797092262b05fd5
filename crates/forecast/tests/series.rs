//! The orchestrator's calls on a timestamped series with gaps and missing
//! points: failure probability with expected crossing time, and a point
//! forecast with intervals.

#![allow(clippy::unwrap_used, reason = "test fixture built from fixed data")]

use aiops_core::{SeriesKey, SignalKind, TimeSeries, Timestamp};
use aiops_forecast::{Direction, FailureParams, forecast_auto, predict_failure};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 20,000 points at 5-minute steps: a daily cycle, a slow upward trend
/// (disk filling), noise, 40 NaN points and a 2-hour hole in the timestamps.
fn disk_usage() -> TimeSeries {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut ts = Vec::new();
    let mut vs = Vec::new();
    for i in 0..20_000i64 {
        if (10_000..10_024).contains(&i) {
            continue; // hole: no timestamps for two hours
        }
        let t = i as f64;
        let daily = 3.0 * (t * std::f64::consts::TAU / 288.0).sin();
        let mut v = 40.0 + 0.002 * t + daily + 0.5 * (rng.random::<f64>() - 0.5);
        if i % 500 == 7 {
            v = f64::NAN;
        }
        ts.push(Timestamp::from_secs(1_700_000_000 + i * 300));
        vs.push(v);
    }
    TimeSeries::new(SeriesKey::new("disk_used_pct"), ts, vs).unwrap()
}

#[test]
fn failure_probability_on_a_gappy_series() {
    let s = disk_usage();
    // Now near 80 (+-3 daily); 0.002 per step = 0.576 per day. 95% is ~26 days away;
    // 83.5 is reached at the next daily peaks.
    let near = predict_failure(&s, &FailureParams::new(83.5, Direction::Above, 288)).unwrap();
    assert!(near.prediction.probability > 0.5, "{near:?}");
    assert!(near.expected_at.unwrap() > near.last);
    assert_eq!(near.step_millis, 300_000);
    let sig = near.to_signal("disk_used_pct");
    assert_eq!(sig.kind, SignalKind::FailureProbability);
    assert!((sig.value - near.prediction.probability).abs() < 1e-12);

    let far = predict_failure(&s, &FailureParams::new(95.0, Direction::Above, 288)).unwrap();
    assert!(far.prediction.probability < 0.05, "{far:?}");
    // The trend alone reaches 95 in about 26 days (7,500 steps): beyond ten horizons.
    assert!(far.prediction.mean_crossing_steps.is_none_or(|k| k > 2000));

    let below = predict_failure(&s, &FailureParams::new(10.0, Direction::Below, 288)).unwrap();
    assert!(below.prediction.probability < 0.01);
}

#[test]
fn point_forecast_with_intervals() {
    let s = disk_usage();
    let f = forecast_auto(&s, 288, 0.9).unwrap();
    assert_eq!(f.forecast.mean.len(), 288);
    assert_eq!(f.timestamps.len(), 288);
    let last = *s.timestamps().last().unwrap();
    assert_eq!(f.timestamps[0], last.add_millis(300_000));
    for i in 0..288 {
        assert!(
            f.forecast.lower[i] <= f.forecast.mean[i] && f.forecast.mean[i] <= f.forecast.upper[i]
        );
    }
    // The daily cycle is tracked: the forecast swings by several units over the day.
    let (lo, hi) = f
        .forecast
        .mean
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(hi - lo > 3.0, "{lo} {hi} {}", f.forecast.model);
    assert!(f.forecast.model.contains("288"), "{}", f.forecast.model);
}
