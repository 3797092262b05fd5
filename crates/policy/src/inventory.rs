//! The set of objects an evaluation can look at, indexed for cross-resource
//! rules (services, disruption budgets, network policies) and, on demand, in
//! Gatekeeper's `data.inventory` layout.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::document::Document;

/// A Kubernetes label selector (`matchLabels` + `matchExpressions`), or a
/// Service's plain selector map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    match_labels: BTreeMap<String, String>,
    expressions: Vec<(String, String, Vec<String>)>,
    /// A selector that failed to parse matches nothing (Kubernetes rejects it).
    invalid: bool,
}

impl LabelSelector {
    /// Parses a `metav1.LabelSelector` value (`{matchLabels, matchExpressions}`).
    /// An empty selector matches everything; a malformed one matches nothing.
    pub fn from_value(v: &Value) -> LabelSelector {
        let mut sel = LabelSelector::default();
        let Some(obj) = v.as_object() else {
            sel.invalid = !v.is_null();
            return sel;
        };
        if let Some(ml) = obj.get("matchLabels") {
            sel.match_labels = string_map(ml).unwrap_or_else(|| {
                sel.invalid = true;
                BTreeMap::new()
            });
        }
        if let Some(exprs) = obj.get("matchExpressions").and_then(Value::as_array) {
            for e in exprs {
                let key = e.get("key").and_then(Value::as_str);
                let op = e.get("operator").and_then(Value::as_str);
                let values = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                match (key, op) {
                    (Some(k), Some(o)) => {
                        sel.expressions.push((k.to_owned(), o.to_owned(), values))
                    }
                    _ => sel.invalid = true,
                }
            }
        }
        sel
    }

    /// A Service-style selector: every pair must match. Empty or absent
    /// selectors select nothing (a Service without selector has no pods).
    pub fn from_map(v: &Value) -> LabelSelector {
        match string_map(v) {
            Some(m) if !m.is_empty() => LabelSelector {
                match_labels: m,
                ..LabelSelector::default()
            },
            _ => LabelSelector {
                invalid: true,
                ..LabelSelector::default()
            },
        }
    }

    /// Whether the labels match.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        if self.invalid {
            return false;
        }
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        if !self
            .match_labels
            .iter()
            .all(|(k, v)| get(k) == Some(v.as_str()))
        {
            return false;
        }
        self.expressions.iter().all(|(k, op, values)| {
            let have = get(k);
            match op.as_str() {
                "In" => have.is_some_and(|h| values.iter().any(|v| v == h)),
                "NotIn" => have.is_none_or(|h| values.iter().all(|v| v != h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
    }
}

fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    let obj = v.as_object()?;
    obj.iter()
        .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect()
}

/// Selectors of one kind of object, indexed so a lookup costs the number of
/// the pod's labels, not the number of selectors: a selector with
/// `matchLabels` is filed under its first pair (every match must carry it);
/// the others (empty, expressions only) are scanned.
#[derive(Debug, Default)]
struct SelectorIndex<'a> {
    selectors: Vec<(usize, LabelSelector)>,
    by_pair: HashMap<&'a str, HashMap<String, HashMap<String, Vec<usize>>>>,
    scan: HashMap<&'a str, Vec<usize>>,
}

impl<'a> SelectorIndex<'a> {
    fn push(&mut self, namespace: &'a str, doc: usize, sel: LabelSelector) {
        let slot = self.selectors.len();
        match sel.match_labels.iter().next() {
            Some((k, v)) if !sel.invalid => self
                .by_pair
                .entry(namespace)
                .or_default()
                .entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default()
                .push(slot),
            _ if !sel.invalid => self.scan.entry(namespace).or_default().push(slot),
            _ => {} // matches nothing
        }
        self.selectors.push((doc, sel));
    }

    /// Documents whose selector matches, in insertion order per bucket.
    fn matching<'s>(
        &'s self,
        namespace: &str,
        labels: Option<&'s Map<String, Value>>,
    ) -> impl Iterator<Item = usize> + 's {
        let by_pair = self.by_pair.get(namespace);
        let indexed = labels.into_iter().flatten().flat_map(move |(k, v)| {
            let slots = v.as_str().and_then(|v| by_pair?.get(k.as_str())?.get(v));
            slots.into_iter().flatten()
        });
        let scanned = self.scan.get(namespace).into_iter().flatten();
        indexed
            .chain(scanned)
            .filter_map(move |slot| self.selectors.get(*slot))
            .filter(move |(_, sel)| sel.matches(labels))
            .map(|(doc, _)| *doc)
    }
}

