//! End-to-end: load manifest folders, evaluate the native set, fix files.

use std::path::{Path, PathBuf};

use aiops_core::Severity;
use aiops_policy::{
    Document, Error, PolicySet, Source, apply_patch, fix_document, fix_files, load_path,
    parse_documents, write_atomic,
};
use proptest::prelude::*;
use serde_json::json;

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
}

#[test]
fn sample_folder_report() {
    let docs = load_path(&data("manifests")).unwrap();
    assert_eq!(
        docs.len(),
        14,
        "10 Kubernetes objects + 5 plan resources - 1 deleted by the plan"
    );
    let report = PolicySet::native().evaluate(&docs).unwrap();
    assert!(
        report.score > 50.0 && report.score < 90.0,
        "{}",
        report.score
    );
    assert_eq!(report.counts.critical, 9);
    assert!(report.has_findings_at_or_above(Severity::Critical));
    // The hardened storefront passes everything that applies to it.
    let storefront = report
        .resources
        .iter()
        .find(|r| r.resource.kind == "Deployment" && r.resource.name == "storefront")
        .unwrap();
    assert_eq!((storefront.failed, storefront.score), (0, 100.0));
    assert!(storefront.checked >= 20);
    let debugger = report
        .resources
        .iter()
        .find(|r| r.resource.name == "node-debugger")
        .unwrap();
    assert!(debugger.score < 30.0, "{}", debugger.score);
    let priv_ = report
        .policies
        .iter()
        .find(|p| p.id == "privileged-container")
        .unwrap();
    assert_eq!((priv_.checked, priv_.failed), (4, 1));
    // Findings point at their file and line.
    let f = report
        .findings
        .iter()
        .find(|f| f.violation.policy_id == "service-nodeport")
        .unwrap();
    assert!(f.resource.source.name.ends_with("cart.yaml"));
    assert_eq!(f.resource.source.line, 27);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.fixable && f.violation.severity == Severity::Critical)
    );
}

#[test]
fn malformed_yaml_in_a_folder_names_file_line_column() {
    match load_path(&data("malformed.yaml")).unwrap_err() {
        Error::Yaml {
            source_name,
            line,
            column,
            ..
        } => {
            assert!(source_name.ends_with("malformed.yaml"));
            assert_eq!(
                line, 7,
                "error at end of input after the unclosed flow sequence"
            );
            assert!(column >= 1);
        }
        e => panic!("{e}"),
    }
    assert!(matches!(load_path(&data("nope")), Err(Error::Io { .. })));
}

#[test]
fn fix_files_rewrites_atomically_and_resolves_minor_findings() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["cart.yaml", "node-debugger.yaml", "plan.json"] {
        std::fs::copy(data("manifests").join(f), dir.path().join(f)).unwrap();
    }
    let set = PolicySet::native();
    let docs = load_path(dir.path()).unwrap();
    let before = set.evaluate(&docs).unwrap();
    let fixes = fix_files(&set, &docs, &before).unwrap();
    assert_eq!(fixes.len(), 2, "plan.json has no fixable finding");
    for f in &fixes {
        write_atomic(&f.path, &f.new_text).unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join("cart.yaml")).unwrap();
    assert!(
        text.starts_with("# Cart: a typical"),
        "leading comments kept:\n{text}"
    );
    let docs2 = load_path(dir.path()).unwrap();
    assert_eq!(docs2.len(), docs.len());
    let after = set.evaluate(&docs2).unwrap();
    assert!(
        !after.findings.iter().any(|f| f.fixable),
        "all fixable findings fixed"
    );
    assert_eq!(
        after.counts.critical, before.counts.critical,
        "critical findings never fixed"
    );
    assert!(after.score > before.score);
    // Each patch alone turns the original into the fixed document.
    for f in &fixes {
        for d in &f.documents {
            let orig = docs
                .iter()
                .find(|x| x.source() == &d.resource.source)
                .unwrap();
            let mut v = orig.value().clone();
            apply_patch(&mut v, &d.patch).unwrap();
            assert_eq!(v, d.document);
        }
    }
}

