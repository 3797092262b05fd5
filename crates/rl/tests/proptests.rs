//! Invariants: Q values stay finite; the HPA never leaves its bounds.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use aiops_rl::autoscaling::{Hpa, HpaConfig};
use aiops_rl::{EpsilonSchedule, TabularAgent, TabularParams, TdMethod};
use proptest::prelude::*;

fn method() -> impl Strategy<Value = TdMethod> {
    prop_oneof![
        Just(TdMethod::QLearning),
        Just(TdMethod::Sarsa),
        Just(TdMethod::ExpectedSarsa)
    ]
}

proptest! {
    #[test]
    fn q_values_stay_finite(
        method in method(),
        alpha in 0.001f64..=1.0,
        gamma in 0.0f64..=1.0,
        epsilon in 0.0f64..=1.0,
        steps in proptest::collection::vec(
            (0usize..6, 0usize..3, -1e6f64..1e6, 0usize..6, proptest::option::of(0usize..3), any::<bool>()),
            1..300,
        ),
    ) {
        let mut agent = TabularAgent::new(6, 3, TabularParams {
            method,
            alpha,
            gamma,
            epsilon: EpsilonSchedule::constant(epsilon),
            ..TabularParams::default()
        }).unwrap();
        for (s, a, r, s2, a2, term) in steps {
            agent.update(s, a, r, s2, a2, term).unwrap();
        }
        prop_assert!(agent.q_table().iter().all(|q| q.is_finite()));
    }

    #[test]
    fn hpa_stays_within_bounds(
        min in 1u32..10,
        extra in 0u32..50,
        target in 0.05f64..=1.0,
        start in 1u32..80,
        observations in proptest::collection::vec((0.0f64..=1.0, 0u32..20), 1..200),
    ) {
        let max = min + extra;
        let mut hpa = Hpa::new(HpaConfig {
            min_replicas: min,
            max_replicas: max,
            target_utilization: target,
            ..HpaConfig::default()
        }).unwrap();
        let mut current = start;
        for (i, (util, starting)) in observations.into_iter().enumerate() {
            let starting = starting.min(current);
            let ready = current - starting;
            current = hpa.sync(i as f64 * 15.0, current, ready, starting, util);
            prop_assert!((min..=max).contains(&current), "{current} outside [{min}, {max}]");
        }
    }
}

#[test]
fn invalid_hyperparameters_are_typed_errors() {
    use aiops_rl::Error;
    let bad_alpha = TabularParams {
        alpha: 0.0,
        ..TabularParams::default()
    };
    assert!(matches!(
        TabularAgent::new(2, 2, bad_alpha),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    let bad_alpha = TabularParams {
        alpha: 1.5,
        ..TabularParams::default()
    };
    assert!(TabularAgent::new(2, 2, bad_alpha).is_err());
    let bad_eps = TabularParams {
        epsilon: EpsilonSchedule::constant(-0.1),
        ..TabularParams::default()
    };
    assert!(matches!(
        TabularAgent::new(2, 2, bad_eps),
        Err(Error::InvalidParameter {
            name: "epsilon.start",
            ..
        })
    ));
    let nan_eps = TabularParams {
        epsilon: EpsilonSchedule::constant(f64::NAN),
        ..TabularParams::default()
    };
    assert!(TabularAgent::new(2, 2, nan_eps).is_err());
}
