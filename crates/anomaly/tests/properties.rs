//! Invariants: scores finite and in [0, 1], no panics on arbitrary input,
//! forest scores independent of the order of scored rows, and a checkpointed
//! (cloned, or serde round-tripped with the `serde` feature) streaming
//! detector continues identically.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "test helpers report skips and fail loudly"
)]

use aiops_anomaly::{
    BatchDetector, Ensemble, IsolationForest, IsolationForestParams, RobustBaseline, ScoreRows,
    StreamingDetector, WindowedGaussian,
};
use aiops_core::Timestamp;
use ndarray::Array2;
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(0.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ensemble_scores_are_in_range_and_missing_is_none(xs in prop::collection::vec(value(), 1..600)) {
        let mut d = Ensemble::default();
        for (i, x) in xs.iter().enumerate() {
            let s = d.update(Timestamp::from_secs(i as i64 * 60), *x);
            if x.is_finite() {
                let v = s.map(|s| s.get());
                prop_assert!(v.is_some_and(|v| (0.0..=1.0).contains(&v)), "{v:?}");
            } else {
                prop_assert!(s.is_none());
            }
        }
    }

    #[test]
    fn checkpoint_continues_identically(xs in prop::collection::vec(-1e3f64..1e3, 2..400), cut in 0usize..400) {
        let cut = cut % xs.len();
        let mut a = Ensemble::default();
        for (i, x) in xs[..cut].iter().enumerate() {
            a.update(Timestamp::from_secs(i as i64 * 300), *x);
        }
        #[cfg(feature = "serde")]
        let mut b: Ensemble = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        #[cfg(not(feature = "serde"))]
        let mut b = a.clone();
        for (i, x) in xs[cut..].iter().enumerate() {
            let t = Timestamp::from_secs((cut + i) as i64 * 300);
            prop_assert_eq!(a.update(t, *x), b.update(t, *x));
        }
    }

    #[test]
    fn checkpoint_after_period_detection_continues_identically(noise in prop::collection::vec(-10f64..10.0, 700..1000), cut in 0usize..1000) {
        // A 50-point season: the periodic part detects it after 600 points.
        let xs: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(i, e)| 100.0 * (std::f64::consts::TAU * i as f64 / 50.0).sin() + e)
            .collect();
        let cut = cut % xs.len();
        let mut a = Ensemble::default();
        for (i, x) in xs[..cut].iter().enumerate() {
            a.update(Timestamp::from_secs(i as i64 * 300), *x);
        }
        #[cfg(feature = "serde")]
        let mut b: Ensemble = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        #[cfg(not(feature = "serde"))]
        let mut b = a.clone();
        for (i, x) in xs[cut..].iter().enumerate() {
            let t = Timestamp::from_secs((cut + i) as i64 * 300);
            prop_assert_eq!(a.update(t, *x), b.update(t, *x));
        }
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_single_outlier_does_not_hide_a_later_spike(
        exp in 0.0f64..308.0,
        negative in any::<bool>(),
        at in 50usize..1500,
        noise in prop::collection::vec(-1.0f64..1.0, 2200),
    ) {
        // A daily sinusoid of 5-minute points around 50 with noise, one
        // outlier of any finite size at `at`, and a 10x spike (500) once the
        // windowed Gaussian's 512-point window has passed.
        let outlier = if negative { -(10f64.powf(exp)) } else { 10f64.powf(exp) };
        let spike = at + 600;
        let ts: Vec<Timestamp> = (0..noise.len()).map(|i| Timestamp::from_secs(i as i64 * 300)).collect();
        let mut xs: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(i, e)| 50.0 + 5.0 * (std::f64::consts::TAU * i as f64 / 288.0).sin() + e)
            .collect();
        xs[at] = outlier;
        xs[spike] = 500.0;
        let robust = RobustBaseline::default().score_series(&ts, &xs);
        let window = WindowedGaussian::default().score_series(&ts, &xs);
        for s in [&robust, &window] {
            prop_assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
            prop_assert!(s[spike] > 0.99, "spike {} after {outlier:e}", s[spike]);
        }
    }

    #[test]
    fn forest_scores_ignore_row_order(rows in prop::collection::vec(prop::collection::vec(-100f64..100.0, 3), 1..80), seed in 0u64..1000) {
        let n = rows.len();
        let x = Array2::from_shape_fn((n, 3), |(i, j)| rows[i][j]);
        let f = IsolationForest::new(IsolationForestParams { n_trees: 20, max_samples: 32, seed }).unwrap().fit(x.view()).unwrap();
        let s = f.score(x.view()).unwrap();
        prop_assert!(s.iter().all(|v| v.is_finite() && *v > 0.0 && *v <= 1.0));
        let rev = Array2::from_shape_fn((n, 3), |(i, j)| rows[n - 1 - i][j]);
        let r = f.score(rev.view()).unwrap();
        for i in 0..n {
            prop_assert_eq!(s[i], r[n - 1 - i]);
        }
    }
}

#[test]
fn state_is_bounded() {
    let e = Ensemble::default();
    assert!(e.state_bytes() <= 16 * 1024, "{}", e.state_bytes());
    let mut e2 = e.clone();
    for i in 0..100_000i64 {
        e2.update(Timestamp::from_secs(i * 60), (i % 97) as f64);
    }
    assert_eq!(e2.state_bytes(), e.state_bytes());
}
