//! Risk report of a plan: destroys, replacements and why, changes to
//! security-relevant resources and attributes, sensitive values and
//! unknowns.

use std::fmt::Write as _;

use aiops_core::Severity;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::plan::{Action, Counts, Plan, ReplaceOrder, ResourceChange};

/// Kind of a risk finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCategory {
    /// A resource is destroyed.
    Destroy,
    /// A resource is destroyed and created again.
    Replace,
    /// A security-relevant resource or attribute changes.
    Security,
    /// Sensitive values change (their values are not shown).
    Sensitive,
    /// Values are known only after apply.
    Unknown,
}

impl FindingCategory {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCategory::Destroy => "destroy",
            FindingCategory::Replace => "replace",
            FindingCategory::Security => "security",
            FindingCategory::Sensitive => "sensitive",
            FindingCategory::Unknown => "unknown",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What kind of risk.
    pub category: FindingCategory,
    /// Resource address.
    pub address: String,
    /// Resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The planned action.
    pub action: Action,
    /// Whether the type is protected (stateful or critical).
    pub protected: bool,
    /// Explanation.
    pub message: String,
    /// Attribute paths involved.
    pub paths: Vec<String>,
}

/// Which resource types are protected or security-relevant. Patterns match
/// a type exactly, or by prefix when they end in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskPolicy {
    /// Types whose destroy or replace loses data or service
    /// (databases, buckets, volumes, keys, DNS zones).
    pub protected_types: Vec<String>,
    /// Types that control access (firewalls, security groups, IAM, keys).
    pub security_types: Vec<String>,
    /// Attribute names whose change is security-relevant on any type.
    pub security_attributes: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            protected_types: strings(&[
                "aws_db_instance",
                "aws_rds_cluster",
                "aws_rds_cluster_instance",
                "aws_dynamodb_table",
                "aws_s3_bucket",
                "aws_efs_file_system",
                "aws_ebs_volume",
                "aws_kms_key",
                "aws_elasticache_*",
                "aws_redshift_cluster",
                "aws_docdb_cluster",
                "aws_neptune_cluster",
                "aws_opensearch_domain",
                "aws_elasticsearch_domain",
                "aws_route53_zone",
                "aws_secretsmanager_secret",
                "aws_backup_vault",
                "aws_msk_cluster",
                "google_sql_database_instance",
                "google_sql_database",
                "google_storage_bucket",
                "google_bigquery_dataset",
                "google_bigquery_table",
                "google_kms_crypto_key",
                "google_kms_key_ring",
                "google_spanner_*",
                "google_compute_disk",
                "google_dns_managed_zone",
                "azurerm_storage_account",
                "azurerm_mssql_database",
                "azurerm_sql_database",
                "azurerm_postgresql_*",
                "azurerm_mysql_*",
                "azurerm_cosmosdb_account",
                "azurerm_key_vault",
                "azurerm_managed_disk",
                "kubernetes_persistent_volume*",
            ]),
            security_types: strings(&[
                "aws_security_group*",
                "aws_vpc_security_group_*",
                "aws_network_acl*",
                "aws_iam_*",
                "aws_kms_*",
                "aws_s3_bucket_policy",
                "aws_s3_bucket_acl",
                "aws_s3_bucket_public_access_block",
                "aws_wafv2_*",
                "aws_lb_listener",
                "google_compute_firewall",
                "google_*_iam_*",
                "google_kms_*",
                "azurerm_network_security_*",
                "azurerm_role_assignment",
                "azurerm_key_vault_access_policy",
                "kubernetes_role*",
                "kubernetes_cluster_role*",
                "kubernetes_network_policy",
            ]),
            security_attributes: strings(&[
                "policy",
                "assume_role_policy",
                "ingress",
                "egress",
                "cidr_blocks",
                "ipv6_cidr_blocks",
                "security_groups",
                "vpc_security_group_ids",
                "iam_instance_profile",
                "kms_key_id",
                "publicly_accessible",
                "acl",
                "source_ranges",
                "encrypted",
                "storage_encrypted",
                "ssl_policy",
                "deletion_protection",
            ]),
        }
    }
}

