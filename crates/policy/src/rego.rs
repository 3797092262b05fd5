//! Gatekeeper ConstraintTemplates and Constraints evaluated with regorus.
//!
//! A [`ConstraintTemplate`] holds its Rego (v0 as the Gatekeeper library
//! writes it, or v1 from `code[].source.version: v1`) and its `libs`, parsed
//! and prepared once; each review reuses that engine. A [`Constraint`] carries
//! its `match` and its `parameters`, checked against the template's schema.
//! [`ConstraintPolicy`] pairs the two as a [`Policy`] so Rego rules can sit in
//! a [`crate::PolicySet`] next to the native checks.

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;

use aiops_core::Severity;
use serde_json::{Map, Value, json};

use crate::document::{Document, parse_yaml_chunk, split_yaml};
use crate::error::{Error, Result};
use crate::inventory::{Inventory, LabelSelector};
use crate::model::{Policy, Violation};
use crate::rego_compat::{defined_functions, hoist_negated_terms, split_multi_body_rules};

/// The Gatekeeper admission target name.
pub const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

/// Parses exactly one YAML/JSON object out of a text.
pub(crate) fn single_object(source_name: &str, text: &str) -> Result<Value> {
    let mut found = None;
    for chunk in split_yaml(text) {
        if let Some(v) = parse_yaml_chunk(source_name, &chunk)? {
            if found.is_some() {
                return Err(Error::field(
                    source_name,
                    "",
                    "expected one document, found several",
                ));
            }
            found = Some(v);
        }
    }
    found.ok_or_else(|| Error::field(source_name, "", "no document"))
}

fn str_at<'v>(v: &'v Value, ptr: &str) -> Option<&'v str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// One violation returned by a template's `violation` rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegoViolation {
    /// The `msg` field.
    pub msg: String,
    /// The `details` field (`null` when absent).
    pub details: Value,
}

/// A compiled Gatekeeper `ConstraintTemplate`.
pub struct ConstraintTemplate {
    name: String,
    kind: String,
    schema: Option<Value>,
    rule: String,
    rego_v1: bool,
    engine: Mutex<EngineState>,
}

struct EngineState {
    engine: regorus::Engine,
    /// The inventory currently loaded as `data.inventory`.
    inventory: Option<Value>,
}

impl fmt::Debug for ConstraintTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConstraintTemplate")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("rule", &self.rule)
            .field("rego_v1", &self.rego_v1)
            .finish_non_exhaustive()
    }
}

impl ConstraintTemplate {
    /// Parses and compiles a template from YAML (or JSON) text.
    ///
    /// # Errors
    /// [`Error::Yaml`] for malformed YAML, [`Error::InvalidField`] for a
    /// missing name/kind/target/Rego, [`Error::Rego`] (with the template name
    /// and the engine's message) when the Rego does not parse.
    pub fn from_yaml(source_name: &str, text: &str) -> Result<Self> {
        Self::from_value(source_name, &single_object(source_name, text)?)
    }

