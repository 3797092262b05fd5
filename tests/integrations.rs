//! The facade's adapters to each capability crate, one test or more per crate.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};

use aiops::core::{
    Incident, IncidentId, SeriesKey, Severity, Signal, SignalKind, TimeSeries, Timestamp,
};
use aiops::ops::integrations::{
    BanditSelector, EnsembleDetectors, ForecastPredictor, GuardedRemediation,
    capacity_from_forecast, compliance_check, log_threat_incidents, team_skills_report,
};
use aiops::ops::{
    ActionStatus, DetectorFactory, Direction, FailurePredictor, FailureQuery, IntelligentOps,
    ProposedAction, RemediationEngine, SeriesSource,
};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(rel)
}

fn series(name: &str, values: &[f64]) -> TimeSeries {
    let ts = (0..values.len() as i64)
        .map(|i| Timestamp::from_secs(1_400_000_000 + 300 * i))
        .collect();
    TimeSeries::new(SeriesKey::new(name), ts, values.to_vec()).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn incident(id: u64, resource: &str, at_secs: i64, severity: Severity) -> Incident {
    let signal = Signal {
        kind: SignalKind::Anomaly,
        source: "test".into(),
        at: Timestamp::from_secs(at_secs),
        value: 0.99,
        detail: String::new(),
    };
    let mut inc = Incident::open(IncidentId(id), resource, signal);
    inc.severity = severity;
    inc
}

#[test]
fn anomaly_ensemble_spatial_novelty_waits_600_points() {
    // The crate's default scores a new extreme 1 from point 150 on; the
    // orchestrator's waits for 600.
    // A jump to a new maximum every 100 points.
    let first_one = |d: &mut dyn FnMut(Timestamp, f64) -> Option<f64>| {
        (0..1000i64).find(|&i| {
            let x = 10.0 + (i % 2) as f64 + 0.01 * i as f64;
            let jump = if i % 100 == 99 { 5.0 } else { 0.0 };
            d(Timestamp::from_secs(300 * i), x + jump).is_some_and(|s| s >= 1.0)
        })
    };
    let mut crate_default = aiops::anomaly::Ensemble::default();
    let at = first_one(&mut |t, x| crate_default.update(t, x).map(|s| s.get()));
    assert_eq!(at, Some(199));
    let mut d = EnsembleDetectors::default().create(&SeriesKey::new("ramp"));
    let at = first_one(&mut |t, x| d.update(t, x));
    assert_eq!(at, Some(699));
}

#[test]
fn anomaly_ensemble_scores_in_range_and_finds_a_level_drop() {
    let f = EnsembleDetectors::default();
    let mut d = f.create(&SeriesKey::new("m"));
    let mut max_before = 0.0f64;
    for i in 0..2000 {
        let x = 80.0 + 3.0 * ((i as f64) * 0.3).sin();
        if let Some(s) = d.update(Timestamp::from_secs(300 * i), x) {
            assert!((0.0..=1.0).contains(&s));
            max_before = max_before.max(s);
        }
    }
    assert_eq!(
        d.update(Timestamp::from_secs(300 * 2000), f64::NAN),
        None,
        "missing is not scored"
    );
    let mut max_after = 0.0f64;
    for i in 2001..2100 {
        if let Some(s) = d.update(Timestamp::from_secs(300 * i), 20.0) {
            max_after = max_after.max(s);
        }
    }
    assert!(
        max_after >= f.threshold(),
        "drop scored {max_after}, threshold {}",
        f.threshold()
    );
}

#[test]
fn forecast_predictor_separates_near_and_far_thresholds() {
    // A steady upward trend with noise: a threshold just ahead is likely, one far away is not.
    let v: Vec<f64> = (0..600)
        .map(|i| 10.0 + 0.1 * i as f64 + ((i * 7919) % 11) as f64 * 0.05)
        .collect();
    let s = series("disk", &v);
    let p = ForecastPredictor::default();
    let near = p
        .predict(
            &s,
            &FailureQuery {
                threshold: 72.0,
                direction: Direction::Above,
                horizon_steps: 48,
            },
        )
        .unwrap();
    let far = p
        .predict(
            &s,
            &FailureQuery {
                threshold: 500.0,
                direction: Direction::Above,
                horizon_steps: 48,
            },
        )
        .unwrap();
    assert!(near.probability > 0.9, "{near:?}");
    assert!(far.probability < 0.05, "{far:?}");
    assert!(near.expected_steps.is_some_and(|s| s > 0.0 && s <= 48.0));
}

#[test]
fn forecast_predictor_leaves_out_a_glitch_and_says_so() {
    // The same trend with one 1e300 glitch: the forecast models refuse such
    // values, so the predictor treats it as a missing point instead of
    // failing (which left incidents without a failure probability).
    let mut v: Vec<f64> = (0..600)
        .map(|i| 10.0 + 0.1 * i as f64 + ((i * 7919) % 11) as f64 * 0.05)
        .collect();
    v[300] = 1e300;
    let q = FailureQuery {
        threshold: 72.0,
        direction: Direction::Above,
        horizon_steps: 48,
    };
    let p = ForecastPredictor::default()
        .predict(&series("disk", &v), &q)
        .unwrap();
    assert!(p.probability > 0.9, "{p:?}");
    assert!(
        p.model.contains("1 value(s) beyond +-1e100 left out"),
        "{p:?}"
    );
}

#[test]
fn remediation_replay_runs_guards_on_data_time() {
    let rt = rt();
    let engine =
        GuardedRemediation::replay(aiops::remediation::RemediationEngine::builder()).unwrap();
    // Two warnings on one resource a minute apart (data time): the cool-down blocks the second.
    let first = rt
        .block_on(engine.remediate(&incident(1, "db", 1_000_000, Severity::Warning)))
        .unwrap();
    assert!(
        first.iter().any(|a| a.status == ActionStatus::DryRun),
        "{first:?}"
    );
    let second = rt
        .block_on(engine.remediate(&incident(2, "db", 1_000_060, Severity::Warning)))
        .unwrap();
    assert!(
        second
            .iter()
            .any(|a| a.status == ActionStatus::Blocked && a.reason.contains("cooldown")),
        "{second:?}"
    );
    // A day later it is allowed again.
    let third = rt
        .block_on(engine.remediate(&incident(3, "db", 1_086_400, Severity::Warning)))
        .unwrap();
    assert!(
        third.iter().any(|a| a.status == ActionStatus::DryRun),
        "{third:?}"
    );
    // Unknown proposed actions are an error naming the kind.
    let err = rt
        .block_on(engine.execute_proposed(
            &incident(4, "db", 1_100_000, Severity::Critical),
            &ProposedAction {
                kind: "reboot_planet".into(),
                target: "x".into(),
                params: vec![],
                reason: "test".into(),
            },
        ))
        .unwrap_err();
    assert!(err.to_string().contains("reboot_planet"));
}

#[test]
fn secops_brute_force_becomes_a_guarded_isolate_action() {
    let log = data("logs/OpenSSH_2k.log");
    let found = log_threat_incidents(&log, "OpenSSH").unwrap();
    let isolations: Vec<_> = found
        .iter()
        .flat_map(|(_, acts)| acts.iter().filter(|a| a.kind == "isolate_source"))
        .collect();
    // fail2ban's sshd jail bans 13 times on this sample (see aiops-secops' tests).
    assert_eq!(isolations.len(), 13);
    assert_eq!(isolations[0].target, "112.95.230.3");
    // Through the orchestrator: each isolation runs through the engine's guards.
    let run = |remediation: Option<GuardedRemediation>| {
        let mut b = IntelligentOps::builder()
            .source(SeriesSource::new("none", vec![]))
            .security_log(&log, "OpenSSH");
        if let Some(r) = remediation {
            b = b.remediation(r);
        }
        let report = rt().block_on(b.build().unwrap().run()).unwrap();
        report
            .incidents
            .iter()
            .flat_map(|i| i.actions.clone())
            .filter(|a| a.kind == "isolate_source")
            .collect::<Vec<_>>()
    };
    // Default engine: isolating is a critical changing action and needs an approver; none is set.
    let blocked = run(None);
    assert_eq!(blocked.len(), 13);
    assert!(
        blocked
            .iter()
            .all(|a| a.status == ActionStatus::Blocked && a.reason.contains("approval")),
        "{blocked:?}"
    );
    // With an approver the dry run records what would be done; nothing runs for real.
    let approved =
        GuardedRemediation::replay(aiops::remediation::RemediationEngine::builder().approver(
            std::sync::Arc::new(aiops::remediation::StaticApprover::approve_all()),
        ))
        .unwrap();
    let dry = run(Some(approved));
    assert_eq!(dry.len(), 13);
    assert!(
        dry.iter().all(|a| a.status == ActionStatus::DryRun),
        "{dry:?}"
    );
}

#[test]
fn policy_compliance_check_scores_the_shipped_manifests() {
    let c = compliance_check(&[data("manifests")]).unwrap();
    assert!(c.documents > 0);
    assert!(c.score > 0.0 && c.score < 100.0, "{}", c.score);
    assert!(c.by_severity.critical > 0);
    assert_eq!(
        c.findings.len(),
        c.by_severity.critical + c.by_severity.warning + c.by_severity.info
    );
    assert!(compliance_check(&[data("no-such-folder")]).is_err());
}

#[test]
fn iac_sizes_a_scaling_group_from_a_forecast() {
    let load = aiops::core::read_nab_csv(data("nab/realKnownCause/nyc_taxi.csv")).unwrap();
    let plan = capacity_from_forecast(&load, 48, 5_000.0, 0.7).unwrap();
    let s = &plan.sizing;
    assert!(
        s.min_nodes <= s.desired_nodes && s.desired_nodes <= s.max_nodes,
        "{}",
        s.to_text()
    );
    assert!(s.max_nodes >= 2 && !s.reasoning.is_empty());
    assert!(
        capacity_from_forecast(&load, 48, 5_000.0, 0.0).is_err(),
        "utilisation 0 is rejected"
    );
}

#[test]
fn skills_report_weighs_the_run_incidents() {
    let mut ops = IntelligentOps::builder()
        .source(SeriesSource::new("none", vec![]))
        .security_log(data("logs/OpenSSH_2k.log"), "OpenSSH")
        .build()
        .unwrap();
    let report = rt().block_on(ops.run()).unwrap();
    let skills = team_skills_report(&report, None).unwrap();
    let text = skills.to_string();
    assert!(text.contains("log_threat"), "{text}");
}

#[test]
fn rl_bandit_selector_learns_the_runbook_that_works() {
    use aiops::remediation::{LearningStats, RunbookSelector};
    let sel = BanditSelector::new(aiops::rl::BanditKind::ThompsonBernoulli, 3);
    let candidates = ["restart", "scale-out"];
    let stats = LearningStats::default();
    let mut picks = [0usize; 2];
    let mut late = [0usize; 2];
    for round in 0..300 {
        let i = sel.select("warning/db", &candidates, &stats);
        assert!(i < candidates.len());
        picks[i] += 1;
        if round >= 200 {
            late[i] += 1;
        }
        // scale-out always works, restart never does.
        sel.observe("warning/db", candidates[i], i == 1, None);
    }
    // Once learned, the working runbook is chosen (almost) every time.
    assert!(late[1] >= 95, "{late:?}");
    assert!(picks[1] > 250, "{picks:?}");
}

#[test]
fn a_log_in_another_format_is_an_error_not_a_clean_bill() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let err = log_threat_incidents(&empty, "OpenSSH").unwrap_err();
    assert!(err.to_string().contains("no log lines"), "{err}");
    let foreign = dir.path().join("foreign.log");
    std::fs::write(&foreign, "garbage\nmore garbage\n").unwrap();
    let err = log_threat_incidents(&foreign, "OpenSSH").unwrap_err();
    assert!(err.to_string().contains("none of the 2 lines"), "{err}");
}
