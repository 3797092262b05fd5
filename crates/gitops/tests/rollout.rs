//! Rollout strategies, manifests and the state machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use aiops_core::Timestamp;
use aiops_gitops::{
    AnalysisPhase, CanaryStep, DeploymentHistory, DeploymentRecord, Error, InMemoryProvider,
    NextAction, Outcome, PauseReason, RolloutEvent, RolloutPhase, RolloutSpec, RolloutState,
    SimulationOptions, Strategy, parse_rollout_yaml, simulate,
};

const ARGO: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  replicas: 5
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {duration: 1m}
      - analysis:
          templates:
          - templateName: success-rate
      - setWeight: 50
      - pause: {duration: 90}
      - setWeight: 80
      - pause: {}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  metrics:
  - name: success_rate
    interval: 30s
    count: 3
    successCondition: result[0] >= 0.95
    failureCondition: result[0] < 0.90
    failureLimit: 0
    provider:
      prometheus:
        query: sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
"#;

fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

fn provider(values: &[(i64, f64)]) -> InMemoryProvider {
    let mut p = InMemoryProvider::new();
    p.insert("success_rate", values.iter().map(|&(s, v)| (t(s), v)));
    p
}

#[tokio::test]
async fn argo_canary_completes_on_healthy_metrics() {
    let spec = parse_rollout_yaml("rollout.yaml", ARGO).unwrap();
    assert_eq!(spec.name, "checkout");
    let Strategy::Canary { steps } = &spec.strategy else {
        panic!()
    };
    assert_eq!(steps[1], CanaryStep::Pause(Some(60_000)));
    assert_eq!(steps[4], CanaryStep::Pause(Some(90_000)));
    assert_eq!(steps[6], CanaryStep::Pause(None));
    let p = provider(&[(0, 0.99)]);
    // Without auto-promotion the simulation stops at the indefinite pause.
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(
        sim.state.phase,
        RolloutPhase::Paused(PauseReason::AwaitingPromotion)
    );
    assert_eq!(sim.state.weight, 80);
    // 60 s pause, analysis over 60 s (3 x 30 s), 90 s pause.
    assert_eq!(sim.state.now, t(60 + 60 + 90));
    assert_eq!(sim.analyses.len(), 1);
    assert_eq!(sim.analyses[0].metrics[0].measurements.len(), 3);
    let opts = SimulationOptions {
        auto_promote: true,
        ..SimulationOptions::default()
    };
    let sim = simulate(&spec, &p, "v2", "v1", t(0), opts).await.unwrap();
    assert_eq!(sim.state.phase, RolloutPhase::Completed);
    assert_eq!(
        (sim.state.weight, sim.state.stable_revision.as_str()),
        (100, "v2")
    );
}