    /// Compiles a template from its parsed value.
    ///
    /// # Errors
    /// As [`ConstraintTemplate::from_yaml`].
    pub fn from_value(source_name: &str, v: &Value) -> Result<Self> {
        if str_at(v, "/kind") != Some("ConstraintTemplate") {
            return Err(Error::field(
                source_name,
                "kind",
                "expected ConstraintTemplate",
            ));
        }
        let name = str_at(v, "/metadata/name")
            .ok_or_else(|| Error::field(source_name, "metadata.name", "missing"))?
            .to_owned();
        let kind = str_at(v, "/spec/crd/spec/names/kind")
            .ok_or_else(|| Error::field(source_name, "spec.crd.spec.names.kind", "missing"))?
            .to_owned();
        let schema = v
            .pointer("/spec/crd/spec/validation/openAPIV3Schema")
            .cloned();
        let targets = v
            .pointer("/spec/targets")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::field(source_name, "spec.targets", "missing or not a list"))?;
        let target = targets
            .iter()
            .find(|t| str_at(t, "/target") == Some(ADMISSION_TARGET))
            .ok_or_else(|| {
                Error::field(
                    source_name,
                    "spec.targets",
                    format!("no `{ADMISSION_TARGET}` target"),
                )
            })?;
        // Gatekeeper v3.14+: `code: [{engine: Rego, source: {version, rego, libs}}]`
        // takes precedence over the legacy `rego`/`libs` fields.
        let code = target
            .get("code")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|e| str_at(e, "/engine") == Some("Rego")))
            .and_then(|e| e.get("source"));
        let (rego, libs_v, rego_v1) = match code {
            Some(src) if src.get("rego").is_some() => (
                src.get("rego").and_then(Value::as_str),
                src.get("libs"),
                src.get("version").and_then(Value::as_str) == Some("v1"),
            ),
            _ => (
                target.get("rego").and_then(Value::as_str),
                target.get("libs"),
                false,
            ),
        };
        let rego = rego.ok_or_else(|| {
            Error::field(
                source_name,
                "spec.targets[].rego",
                "missing (no Rego source)",
            )
        })?;
        let libs: Vec<&str> = match libs_v {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|l| {
                    l.as_str().ok_or_else(|| {
                        Error::field(source_name, "spec.targets[].libs", "not a list of strings")
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(Error::field(
                    source_name,
                    "spec.targets[].libs",
                    "not a list",
                ));
            }
        };
        let rego_err = |e: &dyn fmt::Display| Error::Rego {
            template: name.clone(),
            message: e.to_string(),
        };
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(!rego_v1);
        if !rego_v1 {
            add_v0_builtins(&mut engine).map_err(|e| rego_err(&e))?;
        }
        // Gatekeeper makes builtin errors undefined rather than fatal.
        engine.set_strict_builtin_errors(false);
        // Where regorus and OPA read Rego differently, rewrite the source to
        // OPA's meaning (see `rego_compat`): v0 rules with several bodies
        // become one rule per body, and the terms OPA evaluates before a `not`
        // (arguments of the policy's own functions, reference keys, nested
        // calls) are bound before it.
        let user_functions = defined_functions(std::iter::once(rego).chain(libs.iter().copied()));
        let source = |text: &str| -> String {
            let split = if rego_v1 {
                Cow::Borrowed(text)
            } else {
                split_multi_body_rules(text)
            };
            hoist_negated_terms(&split, &user_functions).into_owned()
        };
        let package = engine
            .add_policy(format!("{name}.rego"), source(rego))
            .map_err(|e| rego_err(&e))?;
        for (i, lib) in libs.iter().enumerate() {
            engine
                .add_policy(format!("{name}.lib{i}.rego"), source(lib))
                .map_err(|e| rego_err(&e))?;
        }
        let rule = format!("{package}.violation");
        engine
            .add_data(regorus::Value::from(json!({ "inventory": {} })))
            .map_err(|e| rego_err(&e))?;
        // Compile now so semantic errors surface at load time, not first review.
        engine.set_input(regorus::Value::from(
            json!({"review": {}, "parameters": {}}),
        ));
        engine.eval_rule(rule.clone()).map_err(|e| rego_err(&e))?;
        Ok(ConstraintTemplate {
            name,
            kind,
            schema,
            rule,
            rego_v1,
            engine: Mutex::new(EngineState {
                engine,
                inventory: None,
            }),
        })
    }

    /// The template's `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The constraint kind it defines (`spec.crd.spec.names.kind`).
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// Whether its Rego is v1.
    pub fn is_rego_v1(&self) -> bool {
        self.rego_v1
    }

    /// Evaluates the `violation` rule on one admission input (`{review, parameters}`)
    /// with `inventory` as `data.inventory`.
    ///
    /// # Errors
    /// [`Error::RegoEval`] when evaluation fails.
    pub fn evaluate_input(&self, input: &Value, inventory: &Value) -> Result<Vec<RegoViolation>> {
        let eval_err = |e: &dyn fmt::Display| Error::RegoEval {
            template: self.name.clone(),
            rule: self.rule.clone(),
            message: e.to_string(),
        };
        let mut st = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        if st.inventory.as_ref() != Some(inventory) {
            st.engine.clear_data();
            st.engine
                .add_data(regorus::Value::from(json!({ "inventory": inventory })))
                .map_err(|e| eval_err(&e))?;
            st.inventory = Some(inventory.clone());
        }
        st.engine.set_input(regorus::Value::from(input.clone()));
        let result = st
            .engine
            .eval_rule(self.rule.clone())
            .map_err(|e| eval_err(&e))?;
        drop(st);
        if result == regorus::Value::Undefined {
            return Ok(Vec::new());
        }
        let json = serde_json::to_value(&result).map_err(|e| eval_err(&e))?;
        let Value::Array(items) = json else {
            return Err(eval_err(&"`violation` is not a set"));
        };
        Ok(items
            .into_iter()
            .map(|r| RegoViolation {
                msg: match r.get("msg") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
                details: r.get("details").cloned().unwrap_or(Value::Null),
            })
            .collect())
    }

    /// [`Error::UnknownConstraintKind`] unless `constraint` is of this
    /// template's kind.
    fn check_kind(&self, constraint: &Constraint) -> Result<()> {
        if constraint.kind == self.kind {
            Ok(())
        } else {
            Err(Error::UnknownConstraintKind {
                constraint: constraint.name.clone(),
                kind: constraint.kind.clone(),
            })
        }
    }

    /// Reviews one object under a constraint: `[]` when the constraint's
    /// `match` excludes it, else the template's violations.
    ///
    /// # Errors
    /// [`Error::UnknownConstraintKind`] when the constraint is of another
    /// kind; [`Error::RegoEval`] when evaluation fails.
    pub fn review(
        &self,
        constraint: &Constraint,
        object: &Value,
        inventory: &Value,
    ) -> Result<Vec<RegoViolation>> {
        self.check_kind(constraint)?;
        if !constraint.matches(object, inventory) {
            return Ok(Vec::new());
        }
        self.evaluate_input(&admission_input(object, &constraint.parameters), inventory)
    }

    /// Reviews one admission request (`input.review`, as built by
    /// [`gator_review`] or [`admission_review_request`]) under a constraint:
    /// the constraint's `match` is applied to `review.object` (with
    /// `review.namespace` standing in for a missing `metadata.namespace`), and
    /// the request is passed to the Rego as it is.
    ///
    /// # Errors
    /// [`Error::UnknownConstraintKind`] when the constraint is of another
    /// kind; [`Error::RegoEval`] when evaluation fails.
    pub fn review_request(
        &self,
        constraint: &Constraint,
        review: &Value,
        inventory: &Value,
    ) -> Result<Vec<RegoViolation>> {
        self.check_kind(constraint)?;
        let object = review.get("object").unwrap_or(&Value::Null);
        let in_scope = match (
            str_at(object, "/metadata/namespace"),
            review.get("namespace").and_then(Value::as_str),
        ) {
            (None, Some(ns)) if object.is_object() && !ns.is_empty() => {
                let mut with_ns = object.clone();
                if let Some(meta) = with_ns
                    .as_object_mut()
                    .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
                    .and_then(Value::as_object_mut)
                {
                    meta.insert("namespace".to_owned(), json!(ns));
                }
                constraint.matches(&with_ns, inventory)
            }
            _ => constraint.matches(object, inventory),
        };
        if !in_scope {
            return Ok(Vec::new());
        }
        self.evaluate_input(
            &json!({ "review": review, "parameters": &constraint.parameters }),
            inventory,
        )
    }
}

