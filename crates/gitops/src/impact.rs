//! Kubernetes manifests as resources, and the impact analysis of a change
//! between two sets of them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use yaml_serde::Value;

use crate::error::{Error, Result};

/// Identity of a resource: kind, namespace (empty when cluster-scoped or
/// unset) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceKey {
    /// `kind`, for example `Deployment`.
    pub kind: String,
    /// `metadata.namespace`, or empty.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One manifest document.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its identity.
    pub key: ResourceKey,
    /// File it came from.
    pub path: String,
    /// The whole document.
    pub document: Value,
}

/// Parses every document of a YAML file into resources. Empty documents are
/// skipped; documents must have `kind` and `metadata.name`.
///
/// # Errors
/// [`Error::Manifest`] naming the file and document when a document does not
/// parse or lacks `kind` / `metadata.name`.
pub fn parse_manifests(path: &str, text: &str) -> Result<Vec<Resource>> {
    let mut out = Vec::new();
    for (i, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let doc: Value = serde::Deserialize::deserialize(de).map_err(|e| Error::Manifest {
            source_name: path.to_owned(),
            message: format!("document {}: {e}", i + 1),
        })?;
        if doc.is_null() {
            continue;
        }
        let field = |v: &Value, k: &str| {
            v.as_mapping()
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let missing = |what: &str| Error::Manifest {
            source_name: path.to_owned(),
            message: format!("document {}: missing {what}", i + 1),
        };
        let kind = field(&doc, "kind").ok_or_else(|| missing("kind"))?;
        let meta = doc
            .as_mapping()
            .and_then(|m| m.get("metadata"))
            .ok_or_else(|| missing("metadata"))?;
        let name = field(meta, "name").ok_or_else(|| missing("metadata.name"))?;
        let namespace = field(meta, "namespace").unwrap_or_default();
        out.push(Resource {
            key: ResourceKey {
                kind,
                namespace,
                name,
            },
            path: path.to_owned(),
            document: doc,
        });
    }
    Ok(out)
}

/// Risk of a change, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Metadata, replica counts, additions of ordinary resources.
    Low,
    /// Images, resource requests and limits, config data, other spec fields.
    Medium,
    /// RBAC, privileges and host access, removals, CRDs and namespaces.
    High,
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Dotted path, for example `spec.template.spec.containers[0].image`.
    pub path: String,
    /// Old value as compact YAML (None when added).
    pub old: Option<String>,
    /// New value as compact YAML (None when removed).
    pub new: Option<String>,
    /// Risk of this change.
    pub risk: Risk,
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the new set.
    Added,
    /// Only in the old set.
    Removed,
    /// In both, with field changes.
    Changed(Vec<FieldChange>),
}

/// Change of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The resource.
    pub key: ResourceKey,
    /// What happened.
    pub change: ChangeKind,
    /// Risk of the whole resource change.
    pub risk: Risk,
}

/// Impact of going from one set of manifests to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactAnalysis {
    /// Changed resources, by key.
    pub changes: Vec<ResourceChange>,
    /// Highest risk (Low when nothing changed).
    pub risk: Risk,
}

impl ImpactAnalysis {
    /// Resources added.
    pub fn added(&self) -> impl Iterator<Item = &ResourceKey> {
        self.changes
            .iter()
            .filter(|c| c.change == ChangeKind::Added)
            .map(|c| &c.key)
    }

    /// Resources removed.
    pub fn removed(&self) -> impl Iterator<Item = &ResourceKey> {
        self.changes
            .iter()
            .filter(|c| c.change == ChangeKind::Removed)
            .map(|c| &c.key)
    }
}

const RBAC_KINDS: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ServiceAccount",
];
const HIGH_RISK_KINDS: &[&str] = &[
    "CustomResourceDefinition",
    "Namespace",
    "NetworkPolicy",
    "PodSecurityPolicy",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];
const HIGH_RISK_FIELDS: &[&str] = &[
    "securityContext",
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostPath",
    "capabilities",
    "allowPrivilegeEscalation",
    "runAsUser",
    "runAsNonRoot",
    "serviceAccountName",
];

