//! Hand-checked classifications and scores of the canary judge.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use aiops_gitops::{
    CanaryJudge, Classification, Direction, EffectSize, Error, JudgeConfig, MetricConfig,
    MetricSamples, ScoreThresholds, Verdict,
};

fn seq(n: usize, shift: f64) -> Vec<f64> {
    (0..n).map(|i| i as f64 + shift).collect()
}

fn metric(name: &str, group: &str, direction: Direction) -> MetricConfig {
    MetricConfig {
        group: group.to_owned(),
        direction,
        ..MetricConfig::new(name)
    }
}

fn samples(pairs: &[(&str, Vec<f64>)]) -> MetricSamples {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The "shifted" R fixture: estimate 1.6664, 98% interval [0.5876, 2.6372].
fn shifted_fixture() -> (Vec<f64>, Vec<f64>) {
    let text = include_str!("fixtures/wilcox_reference.txt");
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim() != "case shifted")
        .skip(1);
    let nums = |l: &str| -> Vec<f64> {
        l.split_whitespace()
            .skip(1)
            .map(|t| t.parse().unwrap())
            .collect()
    };
    let x = nums(lines.next().unwrap());
    let y = nums(lines.next().unwrap());
    (x, y)
}

#[test]
fn shift_up_is_high_only_when_increase_is_bad() {
    let base = seq(20, 0.0);
    let can = seq(20, 10.0);
    for (dir, expected) in [
        (Direction::Increase, Classification::High),
        (Direction::Either, Classification::High),
        (Direction::Decrease, Classification::Pass),
    ] {
        let judge = CanaryJudge::new(JudgeConfig {
            metrics: vec![metric("latency", "default", dir)],
            ..JudgeConfig::default()
        })
        .unwrap();
        let r = judge.judge_metric("latency", &base, &can).unwrap();
        assert_eq!(r.classification, expected, "{dir:?}");
        let t = r.test.unwrap();
        // Every pairwise difference of 0..20 + 10 against 0..20 has median 10.
        assert!((t.estimate - 10.0).abs() < 1e-3, "{}", t.estimate);
        // U: canary i >= 10 beats all 20 (200 pairs); i < 10 beats i + 10
        // values and ties one: sum(10..=19) + 10 * 0.5 = 150. Total 350.
        assert_eq!(t.u, 350.0);
    }
    // A decrease is Low under Either and Decrease.
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let r = judge
        .judge_metric("throughput", &seq(20, 10.0), &seq(20, 0.0))
        .unwrap();
    assert_eq!(r.classification, Classification::Low);
}

#[test]
fn tolerance_band_uses_the_estimate() {
    let (canary, baseline) = shifted_fixture();
    // Bound 0.25 * 1.6664 = 0.4166 < lower end 0.5876: High.
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let r = judge.judge_metric("m", &baseline, &canary).unwrap();
    assert_eq!(r.classification, Classification::High);
    let t = r.test.unwrap();
    assert!((t.ci_low - 0.587_564_215).abs() < 1e-6);
    // Bound 0.5 * 1.6664 = 0.8332 > 0.5876: inside the band, Pass.
    let judge = CanaryJudge::new(JudgeConfig {
        tolerance: 0.5,
        ..JudgeConfig::default()
    })
    .unwrap();
    assert_eq!(
        judge
            .judge_metric("m", &baseline, &canary)
            .unwrap()
            .classification,
        Classification::Pass
    );
}

#[test]
fn effect_size_threshold_keeps_small_shifts_passing() {
    // Baseline 100..300, canary shifted by 40: clearly significant, mean
    // ratio 239.5 / 199.5 = 1.2005.
    let base = seq(200, 100.0);
    let can = seq(200, 140.0);
    let with_effect = |increase: f64| {
        let cfg = MetricConfig {
            effect_size: EffectSize {
                decrease: 0.8,
                increase,
            },
            ..MetricConfig::new("latency")
        };
        let judge = CanaryJudge::new(JudgeConfig {
            metrics: vec![cfg],
            ..JudgeConfig::default()
        })
        .unwrap();
        judge.judge_metric("latency", &base, &can).unwrap()
    };
    let r = with_effect(1.0);
    assert_eq!(r.classification, Classification::High, "{}", r.reason);
    assert!((r.effect_size.unwrap() - 239.5 / 199.5).abs() < 1e-12);
    assert_eq!(with_effect(1.2).classification, Classification::High);
    assert_eq!(with_effect(1.25).classification, Classification::Pass);
}