/// OPA v0 builtins that regorus does not ship: `any(collection)`,
/// `all(collection)` and `re_match(pattern, value)` (deprecated in OPA but
/// used by Gatekeeper library templates such as K8sAllowedRepos and
/// K8sUniqueIngressHost). Bad argument types give undefined, as a type error
/// does in OPA's non-strict mode; an invalid pattern is an evaluation error.
fn add_v0_builtins(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    fn elements(v: &regorus::Value) -> Option<Vec<regorus::Value>> {
        match v {
            regorus::Value::Array(a) => Some(a.iter().cloned().collect()),
            regorus::Value::Set(s) => Some(s.iter().cloned().collect()),
            _ => None,
        }
    }
    engine.add_extension(
        "any".to_owned(),
        1,
        Box::new(
            |args: Vec<regorus::Value>| -> anyhow::Result<regorus::Value> {
                Ok(match args.first().and_then(elements) {
                    Some(items) => {
                        regorus::Value::from(items.iter().any(|x| *x == regorus::Value::from(true)))
                    }
                    None => regorus::Value::Undefined,
                })
            },
        ),
    )?;
    engine.add_extension(
        "all".to_owned(),
        1,
        Box::new(
            |args: Vec<regorus::Value>| -> anyhow::Result<regorus::Value> {
                Ok(match args.first().and_then(elements) {
                    Some(items) => {
                        regorus::Value::from(items.iter().all(|x| *x == regorus::Value::from(true)))
                    }
                    None => regorus::Value::Undefined,
                })
            },
        ),
    )?;
    let cache: std::sync::Arc<Mutex<std::collections::HashMap<String, regex::Regex>>> =
        std::sync::Arc::default();
    engine.add_extension(
        "re_match".to_owned(),
        2,
        Box::new(
            move |args: Vec<regorus::Value>| -> anyhow::Result<regorus::Value> {
                let (Some(regorus::Value::String(p)), Some(regorus::Value::String(v))) =
                    (args.first(), args.get(1))
                else {
                    return Ok(regorus::Value::Undefined);
                };
                let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
                if !cache.contains_key(p.as_ref()) {
                    let re = regex::Regex::new(p)?;
                    if cache.len() > 256 {
                        cache.clear();
                    }
                    cache.insert(p.to_string(), re);
                }
                Ok(regorus::Value::from(
                    cache.get(p.as_ref()).is_some_and(|re| re.is_match(v)),
                ))
            },
        ),
    )?;
    Ok(())
}

/// Builds Gatekeeper's admission input for a CREATE of `object`:
/// `{review: {kind, name, namespace, operation, object, oldObject, userInfo}, parameters}`.
pub fn admission_input(object: &Value, parameters: &Value) -> Value {
    let api_version = str_at(object, "/apiVersion").unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let mut review = json!({
        "kind": {"group": group, "version": version, "kind": str_at(object, "/kind").unwrap_or("")},
        "name": str_at(object, "/metadata/name").unwrap_or(""),
        "operation": "CREATE",
        "object": object,
        "oldObject": null,
        "dryRun": false,
        "userInfo": {"username": "aiops", "groups": ["system:authenticated"]},
    });
    if let (Some(ns), Some(r)) = (
        str_at(object, "/metadata/namespace"),
        review.as_object_mut(),
    ) {
        r.insert("namespace".to_owned(), json!(ns));
    }
    json!({ "review": review, "parameters": parameters })
}