#[tokio::test]
async fn failed_analysis_aborts_and_inconclusive_pauses() {
    let spec = parse_rollout_yaml("rollout.yaml", ARGO).unwrap();
    // Second measurement (t = 90 s) below 0.90: failed, abort.
    let p = provider(&[(0, 0.99), (90, 0.80)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(sim.state.phase, RolloutPhase::Aborted { .. }),
        "{:?}",
        sim.state.phase
    );
    assert_eq!(sim.state.weight, 0);
    assert_eq!(sim.analyses[0].phase, AnalysisPhase::Failed);
    assert_eq!(sim.analyses[0].metrics[0].measurements.len(), 2);
    // Between the two conditions: inconclusive, paused.
    let p = provider(&[(0, 0.92)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(
        sim.state.phase,
        RolloutPhase::Paused(PauseReason::Inconclusive)
    );
    assert_eq!(sim.state.weight, 20);
    // A provider with no data: 3 error measurements stay within Argo's default
    // consecutive error limit of 4, but with no valid measurement at all the
    // metric is Error, and the rollout aborts.
    let p = InMemoryProvider::new();
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.analyses[0].metrics[0].errors, 3);
    assert_eq!(sim.analyses[0].phase, AnalysisPhase::Error);
    assert!(matches!(sim.state.phase, RolloutPhase::Aborted { .. }));
    // One error among valid measurements is tolerated.
    let p = provider(&[(90, 0.99)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.analyses[0].metrics[0].errors, 1);
    assert_eq!(sim.analyses[0].phase, AnalysisPhase::Successful);
}

#[tokio::test]
async fn flagger_linear_counts_failed_checks() {
    let yaml = r#"
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo}
spec:
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 30
    stepWeight: 10
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 1m
"#;
    let spec = parse_rollout_yaml("canary.yaml", yaml).unwrap();
    assert_eq!(
        spec.strategy,
        Strategy::Linear {
            step_weight: 10,
            max_weight: 30,
            interval_ms: 60_000,
            threshold: 2,
            analysis: vec!["podinfo-checks".into()]
        }
    );
    let mut ok = InMemoryProvider::new();
    ok.insert("request-success-rate", [(t(0), 99.5)]);
    let sim = simulate(&spec, &ok, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.state.phase, RolloutPhase::Completed);
    // 10, 20, 30 each after a 1 min wait.
    assert_eq!(sim.state.now, t(180));
    // The check at 2 min fails and is retried a minute later; that second
    // failure (threshold 2) rolls back at 3 min.
    let mut bad = InMemoryProvider::new();
    bad.insert("request-success-rate", [(t(0), 99.5), (t(120), 90.0)]);
    let sim = simulate(&spec, &bad, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert!(matches!(sim.state.phase, RolloutPhase::Aborted { .. }));
    assert_eq!(sim.state.failed_checks, 2);
    assert_eq!(sim.state.now, t(180));
    // Recovering before the threshold continues.
    let mut blip = InMemoryProvider::new();
    blip.insert(
        "request-success-rate",
        [(t(0), 99.5), (t(120), 90.0), (t(150), 99.9)],
    );
    let sim = simulate(&spec, &blip, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.state.phase, RolloutPhase::Completed);
    assert_eq!(sim.state.failed_checks, 1);
    assert_eq!(sim.state.now, t(240));
}

#[tokio::test]
async fn blue_green_with_analysis() {
    let yaml = r#"
kind: Rollout
metadata: {name: bg}
spec:
  strategy:
    blueGreen:
      activeService: active
      previewService: preview
      autoPromotionSeconds: 30
      prePromotionAnalysis:
        templates: [{templateName: smoke}]
      postPromotionAnalysis:
        templates: [{templateName: smoke}]
---
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  metrics:
  - name: errors
    successCondition: result < 1
"#;
    let spec = parse_rollout_yaml("bg.yaml", yaml).unwrap();
    let mut p = InMemoryProvider::new();
    p.insert("errors", [(t(0), 0.0)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(sim.state.phase, RolloutPhase::Completed);
    assert_eq!(sim.analyses.len(), 2);
    assert_eq!(sim.state.now, t(30));
    // Post-promotion failure rolls traffic back.
    p.insert("errors", [(t(10), 5.0)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert!(matches!(sim.state.phase, RolloutPhase::Aborted { .. }));
    assert_eq!(sim.state.weight, 0);
    // autoPromotionEnabled: false waits for a promote.
    let manual = yaml.replace("autoPromotionSeconds: 30", "autoPromotionEnabled: false");
    let spec = parse_rollout_yaml("bg.yaml", &manual).unwrap();
    let mut p = InMemoryProvider::new();
    p.insert("errors", [(t(0), 0.0)]);
    let sim = simulate(&spec, &p, "v2", "v1", t(0), SimulationOptions::default())
        .await
        .unwrap();
    assert_eq!(
        sim.state.phase,
        RolloutPhase::Paused(PauseReason::AwaitingPromotion)
    );
    assert_eq!(sim.state.weight, 0);
}

#[test]
fn commands_and_rollback_to_last_healthy() {
    let spec = RolloutSpec::new(
        "r",
        Strategy::Canary {
            steps: vec![
                CanaryStep::SetWeight(25),
                CanaryStep::Pause(None),
                CanaryStep::SetWeight(75),
            ],
        },
    );
    let (mut s, tl) = RolloutState::start(&spec, "v3", "v2", t(0)).unwrap();
    assert_eq!(tl.len(), 3); // started, set weight, paused
    assert_eq!(s.next_action(), NextAction::AwaitPromotion);
    s.apply(
        &spec,
        RolloutEvent::Promote {
            full: false,
            at: t(5),
        },
    )
    .unwrap();
    assert_eq!(s.phase, RolloutPhase::Completed);
    assert!(matches!(
        s.apply(
            &spec,
            RolloutEvent::Promote {
                full: false,
                at: t(6)
            }
        ),
        Err(Error::Transition {
            action: "promote",
            ..
        })
    ));
    assert!(matches!(
        s.apply(&spec, RolloutEvent::Retry { at: t(6) }),
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        s.apply(&spec, RolloutEvent::Tick(t(1))),
        Err(Error::Invalid { .. })
    ));
    // The completed revision misbehaves later: roll back to the last healthy one.
    let mut history = DeploymentHistory::in_memory();
    for (rev, outcome) in [
        ("v1", Outcome::Succeeded),
        ("v2", Outcome::Succeeded),
        ("v3", Outcome::Failed),
    ] {
        history
            .append(DeploymentRecord {
                revision: rev.into(),
                previous: None,
                started_at: t(0),
                finished_at: t(5),
                outcome,
                steps: vec![],
                judgements: vec![],
            })
            .unwrap();
    }
    let to = history.last_healthy_revision().map(str::to_owned);
    s.apply(&spec, RolloutEvent::Rollback { to, at: t(10) })
        .unwrap();
    assert_eq!(s.phase, RolloutPhase::RolledBack { to: "v2".into() });
    assert_eq!((s.weight, s.stable_revision.as_str()), (0, "v2"));
    // Abort then retry restarts from the first step.
    let (mut s, _) = RolloutState::start(&spec, "v3", "v2", t(0)).unwrap();
    s.apply(
        &spec,
        RolloutEvent::Abort {
            reason: "manual".into(),
            at: t(1),
        },
    )
    .unwrap();
    assert_eq!(s.weight, 0);
    s.apply(&spec, RolloutEvent::Retry { at: t(2) }).unwrap();
    assert_eq!((s.step, s.weight), (1, 25));
    assert!(matches!(
        s.apply(
            &spec,
            RolloutEvent::AnalysisCompleted {
                phase: AnalysisPhase::Successful,
                at: t(3)
            }
        ),
        Err(Error::Transition { .. })
    ));
}

#[test]
fn bad_strategies_are_typed_errors() {
    let no_steps =
        "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps: []\n";
    assert!(matches!(
        parse_rollout_yaml("x", no_steps),
        Err(Error::Strategy { .. })
    ));
    let unknown = "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps:\n      - analysis: {templates: [{templateName: nope}]}\n";
    assert!(
        matches!(parse_rollout_yaml("x", unknown), Err(Error::UnknownTemplate(t)) if t == "nope")
    );
    let heavy = "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps:\n      - setWeight: 120\n";
    assert!(matches!(
        parse_rollout_yaml("x", heavy),
        Err(Error::Strategy { .. })
    ));
    let bad_step = "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps:\n      - experiment: {}\n";
    assert!(matches!(
        parse_rollout_yaml("x", bad_step),
        Err(Error::Manifest { .. })
    ));
    let bad_pause = "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps:\n      - pause: {duration: soon}\n";
    assert!(matches!(
        parse_rollout_yaml("x", bad_pause),
        Err(Error::Manifest { .. })
    ));
    assert!(matches!(
        parse_rollout_yaml("x", "kind: [unclosed"),
        Err(Error::Manifest { .. })
    ));
    assert!(matches!(
        parse_rollout_yaml("x", "kind: Service\n"),
        Err(Error::Manifest { .. })
    ));
    let cond = "kind: Rollout\nmetadata: {name: x}\nspec:\n  strategy:\n    canary:\n      steps:\n      - setWeight: 10\n---\nkind: AnalysisTemplate\nmetadata: {name: a}\nspec:\n  metrics:\n  - name: m\n    successCondition: len(result) > 0\n";
    assert!(matches!(
        parse_rollout_yaml("x", cond),
        Err(Error::Manifest { .. })
    ));
    let linear = RolloutSpec::new(
        "l",
        Strategy::Linear {
            step_weight: 60,
            max_weight: 50,
            interval_ms: 1000,
            threshold: 1,
            analysis: vec![],
        },
    );
    assert!(matches!(linear.check(), Err(Error::Strategy { .. })));
}

#[tokio::test]
async fn recorded_metrics_answer_only_within_their_staleness_bound() {
    use aiops_gitops::MetricProvider;
    let p = provider(&[(0, 0.99), (30, 0.98), (60, 0.97)]).with_max_staleness(30_000);
    assert_eq!(p.max_staleness(), Some(30_000));
    // At or before t, no older than one step.
    assert_eq!(p.measure("success_rate", t(45)).await.unwrap(), 0.98);
    assert_eq!(p.measure("success_rate", t(90)).await.unwrap(), 0.97);
    // Past the last point by more than a step, before the first, unknown: NotRecorded.
    for (metric, at, needle) in [
        ("success_rate", 91, "after the recording"),
        ("success_rate", -1, "before the recording"),
        (
            "latency",
            10,
            "not in the recorded metrics (recorded: success_rate)",
        ),
    ] {
        let e = p.measure(metric, t(at)).await.unwrap_err();
        assert!(matches!(e, Error::NotRecorded { .. }), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }
    // A gap longer than the bound is not bridged.
    let gap = provider(&[(0, 1.0), (30, 1.0), (300, 1.0)]).with_max_staleness(30_000);
    let e = gap.measure("success_rate", t(100)).await.unwrap_err();
    assert!(e.to_string().contains("in a gap of the recording"), "{e}");
    // Without a bound the rest are live-provider errors (error measurements)
    // and the last point answers forever, as before.
    let e = provider(&[(0, 0.5)])
        .measure("latency", t(0))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Provider { .. }), "{e}");
    let open = provider(&[(0, 0.5)]);
    assert_eq!(
        open.measure("success_rate", t(1_000_000)).await.unwrap(),
        0.5
    );
}

#[tokio::test]
async fn simulation_past_the_recording_is_an_input_error_not_an_abort() {
    let spec = parse_rollout_yaml("rollout.yaml", ARGO).unwrap();
    // Only the first 20 s are recorded: the analyses cannot be measured.
    let short = provider(&[(0, 0.99), (10, 0.99), (20, 0.99)]).with_max_staleness(10_000);
    let e = simulate(
        &spec,
        &short,
        "v2",
        "v1",
        t(0),
        SimulationOptions {
            auto_promote: true,
            ..SimulationOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::NotRecorded { .. }), "{e}");
    // A metric the recording lacks is the same input error.
    let other = {
        let mut p = InMemoryProvider::new().with_max_staleness(10_000);
        p.insert("latency", (0..1000).map(|i| (t(i * 10), 1.0)));
        p
    };
    let e = simulate(
        &spec,
        &other,
        "v2",
        "v1",
        t(0),
        SimulationOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, Error::NotRecorded { metric, .. } if metric == "success_rate"),
        "{e}"
    );
}