fn matches(pattern: &str, ty: &str) -> bool {
    if let Some((pre, post)) = pattern.split_once('*') {
        if post.is_empty() {
            return ty.starts_with(pre);
        }
        // One inner wildcard: prefix ... suffix-or-infix.
        return ty.starts_with(pre) && ty[pre.len()..].contains(post.trim_end_matches('*'));
    }
    pattern == ty
}

impl RiskPolicy {
    /// Whether `ty` is protected.
    pub fn is_protected(&self, ty: &str) -> bool {
        self.protected_types.iter().any(|p| matches(p, ty))
    }
    /// Whether `ty` is security-relevant.
    pub fn is_security_type(&self, ty: &str) -> bool {
        self.security_types.iter().any(|p| matches(p, ty))
    }
}

/// A plan's risk report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskReport {
    /// Counts of actions.
    pub counts: Counts,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl RiskReport {
    /// True when a protected type is destroyed or replaced (the CLI exits 1).
    pub fn has_protected_destroy(&self) -> bool {
        self.findings.iter().any(|f| {
            f.protected
                && matches!(
                    f.category,
                    FindingCategory::Destroy | FindingCategory::Replace
                )
        })
    }

    /// The report as JSON: `{"counts": {...}, "findings": [...]}`.
    pub fn to_json(&self) -> Value {
        json!({"counts": self.counts, "findings": self.findings})
    }

    /// The report as text: a counts line, then one line per finding.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "create {}  update {}  replace {}  delete {}  read {}  no-op {}\n",
            c.create, c.update, c.replace, c.delete, c.read, c.no_op
        );
        if self.findings.is_empty() {
            s.push_str("no findings\n");
        }
        for f in &self.findings {
            let _ = writeln!(
                s,
                "{:<8} {:<9} {}{}: {}",
                f.severity.as_str(),
                f.category.as_str(),
                f.address,
                if f.protected { " [protected]" } else { "" },
                f.message
            );
        }
        s
    }
}

fn reason_text(reason: Option<&str>) -> Option<&'static str> {
    Some(match reason? {
        "replace_because_tainted" => "the object is tainted",
        "replace_because_cannot_update" => "a changed attribute cannot be updated in place",
        "replace_by_request" => "replacement was requested (-replace)",
        "replace_by_triggers" => "replace_triggered_by fired",
        "delete_because_no_resource_config" => "the resource is no longer in the configuration",
        "delete_because_no_module" => "its module is no longer in the configuration",
        "delete_because_wrong_repetition" => "count/for_each was added or removed",
        "delete_because_count_index" => "its count index is out of range",
        "delete_because_each_key" => "its for_each key was removed",
        "delete_because_no_move_target" => "its moved target does not exist",
        _ => return None,
    })
}

/// Strings anywhere below `v`.
fn strings_in<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

/// Paths of CIDR-like keys open to the whole internet.
fn open_cidrs(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let lk = k.to_ascii_lowercase();
                if lk.contains("cidr")
                    || lk.contains("source_range")
                    || lk.contains("address_prefix")
                {
                    let mut ss = Vec::new();
                    strings_in(x, &mut ss);
                    if ss
                        .iter()
                        .any(|s| matches!(*s, "0.0.0.0/0" | "::/0" | "*" | "Internet"))
                    {
                        out.push(p.clone());
                        continue;
                    }
                }
                open_cidrs(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                open_cidrs(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Whether an IAM-style policy document allows `*` on `*`.
fn wildcard_policy(doc: &Value) -> bool {
    let parsed;
    let doc = match doc {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return false,
        },
        other => other,
    };
    let stmts: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return false,
    };
    let star = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s == "*",
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some("*")),
        _ => false,
    };
    stmts.iter().any(|st| {
        st.get("Effect").and_then(Value::as_str) == Some("Allow")
            && star(st.get("Action"))
            && star(st.get("Resource"))
    })
}