fn field_risk(kind: &str, path: &str) -> Risk {
    if RBAC_KINDS.contains(&kind) || HIGH_RISK_KINDS.contains(&kind) {
        return Risk::High;
    }
    let segments: Vec<&str> = path
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect();
    if segments.iter().any(|s| HIGH_RISK_FIELDS.contains(s)) {
        return Risk::High;
    }
    let last = segments.last().copied().unwrap_or("");
    if segments.first() == Some(&"metadata")
        && matches!(segments.get(1), Some(&"labels" | &"annotations"))
    {
        return Risk::Low;
    }
    if path == "spec.replicas" || last == "replicas" {
        return Risk::Low;
    }
    Risk::Medium
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

fn key_str(k: &Value) -> String {
    k.as_str().map_or_else(|| compact(k), str::to_owned)
}

fn diff_values(kind: &str, path: &str, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            for (k, va) in a {
                let p = join(path, &key_str(k));
                match b.get(k) {
                    Some(vb) => diff_values(kind, &p, va, vb, out),
                    None => out.push(FieldChange {
                        risk: field_risk(kind, &p),
                        path: p,
                        old: Some(compact(va)),
                        new: None,
                    }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    let p = join(path, &key_str(k));
                    out.push(FieldChange {
                        risk: field_risk(kind, &p),
                        path: p,
                        old: None,
                        new: Some(compact(vb)),
                    });
                }
            }
        }
        (Value::Sequence(a), Value::Sequence(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => diff_values(kind, &p, va, vb, out),
                    (va, vb) => out.push(FieldChange {
                        risk: field_risk(kind, &p),
                        path: p,
                        old: va.map(compact),
                        new: vb.map(compact),
                    }),
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            risk: field_risk(kind, path),
            path: path.to_owned(),
            old: Some(compact(a)),
            new: Some(compact(b)),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Diffs two sets of resources into an impact analysis: added, removed and
/// changed resources with the changed fields and a risk per change. Status
/// (`status`) and server-set metadata (`resourceVersion`, `generation`,
/// `uid`, `creationTimestamp`, `managedFields`) are ignored.
pub fn diff_manifests(old: &[Resource], new: &[Resource]) -> ImpactAnalysis {
    let a: BTreeMap<&ResourceKey, &Resource> = old.iter().map(|r| (&r.key, r)).collect();
    let b: BTreeMap<&ResourceKey, &Resource> = new.iter().map(|r| (&r.key, r)).collect();
    let mut changes = Vec::new();
    for (k, ra) in &a {
        match b.get(k) {
            None => changes.push(ResourceChange {
                key: (*k).clone(),
                change: ChangeKind::Removed,
                risk: Risk::High,
            }),
            Some(rb) => {
                let mut fields = Vec::new();
                diff_values(
                    &k.kind,
                    "",
                    &strip(&ra.document),
                    &strip(&rb.document),
                    &mut fields,
                );
                if !fields.is_empty() {
                    let risk = fields.iter().map(|f| f.risk).max().unwrap_or(Risk::Low);
                    changes.push(ResourceChange {
                        key: (*k).clone(),
                        change: ChangeKind::Changed(fields),
                        risk,
                    });
                }
            }
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            let risk = if RBAC_KINDS.contains(&k.kind.as_str())
                || HIGH_RISK_KINDS.contains(&k.kind.as_str())
            {
                Risk::High
            } else {
                Risk::Low
            };
            changes.push(ResourceChange {
                key: (*k).clone(),
                change: ChangeKind::Added,
                risk,
            });
        }
    }
    changes.sort_by(|x, y| x.key.cmp(&y.key));
    let risk = changes.iter().map(|c| c.risk).max().unwrap_or(Risk::Low);
    ImpactAnalysis { changes, risk }
}

fn strip(doc: &Value) -> Value {
    let mut d = doc.clone();
    if let Some(m) = d.as_mapping_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_mapping_mut) {
            for k in [
                "resourceVersion",
                "generation",
                "uid",
                "creationTimestamp",
                "managedFields",
            ] {
                meta.remove(k);
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1.0\n---\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules:\n- verbs: [get]\n---\nkind: ConfigMap\nmetadata: {name: gone}\n";
    const NEW: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, resourceVersion: '9'}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1.1\n---\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules:\n- verbs: [get, list]\n---\nkind: Service\nmetadata: {name: web}\n";

    #[test]
    fn diff_with_risks() {
        let a = parse_manifests("old.yaml", OLD).unwrap();
        let b = parse_manifests("new.yaml", NEW).unwrap();
        let impact = diff_manifests(&a, &b);
        assert_eq!(impact.risk, Risk::High);
        let by: BTreeMap<String, &ResourceChange> = impact
            .changes
            .iter()
            .map(|c| (c.key.to_string(), c))
            .collect();
        let ChangeKind::Changed(fields) = &by["Deployment/shop/web"].change else {
            panic!()
        };
        let paths: Vec<(&str, Risk)> = fields.iter().map(|f| (f.path.as_str(), f.risk)).collect();
        assert_eq!(
            paths,
            vec![
                ("spec.replicas", Risk::Low),
                ("spec.template.spec.containers[0].image", Risk::Medium)
            ]
        );
        assert_eq!(fields[1].old.as_deref(), Some("web:1.0"));
        assert_eq!(by["Deployment/shop/web"].risk, Risk::Medium);
        assert_eq!(by["Role/shop/reader"].risk, Risk::High);
        assert_eq!(by["ConfigMap/gone"].change, ChangeKind::Removed);
        assert_eq!(by["Service/web"].change, ChangeKind::Added);
        assert_eq!(by["Service/web"].risk, Risk::Low);
        assert_eq!(impact.added().count(), 1);
        assert_eq!(impact.removed().count(), 1);
    }

    #[test]
    fn replica_only_change_is_low() {
        let a = parse_manifests(
            "a",
            "kind: Deployment\nmetadata: {name: w}\nspec: {replicas: 1}\n",
        )
        .unwrap();
        let b = parse_manifests(
            "b",
            "kind: Deployment\nmetadata: {name: w}\nspec: {replicas: 4}\n",
        )
        .unwrap();
        assert_eq!(diff_manifests(&a, &b).risk, Risk::Low);
        assert!(diff_manifests(&a, &a).changes.is_empty());
    }

    #[test]
    fn bad_manifests() {
        assert!(matches!(
            parse_manifests("x", "kind: A\n"),
            Err(Error::Manifest { .. })
        ));
        assert!(matches!(
            parse_manifests("x", "metadata: {name: a}\n"),
            Err(Error::Manifest { .. })
        ));
        assert!(matches!(
            parse_manifests("x", "a: [\n"),
            Err(Error::Manifest { .. })
        ));
    }
}
