//! Reading Terraform plan JSON of every supported format version, the risk
//! report, round trips, and `*.tf.json` emission.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use std::path::PathBuf;

use aiops_core::Severity;
use aiops_iac::{
    Action, Config, Counts, Error, FindingCategory, ReplaceOrder, Resource, RiskPolicy, State,
    assess, from_tf_json, plan, read_terraform_plan, to_tf_json,
};
use serde_json::json;

fn data(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn counts(
    create: usize,
    update: usize,
    replace: usize,
    delete: usize,
    read: usize,
    no_op: usize,
) -> Counts {
    Counts {
        create,
        update,
        replace,
        delete,
        read,
        no_op,
    }
}

/// Expected counts and protected-destroy verdict for every fixture.
const FIXTURES: &[(&str, &str, [usize; 6], bool)] = &[
    ("plan_v0.1_tf0.12_web.json", "0.1", [2, 1, 1, 1, 1, 1], true),
    (
        "plan_v0.2_tf1.0_sensitive.json",
        "0.2",
        [1, 1, 0, 2, 0, 1],
        true,
    ),
    ("plan_v1.0_tf1.1_cbd.json", "1.0", [0, 2, 2, 1, 0, 1], false),
    (
        "plan_v1.1_tf1.3_tainted.json",
        "1.1",
        [0, 1, 1, 1, 0, 1],
        true,
    ),
    (
        "plan_v1.2_tf1.6_deferred_read.json",
        "1.2",
        [1, 2, 1, 1, 1, 0],
        false,
    ),
];

#[test]
fn counts_are_right_for_every_format_version() {
    for (file, version, c, protected) in FIXTURES {
        let text = data(file);
        let (p, info) = read_terraform_plan(file, &text).unwrap();
        assert_eq!(info.format_version, *version);
        assert_eq!(
            p.counts(),
            counts(c[0], c[1], c[2], c[3], c[4], c[5]),
            "{file}"
        );
        // A replace is one change, not a delete plus a create.
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            p.changes().len(),
            doc["resource_changes"].as_array().unwrap().len(),
            "{file}"
        );
        let report = assess(&p, &RiskPolicy::default());
        assert_eq!(
            report.has_protected_destroy(),
            *protected,
            "{file}: {}",
            report.to_text()
        );
        assert_eq!(report.counts, p.counts());
    }
}

#[test]
fn v0_1_findings_and_dependencies() {
    let (p, _) = read_terraform_plan("v0.1", &data("plan_v0.1_tf0.12_web.json")).unwrap();
    let db = p.change("aws_db_instance.main").unwrap();
    assert_eq!(db.action, Action::Replace);
    assert_eq!(db.replace_order, Some(ReplaceOrder::DeleteBeforeCreate));
    let web = p.change("aws_instance.web[1]").unwrap();
    assert_eq!(
        web.depends_on,
        ["aws_security_group.web", "data.aws_ami.ubuntu"]
    );
    assert!(web.after_unknown.contains(&"public_ip".to_owned()));
    let r = assess(&p, &RiskPolicy::default());
    let find = |cat: FindingCategory, addr: &str| {
        r.findings
            .iter()
            .filter(|f| f.category == cat && f.address == addr)
            .collect::<Vec<_>>()
    };
    let rep = find(FindingCategory::Replace, "aws_db_instance.main");
    assert_eq!(rep.len(), 1);
    assert_eq!(rep[0].severity, Severity::Critical);
    assert!(rep[0].protected);
    let sec = find(FindingCategory::Security, "aws_security_group.web");
    assert!(
        sec.iter()
            .any(|f| f.severity == Severity::Critical && f.paths == ["ingress[1].cidr_blocks"]),
        "{sec:?}"
    );
    assert!(
        find(FindingCategory::Security, "aws_db_instance.main")
            .iter()
            .any(|f| f.paths == ["storage_encrypted"])
    );
    let eip = find(FindingCategory::Destroy, "aws_eip.legacy");
    assert_eq!(eip[0].severity, Severity::Warning);
    assert!(!eip[0].protected);
    // most severe first
    assert!(
        r.findings
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity)
    );
    // The instances are created after the security group they reference is updated.
    let pos = |a: &str| {
        p.step_order()
            .iter()
            .position(|&s| p.changes()[p.steps()[s].change].address == a)
            .unwrap()
    };
    assert!(pos("aws_security_group.web") < pos("aws_instance.web[0]"));
    assert!(pos("data.aws_ami.ubuntu") < pos("aws_instance.web[1]"));
}