/// The `input.review` that `gator verify` builds for a plain object: the
/// JSON of a Kubernetes `AdmissionRequest` holding only `kind`, `object`,
/// `name` and `namespace`. Unlike [`admission_input`], the operation is the
/// empty string and `userInfo` is empty, as in gator (templates that test
/// `input.review.operation` or `input.review.userInfo` see what gator shows
/// them); `uid`, `resource`, `oldObject` and `options` carry the zero values
/// Go's JSON encoding gives them.
pub fn gator_review(object: &Value) -> Value {
    let api_version = str_at(object, "/apiVersion").unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let mut review = json!({
        "uid": "",
        "kind": {"group": group, "version": version, "kind": str_at(object, "/kind").unwrap_or("")},
        "resource": {"group": "", "version": "", "resource": ""},
        "operation": "",
        "userInfo": {},
        "object": object,
        "oldObject": null,
        "options": null,
    });
    if let Some(r) = review.as_object_mut() {
        for (field, ptr) in [
            ("name", "/metadata/name"),
            ("namespace", "/metadata/namespace"),
        ] {
            if let Some(v) = str_at(object, ptr).filter(|v| !v.is_empty()) {
                r.insert(field.to_owned(), json!(v));
            }
        }
    }
    review
}

/// Whether a document is an `AdmissionReview` (`admission.k8s.io/*`), which
/// `gator verify` reviews as the admission request it carries.
pub fn is_admission_review(doc: &Value) -> bool {
    str_at(doc, "/kind") == Some("AdmissionReview")
        && str_at(doc, "/apiVersion").is_some_and(|v| v.starts_with("admission.k8s.io/"))
}

/// The `input.review` for an `AdmissionReview` document, as `gator verify`
/// builds it: its `request`, checked like the API server does (an object or
/// an old object is present; a non-DELETE carries `object`; a DELETE carries
/// `oldObject`, which then also becomes `object`), with the zero values of
/// absent `AdmissionRequest` fields filled in (`operation: ""`, `userInfo: {}`,
/// `oldObject: null`, ...).
///
/// # Errors
/// [`Error::InvalidField`] (with the source name and field) when `request`
/// is missing or not an object, or the object fields are missing for the
/// operation.
pub fn admission_review_request(source_name: &str, doc: &Value) -> Result<Value> {
    let mut req = match doc.get("request") {
        Some(Value::Object(r)) => r.clone(),
        _ => {
            return Err(Error::field(
                source_name,
                "request",
                "missing: an AdmissionReview must carry an AdmissionRequest",
            ));
        }
    };
    let present = |v: Option<&Value>| v.is_some_and(|v| !v.is_null());
    let has_object = present(req.get("object"));
    let has_old = present(req.get("oldObject"));
    let operation = req
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !has_object && !has_old {
        return Err(Error::field(
            source_name,
            "request",
            "contains neither `object` nor `oldObject` to review",
        ));
    }
    if operation == "DELETE" {
        if !has_old {
            return Err(Error::field(
                source_name,
                "request.oldObject",
                "missing: a DELETE request must carry the old object",
            ));
        }
        if let Some(old) = req.get("oldObject").cloned() {
            req.insert("object".to_owned(), old);
        }
    } else if !has_object {
        return Err(Error::field(
            source_name,
            "request.object",
            format!("missing: a {operation:?} request must carry the object"),
        ));
    }
    let defaults = [
        ("uid", json!("")),
        ("kind", json!({"group": "", "version": "", "kind": ""})),
        (
            "resource",
            json!({"group": "", "version": "", "resource": ""}),
        ),
        ("operation", json!("")),
        ("userInfo", json!({})),
        ("oldObject", Value::Null),
        ("options", Value::Null),
    ];
    for (field, zero) in defaults {
        req.entry(field).or_insert(zero);
    }
    Ok(Value::Object(req))
}

/// Which objects a constraint applies to (Gatekeeper's `spec.match`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Match {
    /// `(apiGroups, kinds)` pairs; empty means every kind. `*` is a wildcard.
    pub kinds: Vec<(Vec<String>, Vec<String>)>,
    /// Namespaces the object must be in (`prefix*` / `*suffix` globs).
    pub namespaces: Vec<String>,
    /// Namespaces the object must not be in (globs).
    pub excluded_namespaces: Vec<String>,
    /// Selector on the object's labels.
    pub label_selector: Option<LabelSelector>,
    /// Selector on the labels of the object's namespace (from `data.inventory`).
    pub namespace_selector: Option<LabelSelector>,
    /// `*` (default), `Cluster` or `Namespaced`.
    pub scope: String,
    /// Object name (glob).
    pub name: Option<String>,
}

fn glob(pattern: &str, s: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        s.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        s.ends_with(suffix)
    } else {
        pattern == s
    }
}

fn string_list(source: &str, v: Option<&Value>, field: &str) -> Result<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::field(source, field, "not a list of strings"))
            })
            .collect(),
        Some(_) => Err(Error::field(source, field, "not a list")),
    }
}