#[test]
fn no_data_identical_and_constant_samples() {
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    // Empty and NaN-only samples: NoData, NaN counted.
    let r = judge.judge_metric("m", &[1.0, 2.0], &[]).unwrap();
    assert_eq!(r.classification, Classification::NoData);
    let r = judge
        .judge_metric("m", &[1.0, 2.0], &[f64::NAN, f64::NAN])
        .unwrap();
    assert_eq!(r.classification, Classification::NoData);
    assert_eq!(r.missing_removed, 2);
    // NaN points are removed, the rest judged.
    let r = judge
        .judge_metric("m", &[1.0, f64::NAN, 2.0], &[1.0, 2.0])
        .unwrap();
    assert_eq!(r.classification, Classification::Pass);
    assert_eq!((r.baseline_count, r.missing_removed), (2, 1));
    // Identical samples (in any order): Pass.
    let r = judge
        .judge_metric("m", &[3.0, 1.0, 2.0], &[1.0, 2.0, 3.0])
        .unwrap();
    assert_eq!(r.classification, Classification::Pass);
    assert_eq!(r.test.unwrap().p_value, 1.0);
    // All observations equal: Pass without a test (no variance).
    let r = judge.judge_metric("m", &[5.0; 4], &[5.0; 7]).unwrap();
    assert_eq!(r.classification, Classification::Pass);
    assert!(r.test.is_none());
    // Both constant but different: the exact shift, High.
    let r = judge.judge_metric("m", &[5.0; 4], &[9.0; 7]).unwrap();
    assert_eq!(r.classification, Classification::High);
    assert_eq!(r.test.unwrap().estimate, 4.0);
    // Infinite values are an error, not a silent drop.
    assert!(matches!(
        judge.judge_metric("m", &[1.0, f64::INFINITY], &[1.0]),
        Err(Error::NonFiniteSample {
            side: "baseline",
            index: 1,
            ..
        })
    ));
}

#[test]
fn weighted_group_scores_and_verdicts() {
    // latency (weight 60): p99 High, p50 Pass -> 50; errors (weight 40): Pass -> 100;
    // saturation (weight 0 after renormalising: only NoData) is left out.
    // Score = 0.6 * 50 + 0.4 * 100 = 70.
    let cfg = JudgeConfig {
        groups: [("latency", 60.0), ("errors", 40.0), ("saturation", 25.0)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        metrics: vec![
            metric("p99", "latency", Direction::Increase),
            metric("p50", "latency", Direction::Increase),
            metric("error_rate", "errors", Direction::Increase),
            metric("cpu", "saturation", Direction::Increase),
        ],
        ..JudgeConfig::default()
    };
    let baseline = samples(&[
        ("p99", seq(30, 0.0)),
        ("p50", seq(30, 0.0)),
        ("error_rate", seq(30, 0.0)),
    ]);
    let canary = samples(&[
        ("p99", seq(30, 20.0)),
        ("p50", seq(30, 0.5)),
        ("error_rate", seq(30, -5.0)),
    ]);
    let j = CanaryJudge::new(cfg.clone())
        .unwrap()
        .judge(&baseline, &canary)
        .unwrap();
    let class: Vec<_> = j
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.classification))
        .collect();
    assert_eq!(
        class,
        vec![
            ("cpu", Classification::NoData),
            ("error_rate", Classification::Pass),
            ("p50", Classification::Pass),
            ("p99", Classification::High),
        ]
    );
    assert!((j.score - 70.0).abs() < 1e-9, "{}", j.score);
    assert_eq!(j.verdict, Verdict::Fail); // below marginal 75
    let sat = j.groups.iter().find(|g| g.name == "saturation").unwrap();
    assert_eq!((sat.judged, sat.weight, sat.score), (0, 0.0, None));
    let marginal = CanaryJudge::new(JudgeConfig {
        thresholds: ScoreThresholds {
            pass: 95.0,
            marginal: 70.0,
        },
        ..cfg.clone()
    })
    .unwrap()
    .judge(&baseline, &canary)
    .unwrap();
    assert_eq!(marginal.verdict, Verdict::Marginal);
    let pass = CanaryJudge::new(JudgeConfig {
        thresholds: ScoreThresholds {
            pass: 70.0,
            marginal: 50.0,
        },
        ..cfg
    })
    .unwrap()
    .judge(&baseline, &canary)
    .unwrap();
    assert_eq!(pass.verdict, Verdict::Pass);
}

