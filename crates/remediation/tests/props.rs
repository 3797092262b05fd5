//! Property tests: severity is monotone in its evidence, loaders and replay
//! never panic on arbitrary input, and root-cause scores form a distribution.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use aiops_core::{SeriesKey, Severity, TimeSeries, Timestamp};
use aiops_remediation::{
    Criticality, DependencyGraph, RcaParams, Replay, RunbookSet, ServiceMetrics, SeverityInput,
    SeverityRules, rank_root_causes,
};
use proptest::prelude::*;

fn input() -> impl Strategy<Value = SeverityInput> {
    (
        proptest::option::of(0.0f64..=1.0),
        proptest::option::of(0.0f64..=1.0),
        proptest::option::of(0.0f64..50.0),
        proptest::option::of(0.0f64..50.0),
        0u8..4,
        1u32..40,
    )
        .prop_map(|(a, f, s, l, c, n)| SeverityInput {
            anomaly_peak: a,
            failure_probability: f,
            burn_short: s,
            burn_long: l,
            criticality: [
                Criticality::Low,
                Criticality::Medium,
                Criticality::High,
                Criticality::Critical,
            ][c as usize],
            affected: n,
        })
}

proptest! {
    #[test]
    fn severity_is_monotone_in_failure_probability_and_affected(i in input(), dp in 0.0f64..1.0, dn in 0u32..30) {
        let r = SeverityRules::default();
        let base = r.assess_input(&i);
        prop_assert!(!base.reasons.is_empty());
        let mut more = i;
        more.failure_probability = Some((i.failure_probability.unwrap_or(0.0) + dp).min(1.0));
        if i.failure_probability.is_some() || dp > 0.0 {
            prop_assert!(r.assess_input(&more).severity >= base.severity);
        }
        let mut wider = i;
        wider.affected = i.affected + dn;
        prop_assert!(r.assess_input(&wider).severity >= base.severity);
        // Deterministic.
        prop_assert_eq!(r.assess_input(&i), base);
    }

    #[test]
    fn no_rule_means_info(c in 0u8..4, n in 1u32..100) {
        let i = SeverityInput { criticality: [Criticality::Low, Criticality::Medium, Criticality::High, Criticality::Critical][c as usize], affected: n, ..SeverityInput::default() };
        prop_assert_eq!(SeverityRules::default().assess_input(&i).severity, Severity::Info);
    }

    #[test]
    fn runbook_loading_never_panics(text in "\\PC{0,300}") {
        let _ = RunbookSet::from_yaml_str("p", &text);
        let _ = RunbookSet::from_json_str("p", &text);
    }

    #[test]
    fn replay_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Replay::from_bytes("p", &bytes);
    }

    #[test]
    fn rca_scores_form_a_distribution(
        values in proptest::collection::vec(proptest::collection::vec(-100.0f64..100.0, 12), 2..5),
        shift in 0usize..4,
    ) {
        let n = values.len();
        let ts: Vec<Timestamp> = (0..12).map(|i| Timestamp::from_secs(i * 60)).collect();
        let series: Vec<TimeSeries> = values
            .iter()
            .enumerate()
            .map(|(i, v)| TimeSeries::new(SeriesKey::new(format!("s{i}:m")), ts.clone(), v.clone()).expect("series"))
            .collect();
        let m = ServiceMetrics::from_series(series).expect("metrics");
        let edges: Vec<(String, String)> = (1..n).map(|i| (format!("s{}", (i + shift) % i), format!("s{i}"))).collect();
        let g = DependencyGraph::from_edges(edges).expect("graph");
        let r = rank_root_causes(&g, &m, Timestamp::from_secs(6 * 60), &RcaParams::default()).expect("rank");
        prop_assert_eq!(r.len(), n);
        let sum: f64 = r.iter().map(|x| x.score).sum();
        prop_assert!((sum - 1.0).abs() < 1e-6, "sum {}", sum);
        prop_assert!(r.iter().all(|x| x.score >= 0.0 && (0.0..1.0).contains(&x.anomaly)));
        prop_assert!(r.windows(2).all(|w| w[0].score >= w[1].score));
    }
}