/// The objects of one evaluation.
#[derive(Debug)]
pub struct Inventory<'a> {
    docs: &'a [Document],
    services: SelectorIndex<'a>,
    pdbs: SelectorIndex<'a>,
    network_policies: SelectorIndex<'a>,
    gatekeeper: OnceLock<Value>,
}

impl<'a> Inventory<'a> {
    /// Indexes the documents.
    pub fn new(docs: &'a [Document]) -> Inventory<'a> {
        let mut inv = Inventory {
            docs,
            services: SelectorIndex::default(),
            pdbs: SelectorIndex::default(),
            network_policies: SelectorIndex::default(),
            gatekeeper: OnceLock::new(),
        };
        for (i, d) in docs.iter().enumerate() {
            if !d.is_kubernetes() {
                continue;
            }
            let ns = d.namespace_or_default();
            let spec = d.value().get("spec");
            match d.kind() {
                "Service" => {
                    let sel = spec.and_then(|s| s.get("selector")).map_or_else(
                        || LabelSelector::from_map(&Value::Null),
                        LabelSelector::from_map,
                    );
                    inv.services.push(ns, i, sel);
                }
                "PodDisruptionBudget" => {
                    let sel = spec.and_then(|s| s.get("selector")).map_or_else(
                        || LabelSelector {
                            invalid: true,
                            ..LabelSelector::default()
                        },
                        LabelSelector::from_value,
                    );
                    inv.pdbs.push(ns, i, sel);
                }
                "NetworkPolicy" => {
                    let sel = spec
                        .and_then(|s| s.get("podSelector"))
                        .map_or_else(LabelSelector::default, LabelSelector::from_value);
                    inv.network_policies.push(ns, i, sel);
                }
                _ => {}
            }
        }
        inv
    }

    /// The documents.
    pub fn documents(&self) -> &'a [Document] {
        self.docs
    }

    /// Services in `namespace` whose selector matches `labels`.
    pub fn services_selecting<'s>(
        &'s self,
        namespace: &str,
        labels: Option<&'s Map<String, Value>>,
    ) -> impl Iterator<Item = &'a Document> + 's {
        self.services
            .matching(namespace, labels)
            .filter_map(|i| self.docs.get(i))
    }

    /// Whether a PodDisruptionBudget in `namespace` selects `labels`.
    pub fn has_pdb_for(&self, namespace: &str, labels: Option<&Map<String, Value>>) -> bool {
        self.pdbs.matching(namespace, labels).next().is_some()
    }

    /// Whether a NetworkPolicy in `namespace` selects pods with `labels`.
    pub fn has_network_policy_for(
        &self,
        namespace: &str,
        labels: Option<&Map<String, Value>>,
    ) -> bool {
        self.network_policies
            .matching(namespace, labels)
            .next()
            .is_some()
    }

    /// The Kubernetes objects in Gatekeeper's `data.inventory` layout:
    /// `cluster[apiVersion][kind][name]` for cluster-scoped objects (no
    /// namespace) and `namespace[ns][apiVersion][kind][name]` for the rest.
    /// Built once, on first use.
    pub fn gatekeeper_inventory(&self) -> &Value {
        self.gatekeeper.get_or_init(|| {
            gatekeeper_inventory(
                self.docs
                    .iter()
                    .filter(|d| d.is_kubernetes())
                    .map(Document::value),
            )
        })
    }
}

