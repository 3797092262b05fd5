//! Terraform interop: reading `terraform show -json` plans (format
//! versions 0.1 to 1.2) and writing `*.tf.json` configuration.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::plan::{Action, Plan, ReplaceOrder, ResourceChange};
use crate::resource::{Attributes, Config, Mode, parse_address};

/// Plan JSON format versions this reader understands.
pub const SUPPORTED_FORMAT_VERSIONS: &[&str] = &["0.1", "0.2", "1.0", "1.1", "1.2"];

/// Metadata of a Terraform plan besides its changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TerraformPlanInfo {
    /// `format_version` of the document.
    pub format_version: String,
    /// `terraform_version`, when present.
    pub terraform_version: Option<String>,
    /// Entries of `resource_drift` (changes made outside Terraform).
    pub drift: usize,
}

/// Reads a plan from `terraform show -json PLANFILE` output.
///
/// `resource_changes` become [`ResourceChange`]s: `["delete","create"]` is
/// one [`Action::Replace`] (delete before create) and `["create","delete"]`
/// one create-before-destroy replace. `after_unknown`, `before_sensitive` /
/// `after_sensitive`, `replace_paths` and `action_reason` are kept as
/// paths. Dependencies come from `configuration` (expression references and
/// `depends_on`) and from `prior_state` (`depends_on`).
///
/// # Errors
/// [`Error::MalformedPlan`] for invalid JSON or a missing/ill-typed field
/// (naming its JSON path), [`Error::UnsupportedFormatVersion`] for a
/// `format_version` outside 0.1 to 1.2, [`Error::DuplicateAddress`], or
/// [`Error::Cycle`].
pub fn read_terraform_plan(source_name: &str, text: &str) -> Result<(Plan, TerraformPlanInfo)> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        Error::malformed(
            source_name,
            "$",
            // serde_json's message already ends with "at line L column C".
            e.to_string(),
        )
    })?;
    terraform_plan_from_value(source_name, &doc)
}

/// [`read_terraform_plan`] over an already parsed document.
///
/// # Errors
/// As [`read_terraform_plan`].
pub fn terraform_plan_from_value(
    source_name: &str,
    doc: &Value,
) -> Result<(Plan, TerraformPlanInfo)> {
    let obj = doc
        .as_object()
        .ok_or_else(|| Error::malformed(source_name, "$", "expected a JSON object"))?;
    let version = obj
        .get("format_version")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::malformed(source_name, "$.format_version", "missing or not a string")
        })?;
    if !SUPPORTED_FORMAT_VERSIONS.contains(&version) {
        return Err(Error::UnsupportedFormatVersion {
            source_name: source_name.to_owned(),
            version: version.to_owned(),
        });
    }
    let info = TerraformPlanInfo {
        format_version: version.to_owned(),
        terraform_version: obj
            .get("terraform_version")
            .and_then(Value::as_str)
            .map(str::to_owned),
        drift: obj
            .get("resource_drift")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    };
    let rc = match obj.get("resource_changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(Error::malformed(
                source_name,
                "$.resource_changes",
                "expected an array",
            ));
        }
    };
    let config_deps = configuration_deps(obj.get("configuration"));
    let state_deps = prior_state_deps(obj.get("prior_state"));
    let mut changes = Vec::with_capacity(rc.len());
    let addresses: BTreeSet<&str> = rc
        .iter()
        .filter_map(|r| r.get("address").and_then(Value::as_str))
        .collect();
    for (i, r) in rc.iter().enumerate() {
        changes.push(read_change(
            source_name,
            i,
            r,
            &config_deps,
            &state_deps,
            &addresses,
        )?);
    }
    Ok((Plan::from_changes(changes)?, info))
}

fn str_field<'a>(src: &str, path: &str, v: &'a Value, f: &str) -> Result<&'a str> {
    v.get(f)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::malformed(src, format!("{path}.{f}"), "missing or not a string"))
}

fn attrs_field(src: &str, path: &str, change: &Value, f: &str) -> Result<Option<Attributes>> {
    match change.get(f) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(_) => Err(Error::malformed(
            src,
            format!("{path}.change.{f}"),
            "expected an object or null",
        )),
    }
}