#[test]
fn equal_weights_without_groups() {
    // Two groups, no weights: (0 + 100) / 2 = 50.
    let cfg = JudgeConfig {
        metrics: vec![
            metric("a", "g1", Direction::Either),
            metric("b", "g2", Direction::Either),
        ],
        ..JudgeConfig::default()
    };
    let baseline = samples(&[("a", seq(20, 0.0)), ("b", seq(20, 0.0))]);
    let canary = samples(&[("a", seq(20, 30.0)), ("b", seq(20, 0.0))]);
    let j = CanaryJudge::new(cfg)
        .unwrap()
        .judge(&baseline, &canary)
        .unwrap();
    assert!((j.score - 50.0).abs() < 1e-12);
    assert_eq!(j.verdict, Verdict::Fail);
}

#[test]
fn critical_metrics_fail_the_run() {
    let mut crit = metric("error_rate", "errors", Direction::Increase);
    crit.critical = true;
    let cfg = JudgeConfig {
        metrics: vec![
            crit.clone(),
            metric("a", "g", Direction::Either),
            metric("b", "g", Direction::Either),
        ],
        thresholds: ScoreThresholds {
            pass: 50.0,
            marginal: 10.0,
        },
        ..JudgeConfig::default()
    };
    let baseline = samples(&[
        ("error_rate", seq(20, 0.0)),
        ("a", seq(20, 0.0)),
        ("b", seq(20, 0.0)),
    ]);
    // error_rate High: the whole run fails with score 0 although 2 of 3 pass.
    let canary = samples(&[
        ("error_rate", seq(20, 50.0)),
        ("a", seq(20, 0.0)),
        ("b", seq(20, 0.0)),
    ]);
    let j = CanaryJudge::new(cfg.clone())
        .unwrap()
        .judge(&baseline, &canary)
        .unwrap();
    assert_eq!(j.critical_failures, vec!["error_rate".to_owned()]);
    assert_eq!((j.score, j.verdict), (0.0, Verdict::Fail));
    // A critical metric with no data (only missing points) fails the run too.
    let canary = samples(&[
        ("error_rate", vec![f64::NAN; 3]),
        ("a", seq(20, 0.0)),
        ("b", seq(20, 0.0)),
    ]);
    let j = CanaryJudge::new(cfg.clone())
        .unwrap()
        .judge(&baseline, &canary)
        .unwrap();
    assert_eq!(j.critical_failures, vec!["error_rate".to_owned()]);
    assert_eq!(j.verdict, Verdict::Fail);
    // So does one that is configured but in neither sample map.
    let drop = |m: &MetricSamples| {
        let mut m = m.clone();
        m.remove("error_rate");
        m
    };
    let j = CanaryJudge::new(cfg.clone())
        .unwrap()
        .judge(&drop(&baseline), &drop(&canary))
        .unwrap();
    assert_eq!(j.critical_failures, vec!["error_rate".to_owned()]);
    let err = j.metrics.iter().find(|m| m.name == "error_rate").unwrap();
    assert!(err.reason.contains("neither"), "{}", err.reason);
    // Below the critical effect size a critical High only counts as a High.
    crit.critical_effect_size = EffectSize {
        decrease: 0.5,
        increase: 100.0,
    };
    let cfg = JudgeConfig {
        metrics: vec![
            crit,
            metric("a", "g", Direction::Either),
            metric("b", "g", Direction::Either),
        ],
        ..cfg
    };
    let canary = samples(&[
        ("error_rate", seq(20, 50.0)),
        ("a", seq(20, 0.0)),
        ("b", seq(20, 0.0)),
    ]);
    let j = CanaryJudge::new(cfg)
        .unwrap()
        .judge(&baseline, &canary)
        .unwrap();
    assert!(j.critical_failures.is_empty());
    // Equal weights over groups "errors" (0) and "g" (100): 50 >= pass 50.
    assert!((j.score - 50.0).abs() < 1e-12);
    assert_eq!(j.verdict, Verdict::Pass);
}

