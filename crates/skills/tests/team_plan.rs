//! End-to-end: the example team, incidents and typed errors on bad files.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use aiops_core::{Incident, IncidentId, Severity, Signal, SignalKind, Timestamp};
use aiops_skills::{AnalysisParams, Error, IncidentDemand, Taxonomy, Team, analyze};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn now() -> Timestamp {
    Timestamp::parse("2026-12-01T00:00:00Z").unwrap()
}

fn example() -> (Taxonomy, Team) {
    let t = Taxonomy::default_devops().unwrap();
    let team = Team::from_yaml_file(format!("{DATA}/team.yaml"), &t, now()).unwrap();
    (t, team)
}

#[test]
fn example_team_report() {
    let (t, team) = example();
    assert_eq!(team.members().len(), 4);
    assert_eq!(
        team.as_of(),
        Timestamp::parse("2026-11-30T00:00:00Z").unwrap()
    );
    let demand = IncidentDemand::from_csv_file(format!("{DATA}/incidents.csv"), &t).unwrap();
    assert_eq!(demand.total(), 12.0);
    let report = analyze(&t, &team, &demand, &AnalysisParams::default()).unwrap();
    // Coverage is sorted by bus factor, and the minimum is reported.
    assert!(
        report
            .coverage
            .windows(2)
            .all(|w| w[0].bus_factor <= w[1].bus_factor)
    );
    assert_eq!(report.min_bus_factor, report.coverage[0].bus_factor);
    // Security incidents dominate, so threat detection weighs most.
    let td = report
        .coverage
        .iter()
        .find(|c| c.skill == "threat-detection")
        .unwrap();
    assert!((td.demand_multiplier - 2.0).abs() < 1e-9, "{td:?}");
    // Members are ordered by total weighted gap and every path fits its budget.
    assert!(
        report
            .members
            .windows(2)
            .all(|w| w[0].total_weighted_gap >= w[1].total_weighted_gap)
    );
    for m in &report.members {
        for w in &m.path.weeks {
            assert!(w.study_hours + w.review_hours <= m.path.weekly_hours + 1e-9);
        }
        assert!(!m.path.modules.is_empty(), "{} has an empty path", m.id);
    }
    // Team plan raises bus factors below 2, lowest first.
    assert!(!report.team_plan.is_empty());
    assert!(report.team_plan.iter().all(|a| a.bus_factor_before < 2));
    assert!(
        report
            .team_plan
            .windows(2)
            .all(|w| w[0].bus_factor_before <= w[1].bus_factor_before)
    );
    let text = report.to_string();
    assert!(text.contains("coverage") && text.contains("member ana"));
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["members"][0]["path"]["modules"].is_array());
    assert_eq!(json["as_of"], "2026-11-30T00:00:00Z");
}

#[test]
fn incident_demand_changes_priorities() {
    let (t, team) = example();
    let none = analyze(
        &t,
        &team,
        &IncidentDemand::none(),
        &AnalysisParams::default(),
    )
    .unwrap();
    let sec = IncidentDemand::from_counts(&t, [("security", 20.0)]).unwrap();
    let with = analyze(&t, &team, &sec, &AnalysisParams::default()).unwrap();
    let gap = |r: &aiops_skills::TeamSkillsReport, m: &str, s: &str| {
        r.members
            .iter()
            .find(|x| x.id == m)
            .and_then(|x| x.gaps.iter().find(|g| g.skill == s))
            .map(|g| g.weighted_gap)
            .unwrap()
    };
    assert!(gap(&with, "dara", "threat-detection") > gap(&none, "dara", "threat-detection"));
    assert_eq!(gap(&with, "ana", "python"), gap(&none, "ana", "python"));
}

#[test]
fn demand_from_orchestrator_incidents() {
    let t = Taxonomy::default_devops().unwrap();
    let sig = |kind: SignalKind| Signal {
        kind,
        source: "cpu".into(),
        at: Timestamp::from_secs(0),
        value: 0.9,
        detail: String::new(),
    };
    let mut a = Incident::open(IncidentId(1), "web-1", sig(SignalKind::Anomaly));
    a.severity = Severity::Critical;
    a.push_signal(sig(SignalKind::Anomaly));
    a.push_signal(sig(SignalKind::FailureProbability));
    let b = Incident::open(IncidentId(2), "auth", sig(SignalKind::LogThreat));
    let c = Incident::open(IncidentId(3), "x", sig(SignalKind::Other("mystery".into())));
    let d = IncidentDemand::from_incidents(&t, &[a, b.clone(), c]);
    let w_b = match b.severity {
        Severity::Info => 1.0,
        Severity::Warning => 2.0,
        Severity::Critical => 4.0,
    };
    assert_eq!(d.categories.get("anomaly"), Some(&4.0));
    assert_eq!(d.categories.get("failure_probability"), Some(&4.0));
    assert_eq!(d.categories.get("log_threat"), Some(&w_b));
    assert!(d.unmapped.contains_key("mystery"));
    // The one-call orchestrator entry point on the shipped example team.
    let team = Team::example(&t).unwrap();
    let inc = vec![Incident::open(
        IncidentId(9),
        "auth",
        sig(SignalKind::LogThreat),
    )];
    let r = aiops_skills::report_for_incidents(&t, &team, &inc).unwrap();
    assert_eq!(r.demand.categories.get("log_threat"), Some(&w_b));
    let td = r
        .coverage
        .iter()
        .find(|c| c.skill == "threat-detection")
        .unwrap();
    assert!(td.demand_multiplier > 1.9);
}

