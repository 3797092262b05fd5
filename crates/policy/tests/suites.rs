//! Runs the Gatekeeper-library-style suites under `tests/data/gatekeeper`.
#![cfg(feature = "rego")]

use std::path::{Path, PathBuf};

use aiops_policy::{find_suites, run_suite};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gatekeeper")
        .join(p)
}

#[test]
fn every_good_suite_passes() {
    for name in [
        "requiredlabels",
        "allowedrepos",
        "containerlimits",
        "privileged",
        "uniqueingresshost",
        "admissionreview",
        "negation",
    ] {
        let r = run_suite(&data(&format!("{name}/suite.yaml"))).unwrap();
        assert!(r.passed(), "{name}:\n{}", r.render());
        let (pass, fail) = r.case_counts();
        assert!(pass >= 4, "{name}: {pass} cases");
        assert_eq!(fail, 0);
        assert!(r.render().contains("--- PASS"));
    }
}

#[test]
fn broken_suite_reports_each_broken_case_and_keeps_going() {
    let r = run_suite(&data("broken/suite.yaml")).unwrap();
    assert!(!r.passed());
    let text = r.render();
    let t = |n: &str| r.tests.iter().find(|t| t.name == n).unwrap();
    let syntax = t("rego-syntax-error");
    let e = syntax.error.as_deref().unwrap();
    assert!(
        e.contains("k8sbrokenlabels") && e.contains("Rego error"),
        "{e}"
    );
    assert!(!syntax.cases[0].passed);
    let unknown = t("unknown-parameter");
    assert!(unknown.passed(), "{text}");
    assert!(
        unknown.warnings.len() == 1 && unknown.warnings[0].contains("lables"),
        "{:?}",
        unknown.warnings
    );
    assert!(
        text.contains("    warning: constraint `misspelled-parameter`"),
        "{text}"
    );
    let mistyped = t("mistyped-parameter").error.as_deref().unwrap();
    assert!(
        mistyped.contains("labels") && mistyped.contains("expected array"),
        "{mistyped}"
    );
    assert!(!t("mistyped-parameter").cases[0].passed);
    let cases = &t("missing-files-and-wrong-counts").cases;
    assert!(
        !cases[0].passed
            && cases[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("does_not_exist.yaml")
    );
    assert!(
        !cases[1].passed && cases[1].reason.as_deref().unwrap().contains("want 5"),
        "{text}"
    );
    assert!(cases[2].passed, "{text}");
    assert!(
        !cases[3].passed
            && cases[3]
                .reason
                .as_deref()
                .unwrap()
                .contains("invalid regular expression")
    );
    let no_request = cases[4].reason.as_deref().unwrap();
    assert!(
        !cases[4].passed
            && no_request.contains("request")
            && no_request.contains("AdmissionRequest"),
        "{no_request}"
    );
    assert!(t("skipped-test").passed());
    assert!(
        text.contains("--- FAIL: wrong-count") && text.contains("--- PASS: still-runs-and-passes"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().starts_with("FAIL\t"));
    let (pass, fail) = r.case_counts();
    assert_eq!((pass, fail), (2, 6));
}

#[test]
fn suites_are_found_in_folders_and_bad_suite_files_are_errors() {
    let found = find_suites(&data("")).unwrap();
    assert_eq!(found.len(), 8, "{found:?}");
    assert!(run_suite(&data("nope/suite.yaml")).is_err());
    assert!(
        run_suite(&data("requiredlabels/template.yaml")).is_err(),
        "not a Suite"
    );
}

/// gator reviews a plain object as a bare AdmissionRequest (no operation, no
/// user) and an AdmissionReview as the request it carries; a DELETE's
/// `oldObject` is the object under review. The template's `violation` has
/// several bodies (OPA v0 syntax that regorus needs rewritten).
#[test]
fn admission_reviews_are_reviewed_like_gator() {
    let r = run_suite(&data("admissionreview/suite.yaml")).unwrap();
    assert!(r.passed(), "{}", r.render());
    let counts: Vec<(&str, usize)> = r.tests[0]
        .cases
        .iter()
        .map(|c| (c.name.as_str(), c.violations))
        .collect();
    assert_eq!(
        counts,
        [
            ("plain-object-without-owner", 1),
            ("plain-object-with-owner", 0),
            ("update-changes-owner", 1),
            ("update-by-allowed-user", 0),
            ("create-review", 0),
            ("delete-protected", 1),
            ("delete-in-excluded-namespace", 0),
        ]
    );
}