/// Builds Gatekeeper's `data.inventory` from Kubernetes objects (see
/// [`Inventory::gatekeeper_inventory`]).
pub fn gatekeeper_inventory<'v>(objects: impl IntoIterator<Item = &'v Value>) -> Value {
    let mut cluster = Map::new();
    let mut namespace = Map::new();
    for o in objects {
        let s = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or("");
        let (gv, kind, name) = (s("/apiVersion"), s("/kind"), s("/metadata/name"));
        let ns = o.pointer("/metadata/namespace").and_then(Value::as_str);
        let root = match ns {
            Some(ns) => entry(&mut namespace, ns),
            None => &mut cluster,
        };
        let by_kind = entry(entry(root, gv), kind);
        by_kind.insert(name.to_owned(), o.clone());
    }
    serde_json::json!({ "cluster": cluster, "namespace": namespace })
}

fn entry<'m>(m: &'m mut Map<String, Value>, k: &str) -> &'m mut Map<String, Value> {
    let v = m
        .entry(k.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_match_like_kubernetes() {
        let labels = json!({"app": "web", "tier": "front"});
        let l = labels.as_object();
        let s = LabelSelector::from_value(&json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "x"]},
                                 {"key": "env", "operator": "DoesNotExist"}]}));
        assert!(s.matches(l));
        let s = LabelSelector::from_value(
            &json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
        );
        assert!(!s.matches(l));
        assert!(LabelSelector::from_value(&json!({})).matches(l));
        assert!(!LabelSelector::from_map(&json!({})).matches(l));
        assert!(LabelSelector::from_map(&json!({"app": "web"})).matches(l));
        assert!(!LabelSelector::from_value(&json!({"matchLabels": {"app": 3}})).matches(l));
    }

    #[test]
    fn indexed_lookups_agree_with_a_scan() {
        use crate::document::parse_documents;
        let text = r#"
kind: Service
metadata: {name: a, namespace: n}
spec: {selector: {app: web, tier: front}}
---
kind: Service
metadata: {name: b, namespace: n}
spec: {selector: {tier: front}}
---
kind: Service
metadata: {name: c, namespace: other}
spec: {selector: {app: web}}
---
kind: Service
metadata: {name: headless, namespace: n}
spec: {}
---
kind: NetworkPolicy
metadata: {name: np, namespace: n}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}
---
kind: PodDisruptionBudget
metadata: {name: pdb, namespace: n}
spec: {selector: {matchLabels: {app: web, tier: back}}}
"#;
        let docs = parse_documents("i.yaml", text).unwrap();
        let inv = Inventory::new(&docs);
        let front = json!({"app": "web", "tier": "front"});
        let mut names: Vec<&str> = inv
            .services_selecting("n", front.as_object())
            .map(Document::name)
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["a", "b"]);
        assert!(inv.has_network_policy_for("n", front.as_object()));
        assert!(!inv.has_network_policy_for("n", json!({"tier": "front"}).as_object()));
        assert!(!inv.has_pdb_for("n", front.as_object()));
        assert!(inv.has_pdb_for("n", json!({"app": "web", "tier": "back"}).as_object()));
        assert_eq!(inv.services_selecting("n", None).count(), 0);
        assert_eq!(
            inv.services_selecting("other", front.as_object()).count(),
            1
        );
    }

    #[test]
    fn gatekeeper_layout() {
        let objs = [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "prod"}}),
        ];
        let inv = gatekeeper_inventory(objs.iter());
        assert_eq!(
            inv["cluster"]["v1"]["Namespace"]["prod"]["kind"],
            "Namespace"
        );
        assert_eq!(
            inv["namespace"]["prod"]["apps/v1"]["Deployment"]["web"]["metadata"]["name"],
            "web"
        );
    }
}
