//! Invariants: learning paths respect prerequisites and the weekly budget;
//! gap scores are monotone in the required level.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::{BTreeMap, HashMap};

use aiops_core::Timestamp;
use aiops_skills::{
    AnalysisParams, Category, Evidence, EvidenceKind, IncidentDemand, Member, PathParams,
    Requirement, RoleProfile, Skill, Target, Taxonomy, Team, analyze, learning_path, weighted_gap,
};
use proptest::prelude::*;

/// A random DAG taxonomy: skill `i` may need skills `j < i`.
fn taxonomy(n: usize, edges: &[(usize, usize)], hours: &[f64], prereq_level: &[u8]) -> Taxonomy {
    let mut prereqs: Vec<Vec<String>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        let (a, b) = (a % n, b % n);
        let (lo, hi) = (a.min(b), a.max(b));
        if lo != hi && !prereqs[hi].contains(&format!("s{lo}")) {
            prereqs[hi].push(format!("s{lo}"));
        }
    }
    let skills = (0..n)
        .map(|i| Skill {
            id: format!("s{i}"),
            name: format!("S{i}"),
            category: "c".into(),
            description: String::new(),
            levels: ["1", "2", "3", "4", "5"].map(String::from),
            prerequisites: prereqs[i].clone(),
            prerequisite_level: prereq_level[i % prereq_level.len()],
            hours_per_level: hours[i % hours.len()],
        })
        .collect();
    let cats = vec![Category {
        id: "c".into(),
        name: "C".into(),
        description: String::new(),
    }];
    Taxonomy::new("random", cats, skills, BTreeMap::new()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn paths_respect_prerequisites_and_budget(
        n in 2usize..14,
        edges in proptest::collection::vec((0usize..14, 0usize..14), 0..30),
        hours in proptest::collection::vec(0.5f64..20.0, 1..5),
        prereq_level in proptest::collection::vec(1u8..=5, 1..4),
        levels in proptest::collection::vec(1.0f64..5.0, 14),
        targets in proptest::collection::vec((0usize..14, 1u8..=5, 0.0f64..10.0), 1..8),
        weekly in 0.0f64..12.0,
        horizon in 1u32..40,
        review_minutes in 0.0f64..90.0,
    ) {
        let t = taxonomy(n, &edges, &hours, &prereq_level);
        let level_of = |s: &str| {
            let i: usize = s[1..].parse().unwrap();
            levels[i]
        };
        let targets: Vec<Target> = targets
            .iter()
            .map(|&(i, l, p)| Target { skill: format!("s{}", i % n), current: level_of(&format!("s{}", i % n)), target: l, priority: p })
            .collect();
        let params = PathParams { horizon_weeks: horizon, review_minutes, ..PathParams::default() };
        let path = learning_path(&t, &targets, &level_of, weekly, &params).unwrap();
        // Budget: no week exceeds the weekly hours, and nothing beyond the horizon.
        for w in &path.weeks {
            prop_assert!(w.study_hours + w.review_hours <= weekly + 1e-9, "{:?} > {}", w, weekly);
            prop_assert!(w.week >= 1 && w.week <= horizon);
        }
        // The calendar's study hours add up to the scheduled modules.
        let study: f64 = path.weeks.iter().map(|w| w.study_hours).sum();
        prop_assert!((study - path.scheduled_hours()).abs() < 1e-6, "{} vs {}", study, path.scheduled_hours());
        // Order: scheduled then deferred; every prerequisite's modules come first,
        // and a skill's levels rise in order.
        let all: Vec<(&str, u8)> = path
            .modules
            .iter()
            .map(|m| (m.module.skill.as_str(), m.module.to_level))
            .chain(path.deferred.iter().map(|m| (m.skill.as_str(), m.to_level)))
            .collect();
        let mut last_pos: HashMap<&str, usize> = HashMap::new();
        let mut first_pos: HashMap<&str, usize> = HashMap::new();
        for (k, (s, _)) in all.iter().enumerate() {
            last_pos.insert(s, k);
            first_pos.entry(s).or_insert(k);
        }
        for (s, first) in &first_pos {
            for p in &t.skill(s).unwrap().prerequisites {
                if let Some(&lp) = last_pos.get(p.as_str()) {
                    prop_assert!(lp < *first, "{} before its prerequisite {}", s, p);
                }
            }
        }
        for w in all.windows(2) {
            if w[0].0 == w[1].0 {
                prop_assert!(w[0].1 < w[1].1);
            }
        }
        // Prerequisites below the needed level are in the plan (for skills the
        // member is new to: knowing a skill at that level implies them).
        for (s, _) in &all {
            let sk = t.skill(s).unwrap();
            if level_of(s) + 1e-9 >= f64::from(sk.prerequisite_level) {
                continue;
            }
            for p in &sk.prerequisites {
                if level_of(p) + 1e-9 < f64::from(sk.prerequisite_level) {
                    prop_assert!(first_pos.contains_key(p.as_str()), "{} needs {}", s, p);
                }
            }
        }
        // Scheduled modules never start before earlier ones finish.
        for w in path.modules.windows(2) {
            prop_assert!(w[0].end_week <= w[1].start_week);
            prop_assert!(w[0].start_week <= w[0].end_week);
        }
    }

    #[test]
    fn weighted_gap_is_monotone_in_required_level(
        r1 in 1u8..=5, r2 in 1u8..=5, importance in 0.01f64..10.0, mult in 1.0f64..3.0, level in 1.0f64..5.0,
    ) {
        let (lo, hi) = (r1.min(r2), r1.max(r2));
        prop_assert!(weighted_gap(lo, importance, mult, level) <= weighted_gap(hi, importance, mult, level));
        prop_assert!(weighted_gap(lo, importance, mult, level) >= 0.0);
    }

    #[test]
    fn member_gap_in_report_is_monotone(
        evid_level in 1u8..=5, r1 in 1u8..=5, r2 in 1u8..=5, importance in 0.1f64..5.0, sec in 0.0f64..20.0,
    ) {
        let t = Taxonomy::default_devops().unwrap();
        let as_of = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
        let team_with = |req: u8| {
            let role = RoleProfile {
                id: "r".into(),
                name: "R".into(),
                requires: vec![Requirement { skill: "threat-detection".into(), level: req, importance }],
            };
            let member = Member {
                id: "m".into(),
                name: "M".into(),
                role: "r".into(),
                weekly_hours: 3.0,
                evidence: vec![Evidence::new("threat-detection", EvidenceKind::Peer, evid_level, Timestamp::parse("2026-05-01T00:00:00Z").unwrap())],
            };
            Team::new("t", as_of, vec![role], vec![member], &t).unwrap()
        };
        let demand = IncidentDemand::from_counts(&t, [("security", sec), ("anomaly", 1.0)]).unwrap();
        let (lo, hi) = (r1.min(r2), r1.max(r2));
        let g = |req: u8| {
            let r = analyze(&t, &team_with(req), &demand, &AnalysisParams::default()).unwrap();
            (r.members[0].total_weighted_gap, r.coverage[0].team_gap)
        };
        let (a, b) = (g(lo), g(hi));
        prop_assert!(a.0 <= b.0 + 1e-12);
        prop_assert!(a.1 <= b.1 + 1e-12);
    }
}