#[test]
fn any_json_document_and_plan_resources_are_checkable() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "x:1"}]}});
    let doc = Document::from_value(pod, Source::new("api")).unwrap();
    let r = PolicySet::native().evaluate(&[doc]).unwrap();
    assert!(
        r.findings
            .iter()
            .any(|f| f.violation.policy_id == "host-pid")
    );
    let rc = json!({"address": "aws_s3_bucket.b", "type": "aws_s3_bucket",
        "change": {"actions": ["create"], "after": {"acl": "public-read-write"}}});
    let doc = Document::from_plan_resource(&rc, Source::new("plan")).unwrap();
    let r = PolicySet::native().evaluate(&[doc]).unwrap();
    assert_eq!(r.counts.critical, 1);
    assert!(matches!(
        Document::from_value(json!({"metadata": {}}), Source::new("x")),
        Err(Error::MissingKind { .. })
    ));
}

fn pod_yaml(
    privileged: bool,
    uid: Option<i64>,
    tag: &str,
    with_resources: bool,
    drop: &str,
    labels: bool,
) -> String {
    let uid = uid.map(|u| format!("runAsUser: {u}")).unwrap_or_default();
    let res = if with_resources {
        "resources: {requests: {cpu: 3, memory: 2Gi}}"
    } else {
        ""
    };
    let labels = if labels {
        "labels: {app.kubernetes.io/name: w}"
    } else {
        ""
    };
    format!(
        "kind: Deployment\nmetadata: {{name: w, {labels}}}\nspec:\n  template:\n    spec:\n      securityContext: {{{uid}}}\n      containers:\n      - name: c\n        image: \"repo/app{tag}\"\n        {res}\n        securityContext: {{privileged: {privileged}, capabilities: {{drop: [{drop}]}}}}\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn score_bounds_and_fix_invariants(
        privileged in any::<bool>(),
        uid in proptest::option::of(0i64..20000),
        tag in prop_oneof![Just(""), Just(":latest"), Just(":1.2.3"), Just("@sha256:ab")],
        with_resources in any::<bool>(),
        drop in prop_oneof![Just(""), Just("NET_RAW"), Just("ALL")],
        labels in any::<bool>(),
    ) {
        let text = pod_yaml(privileged, uid, tag, with_resources, drop, labels);
        let docs = parse_documents("p.yaml", &text).unwrap();
        let set = PolicySet::native();
        let r = set.evaluate(&docs).unwrap();
        prop_assert!((0.0..=100.0).contains(&r.score));
        prop_assert_eq!(r.counts.total(), r.findings.len());
        if let Some(fix) = fix_document(&set, &docs[0], &r).unwrap() {
            let mut v = docs[0].value().clone();
            apply_patch(&mut v, &fix.patch).unwrap();
            prop_assert_eq!(&v, &fix.document);
            let after = set.evaluate(&[Document::from_value(v, Source::new("p")).unwrap()]).unwrap();
            prop_assert!(!after.findings.iter().any(|f| f.fixable), "{:?}", after.findings);
            prop_assert_eq!(after.counts.critical, r.counts.critical);
            prop_assert!(after.score >= r.score);
            prop_assert!(after.counts.total() < r.counts.total());
        } else {
            prop_assert!(!r.findings.iter().any(|f| f.fixable));
        }
    }

    #[test]
    fn yaml_chunks_keep_every_document(n in 1usize..6, blank in any::<bool>()) {
        let mut text = String::new();
        for i in 0..n {
            if i > 0 || blank { text.push_str("---\n"); }
            text.push_str(&format!("# doc {i}\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"));
        }
        let docs = parse_documents("c.yaml", &text).unwrap();
        prop_assert_eq!(docs.len(), n);
        for (i, d) in docs.iter().enumerate() {
            prop_assert_eq!(d.name(), format!("c{i}"));
            prop_assert_eq!(text.lines().nth(d.source().line - 1).unwrap(), "kind: ConfigMap");
        }
    }
}