/// Paths whose value is `true` in a Terraform "mask" value
/// (`after_unknown`, `*_sensitive`).
pub(crate) fn true_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Bool(true) => out.push(if prefix.is_empty() {
            "(entire object)".to_owned()
        } else {
            prefix.to_owned()
        }),
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                true_paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                true_paths(x, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn render_path(p: &Value) -> String {
    match p {
        Value::Array(steps) => {
            let mut s = String::new();
            for step in steps {
                match step {
                    Value::Number(n) => s.push_str(&format!("[{n}]")),
                    Value::String(k) => {
                        if !s.is_empty() {
                            s.push('.');
                        }
                        s.push_str(k);
                    }
                    other => s.push_str(&other.to_string()),
                }
            }
            s
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Strips a trailing instance key: `aws_instance.web[0]` -> `aws_instance.web`.
fn strip_index(addr: &str) -> &str {
    if addr.ends_with(']')
        && let Some(i) = addr.rfind('[')
    {
        return &addr[..i];
    }
    addr
}

fn read_change(
    src: &str,
    i: usize,
    r: &Value,
    config_deps: &HashMap<String, BTreeSet<String>>,
    state_deps: &HashMap<String, Vec<String>>,
    addresses: &BTreeSet<&str>,
) -> Result<ResourceChange> {
    let path = format!("$.resource_changes[{i}]");
    let address = str_field(src, &path, r, "address")?.to_owned();
    let resource_type = str_field(src, &path, r, "type")?.to_owned();
    let mode = match r.get("mode").and_then(Value::as_str) {
        None | Some("managed") => Mode::Managed,
        Some("data") => Mode::Data,
        Some(other) => {
            return Err(Error::malformed(
                src,
                format!("{path}.mode"),
                format!("unknown mode {other:?}"),
            ));
        }
    };
    let provider = r
        .get("provider_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let change = r.get("change").filter(|c| c.is_object()).ok_or_else(|| {
        Error::malformed(src, format!("{path}.change"), "missing or not an object")
    })?;
    let actions: Vec<&str> = change
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::malformed(
                src,
                format!("{path}.change.actions"),
                "missing or not an array",
            )
        })?
        .iter()
        .map(|a| {
            a.as_str().ok_or_else(|| {
                Error::malformed(src, format!("{path}.change.actions"), "non-string action")
            })
        })
        .collect::<Result<_>>()?;
    let (action, order) = match actions.as_slice() {
        ["no-op"] => (Action::NoOp, None),
        ["create"] => (Action::Create, None),
        ["read"] => (Action::Read, None),
        ["update"] => (Action::Update, None),
        ["delete", "create"] => (Action::Replace, Some(ReplaceOrder::DeleteBeforeCreate)),
        ["create", "delete"] => (Action::Replace, Some(ReplaceOrder::CreateBeforeDestroy)),
        ["delete"] => (Action::Delete, None),
        other => {
            return Err(Error::malformed(
                src,
                format!("{path}.change.actions"),
                format!("unknown action list {other:?} for `{address}`"),
            ));
        }
    };
    let before = attrs_field(src, &path, change, "before")?;
    let after = attrs_field(src, &path, change, "after")?;
    let mut after_unknown = Vec::new();
    if let Some(u) = change.get("after_unknown") {
        true_paths(u, "", &mut after_unknown);
    }
    let mut sensitive = Vec::new();
    for f in ["before_sensitive", "after_sensitive"] {
        if let Some(s) = change.get(f) {
            true_paths(s, "", &mut sensitive);
        }
    }
    sensitive.sort();
    sensitive.dedup();
    let replace_paths: Vec<String> = change
        .get("replace_paths")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(render_path).collect())
        .unwrap_or_default();
    let mut changed = Vec::new();
    if matches!(action, Action::Update | Action::Replace) {
        let empty = Attributes::new();
        let b = before.as_ref().unwrap_or(&empty);
        let a = after.as_ref().unwrap_or(&empty);
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for k in keys {
            let unknown = after_unknown.iter().any(|u| {
                u == k
                    || u.strip_prefix(k.as_str())
                        .is_some_and(|r| r.starts_with(['.', '[']))
            });
            if unknown || b.get(k) != a.get(k) {
                changed.push(k.clone());
            }
        }
    }
    let mut depends_on: BTreeSet<String> = BTreeSet::new();
    let cfg_key = strip_index(&address);
    if let Some(d) = config_deps.get(cfg_key) {
        for target in d {
            // A configuration reference names a resource without instance
            // keys; it depends on every instance of it in the plan.
            for a in addresses.iter() {
                if *a != address && (strip_index(a) == target || *a == target) {
                    depends_on.insert((*a).to_owned());
                }
            }
        }
    }
    if let Some(d) = state_deps.get(&address) {
        depends_on.extend(d.iter().filter(|a| **a != address).cloned());
    }
    Ok(ResourceChange {
        address,
        mode,
        resource_type,
        provider,
        action,
        replace_order: order,
        before,
        after,
        after_unknown,
        changed,
        replace_paths,
        sensitive,
        reason: r
            .get("action_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        depends_on: depends_on.into_iter().collect(),
        create_before_destroy: order == Some(ReplaceOrder::CreateBeforeDestroy),
        deposed: 0,
        config: None,
    })
}

/// `configuration` -> dependencies by resource address (without instance
/// keys), from expression references and `depends_on`, across modules.
fn configuration_deps(cfg: Option<&Value>) -> HashMap<String, BTreeSet<String>> {
    let mut out = HashMap::new();
    if let Some(root) = cfg.and_then(|c| c.get("root_module")) {
        walk_module(root, "", &mut out);
    }
    out
}

fn walk_module(m: &Value, prefix: &str, out: &mut HashMap<String, BTreeSet<String>>) {
    let qualify = |a: &str| {
        if prefix.is_empty() {
            a.to_owned()
        } else {
            format!("{prefix}.{a}")
        }
    };
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for r in rs {
            let Some(addr) = r.get("address").and_then(Value::as_str) else {
                continue;
            };
            let mut deps = BTreeSet::new();
            let mut refs = Vec::new();
            if let Some(ex) = r.get("expressions") {
                collect_refs(ex, &mut refs);
            }
            if let Some(d) = r.get("depends_on").and_then(Value::as_array) {
                refs.extend(d.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            for rf in refs {
                if let Some(t) = crate::resource::parse_traversal(&rf) {
                    deps.insert(qualify(strip_index(&t.target)));
                }
            }
            out.insert(qualify(addr), deps);
        }
    }
    if let Some(calls) = m.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(sub) = call.get("module") {
                walk_module(sub, &qualify(&format!("module.{name}")), out);
            }
        }
    }
}