impl Match {
    fn from_value(source: &str, m: Option<&Value>) -> Result<Match> {
        let mut out = Match {
            scope: "*".to_owned(),
            ..Match::default()
        };
        let Some(m) = m.filter(|m| !m.is_null()) else {
            return Ok(out);
        };
        for (i, k) in m
            .get("kinds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let field = format!("spec.match.kinds[{i}]");
            out.kinds.push((
                string_list(source, k.get("apiGroups"), &format!("{field}.apiGroups"))?,
                string_list(source, k.get("kinds"), &format!("{field}.kinds"))?,
            ));
        }
        out.namespaces = string_list(source, m.get("namespaces"), "spec.match.namespaces")?;
        out.excluded_namespaces = string_list(
            source,
            m.get("excludedNamespaces"),
            "spec.match.excludedNamespaces",
        )?;
        out.label_selector = m.get("labelSelector").map(LabelSelector::from_value);
        out.namespace_selector = m.get("namespaceSelector").map(LabelSelector::from_value);
        if let Some(s) = m.get("scope").and_then(Value::as_str) {
            if !matches!(s, "*" | "Cluster" | "Namespaced") {
                return Err(Error::field(
                    source,
                    "spec.match.scope",
                    format!("unknown scope {s:?}"),
                ));
            }
            out.scope = s.to_owned();
        }
        out.name = m.get("name").and_then(Value::as_str).map(str::to_owned);
        Ok(out)
    }

    /// Whether the object matches. Namespace criteria apply to namespaced
    /// objects and to `Namespace` objects (by their own name); other
    /// cluster-scoped objects pass them, as in Gatekeeper.
    pub fn matches(&self, object: &Value, inventory: &Value) -> bool {
        self.matches_inner(object, Some(inventory))
    }

    /// `inventory: None` skips the namespace selector (not decidable yet).
    fn matches_inner(&self, object: &Value, inventory: Option<&Value>) -> bool {
        let api_version = str_at(object, "/apiVersion").unwrap_or("");
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let kind = str_at(object, "/kind").unwrap_or("");
        if !self.kinds.is_empty()
            && !self.kinds.iter().any(|(groups, kinds)| {
                (groups.is_empty() || groups.iter().any(|g| g == "*" || g == group))
                    && (kinds.is_empty() || kinds.iter().any(|k| k == "*" || k == kind))
            })
        {
            return false;
        }
        let is_namespace = kind == "Namespace" && group.is_empty();
        let ns = if is_namespace {
            str_at(object, "/metadata/name")
        } else {
            str_at(object, "/metadata/namespace")
        };
        match self.scope.as_str() {
            "Cluster" if ns.is_some() && !is_namespace => return false,
            "Namespaced" if ns.is_none() || is_namespace => return false,
            _ => {}
        }
        if let Some(ns) = ns {
            if !self.namespaces.is_empty() && !self.namespaces.iter().any(|p| glob(p, ns)) {
                return false;
            }
            if self.excluded_namespaces.iter().any(|p| glob(p, ns)) {
                return false;
            }
            if let (Some(sel), Some(inventory)) = (&self.namespace_selector, inventory) {
                let labels = if is_namespace {
                    object.pointer("/metadata/labels")
                } else {
                    inventory.pointer(&format!(
                        "/cluster/v1/Namespace/{}/metadata/labels",
                        crate::fix::escape_pointer_token(ns)
                    ))
                };
                if !sel.matches(labels.and_then(Value::as_object)) {
                    return false;
                }
            }
        }
        if let Some(sel) = &self.label_selector
            && !sel.matches(
                object
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object),
            )
        {
            return false;
        }
        if let Some(n) = &self.name
            && !glob(n, str_at(object, "/metadata/name").unwrap_or(""))
        {
            return false;
        }
        true
    }
}

/// A Gatekeeper Constraint: an instance of a template's kind with a match and
/// parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    kind: String,
    name: String,
    enforcement_action: String,
    matcher: Match,
    parameters: Value,
}

impl Constraint {
    /// Parses a constraint from YAML (or JSON) text.
    ///
    /// # Errors
    /// [`Error::Yaml`] for malformed YAML, [`Error::InvalidField`] for a
    /// missing kind/name or malformed match.
    pub fn from_yaml(source_name: &str, text: &str) -> Result<Self> {
        Self::from_value(source_name, &single_object(source_name, text)?)
    }

    /// Parses a constraint from its value.
    ///
    /// # Errors
    /// As [`Constraint::from_yaml`].
    pub fn from_value(source_name: &str, v: &Value) -> Result<Self> {
        let kind = str_at(v, "/kind")
            .ok_or_else(|| Error::field(source_name, "kind", "missing"))?
            .to_owned();
        let name = str_at(v, "/metadata/name")
            .ok_or_else(|| Error::field(source_name, "metadata.name", "missing"))?
            .to_owned();
        let enforcement_action = str_at(v, "/spec/enforcementAction")
            .unwrap_or("deny")
            .to_owned();
        let matcher = Match::from_value(source_name, v.pointer("/spec/match"))?;
        let parameters = v
            .pointer("/spec/parameters")
            .cloned()
            .filter(|p| !p.is_null())
            .unwrap_or_else(|| Value::Object(Map::new()));
        Ok(Constraint {
            kind,
            name,
            enforcement_action,
            matcher,
            parameters,
        })
    }