#[test]
fn v0_2_sensitive_and_module_delete_order() {
    let (p, _) = read_terraform_plan("v0.2", &data("plan_v0.2_tf1.0_sensitive.json")).unwrap();
    let u = p.change("google_sql_user.app").unwrap();
    assert_eq!(u.sensitive, ["password"]);
    assert_eq!(u.changed, ["password"]);
    let r = assess(&p, &RiskPolicy::default());
    let s: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.category == FindingCategory::Sensitive)
        .collect();
    assert_eq!(s.len(), 1);
    assert!(
        !r.to_text().contains("new-secret"),
        "sensitive values are never printed"
    );
    assert!(!r.to_json().to_string().contains("new-secret"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "google_compute_firewall.allow_http"
                && f.severity == Severity::Critical
                && f.paths == ["source_ranges"])
    );
    // The object is destroyed before its bucket (prior_state depends_on).
    let order: Vec<&str> = p
        .step_order()
        .iter()
        .map(|&s| p.changes()[p.steps()[s].change].address.as_str())
        .collect();
    let at = |a: &str| order.iter().position(|x| *x == a).unwrap();
    assert!(
        at("module.storage.google_storage_bucket_object.index")
            < at("module.storage.google_storage_bucket.assets")
    );
}

#[test]
fn v1_0_create_before_destroy_and_reasons() {
    let (p, _) = read_terraform_plan("v1.0", &data("plan_v1.0_tf1.1_cbd.json")).unwrap();
    let asg = p.change("aws_autoscaling_group.app").unwrap();
    assert_eq!(
        (asg.action, asg.replace_order),
        (Action::Replace, Some(ReplaceOrder::CreateBeforeDestroy))
    );
    assert_eq!(asg.replace_paths, ["name"]);
    assert_eq!(asg.reason.as_deref(), Some("replace_because_cannot_update"));
    assert_eq!(
        asg.depends_on,
        ["aws_launch_template.app", "aws_lb_target_group.app"]
    );
    assert!(
        asg.after_unknown
            .contains(&"launch_template[0].version".to_owned())
    );
    let rec = p.change("module.dns.aws_route53_record.app").unwrap();
    assert_eq!(rec.replace_order, Some(ReplaceOrder::DeleteBeforeCreate));
    let r = assess(&p, &RiskPolicy::default());
    let text = r.to_text();
    assert!(text.contains("name forces replacement"), "{text}");
    assert!(text.contains("no longer in the configuration"), "{text}");
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "aws_iam_role_policy.app"
                && f.severity == Severity::Critical
                && f.message.contains("every action"))
    );
}

#[test]
fn v1_1_tainted_drift_and_protected_delete() {
    let (p, info) = read_terraform_plan("v1.1", &data("plan_v1.1_tf1.3_tainted.json")).unwrap();
    assert_eq!(info.drift, 1);
    assert_eq!(info.terraform_version.as_deref(), Some("1.3.9"));
    let r = assess(&p, &RiskPolicy::default());
    let vm = r
        .findings
        .iter()
        .find(|f| f.category == FindingCategory::Replace)
        .unwrap();
    assert!(vm.message.contains("tainted"), "{}", vm.message);
    let del = r
        .findings
        .iter()
        .find(|f| f.category == FindingCategory::Destroy)
        .unwrap();
    assert_eq!(del.address, "azurerm_storage_account.logs");
    assert!(del.protected);
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "azurerm_network_security_rule.ssh"
                && f.paths == ["source_address_prefix"])
    );
    let json = r.to_json();
    assert_eq!(json["counts"]["replace"], 1);
    assert_eq!(json["counts"]["no_op"], 1);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"].is_string() && f["address"].is_string())
    );
}