/// Every string in a `references` array below an expressions object.
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "references" {
                    if let Some(a) = x.as_array() {
                        out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// `prior_state` -> recorded `depends_on` by resource address.
fn prior_state_deps(ps: Option<&Value>) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    fn walk(m: &Value, out: &mut HashMap<String, Vec<String>>) {
        if let Some(rs) = m.get("resources").and_then(Value::as_array) {
            for r in rs {
                if let (Some(a), Some(d)) = (
                    r.get("address").and_then(Value::as_str),
                    r.get("depends_on").and_then(Value::as_array),
                ) {
                    out.insert(
                        a.to_owned(),
                        d.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    );
                }
            }
        }
        if let Some(cs) = m.get("child_modules").and_then(Value::as_array) {
            cs.iter().for_each(|c| walk(c, out));
        }
    }
    if let Some(root) = ps
        .and_then(|p| p.get("values"))
        .and_then(|v| v.get("root_module"))
    {
        walk(root, &mut out);
    }
    out
}

/// Writes a configuration as Terraform JSON configuration syntax
/// (`*.tf.json`): `resource`/`data` blocks keyed by type and name, with
/// `depends_on`, `provider` (when not the type's default) and `lifecycle`.
/// References are already `${TYPE.NAME.ATTR}` interpolations, which
/// Terraform's JSON syntax accepts.
///
/// # Errors
/// [`Error::InvalidAddress`] for resources inside modules or with instance
/// keys, which a single root `*.tf.json` cannot declare.
pub fn to_tf_json(config: &Config) -> Result<Value> {
    let mut resource: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut data: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for r in config.resources() {
        let p = parse_address(&r.address)?;
        if !p.module.is_empty() || p.name.contains('[') {
            return Err(Error::InvalidAddress {
                address: r.address.clone(),
                reason: "*.tf.json emission supports root-module resources without instance keys"
                    .to_owned(),
            });
        }
        let mut body = r.attributes.clone();
        if !r.depends_on.is_empty() {
            body.insert("depends_on".to_owned(), json!(r.depends_on));
        }
        let default_provider = r.resource_type.split('_').next().unwrap_or("");
        if r.provider != default_provider && !r.provider.is_empty() {
            body.insert("provider".to_owned(), json!(r.provider));
        }
        if r.lifecycle.create_before_destroy || r.lifecycle.prevent_destroy {
            let mut lc = Map::new();
            if r.lifecycle.create_before_destroy {
                lc.insert("create_before_destroy".to_owned(), Value::Bool(true));
            }
            if r.lifecycle.prevent_destroy {
                lc.insert("prevent_destroy".to_owned(), Value::Bool(true));
            }
            body.insert("lifecycle".to_owned(), Value::Object(lc));
        }
        let target = match p.mode {
            Mode::Managed => &mut resource,
            Mode::Data => &mut data,
        };
        target
            .entry(p.resource_type)
            .or_default()
            .insert(p.name, Value::Object(body));
    }
    let mut out = Map::new();
    if !resource.is_empty() {
        out.insert("resource".to_owned(), json!(resource));
    }
    if !data.is_empty() {
        out.insert("data".to_owned(), json!(data));
    }
    Ok(Value::Object(out))
}

/// Reads a configuration back from Terraform JSON syntax written by
/// [`to_tf_json`] (resource and data blocks; other blocks are ignored).
///
/// # Errors
/// [`Error::InvalidField`] when a block is not an object, plus
/// [`Config::new`]'s errors.
pub fn from_tf_json(doc: &Value) -> Result<Config> {
    let mut resources = Vec::new();
    for (block, prefix) in [("resource", ""), ("data", "data.")] {
        let Some(types) = doc.get(block) else {
            continue;
        };
        let types = types
            .as_object()
            .ok_or_else(|| Error::field("tf.json", block, "expected an object"))?;
        for (ty, names) in types {
            let names = names.as_object().ok_or_else(|| {
                Error::field("tf.json", format!("{block}.{ty}"), "expected an object")
            })?;
            for (name, body) in names {
                let addr = format!("{prefix}{ty}.{name}");
                let body = body
                    .as_object()
                    .ok_or_else(|| Error::field(&addr, "body", "expected an object"))?;
                let mut r = crate::resource::Resource::new(&addr)?;
                for (k, v) in body {
                    match k.as_str() {
                        "depends_on" => {
                            r.depends_on = v
                                .as_array()
                                .map(|a| {
                                    a.iter()
                                        .filter_map(Value::as_str)
                                        .map(str::to_owned)
                                        .collect()
                                })
                                .unwrap_or_default();
                        }
                        "provider" => {
                            if let Some(p) = v.as_str() {
                                r.provider = p.to_owned();
                            }
                        }
                        "lifecycle" => {
                            r.lifecycle.create_before_destroy = v
                                .get("create_before_destroy")
                                .and_then(Value::as_bool)
                                .unwrap_or(false);
                            r.lifecycle.prevent_destroy = v
                                .get("prevent_destroy")
                                .and_then(Value::as_bool)
                                .unwrap_or(false);
                        }
                        _ => {
                            r.attributes.insert(k.clone(), v.clone());
                        }
                    }
                }
                resources.push(r);
            }
        }
    }
    Config::new(resources)
}
