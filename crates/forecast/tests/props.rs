//! Invariants over arbitrary input: intervals ordered, output length equal
//! to the horizon, probabilities in [0, 1], and no panic from augurs.

use aiops_forecast::{
    Direction, FailureParams, Forecaster, Model, Seasonality, failure_probability,
};
use proptest::prelude::*;

fn series() -> impl Strategy<Value = Vec<f64>> {
    // Values with missing points (NaN), constant runs and sign changes.
    prop::collection::vec(
        prop_oneof![
            8 => -1e3f64..1e3,
            1 => Just(f64::NAN),
            1 => Just(5.0),
        ],
        0..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn forecasts_keep_invariants(
        y in series(),
        horizon in 0usize..30,
        name in prop::sample::select(vec!["auto", "mstl", "mstl-log", "ets", "snaive", "naive2", "naive"]),
        level in 0.5f64..0.99,
    ) {
        let model = Model::from_name(name, &[12]).unwrap();
        match model.forecast(&y, horizon, level) {
            Ok(f) => {
                prop_assert!(horizon > 0);
                prop_assert_eq!(f.mean.len(), horizon);
                prop_assert_eq!(f.lower.len(), horizon);
                prop_assert_eq!(f.upper.len(), horizon);
                for i in 0..horizon {
                    prop_assert!(f.lower[i] <= f.mean[i] && f.mean[i] <= f.upper[i]);
                    prop_assert!(f.mean[i].is_finite());
                }
            }
            // Typed errors are fine (too short, all missing, non-positive for log, horizon 0).
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn probabilities_are_probabilities(
        y in series(),
        thr in -1e3f64..1e3,
        above in any::<bool>(),
        horizon in 1usize..40,
    ) {
        let dir = if above { Direction::Above } else { Direction::Below };
        let mut params = FailureParams::new(thr, dir, horizon);
        params.paths = 200;
        params.seasonality = Seasonality::Auto;
        if let Ok(p) = failure_probability(&y, &params) {
            prop_assert!((0.0..=1.0).contains(&p.probability));
            prop_assert_eq!(p.cumulative.len(), horizon);
            prop_assert!(p.cumulative.windows(2).all(|w| w[0] <= w[1]));
            if let Some(e) = p.expected_steps {
                prop_assert!(e >= 0.0 && e <= horizon as f64);
            }
        }
    }
}