#[test]
fn v1_2_deferred_read_and_for_each_keys() {
    let (p, _) = read_terraform_plan("v1.2", &data("plan_v1.2_tf1.6_deferred_read.json")).unwrap();
    let read = p.change("data.aws_subnets.private").unwrap();
    assert_eq!(read.action, Action::Read);
    assert_eq!(read.reason.as_deref(), Some("read_because_config_unknown"));
    assert_eq!(read.depends_on, ["aws_vpc.main"]);
    let b = p.change("aws_instance.bastion[\"eu-west-1a\"]").unwrap();
    assert_eq!(b.depends_on, ["data.aws_subnets.private"]);
    let r = assess(&p, &RiskPolicy::default());
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "aws_s3_bucket_acl.site" && f.severity == Severity::Critical)
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "aws_db_instance.orders" && f.paths == ["deletion_protection"])
    );
    assert!(
        r.findings.iter().any(
            |f| f.address == "aws_db_instance.orders" && f.category == FindingCategory::Unknown
        )
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.address == "aws_instance.bastion[\"eu-west-1b\"]"
                && f.message.contains("for_each key"))
    );
    // Updating a protected type is not a destroy.
    assert!(!r.has_protected_destroy());
}

#[test]
fn bad_plans_are_typed_errors() {
    let e = read_terraform_plan("v", &data("bad_unknown_version.json")).unwrap_err();
    assert!(
        matches!(&e, Error::UnsupportedFormatVersion { version, .. } if version == "2.0"),
        "{e}"
    );
    let e = read_terraform_plan("t", &data("bad_truncated.json")).unwrap_err();
    assert!(
        matches!(&e, Error::MalformedPlan { path, .. } if path == "$"),
        "{e}"
    );
    let e = read_terraform_plan("a", &data("bad_unknown_action.json")).unwrap_err();
    assert!(
        matches!(&e, Error::MalformedPlan { path, message, .. } if path == "$.resource_changes[0].change.actions" && message.contains("aws_vpc.a")),
        "{e}"
    );
    let e = read_terraform_plan("m", &data("bad_missing_address.json")).unwrap_err();
    assert!(
        matches!(&e, Error::MalformedPlan { path, .. } if path == "$.resource_changes[0].address"),
        "{e}"
    );
    assert!(matches!(
        read_terraform_plan("x", "[]"),
        Err(Error::MalformedPlan { .. })
    ));
    assert!(matches!(
        read_terraform_plan("x", "{}"),
        Err(Error::MalformedPlan { .. })
    ));
    let dup = r#"{"format_version":"1.2","resource_changes":[
        {"address":"a_b.c","type":"a_b","change":{"actions":["create"]}},
        {"address":"a_b.c","type":"a_b","change":{"actions":["create"]}}]}"#;
    assert!(matches!(
        read_terraform_plan("d", dup),
        Err(Error::DuplicateAddress { .. })
    ));
}

#[test]
fn own_plans_round_trip_through_terraform_json() {
    let state = State::new().with(aiops_iac::ResourceState {
        address: "aws_vpc.main".into(),
        mode: aiops_iac::Mode::Managed,
        resource_type: "aws_vpc".into(),
        provider: "aws".into(),
        attributes: json!({"id": "vpc-1", "cidr_block": "10.0.0.0/16"})
            .as_object()
            .unwrap()
            .clone(),
        depends_on: vec![],
        create_before_destroy: false,
        deposed: vec![],
    });
    let cfg = Config::new(vec![
        Resource::new("aws_vpc.main")
            .unwrap()
            .attr("cidr_block", json!("10.1.0.0/16"))
            .force_new(["cidr_block"]),
        Resource::new("aws_subnet.a")
            .unwrap()
            .attr("vpc_id", json!("${aws_vpc.main.id}")),
        Resource::new("aws_db_instance.db")
            .unwrap()
            .attr("storage_encrypted", json!(false)),
    ])
    .unwrap();
    let p = plan(&cfg, &state).unwrap();
    let text = p.to_json().to_string();
    let (back, _) = read_terraform_plan("own", &text).unwrap();
    assert_eq!(back.counts(), p.counts());
    for (a, b) in p.changes().iter().zip(back.changes()) {
        assert_eq!(
            (a.action, a.replace_order, &a.after_unknown),
            (b.action, b.replace_order, &b.after_unknown)
        );
    }
    // Documents with a kind, for policy checks.
    let docs = p.documents();
    assert_eq!(docs[2]["kind"], "aws_db_instance");
    assert_eq!(docs[0]["change"]["actions"], json!(["delete", "create"]));
    assert!(
        assess(&back, &RiskPolicy::default())
            .findings
            .iter()
            .any(|f| f.paths == ["storage_encrypted"])
    );
}

