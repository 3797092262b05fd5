//! A rollout resumed from its serialized state at any step ends in the same
//! state, with the same timeline, as one that never stopped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use aiops_core::Timestamp;
use aiops_gitops::{
    AnalysisMetric, AnalysisPhase, AnalysisTemplate, CanaryStep, Condition, NextAction,
    RolloutEvent, RolloutPhase, RolloutSpec, RolloutState, TimelineEntry,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Script {
    phases: Vec<AnalysisPhase>,
    /// Per pause: 0 promote, 1 promote fully, 2 abort.
    commands: Vec<u8>,
    retries: u32,
}

fn step() -> impl Strategy<Value = CanaryStep> {
    prop_oneof![
        (0u32..=100).prop_map(CanaryStep::SetWeight),
        (0i64..120_000).prop_map(|d| CanaryStep::Pause(Some(d))),
        Just(CanaryStep::Pause(None)),
        Just(CanaryStep::Analysis(vec!["a".into()])),
    ]
}

fn strategy() -> impl Strategy<Value = aiops_gitops::Strategy> {
    prop_oneof![
        prop::collection::vec(step(), 1..8)
            .prop_map(|steps| aiops_gitops::Strategy::Canary { steps }),
        (1u32..50, 50u32..=100, 1i64..100_000, 1u32..4, any::<bool>()).prop_map(
            |(sw, mw, i, th, a)| {
                aiops_gitops::Strategy::Linear {
                    step_weight: sw,
                    max_weight: mw,
                    interval_ms: i,
                    threshold: th,
                    analysis: if a { vec!["a".into()] } else { vec![] },
                }
            }
        ),
        (
            any::<bool>(),
            prop::option::of(0i64..60_000),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(auto, ms, pre, post)| aiops_gitops::Strategy::BlueGreen {
                auto_promotion: auto,
                auto_promotion_ms: ms,
                pre_promotion_analysis: if pre { vec!["a".into()] } else { vec![] },
                post_promotion_analysis: if post { vec!["a".into()] } else { vec![] },
            }),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec(
            prop_oneof![
                3 => Just(AnalysisPhase::Successful),
                1 => Just(AnalysisPhase::Inconclusive),
                1 => Just(AnalysisPhase::Failed),
                1 => Just(AnalysisPhase::Error),
            ],
            1..10,
        ),
        prop::collection::vec(0u8..3, 1..10),
        0u32..3,
    )
        .prop_map(|(phases, commands, retries)| Script {
            phases,
            commands,
            retries,
        })
}

/// Drives a rollout by the script; at event `cut` the state (and spec) go
/// through JSON and the run continues from the copies.
fn drive(
    spec: &RolloutSpec,
    script: &Script,
    cut: Option<usize>,
) -> (RolloutState, Vec<TimelineEntry>) {
    let (mut state, mut timeline) =
        RolloutState::start(spec, "v2", "v1", Timestamp::from_secs(1_000)).unwrap();
    let mut spec = spec.clone();
    let (mut analyses, mut pauses, mut retries) = (0usize, 0usize, 0u32);
    for k in 0..200 {
        if Some(k) == cut {
            let s = serde_json::to_string(&state).unwrap();
            state = serde_json::from_str(&s).unwrap();
            let p = serde_json::to_string(&spec).unwrap();
            spec = serde_json::from_str(&p).unwrap();
        }
        let now = state.now;
        let event = match state.next_action() {
            NextAction::WaitUntil(t) => RolloutEvent::Tick(t),
            NextAction::RunAnalysis(_) => {
                analyses += 1;
                RolloutEvent::AnalysisCompleted {
                    phase: script.phases[analyses % script.phases.len()],
                    at: now.add_millis(500),
                }
            }
            NextAction::AwaitPromotion => {
                pauses += 1;
                match script.commands[pauses % script.commands.len()] {
                    0 => RolloutEvent::Promote {
                        full: false,
                        at: now.add_millis(10),
                    },
                    1 => RolloutEvent::Promote {
                        full: true,
                        at: now.add_millis(10),
                    },
                    _ => RolloutEvent::Abort {
                        reason: "operator".into(),
                        at: now.add_millis(10),
                    },
                }
            }
            NextAction::Done => match state.phase {
                RolloutPhase::Aborted { .. } if retries < script.retries => {
                    retries += 1;
                    RolloutEvent::Retry {
                        at: now.add_millis(20),
                    }
                }
                RolloutPhase::Aborted { .. } => RolloutEvent::Rollback {
                    to: None,
                    at: now.add_millis(20),
                },
                _ => break,
            },
        };
        timeline.extend(state.apply(&spec, event).unwrap());
    }
    (state, timeline)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn resumed_rollout_matches_uninterrupted(strategy in strategy(), script in script(), cut in 0usize..40) {
        let mut metric = AnalysisMetric::new("m");
        metric.success = Some(Condition::AtLeast(0.5));
        let mut spec = RolloutSpec::new("r", strategy);
        spec.templates.insert("a".into(), AnalysisTemplate { name: "a".into(), metrics: vec![metric] });
        let (straight, straight_tl) = drive(&spec, &script, None);
        let (resumed, resumed_tl) = drive(&spec, &script, Some(cut));
        prop_assert!(straight.is_finished(), "{:?}", straight.phase);
        prop_assert_eq!(&straight, &resumed);
        prop_assert_eq!(straight_tl, resumed_tl);
    }
}
