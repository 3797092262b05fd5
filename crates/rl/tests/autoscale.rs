//! The autoscaling environment, the HPA baseline and the shield on real
//! (truncated NAB) traces, and the typed errors for bad input.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::PathBuf;

use aiops_core::{Timestamp, read_nab_csv_str};
use aiops_rl::autoscaling::{
    AgentKind, AutoscaleConfig, AutoscaleEnv, AutoscalerTraining, Capacity, DecisionReason,
    HpaConfig, SafetyShield, Trace, compare, evaluate_autoscaler, run_hpa, train_autoscaler,
};
use aiops_rl::{Environment, Error, Space};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn trace(name: &str) -> Trace {
    Trace::from_csv(data(name)).unwrap()
}

#[test]
fn environment_steps_through_a_trace() {
    let t = trace("nyc_taxi_head1500.csv");
    assert_eq!(t.step_secs(), 1800.0);
    let mut env = AutoscaleEnv::new(vec![t], AutoscaleConfig::default()).unwrap();
    assert_eq!(env.action_space(), Space::Discrete(6));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let obs = env.reset(&mut rng);
    assert!(obs.replicas >= 1 && obs.load > 0.0);
    let mut steps = 0;
    loop {
        // Always target 70 % utilisation.
        let s = env.step(3, &mut rng).unwrap();
        steps += 1;
        assert!(s.reward.is_finite() && s.reward < 0.0);
        if s.done() {
            assert!(s.truncated && !s.terminated);
            break;
        }
    }
    assert_eq!(steps, 1500);
    assert!(matches!(env.step(0, &mut rng), Err(Error::EpisodeOver)));
    let m = env.metrics();
    assert_eq!(m.steps, 1500);
    // 30-minute steps, ~7 replicas on average at the mean load of 10 x 0.7.
    assert!(m.replica_hours > 1500.0 * 0.5 * 5.0, "{m:?}");
}