    /// Its kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its `spec.parameters` (`{}` when absent).
    pub fn parameters(&self) -> &Value {
        &self.parameters
    }
    /// Its match.
    pub fn match_spec(&self) -> &Match {
        &self.matcher
    }
    /// `deny` (default), `warn` or `dryrun`.
    pub fn enforcement_action(&self) -> &str {
        &self.enforcement_action
    }
    /// Severity of its violations: deny → critical, warn → warning, other → info.
    pub fn severity(&self) -> Severity {
        match self.enforcement_action.as_str() {
            "deny" => Severity::Critical,
            "warn" => Severity::Warning,
            _ => Severity::Info,
        }
    }
    /// Whether the object is in scope of this constraint.
    pub fn matches(&self, object: &Value, inventory: &Value) -> bool {
        self.matcher.matches(object, inventory)
    }

    /// Checks the kind and the parameters against a template's schema.
    ///
    /// # Errors
    /// [`Error::UnknownConstraintKind`] or [`Error::Parameter`] for an unknown
    /// parameter or one of the wrong type.
    pub fn validate(&self, template: &ConstraintTemplate) -> Result<()> {
        if self.kind != template.kind {
            return Err(Error::UnknownConstraintKind {
                constraint: self.name.clone(),
                kind: self.kind.clone(),
            });
        }
        if let Some(schema) = &template.schema {
            validate_schema(schema, &self.parameters, "", None).map_err(
                |(parameter, message)| Error::Parameter {
                    constraint: self.name.clone(),
                    parameter,
                    message,
                },
            )?;
        }
        Ok(())
    }

    /// Checks the kind and the parameters against a template's schema the way
    /// `gator verify` does: types must match, but parameters the schema does
    /// not declare are accepted (an OpenAPI schema admits additional
    /// properties unless it says `additionalProperties: false`; the
    /// Gatekeeper library's own suites rely on it, e.g. K8sPSPCapabilities'
    /// `capabilities-demo` constraint). Returns the undeclared parameters
    /// (dotted paths) so callers can warn about them.
    ///
    /// # Errors
    /// [`Error::UnknownConstraintKind`] or [`Error::Parameter`] for a
    /// parameter of the wrong type or one `additionalProperties: false`
    /// forbids.
    pub fn validate_like_gator(&self, template: &ConstraintTemplate) -> Result<Vec<String>> {
        if self.kind != template.kind {
            return Err(Error::UnknownConstraintKind {
                constraint: self.name.clone(),
                kind: self.kind.clone(),
            });
        }
        let mut unknown = Vec::new();
        if let Some(schema) = &template.schema {
            validate_schema(schema, &self.parameters, "", Some(&mut unknown)).map_err(
                |(parameter, message)| Error::Parameter {
                    constraint: self.name.clone(),
                    parameter,
                    message,
                },
            )?;
        }
        Ok(unknown)
    }
}

/// A small OpenAPI v3 structural check: types, array items, and unknown
/// properties (unless `x-kubernetes-preserve-unknown-fields` or
/// `additionalProperties` allow them). With `unknown`, undeclared properties
/// are collected there instead of failing (only `additionalProperties: false`
/// still fails). Returns `(dotted path, message)`.
fn validate_schema(
    schema: &Value,
    v: &Value,
    path: &str,
    mut unknown: Option<&mut Vec<String>>,
) -> std::result::Result<(), (String, String)> {
    let at = |p: &str| {
        if p.is_empty() {
            "parameters".to_owned()
        } else {
            p.to_owned()
        }
    };
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => true,
        };
        if !ok {
            return Err((at(path), format!("expected {t}, got {v}")));
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate_schema(
                items,
                x,
                &format!("{}[{i}]", at(path)),
                unknown.as_deref_mut(),
            )?;
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        let open = schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        let additional = schema.get("additionalProperties");
        for (k, x) in obj {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate_schema(s, x, &child, unknown.as_deref_mut())?,
                None => match additional {
                    Some(Value::Object(s)) => validate_schema(
                        &Value::Object(s.clone()),
                        x,
                        &child,
                        unknown.as_deref_mut(),
                    )?,
                    Some(Value::Bool(true)) => {}
                    _ if open || props.is_none() => {}
                    Some(Value::Bool(false)) => {
                        return Err((
                            child,
                            "unknown parameter (the schema sets additionalProperties: false)"
                                .to_owned(),
                        ));
                    }
                    _ => match unknown.as_deref_mut() {
                        Some(list) => list.push(child),
                        None => {
                            return Err((
                                child,
                                "unknown parameter (not in the template's schema)".to_owned(),
                            ));
                        }
                    },
                },
            }
        }
    }
    Ok(())
}

/// A template and one of its constraints as a [`Policy`]: id is the
/// constraint name, severity follows its `enforcementAction`, and the policy
/// applies to Kubernetes objects the constraint matches. `data.inventory` is
/// built from the evaluation's [`Inventory`].
#[derive(Debug)]
pub struct ConstraintPolicy {
    template: std::sync::Arc<ConstraintTemplate>,
    constraint: Constraint,
    description: String,
}

