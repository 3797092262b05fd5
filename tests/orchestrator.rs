//! Integration tests of the `IntelligentOps` loop with deterministic parts.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::Arc;

use aiops::core::{EventKind, Observation, SeriesKey, Severity, TimeSeries, Timestamp};
use aiops::ops::builtin::{JsonLinesSink, MemorySink};
use aiops::ops::{
    ActionStatus, Detector, DetectorFactory, EventSink, IntelligentOps, MetricSource, OpsConfig,
    SeriesSource,
};
use aiops::{Error, Result};
use async_trait::async_trait;
use proptest::prelude::*;

/// Scores 1.0 above 100 and 0.0 otherwise; NaN is missing.
#[derive(Debug)]
struct Above100;
impl Detector for Above100 {
    fn update(&mut self, _t: Timestamp, x: f64) -> Option<f64> {
        x.is_finite().then_some(if x > 100.0 { 1.0 } else { 0.0 })
    }
}
#[derive(Debug)]
struct Above100Factory;
impl DetectorFactory for Above100Factory {
    fn create(&self, _key: &SeriesKey) -> Box<dyn Detector> {
        Box::new(Above100)
    }
    fn threshold(&self) -> f64 {
        0.5
    }
    fn name(&self) -> &str {
        "above-100"
    }
}

/// One point per 5 minutes.
fn series(name: &str, values: &[f64]) -> TimeSeries {
    let ts = (0..values.len() as i64)
        .map(|i| Timestamp::from_secs(1_400_000_000 + 300 * i))
        .collect();
    TimeSeries::new(SeriesKey::new(name), ts, values.to_vec()).unwrap()
}

/// Opens on the first anomalous point, resolves after 6 h.
fn eager() -> OpsConfig {
    OpsConfig {
        open_after_points: 1,
        quiet_period_ms: 6 * 3_600_000,
        ..OpsConfig::default()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Shares one sink between the orchestrator and the test.
#[derive(Debug, Clone, Default)]
struct Shared(Arc<MemorySink>);
#[async_trait]
impl EventSink for Shared {
    async fn record(&self, event: &aiops::core::Event) -> Result<()> {
        self.0.record(event).await
    }
}

#[test]
fn a_storm_of_anomalies_is_one_incident_and_quiet_resolves_it() {
    // 300 anomalous points in a row, 12 h quiet, then 3 more: two incidents, the first resolved.
    let mut v = vec![10.0; 100];
    v.extend(std::iter::repeat_n(500.0, 300));
    v.extend(std::iter::repeat_n(10.0, 144));
    v.extend([500.0, 500.0, 500.0, 10.0]);
    let sink = Shared::default();
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![series("db", &v)]))
        .detectors(Above100Factory)
        .config(eager())
        .sink(sink.clone())
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    assert_eq!(report.summary.incidents, 2, "{}", report.timeline());
    let first = &report.incidents[0];
    assert_eq!(
        first.signals.iter().filter(|s| s.kind == "anomaly").count(),
        300
    );
    assert!(first.resolved_at.is_some());
    assert!(
        report.incidents[1].resolved_at.is_none(),
        "quiet period not over at the end"
    );
    // Every incident got a failure probability, a severity and actions, all recorded as events.
    for inc in &report.incidents {
        assert!(
            inc.failure_probability
                .is_some_and(|p| (0.0..=1.0).contains(&p))
        );
        assert!(!inc.actions.is_empty());
        // Dry run by default: nothing runs for real. Guards may block a
        // repeated action on the same resource (cool-down).
        assert!(inc.actions.iter().all(|a| matches!(
            a.status,
            ActionStatus::DryRun | ActionStatus::Blocked | ActionStatus::Skipped
        )));
    }
    // The storm is critical; the default engine needs an approver for a
    // critical failover and has none, so the guard blocks it.
    let first_action = &report.incidents[0].actions[0];
    assert_eq!(
        first_action.status,
        ActionStatus::Blocked,
        "{}",
        report.timeline()
    );
    assert!(
        first_action.reason.contains("approval"),
        "{}",
        first_action.reason
    );
    let events = sink.0.events();
    assert_eq!(events.len(), report.summary.events);
    let opened = events
        .iter()
        .filter(|e| e.kind == EventKind::IncidentOpened)
        .count();
    let resolved = events
        .iter()
        .filter(|e| e.kind == EventKind::IncidentResolved)
        .count();
    assert_eq!((opened, resolved), (2, 1));
}

#[test]
fn stray_points_do_not_open_an_incident_but_persistence_does() {
    // Default config: 3 anomalous points within 2 h open an incident (scores
    // of exactly 1.0 would open at once, so this test disables that rule).
    let mut v = vec![10.0; 200];
    v[50] = 500.0; // alone
    v[100] = 500.0; // two, 3 h apart: not within the window
    v[136] = 500.0;
    v[160] = 500.0; // three within 15 minutes
    v[161] = 500.0;
    v[162] = 500.0;
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![series("db", &v)]))
        .detectors(Above100Factory)
        .config(OpsConfig {
            open_at_once_score: 2.0,
            ..OpsConfig::default()
        })
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    assert_eq!(report.summary.incidents, 1, "{}", report.timeline());
    let inc = &report.incidents[0];
    assert_eq!(
        inc.signals.iter().filter(|s| s.kind == "anomaly").count(),
        3
    );
    assert_eq!(inc.start, "2014-05-14T06:13:20Z");
    assert_eq!(report.series[0].anomalous_points, 6);
}