fn finding(
    c: &ResourceChange,
    protected: bool,
    sev: Severity,
    cat: FindingCategory,
    msg: String,
    paths: Vec<String>,
) -> Finding {
    Finding {
        severity: sev,
        category: cat,
        address: c.address.clone(),
        resource_type: c.resource_type.clone(),
        action: c.action,
        protected,
        message: msg,
        paths,
    }
}

/// Assesses the risk of `plan` under `policy`.
pub fn assess(plan: &Plan, policy: &RiskPolicy) -> RiskReport {
    let mut findings = Vec::new();
    for c in plan.changes() {
        if c.action == Action::NoOp {
            continue;
        }
        let protected = c.mode == crate::Mode::Managed && policy.is_protected(&c.resource_type);
        let sev_destroy = if protected {
            Severity::Critical
        } else {
            Severity::Warning
        };
        match c.action {
            Action::Delete if c.mode == crate::Mode::Managed => {
                let why = reason_text(c.reason.as_deref()).unwrap_or("requested by the plan");
                findings.push(finding(
                    c,
                    protected,
                    sev_destroy,
                    FindingCategory::Destroy,
                    format!("destroyed: {why}"),
                    Vec::new(),
                ));
            }
            Action::Replace => {
                let mut why = Vec::new();
                if !c.replace_paths.is_empty() {
                    why.push(format!("{} forces replacement", c.replace_paths.join(", ")));
                }
                if let Some(r) = reason_text(c.reason.as_deref()) {
                    why.push(r.to_owned());
                }
                if why.is_empty() && !c.changed.is_empty() {
                    // An attribute that is only unknown after apply (a new
                    // `id`) follows from the replacement; it is not its cause.
                    let (unknown, known): (Vec<&str>, Vec<&str>) = c
                        .changed
                        .iter()
                        .map(String::as_str)
                        .partition(|k| c.after_unknown.iter().any(|u| u == k));
                    let mut text = "the provider requires a new object".to_owned();
                    if !known.is_empty() {
                        text.push_str(&format!("; changed: {}", known.join(", ")));
                    }
                    if !unknown.is_empty() {
                        text.push_str(&format!("; known after apply: {}", unknown.join(", ")));
                    }
                    why.push(text);
                }
                if why.is_empty() {
                    why.push("the provider requires a new object".to_owned());
                }
                let order = match c.replace_order {
                    Some(ReplaceOrder::CreateBeforeDestroy) => "create before destroy",
                    _ => "destroy before create: downtime while the new object is created",
                };
                findings.push(finding(
                    c,
                    protected,
                    sev_destroy,
                    FindingCategory::Replace,
                    format!("replaced ({order}): {}", why.join("; ")),
                    c.replace_paths.clone(),
                ));
            }
            _ => {}
        }
        if c.action == Action::Read || c.mode == crate::Mode::Data {
            continue;
        }
        if policy.is_security_type(&c.resource_type) {
            findings.push(finding(
                c,
                protected,
                Severity::Warning,
                FindingCategory::Security,
                format!(
                    "security-relevant resource is {}d",
                    match c.action {
                        Action::Replace => "replace",
                        Action::Delete => "delete",
                        Action::Create => "create",
                        _ => "update",
                    }
                ),
                c.changed.clone(),
            ));
        }
        if let Some(after) = &c.after {
            let v = Value::Object(after.clone());
            let mut open = Vec::new();
            open_cidrs(&v, "", &mut open);
            if !open.is_empty() {
                findings.push(finding(
                    c,
                    protected,
                    Severity::Critical,
                    FindingCategory::Security,
                    "open to the whole internet (0.0.0.0/0, ::/0 or *)".to_owned(),
                    open,
                ));
            }
            if after.get("publicly_accessible") == Some(&Value::Bool(true)) {
                findings.push(finding(
                    c,
                    protected,
                    Severity::Critical,
                    FindingCategory::Security,
                    "publicly accessible".to_owned(),
                    vec!["publicly_accessible".to_owned()],
                ));
            }
            for k in ["encrypted", "storage_encrypted"] {
                if after.get(k) == Some(&Value::Bool(false)) {
                    findings.push(finding(
                        c,
                        protected,
                        Severity::Warning,
                        FindingCategory::Security,
                        "encryption at rest disabled".to_owned(),
                        vec![k.to_owned()],
                    ));
                }
            }
            if let Some(acl) = after.get("acl").and_then(Value::as_str)
                && matches!(
                    acl,
                    "public-read" | "public-read-write" | "authenticated-read"
                )
            {
                findings.push(finding(
                    c,
                    protected,
                    Severity::Critical,
                    FindingCategory::Security,
                    format!("canned ACL `{acl}` grants public access"),
                    vec!["acl".to_owned()],
                ));
            }
            for k in ["policy", "assume_role_policy", "inline_policy"] {
                if after.get(k).is_some_and(wildcard_policy) {
                    findings.push(finding(
                        c,
                        protected,
                        Severity::Critical,
                        FindingCategory::Security,
                        "policy allows every action on every resource".to_owned(),
                        vec![k.to_owned()],
                    ));
                }
            }
            let before_dp = c.before.as_ref().and_then(|b| b.get("deletion_protection"));
            if before_dp == Some(&Value::Bool(true))
                && after.get("deletion_protection") == Some(&Value::Bool(false))
            {
                findings.push(finding(
                    c,
                    protected,
                    Severity::Warning,
                    FindingCategory::Security,
                    "deletion protection turned off".to_owned(),
                    vec!["deletion_protection".to_owned()],
                ));
            }
        }
        if c.action == Action::Update && !policy.is_security_type(&c.resource_type) {
            let sec: Vec<String> = c
                .changed
                .iter()
                .filter(|p| policy.security_attributes.iter().any(|a| a == *p))
                .cloned()
                .collect();
            if !sec.is_empty() {
                findings.push(finding(
                    c,
                    protected,
                    Severity::Warning,
                    FindingCategory::Security,
                    format!("security-relevant attributes change: {}", sec.join(", ")),
                    sec,
                ));
            }
        }
        if !c.sensitive.is_empty() && c.action != Action::Delete {
            findings.push(finding(
                c,
                protected,
                Severity::Info,
                FindingCategory::Sensitive,
                format!(
                    "{} sensitive value(s) involved; values withheld",
                    c.sensitive.len()
                ),
                c.sensitive.clone(),
            ));
        }
        if matches!(c.action, Action::Update | Action::Replace) && !c.after_unknown.is_empty() {
            findings.push(finding(
                c,
                protected,
                Severity::Info,
                FindingCategory::Unknown,
                format!("{} value(s) known only after apply", c.after_unknown.len()),
                c.after_unknown.clone(),
            ));
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    RiskReport {
        counts: plan.counts(),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = RiskPolicy::default();
        assert!(p.is_protected("aws_db_instance"));
        assert!(p.is_protected("aws_elasticache_cluster"));
        assert!(!p.is_protected("aws_instance"));
        assert!(p.is_security_type("google_project_iam_member"));
        assert!(p.is_security_type("aws_security_group_rule"));
        assert!(!p.is_security_type("aws_instance"));
    }

    #[test]
    fn detects_wildcards_and_open_cidrs() {
        let pol = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": ["*"]}]});
        assert!(wildcard_policy(&Value::String(pol.to_string())));
        assert!(!wildcard_policy(
            &json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}})
        ));
        let mut out = Vec::new();
        open_cidrs(
            &json!({"ingress": [{"cidr_blocks": ["10.0.0.0/8"]}, {"cidr_blocks": ["0.0.0.0/0"]}]}),
            "",
            &mut out,
        );
        assert_eq!(out, vec!["ingress[1].cidr_blocks"]);
    }
}