impl ConstraintPolicy {
    /// Pairs a template and a constraint after validating the constraint.
    ///
    /// # Errors
    /// As [`Constraint::validate`].
    pub fn new(
        template: std::sync::Arc<ConstraintTemplate>,
        constraint: Constraint,
    ) -> Result<Self> {
        constraint.validate(&template)?;
        let description = format!(
            "Gatekeeper constraint {} ({})",
            constraint.name, template.name
        );
        Ok(ConstraintPolicy {
            template,
            constraint,
            description,
        })
    }
}

impl Policy for ConstraintPolicy {
    fn id(&self) -> &str {
        &self.constraint.name
    }
    fn severity(&self) -> Severity {
        self.constraint.severity()
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn applies_to(&self, doc: &Document) -> bool {
        // The namespace selector needs the inventory; `evaluate` applies it.
        doc.is_kubernetes() && self.constraint.matcher.matches_inner(doc.value(), None)
    }
    fn evaluate(
        &self,
        doc: &Document,
        inventory: &Inventory<'_>,
        out: &mut Vec<Violation>,
    ) -> Result<()> {
        let inv = inventory.gatekeeper_inventory();
        for v in self.template.review(&self.constraint, doc.value(), inv)? {
            out.push(Violation {
                policy_id: self.constraint.name.clone(),
                severity: self.constraint.severity(),
                message: v.msg,
                path: String::new(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8srequiredlabels}
spec:
  crd:
    spec:
      names: {kind: K8sRequiredLabels}
      validation:
        openAPIV3Schema:
          type: object
          properties:
            labels: {type: array, items: {type: string}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8srequiredlabels
      violation[{"msg": msg, "details": {"missing_labels": missing}}] {
        provided := {label | input.review.object.metadata.labels[label]}
        required := {label | label := input.parameters.labels[_]}
        missing := required - provided
        count(missing) > 0
        msg := sprintf("you must provide labels: %v", [missing])
      }
"#;

    fn constraint(params: &str) -> Constraint {
        Constraint::from_yaml(
            "c.yaml",
            &format!(
                "kind: K8sRequiredLabels\nmetadata: {{name: need-owner}}\nspec:\n  match:\n    kinds: [{{apiGroups: [\"\"], kinds: [Namespace]}}]\n    excludedNamespaces: [\"kube-*\"]\n  parameters: {params}\n"
            ),
        )
        .unwrap()
    }

    #[test]
    fn v0_template_reviews_objects() {
        let t = ConstraintTemplate::from_yaml("t.yaml", TEMPLATE).unwrap();
        assert_eq!(t.kind(), "K8sRequiredLabels");
        assert!(!t.is_rego_v1());
        let c = constraint("{labels: [owner]}");
        c.validate(&t).unwrap();
        let bad = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
        let v = t.review(&c, &bad, &json!({})).unwrap();
        assert_eq!(v.len(), 1);
        assert!(v[0].msg.contains("owner"), "{}", v[0].msg);
        let good = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"owner": "a"}}});
        assert!(t.review(&c, &good, &json!({})).unwrap().is_empty());
        let excluded =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}});
        assert!(t.review(&c, &excluded, &json!({})).unwrap().is_empty());
        let other_kind = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        assert!(t.review(&c, &other_kind, &json!({})).unwrap().is_empty());
    }

    #[test]
    fn v1_template_via_code_field() {
        let text = r#"
kind: ConstraintTemplate
metadata: {name: nolatest}
spec:
  crd: {spec: {names: {kind: NoLatest}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: Rego
      source:
        version: "v1"
        rego: |
          package nolatest
          violation contains {"msg": msg} if {
            some c in input.review.object.spec.containers
            endswith(c.image, ":latest")
            msg := sprintf("container %s uses latest", [c.name])
          }
"#;
        let t = ConstraintTemplate::from_yaml("t.yaml", text).unwrap();
        assert!(t.is_rego_v1());
        let c = Constraint::from_yaml("c.yaml", "kind: NoLatest\nmetadata: {name: x}\n").unwrap();
        let pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "n:latest"}]}});
        let v = t.review(&c, &pod, &json!({})).unwrap();
        assert_eq!(v[0].msg, "container a uses latest");
    }

    #[test]
    fn bad_rego_and_bad_parameters_are_typed_errors() {
        let broken = TEMPLATE.replace("count(missing) > 0", "count(missing) > > 0");
        let err = ConstraintTemplate::from_yaml("t.yaml", &broken).unwrap_err();
        assert!(
            matches!(&err, Error::Rego { template, .. } if template == "k8srequiredlabels"),
            "{err}"
        );
        let t = ConstraintTemplate::from_yaml("t.yaml", TEMPLATE).unwrap();
        let err = constraint("{labels: [owner], colour: red}")
            .validate(&t)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { parameter, .. } if parameter == "colour"),
            "{err}"
        );
        let err = constraint("{labels: owner}").validate(&t).unwrap_err();
        assert!(matches!(&err, Error::Parameter { .. }), "{err}");
        let err = constraint("{labels: [1]}").validate(&t).unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { parameter, .. } if parameter == "labels[0]"),
            "{err}"
        );
        let wrong = Constraint::from_yaml("c.yaml", "kind: Other\nmetadata: {name: o}\n").unwrap();
        assert!(matches!(
            wrong.validate(&t),
            Err(Error::UnknownConstraintKind { .. })
        ));
    }

    #[test]
    fn gator_validation_accepts_undeclared_parameters_only() {
        let t = ConstraintTemplate::from_yaml("t.yaml", TEMPLATE).unwrap();
        let unknown = constraint("{labels: [owner], colour: red}")
            .validate_like_gator(&t)
            .unwrap();
        assert_eq!(unknown, ["colour"]);
        assert!(
            constraint("{labels: [owner]}")
                .validate_like_gator(&t)
                .unwrap()
                .is_empty()
        );
        let err = constraint("{labels: owner}")
            .validate_like_gator(&t)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { parameter, .. } if parameter == "labels"),
            "{err}"
        );
        let closed = TEMPLATE.replace(
            "          type: object\n          properties:",
            "          type: object\n          additionalProperties: false\n          properties:",
        );
        let t = ConstraintTemplate::from_yaml("t.yaml", &closed).unwrap();
        let err = constraint("{labels: [owner], colour: red}")
            .validate_like_gator(&t)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { parameter, .. } if parameter == "colour"),
            "{err}"
        );
    }

    #[test]
    fn gator_review_shape_and_admission_review_checks() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        let r = gator_review(&pod);
        assert_eq!(r["operation"], "");
        assert_eq!(r["userInfo"], json!({}));
        assert_eq!(
            r["kind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
        assert_eq!(r["name"], "p");
        assert!(r.get("namespace").is_none(), "no namespace, no field");
        assert!(r["oldObject"].is_null());

        let del = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"operation": "DELETE", "oldObject": pod.clone()}});
        assert!(is_admission_review(&del));
        assert!(!is_admission_review(&pod));
        let req = admission_review_request("d.yaml", &del).unwrap();
        assert_eq!(req["object"], pod, "a DELETE reviews its old object");
        assert_eq!(req["userInfo"], json!({}));
        assert_eq!(req["uid"], "");

        let bad = |v: Value, field: &str| {
            let e = admission_review_request("r.yaml", &v).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidField { field: f, .. } if f == field),
                "{e}"
            );
        };
        bad(json!({"kind": "AdmissionReview"}), "request");
        bad(json!({"request": {"operation": "CREATE"}}), "request");
        bad(
            json!({"request": {"operation": "UPDATE", "oldObject": pod.clone()}}),
            "request.object",
        );
        bad(
            json!({"request": {"operation": "DELETE", "object": pod.clone()}}),
            "request.oldObject",
        );
    }

    #[test]
    fn multi_body_v0_rules_mean_or() {
        let text = r#"
kind: ConstraintTemplate
metadata: {name: twobodies}
spec:
  crd: {spec: {names: {kind: TwoBodies}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package twobodies
      violation[{"msg": msg}] {
        input.review.object.a
        msg := "a"
      } {
        input.review.object.b
        msg := "b"
      }
"#;
        let t = ConstraintTemplate::from_yaml("t.yaml", text).unwrap();
        let c = Constraint::from_yaml("c.yaml", "kind: TwoBodies\nmetadata: {name: x}\n").unwrap();
        let msgs = |o: Value| -> Vec<String> {
            t.review_request(&c, &gator_review(&o), &json!({}))
                .unwrap()
                .into_iter()
                .map(|v| v.msg)
                .collect()
        };
        assert_eq!(msgs(json!({"kind": "X", "a": true})), ["a"]);
        assert_eq!(msgs(json!({"kind": "X", "b": true})), ["b"]);
        assert_eq!(msgs(json!({"kind": "X", "a": true, "b": true})), ["a", "b"]);
        assert!(msgs(json!({"kind": "X"})).is_empty());
    }

    #[test]
    fn match_semantics() {
        let m = Match::from_value(
            "m",
            Some(
                &json!({"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}],
                "namespaces": ["prod-*"], "labelSelector": {"matchLabels": {"tier": "web"}},
                "namespaceSelector": {"matchLabels": {"env": "prod"}}}),
            ),
        )
        .unwrap();
        let inv = json!({"cluster": {"v1": {"Namespace": {"prod-eu": {"metadata": {"labels": {"env": "prod"}}}}}}});
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "w", "namespace": "prod-eu", "labels": {"tier": "web"}}});
        assert!(m.matches(&d, &inv));
        assert!(!m.matches(&d, &json!({})), "namespace labels unknown");
        let mut d2 = d.clone();
        d2["metadata"]["namespace"] = json!("dev");
        assert!(!m.matches(&d2, &inv));
        let mut d3 = d.clone();
        d3["apiVersion"] = json!("extensions/v1beta1");
        assert!(!m.matches(&d3, &inv));
        let scoped = Match::from_value("m", Some(&json!({"scope": "Namespaced"}))).unwrap();
        assert!(!scoped.matches(
            &json!({"kind": "ClusterRole", "metadata": {"name": "x"}}),
            &inv
        ));
        assert!(Match::from_value("m", Some(&json!({"scope": "Everywhere"}))).is_err());
    }
}