#[test]
fn tf_json_emission_round_trips() {
    let cfg = Config::new(vec![
        Resource::new("aws_vpc.main")
            .unwrap()
            .attr("cidr_block", json!("10.0.0.0/16")),
        Resource::new("aws_subnet.a")
            .unwrap()
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .provider("aws.west")
            .create_before_destroy(true),
        Resource::new("data.aws_ami.ubuntu")
            .unwrap()
            .attr("most_recent", json!(true)),
        Resource::new("aws_instance.x")
            .unwrap()
            .attr("ami", json!("${data.aws_ami.ubuntu.id}"))
            .depends_on("aws_subnet.a"),
    ])
    .unwrap();
    let tf = to_tf_json(&cfg).unwrap();
    assert_eq!(
        tf["resource"]["aws_subnet"]["a"]["vpc_id"],
        "${aws_vpc.main.id}"
    );
    assert_eq!(tf["resource"]["aws_subnet"]["a"]["provider"], "aws.west");
    assert_eq!(
        tf["resource"]["aws_subnet"]["a"]["lifecycle"]["create_before_destroy"],
        true
    );
    assert_eq!(
        tf["resource"]["aws_instance"]["x"]["depends_on"],
        json!(["aws_subnet.a"])
    );
    assert_eq!(tf["data"]["aws_ami"]["ubuntu"]["most_recent"], true);
    let back = from_tf_json(&tf).unwrap();
    assert_eq!(back.len(), 4);
    for r in cfg.resources() {
        assert_eq!(back.get(&r.address).unwrap(), r);
    }
    let m = Config::new(vec![Resource::new("module.m.aws_vpc.v").unwrap()]).unwrap();
    assert!(matches!(to_tf_json(&m), Err(Error::InvalidAddress { .. })));
}

/// A 0.1 plan records no replacement reason: the report names the changed
/// attribute as the likely cause and the new `id` as known only after apply
/// (not as a change), and a syntax error's position is given once.
#[test]
fn replacement_without_reason_separates_unknown_from_changed() {
    let text = json!({
        "format_version": "0.1",
        "terraform_version": "0.12.11",
        "resource_changes": [{
            "address": "null_resource.bar",
            "mode": "managed",
            "type": "null_resource",
            "name": "bar",
            "provider_name": "null",
            "change": {
                "actions": ["delete", "create"],
                "before": {"id": "1234", "triggers": {"a": "1"}},
                "after": {"triggers": {"a": "2"}},
                "after_unknown": {"id": true}
            }
        }]
    })
    .to_string();
    let (p, _) = read_terraform_plan("plan.json", &text).unwrap();
    let report = assess(&p, &RiskPolicy::default()).to_text();
    assert!(
        report.contains(
            "the provider requires a new object; changed: triggers; known after apply: id"
        ),
        "{report}"
    );
    let err = read_terraform_plan("plan.json", "{}}")
        .unwrap_err()
        .to_string();
    assert_eq!(err.matches("column").count(), 1, "{err}");
    assert!(
        err.contains("plan.json") && err.contains("line 1 column 3"),
        "{err}"
    );
}