#[test]
fn nothing_judged_fails() {
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let j = judge
        .judge(
            &samples(&[("a", vec![])]),
            &samples(&[("a", vec![f64::NAN])]),
        )
        .unwrap();
    assert_eq!((j.score, j.verdict), (0.0, Verdict::Fail));
}

#[test]
fn bad_configs_are_typed_errors() {
    let bad = [
        JudgeConfig {
            thresholds: ScoreThresholds {
                pass: 50.0,
                marginal: 75.0,
            },
            ..JudgeConfig::default()
        },
        JudgeConfig {
            confidence: 1.0,
            ..JudgeConfig::default()
        },
        JudgeConfig {
            tolerance: -0.1,
            ..JudgeConfig::default()
        },
        JudgeConfig {
            groups: [("g".to_owned(), -1.0)].into_iter().collect(),
            metrics: vec![metric("a", "g", Direction::Either)],
            ..JudgeConfig::default()
        },
        JudgeConfig {
            groups: [("g".to_owned(), 0.0)].into_iter().collect(),
            metrics: vec![metric("a", "g", Direction::Either)],
            ..JudgeConfig::default()
        },
        JudgeConfig {
            groups: [("g".to_owned(), 1.0)].into_iter().collect(),
            metrics: vec![metric("a", "other", Direction::Either)],
            ..JudgeConfig::default()
        },
        JudgeConfig {
            metrics: vec![MetricConfig::new("a"), MetricConfig::new("a")],
            ..JudgeConfig::default()
        },
        JudgeConfig {
            metrics: vec![MetricConfig {
                effect_size: EffectSize {
                    decrease: 1.5,
                    increase: 1.2,
                },
                ..MetricConfig::new("a")
            }],
            ..JudgeConfig::default()
        },
    ];
    for cfg in bad {
        assert!(
            matches!(CanaryJudge::new(cfg.clone()), Err(Error::Config { .. })),
            "{cfg:?}"
        );
    }
}

#[test]
fn config_from_yaml() {
    let cfg = JudgeConfig::from_yaml_str(
        "judge.yaml",
        "confidence: 0.95\nthresholds: {pass: 90, marginal: 60}\ngroups: {latency: 70, errors: 30}\nmetrics:\n  - name: p99\n    group: latency\n    direction: increase\n    critical: true\n",
    )
    .unwrap();
    assert_eq!(cfg.confidence, 0.95);
    assert_eq!(cfg.metrics[0].direction, Direction::Increase);
    assert!(cfg.metrics[0].critical);
    let e = JudgeConfig::from_yaml_str("judge.yaml", "confidance: 0.9\n").unwrap_err();
    assert!(matches!(e, Error::Manifest { .. }), "{e}");
}