#[test]
fn startup_delay_causes_violations_and_more_replicas_remove_them() {
    // A step from 10 to 30 replicas of load: scaling at the step leaves the
    // start-up delay in violation; over-provisioning beforehand does not.
    let mut rates = vec![10.0; 10];
    rates.extend(vec![30.0; 10]);
    let t = Trace::new("step", Timestamp::EPOCH, 300.0, rates).unwrap();
    let config = AutoscaleConfig {
        capacity: Capacity::PerReplica(1.0),
        startup_delay_secs: 90.0,
        ..AutoscaleConfig::default()
    };
    let mut env = AutoscaleEnv::new(vec![t.clone()], config.clone()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    env.reset(&mut rng);
    loop {
        if env.step(4, &mut rng).unwrap().done() {
            break;
        }
    }
    // Exactly the 90 s start-up delay after the jump is in violation.
    assert!(
        (env.metrics().slo_violation_minutes - 1.5).abs() < 1e-9,
        "{:?}",
        env.metrics()
    );
    let hpa = run_hpa(&t, &config, &HpaConfig::default()).unwrap();
    assert!(hpa.slo_violation_minutes >= 1.5, "{hpa:?}");
}

#[test]
fn shield_vetoes_unsafe_actions_and_logs_reasons() {
    let t = trace("Twitter_volume_AMZN_head2000.csv");
    let config = AutoscaleConfig::default();
    // An "agent" that always proposes to hold: it never scales up.
    struct Hold;
    impl aiops_rl::Agent<aiops_rl::autoscaling::AutoscaleObservation> for Hold {
        fn act<R: rand::Rng + ?Sized>(
            &mut self,
            _: &aiops_rl::autoscaling::AutoscaleObservation,
            _: &mut R,
        ) -> aiops_rl::Result<usize> {
            Ok(0)
        }
        fn greedy(
            &self,
            _: &aiops_rl::autoscaling::AutoscaleObservation,
        ) -> aiops_rl::Result<usize> {
            Ok(0)
        }
        fn learn(
            &mut self,
            _: &aiops_rl::Transition<'_, aiops_rl::autoscaling::AutoscaleObservation>,
        ) -> aiops_rl::Result<()> {
            Ok(())
        }
    }
    let bare = evaluate_autoscaler(&Hold, t.clone(), &config, None).unwrap();
    let shielded = evaluate_autoscaler(&Hold, t, &config, Some(SafetyShield::default())).unwrap();
    assert_eq!(bare.decisions.len(), 2000);
    assert_eq!(shielded.decisions.len(), 2000);
    assert!(
        bare.decisions
            .iter()
            .all(|d| d.reason == DecisionReason::Unshielded)
    );
    let vetoed = shielded
        .decisions
        .iter()
        .filter(|d| {
            matches!(
                d.reason,
                DecisionReason::Vetoed { .. } | DecisionReason::VetoedNoSafeAction { .. }
            )
        })
        .count();
    assert!(vetoed > 0);
    assert_eq!(vetoed as u64, shielded.metrics.vetoes);
    assert!(
        shielded.metrics.slo_violation_minutes < 0.5 * bare.metrics.slo_violation_minutes,
        "{:?} vs {:?}",
        shielded.metrics,
        bare.metrics
    );
    let text = shielded
        .decisions
        .iter()
        .find(|d| matches!(d.reason, DecisionReason::Vetoed { .. }))
        .map(ToString::to_string)
        .unwrap();
    assert!(text.contains("vetoed"), "{text}");
}

#[test]
fn comparison_on_a_held_out_trace() {
    let train = vec![
        trace("Twitter_volume_GOOG_head2000.csv"),
        trace("nyc_taxi_head1500.csv"),
    ];
    let eval = trace("Twitter_volume_AMZN_head2000.csv");
    let training = AutoscalerTraining {
        episodes: 20,
        seed: 3,
        ..AutoscalerTraining::default()
    };
    let c = compare(
        train,
        eval,
        &AutoscaleConfig::default(),
        &HpaConfig::default(),
        &training,
    )
    .unwrap();
    assert_eq!(c.eval_trace, "Twitter_volume_AMZN_head2000");
    assert_eq!(c.training.episodes.len(), 20);
    assert_eq!(c.decisions.len(), 2000);
    for m in [c.hpa, c.agent] {
        assert!(m.slo_violation_minutes.is_finite() && m.slo_violation_minutes >= 0.0);
        assert!(m.replica_hours > 0.0);
        assert_eq!(m.steps, 2000);
    }
    // Learning improves the training return.
    let first = c.training.episodes[0].total_return;
    assert!(
        c.training.mean_return_last(4) > first,
        "{first} -> {}",
        c.training.mean_return_last(4)
    );
    // Same seed, same result.
    let again = compare(
        vec![
            trace("Twitter_volume_GOOG_head2000.csv"),
            trace("nyc_taxi_head1500.csv"),
        ],
        trace("Twitter_volume_AMZN_head2000.csv"),
        &AutoscaleConfig::default(),
        &HpaConfig::default(),
        &training,
    )
    .unwrap();
    assert_eq!(again.agent, c.agent);
}

#[test]
fn tile_coded_agent_trains() {
    let training = AutoscalerTraining {
        agent: AgentKind::TileCodedSarsa,
        episodes: 5,
        ..AutoscalerTraining::default()
    };
    let (_agent, stats) = train_autoscaler(
        vec![trace("Twitter_volume_GOOG_head2000.csv")],
        &AutoscaleConfig::default(),
        &training,
    )
    .unwrap();
    assert_eq!(stats.total_steps(), 5 * 2000);
    assert!(stats.episodes.iter().all(|e| e.total_return.is_finite()));
}

#[test]
fn bad_input_gives_typed_errors() {
    let gap = "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n2024-01-01 00:10:00,2\n2024-01-01 01:10:00,3\n";
    let s = read_nab_csv_str("gap", gap).unwrap();
    assert!(matches!(
        Trace::from_series(&s),
        Err(Error::TraceGap { .. })
    ));
    let nan =
        "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,NaN\n2024-01-01 00:10:00,2\n";
    let s = read_nab_csv_str("nan", nan).unwrap();
    assert!(matches!(
        Trace::from_series(&s),
        Err(Error::InvalidRate { .. })
    ));
    assert!(matches!(
        Trace::new("neg", Timestamp::EPOCH, 60.0, vec![1.0, -1.0, 2.0]),
        Err(Error::InvalidRate { index: 1, .. })
    ));
    // A file that does not exist or is malformed: the core reader's error, with the path.
    let err = Trace::from_csv(data("missing.csv")).unwrap_err();
    assert!(matches!(err, Error::Core(_)));
    assert!(err.to_string().contains("missing.csv"));

    let t = Trace::new("t", Timestamp::EPOCH, 60.0, vec![1.0; 10]).unwrap();
    let zero_capacity = AutoscaleConfig {
        capacity: Capacity::PerReplica(0.0),
        ..AutoscaleConfig::default()
    };
    assert!(matches!(
        AutoscaleEnv::new(vec![t.clone()], zero_capacity),
        Err(Error::InvalidParameter {
            name: "capacity",
            ..
        })
    ));
    let long_startup = AutoscaleConfig {
        startup_delay_secs: 600.0,
        ..AutoscaleConfig::default()
    };
    assert!(matches!(
        AutoscaleEnv::new(vec![t.clone()], long_startup),
        Err(Error::StartupLongerThanTrace { .. })
    ));
    let zeros = Trace::new("zeros", Timestamp::EPOCH, 60.0, vec![0.0; 10]).unwrap();
    assert!(AutoscaleEnv::new(vec![zeros], AutoscaleConfig::default()).is_err());
    assert!(matches!(
        AutoscaleEnv::new(vec![], AutoscaleConfig::default()),
        Err(Error::NoTrainingData)
    ));
    let bad_bounds = AutoscaleConfig {
        min_replicas: 5,
        max_replicas: 2,
        ..AutoscaleConfig::default()
    };
    assert!(matches!(
        AutoscaleEnv::new(vec![t.clone()], bad_bounds),
        Err(Error::InvalidReplicaBounds { .. })
    ));
    let bad_alpha = AutoscalerTraining {
        alpha: 2.0,
        ..AutoscalerTraining::default()
    };
    assert!(matches!(
        train_autoscaler(vec![t.clone()], &AutoscaleConfig::default(), &bad_alpha),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    let bad_eps = AutoscalerTraining {
        epsilon: aiops_rl::EpsilonSchedule::constant(1.2),
        ..AutoscalerTraining::default()
    };
    assert!(train_autoscaler(vec![t], &AutoscaleConfig::default(), &bad_eps).is_err());
}