fn team_err(yaml: &str) -> Error {
    let t = Taxonomy::default_devops().unwrap();
    Team::from_yaml_str("bad.yaml", yaml, &t, now()).unwrap_err()
}

const HEAD: &str = "team: t\nas_of: 2026-11-30\nroles:\n  - id: sre\n    requires:\n      - { skill: kubernetes, level: 3 }\nmembers:\n  - id: a\n    role: sre\n    evidence:\n";

#[test]
fn bad_team_files_name_file_and_line() {
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: peer, level: 3, date: 2026-01-01 }}\n      - {{ skill: kubernets, kind: peer, level: 3, date: 2026-01-01 }}\n"
    ));
    assert!(
        matches!(&e, Error::UnknownSkill { file, line: 12, skill } if file == "bad.yaml" && skill == "kubernets"),
        "{e}"
    );
    assert!(e.to_string().starts_with("bad.yaml:12:"), "{e}");
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: peer, level: 7, date: 2026-01-01 }}\n"
    ));
    assert!(
        matches!(&e, Error::LevelOutOfRange { line: 11, value, .. } if value == "7"),
        "{e}"
    );
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: peer, level: 0, date: 2026-01-01 }}\n"
    ));
    assert!(matches!(&e, Error::LevelOutOfRange { line: 11, .. }), "{e}");
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: peer, level: 3, date: 2026-12-25 }}\n"
    ));
    assert!(matches!(&e, Error::FutureEvidence { line: 11, .. }), "{e}");
    // A negative number names the key it was read from.
    let e = team_err(&HEAD.replace("    role: sre\n", "    role: sre\n    weekly_hours: -4\n"));
    assert!(
        matches!(&e, Error::InvalidValue { line: 10, field, .. } if field == "weekly_hours"),
        "{e}"
    );
    // A huge one is written short, in exponent form (was 301 digits).
    let e = team_err(&HEAD.replace(
        "    role: sre\n",
        "    role: sre\n    weekly_hours: -1e300\n",
    ));
    assert!(e.to_string().contains("-1e300 must be finite"), "{e}");
    let e = team_err(&HEAD.replace("level: 3 }", "level: 3, importance: -1 }"));
    assert!(
        matches!(&e, Error::InvalidValue { line: 6, field, .. } if field == "importance"),
        "{e}"
    );
    let e = team_err(&HEAD.replace("level: 3 }", "level: 9 }"));
    assert!(matches!(&e, Error::LevelOutOfRange { line: 6, .. }), "{e}");
    let e = team_err(&HEAD.replace("    role: sre", "    role: dev"));
    assert!(
        matches!(
            &e,
            Error::UnknownReference {
                what: "role",
                line: 8,
                ..
            }
        ),
        "{e}"
    );
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: test, level: 3, answers: \"1021\", date: 2026-01-01 }}\n"
    ));
    assert!(matches!(&e, Error::InvalidValue { line: 11, .. }), "{e}");
    let e = team_err(&format!(
        "{HEAD}      - {{ skill: kubernetes, kind: vibes, level: 3, date: 2026-01-01 }}\n"
    ));
    assert!(matches!(&e, Error::Yaml { line: 11, .. }), "{e}");
    // No `as_of`: the evidence is compared with the current date given.
    let no_as_of = HEAD.replace("as_of: 2026-11-30\n", "");
    let e = team_err(&format!(
        "{no_as_of}      - {{ skill: kubernetes, kind: peer, level: 3, date: 2027-01-01 }}\n"
    ));
    assert!(matches!(&e, Error::FutureEvidence { line: 10, .. }), "{e}");
}

#[test]
fn cyclic_taxonomy_file_is_rejected() {
    let mut text = aiops_skills::DEFAULT_TAXONOMY_YAML.to_owned();
    // linux is a root; make it need kubernetes: linux -> containers -> kubernetes -> linux.
    text = text.replacen(
        "    description: Processes, files, permissions, networking tools and shell scripting.\n",
        "    description: Processes, files, permissions, networking tools and shell scripting.\n    prerequisites: [kubernetes]\n",
        1,
    );
    let e = Taxonomy::from_yaml_str("cyclic.yaml", &text).unwrap_err();
    match &e {
        Error::Cycle { file, line, cycle } => {
            assert_eq!(file, "cyclic.yaml");
            assert!(*line > 0);
            assert_eq!(cycle.first(), cycle.last());
            for s in ["linux", "containers", "kubernetes"] {
                assert!(cycle.iter().any(|c| c == s), "{e}");
            }
        }
        other => panic!("expected a cycle, got {other}"),
    }
}

#[test]
fn missing_file_is_io_error() {
    let e = Taxonomy::from_yaml_file("/nonexistent/taxonomy.yaml").unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
}