#[test]
fn one_extreme_score_opens_at_once() {
    let mut v = vec![10.0; 100];
    v[60] = 500.0;
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![series("db", &v)]))
        .detectors(Above100Factory)
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    assert_eq!(
        report.summary.incidents, 1,
        "score 1.0 >= open_at_once_score 0.9999"
    );
}

#[test]
fn missing_points_are_counted_not_scored() {
    let mut v = vec![10.0; 50];
    v[10] = f64::NAN;
    v[11] = f64::NAN;
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![series("m", &v)]))
        .detectors(Above100Factory)
        .config(eager())
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    assert_eq!(report.summary.points, 50);
    assert_eq!(report.summary.missing_points, 2);
    assert_eq!(report.series[0].missing_points, 2);
    assert_eq!(report.summary.incidents, 0);
}

#[derive(Debug)]
struct Backwards(bool);
#[async_trait]
impl MetricSource for Backwards {
    fn name(&self) -> &str {
        "backwards"
    }
    async fn next_batch(&mut self) -> Result<Option<Vec<Observation>>> {
        if self.0 {
            return Ok(None);
        }
        self.0 = true;
        let key = SeriesKey::new("x");
        Ok(Some(vec![
            Observation {
                key: key.clone(),
                timestamp: Timestamp::from_secs(10),
                value: 1.0,
            },
            Observation {
                key,
                timestamp: Timestamp::from_secs(5),
                value: 1.0,
            },
        ]))
    }
}

#[test]
fn out_of_order_observations_are_an_error_naming_the_series() {
    let mut ops = IntelligentOps::builder()
        .source(Backwards(false))
        .build()
        .unwrap();
    match rt().block_on(ops.run()) {
        Err(Error::OutOfOrder { series, .. }) => assert_eq!(series, "x"),
        other => panic!("expected OutOfOrder, got {other:?}"),
    }
}

#[test]
fn invalid_configuration_is_rejected_by_field() {
    let cfg = OpsConfig {
        quiet_period_ms: 0,
        ..OpsConfig::default()
    };
    let err = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![]))
        .config(cfg)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config {
                field: "quiet_period_ms",
                ..
            }
        ),
        "{err}"
    );
    let err = IntelligentOps::builder().build().unwrap_err();
    assert!(matches!(
        err,
        Error::Config {
            field: "source",
            ..
        }
    ));
}

#[test]
fn json_report_follows_the_schema_and_the_journal_is_json_lines() {
    let mut v = vec![10.0; 60];
    v[40] = 900.0;
    let dir = std::env::temp_dir().join(format!("aiops-facade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&journal);
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", vec![series("api", &v)]))
        .detectors(Above100Factory)
        .config(eager())
        .sink(JsonLinesSink::open(&journal).unwrap())
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    let inc = &json["incidents"][0];
    for field in [
        "id",
        "resource",
        "severity",
        "start",
        "end",
        "signals",
        "failure_probability",
        "actions",
    ] {
        assert!(!inc[field].is_null(), "missing {field}");
    }
    assert_eq!(inc["resource"], "api");
    assert!(["info", "warning", "critical"].contains(&inc["severity"].as_str().unwrap()));
    assert_eq!(inc["start"], "2014-05-13T20:13:20Z");
    for a in inc["actions"].as_array().unwrap() {
        assert!(a["kind"].is_string() && a["status"].is_string() && a["reason"].is_string());
    }
    assert!(json["summary"]["by_severity"].is_object());
    let lines = std::fs::read_to_string(&journal).unwrap();
    for l in lines.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    let n = lines.lines().count();
    assert_eq!(n, report.summary.events);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fleet_wide_trouble_is_critical() {
    let mut spike = vec![10.0; 60];
    spike[50] = 900.0;
    let all: Vec<TimeSeries> = (0..4)
        .map(|i| series(&format!("node{i}"), &spike))
        .collect();
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("t", all))
        .detectors(Above100Factory)
        .config(eager())
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    assert_eq!(report.summary.incidents, 4);
    // The third and fourth open while more than half the fleet is in incident.
    assert_eq!(
        report.incidents[3].severity,
        Severity::Critical,
        "{}",
        report.timeline()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn report_invariants_hold(values in proptest::collection::vec(prop_oneof![8 => 0.0f64..100.0, 1 => 100.0f64..1000.0, 1 => Just(f64::NAN)], 1..400)) {
        let mut ops = IntelligentOps::builder()
            .source(SeriesSource::new("p", vec![series("s", &values)]))
            .detectors(Above100Factory)
            .config(eager())
            .build()
            .unwrap();
        let r = rt().block_on(ops.run()).unwrap();
        prop_assert_eq!(r.summary.points, values.len());
        prop_assert_eq!(r.summary.missing_points, values.iter().filter(|v| v.is_nan()).count());
        let anomalous = values.iter().filter(|v| **v > 100.0).count();
        prop_assert_eq!(r.series[0].anomalous_points, anomalous);
        prop_assert!(r.summary.incidents <= anomalous);
        prop_assert_eq!(r.summary.incidents > 0, anomalous > 0);
        let by = r.summary.by_severity;
        prop_assert_eq!(by.info + by.warning + by.critical, r.summary.incidents);
        for inc in &r.incidents {
            prop_assert!(inc.start <= inc.end);
            prop_assert!(inc.failure_probability.is_none_or(|p| (0.0..=1.0).contains(&p)));
        }
    }
}