#[test]
fn a_metric_on_one_side_only_is_an_error() {
    // A renamed column must not turn into two NoData metrics and a pass.
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let baseline = samples(&[("lat_ms", seq(20, 0.0)), ("err", seq(20, 0.0))]);
    let canary = samples(&[("lat", seq(20, 0.0)), ("err", seq(20, 0.0))]);
    let e = judge.judge(&baseline, &canary).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::MetricMissing { metric, missing_from: "canary", present_in: "baseline" }
                if metric == "lat_ms"
        ),
        "{e}"
    );
    let e = judge.judge(&canary, &baseline).unwrap_err();
    assert!(
        matches!(&e, Error::MetricMissing { metric, missing_from: "canary", .. } if metric == "lat"),
        "{e}"
    );
    // NaN-only on one side is still NoData, with the missing points counted.
    let canary = samples(&[("lat_ms", vec![f64::NAN; 4]), ("err", seq(20, 0.0))]);
    let j = judge.judge(&baseline, &canary).unwrap();
    let lat = j.metrics.iter().find(|m| m.name == "lat_ms").unwrap();
    assert_eq!(
        (lat.classification, lat.missing_removed),
        (Classification::NoData, 4)
    );
}

#[test]
fn huge_magnitudes_are_rejected_not_infinite() {
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let mut b = seq(20, 0.0);
    b[3] = -1e308;
    let e = judge.judge_metric("m", &b, &seq(20, 0.0)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::SampleOutOfRange {
                side: "baseline",
                index: 3,
                ..
            }
        ),
        "{e}"
    );
    assert!(aiops_gitops::mann_whitney("m", &[1e308, 1.0], &[1.0, 2.0], 0.95).is_err());
    // At the bound the interval stays finite.
    let c: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 1e300 } else { -1e300 })
        .collect();
    let r = judge.judge_metric("m", &seq(20, 0.0), &c).unwrap();
    let t = r.test.unwrap();
    assert!(t.ci_low.is_finite() && t.ci_high.is_finite(), "{t:?}");
    assert!(r.effect_size.unwrap().is_finite());
    // The CSV reader names the file, line and column.
    let e = aiops_gitops::read_samples_csv("c.csv", "a,b\n1,2\n1e308,3\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv:3:1: value 1e308 exceeds the supported magnitude 1e300 (the statistics would overflow)"
    );
}

#[test]
fn samples_too_small_for_the_confidence_are_no_data_not_a_change() {
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    // One or two points a side: R's interval is the range of the
    // differences (it excludes 0) while p is 1 or 0.245; no verdict either way.
    for (b, c) in [
        (vec![10.0], vec![1000.0]),
        (vec![10.0, 11.0], vec![1000.0, 1001.0]),
    ] {
        let r = judge.judge_metric("m", &b, &c).unwrap();
        assert_eq!(r.classification, Classification::NoData, "{}", r.reason);
        assert!(r.reason.contains("too few points"), "{}", r.reason);
        let t = r.test.unwrap();
        assert!(!t.can_reach(0.98) && t.p_value > 0.02, "{t:?}");
    }
    // Five a side, completely separated: the largest |z| is 2.51 > 2.33.
    let r = judge
        .judge_metric("m", &seq(5, 0.0), &seq(5, 100.0))
        .unwrap();
    assert_eq!(r.classification, Classification::High, "{}", r.reason);
    assert!(r.test.unwrap().max_abs_z > 2.5);
    // A critical metric with too few points fails the run, as with no data.
    let cfg = JudgeConfig {
        metrics: vec![MetricConfig {
            critical: true,
            ..MetricConfig::new("m")
        }],
        ..JudgeConfig::default()
    };
    let j = CanaryJudge::new(cfg)
        .unwrap()
        .judge(&samples(&[("m", vec![1.0])]), &samples(&[("m", vec![2.0])]))
        .unwrap();
    assert_eq!(j.verdict, Verdict::Fail);
}

#[test]
fn a_zero_baseline_mean_has_no_mean_ratio() {
    let judge = CanaryJudge::new(JudgeConfig::default()).unwrap();
    let base = vec![0.0; 50];
    let canary: Vec<f64> = (0..50).map(|i| f64::from(i) / 50.0).collect();
    let r = judge.judge_metric("m", &base, &canary).unwrap();
    assert_eq!(r.effect_size, None);
    assert_eq!(r.classification, Classification::High, "{}", r.reason);
    assert!(
        r.reason.contains("undefined (baseline mean 0)"),
        "{}",
        r.reason
    );
}
