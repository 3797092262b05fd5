//! Plans: the diff of a desired configuration against the recorded state,
//! with the ordered steps an apply runs.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::resource::{Attributes, Config, ConfigRef, Mode, RefView, ResourceState, State};
use crate::value::{Lookup, Resolved, resolve};

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing changes.
    NoOp,
    /// A new resource is created.
    Create,
    /// A data source is read.
    Read,
    /// A resource is updated in place.
    Update,
    /// A resource is destroyed and created again (one action, two steps).
    Replace,
    /// A resource is destroyed.
    Delete,
}

impl Action {
    /// Lower-case name (`no_op`, `create`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no_op",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }

    fn symbol(self, order: Option<ReplaceOrder>) -> &'static str {
        match (self, order) {
            (Action::NoOp, _) => " ",
            (Action::Create, _) => "+",
            (Action::Read, _) => "<=",
            (Action::Update, _) => "~",
            (Action::Replace, Some(ReplaceOrder::CreateBeforeDestroy)) => "+/-",
            (Action::Replace, _) => "-/+",
            (Action::Delete, _) => "-",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Order of the two halves of a replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceOrder {
    /// Destroy the old object, then create the new one (the default).
    DeleteBeforeCreate,
    /// Create the new object, then destroy the old one
    /// (`create_before_destroy`).
    CreateBeforeDestroy,
}

/// The planned change of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    /// Resource address.
    pub address: String,
    /// Managed or data.
    pub mode: Mode,
    /// Resource type.
    pub resource_type: String,
    /// Provider configuration or name.
    pub provider: String,
    /// The action.
    pub action: Action,
    /// For [`Action::Replace`], the order of its halves.
    pub replace_order: Option<ReplaceOrder>,
    /// Attributes before (`None` when the resource does not exist yet).
    pub before: Option<Attributes>,
    /// Known attributes after (`None` after a delete). Attributes listed in
    /// `after_unknown` are absent.
    pub after: Option<Attributes>,
    /// Paths of attributes known only after apply.
    pub after_unknown: Vec<String>,
    /// Paths of attributes that change (updates and replacements).
    pub changed: Vec<String>,
    /// Paths whose change forces the replacement.
    pub replace_paths: Vec<String>,
    /// Paths of sensitive attributes (from Terraform plans).
    pub sensitive: Vec<String>,
    /// Why the action was chosen, in Terraform's `action_reason` words
    /// (`replace_because_cannot_update`, `delete_because_no_resource_config`,
    /// ...).
    pub reason: Option<String>,
    /// Addresses this resource depends on (configuration for live
    /// resources, recorded state for deletes).
    pub depends_on: Vec<String>,
    /// Effective `create_before_destroy` after propagation.
    pub create_before_destroy: bool,
    /// Objects deposed by an interrupted create-before-destroy replacement
    /// that this plan destroys (Terraform's "deposed" objects).
    pub deposed: usize,
    /// The desired configuration, when the plan was computed here (needed
    /// to apply).
    pub(crate) config: Option<ConfigRef>,
}

impl ResourceChange {
    /// Terraform's `change.actions` for this change.
    pub fn terraform_actions(&self) -> Vec<&'static str> {
        match (self.action, self.replace_order) {
            (Action::NoOp, _) => vec!["no-op"],
            (Action::Create, _) => vec!["create"],
            (Action::Read, _) => vec!["read"],
            (Action::Update, _) => vec!["update"],
            (Action::Replace, Some(ReplaceOrder::CreateBeforeDestroy)) => vec!["create", "delete"],
            (Action::Replace, _) => vec!["delete", "create"],
            (Action::Delete, _) => vec!["delete"],
        }
    }

    /// This change as one Terraform plan JSON `resource_changes` entry.
    pub fn to_terraform_json(&self) -> Value {
        let name = crate::resource::parse_address(&self.address)
            .map(|p| p.name)
            .unwrap_or_default();
        let (bare, index) = match name.find('[') {
            Some(i) => (
                name[..i].to_owned(),
                Some(name[i + 1..name.len() - 1].to_owned()),
            ),
            None => (name, None),
        };
        let unknown: serde_json::Map<String, Value> = self
            .after_unknown
            .iter()
            .map(|p| (p.clone(), Value::Bool(true)))
            .collect();
        let mut entry = json!({
            "address": self.address,
            "mode": self.mode.as_str(),
            "type": self.resource_type,
            "name": bare,
            "provider_name": self.provider,
            "change": {
                "actions": self.terraform_actions(),
                "before": self.before.clone().map_or(Value::Null, Value::Object),
                "after": self.after.clone().map_or(Value::Null, Value::Object),
                "after_unknown": unknown,
                "replace_paths": self.replace_paths.iter().map(|p| json!([p])).collect::<Vec<_>>(),
            },
        });
        if let Some(i) = index {
            entry["index"] = i
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(i.trim_matches('"').to_owned()));
        }
        if let Some(r) = &self.reason {
            entry["action_reason"] = Value::String(r.clone());
        }
        entry
    }

    /// This change as a policy document: the Terraform `resource_changes`
    /// entry plus `kind` (the resource type), so policy checks that take
    /// "documents with a kind" can evaluate it before apply.
    pub fn to_document(&self) -> Value {
        let mut v = self.to_terraform_json();
        v["kind"] = Value::String(self.resource_type.clone());
        v["action"] = Value::String(self.action.as_str().to_owned());
        v
    }
}

/// Counts of actions in a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Creates.
    pub create: usize,
    /// In-place updates.
    pub update: usize,
    /// Replacements (each counted once).
    pub replace: usize,
    /// Deletes.
    pub delete: usize,
    /// Data source reads.
    pub read: usize,
    /// Unchanged resources.
    pub no_op: usize,
}

/// What one apply step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Create the resource (or the new half of a replacement).
    Create,
    /// Update in place.
    Update,
    /// Read a data source.
    Read,
    /// Destroy the current object (a delete, or the first half of a
    /// delete-before-create replacement).
    Delete,
    /// Destroy the object deposed by a create-before-destroy replacement.
    DeleteDeposed,
}

impl StepKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Create => "create",
            StepKind::Update => "update",
            StepKind::Read => "read",
            StepKind::Delete => "delete",
            StepKind::DeleteDeposed => "delete deposed",
        }
    }
}

/// One apply step and the steps it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index into [`Plan::changes`].
    pub change: usize,
    /// What it does.
    pub kind: StepKind,
    /// Steps (indices into [`Plan::steps`]) that must finish first.
    pub after: Vec<usize>,
}

/// A plan: the changes, and the steps to apply them in a dependency order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    changes: Vec<ResourceChange>,
    steps: Vec<Step>,
    order: Vec<usize>,
}

impl Plan {
    /// Builds a plan from changes (e.g. read from Terraform), deriving the
    /// steps from their `depends_on`.
    ///
    /// # Errors
    /// [`Error::DuplicateAddress`] or [`Error::Cycle`].
    pub fn from_changes(changes: Vec<ResourceChange>) -> Result<Plan> {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(changes.len());
        for (i, c) in changes.iter().enumerate() {
            if index.insert(c.address.as_str(), i).is_some() {
                return Err(Error::DuplicateAddress {
                    address: c.address.clone(),
                });
            }
        }
        let deps: Vec<Vec<usize>> = changes
            .iter()
            .map(|c| {
                let mut d: Vec<usize> = c
                    .depends_on
                    .iter()
                    .filter_map(|a| index.get(a.as_str()).copied())
                    .collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        let (steps, order) = build_steps(&changes, &deps, &deps)?;
        Ok(Plan {
            changes,
            steps,
            order,
        })
    }

    /// The changes: configuration resources in configuration order, then
    /// resources only in the state.
    pub fn changes(&self) -> &[ResourceChange] {
        &self.changes
    }

    /// The change of `address`.
    pub fn change(&self, address: &str) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| c.address == address)
    }

    /// The apply steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Step indices in a valid sequential apply order.
    pub fn step_order(&self) -> &[usize] {
        &self.order
    }

    /// Counts of each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for ch in &self.changes {
            match ch.action {
                Action::NoOp => c.no_op += 1,
                Action::Create => c.create += 1,
                Action::Read => c.read += 1,
                Action::Update => c.update += 1,
                Action::Replace => c.replace += 1,
                Action::Delete => c.delete += 1,
            }
        }
        c
    }

    /// True when nothing changes (no action and no deposed object).
    pub fn is_empty(&self) -> bool {
        self.changes
            .iter()
            .all(|c| c.action == Action::NoOp && c.deposed == 0)
    }

    /// Every change as a policy document (see
    /// [`ResourceChange::to_document`]).
    pub fn documents(&self) -> Vec<Value> {
        self.changes
            .iter()
            .map(ResourceChange::to_document)
            .collect()
    }

    /// The plan as Terraform plan JSON (format version 1.2), which
    /// [`crate::read_terraform_plan`] reads back.
    pub fn to_json(&self) -> Value {
        json!({
            "format_version": "1.2",
            "resource_changes": self.changes.iter().map(ResourceChange::to_terraform_json).collect::<Vec<_>>(),
            "aiops_steps": self.order.iter().map(|&s| {
                let st = &self.steps[s];
                json!({"address": self.changes[st.change].address, "step": st.kind.as_str()})
            }).collect::<Vec<_>>(),
        })
    }

    /// The plan as readable text, Terraform style.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for c in self.changes.iter().filter(|c| c.deposed > 0) {
            let _ = writeln!(
                s,
                "  - destroy  {} ({} deposed object(s) left by an interrupted replacement)",
                c.address, c.deposed
            );
        }
        for c in self.changes.iter().filter(|c| c.action != Action::NoOp) {
            let _ = write!(
                s,
                "{:>3} {:<8} {}",
                c.action.symbol(c.replace_order),
                c.action.as_str(),
                c.address
            );
            match (c.action, c.replace_order) {
                (Action::Replace, Some(o)) => {
                    let _ = write!(
                        s,
                        "  ({}; {} forces replacement)",
                        match o {
                            ReplaceOrder::CreateBeforeDestroy => "create before destroy",
                            ReplaceOrder::DeleteBeforeCreate => "delete then create",
                        },
                        if c.replace_paths.is_empty() {
                            c.reason.clone().unwrap_or_else(|| "provider".to_owned())
                        } else {
                            c.replace_paths.join(", ")
                        }
                    );
                }
                (Action::Delete, _) => {
                    if let Some(r) = &c.reason {
                        let _ = write!(s, "  ({r})");
                    }
                }
                _ => {}
            }
            s.push('\n');
            for attr in &c.changed {
                let before = c
                    .before
                    .as_ref()
                    .and_then(|b| b.get(attr))
                    .map_or_else(|| "null".to_owned(), Value::to_string);
                let after = if c.after_unknown.iter().any(|u| u == attr) {
                    "(known after apply)".to_owned()
                } else {
                    c.after
                        .as_ref()
                        .and_then(|a| a.get(attr))
                        .map_or_else(|| "null".to_owned(), Value::to_string)
                };
                let _ = writeln!(s, "        {attr}: {before} -> {after}");
            }
            if c.action == Action::Create || c.action == Action::Read {
                for attr in &c.after_unknown {
                    let _ = writeln!(s, "        {attr}: (known after apply)");
                }
            }
        }
        let n = self.counts();
        let _ = writeln!(
            s,
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} to read, {} unchanged.",
            n.create, n.update, n.replace, n.delete, n.read, n.no_op
        );
        s
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Diffs `config` against `state` into a plan.
///
/// Values that reference a resource being created or replaced are unknown
/// until apply; a changed unknown value counts as a change, and forces a
/// replacement when the attribute is force-new. `create_before_destroy` is
/// propagated from a resource to everything it depends on, as Terraform
/// does, so that replacements never form a cycle.
///
/// # Errors
/// [`Error::DanglingReference`] when a reference names an attribute that
/// neither the configuration nor the state holds; [`Error::InvalidField`]
/// for an unsupported expression, or when a `prevent_destroy` resource
/// would be replaced; [`Error::Cycle`] when the steps cannot be ordered.
pub fn plan(config: &Config, state: &State) -> Result<Plan> {
    let n = config.len();
    let resources = config.resources();
    let mut changes: Vec<Option<ResourceChange>> = (0..n).map(|_| None).collect();
    for &i in config.order() {
        let r = &resources[i];
        let prior = state.resources.get(&r.address).filter(|p| p.mode == r.mode);
        let lookup = |rf: &RefView<'_>| -> Lookup<'_> {
            let Some(j) = config.index_of(&rf.target) else {
                return Lookup::Missing;
            };
            let Some(p) = changes[j].as_ref() else {
                return Lookup::Missing;
            };
            let attr: &str = &rf.attribute;
            if p.after_unknown.iter().any(|u| u == attr) {
                return Lookup::Unknown;
            }
            match p.after.as_ref().and_then(|a| a.get(attr)) {
                Some(v) => Lookup::Known(v),
                None => match p.action {
                    Action::Create | Action::Replace | Action::Read => Lookup::Unknown,
                    _ => Lookup::Missing,
                },
            }
        };
        let mut after = Attributes::new();
        let mut unknown = BTreeSet::new();
        for (k, v) in &r.attributes {
            match resolve(&r.address, k, v, &lookup)? {
                Resolved::Known(x) => {
                    after.insert(k.clone(), x);
                }
                Resolved::Unknown => {
                    unknown.insert(k.clone());
                }
            }
        }
        let mut changed = Vec::new();
        let mut replace_paths = Vec::new();
        let (action, reason) = match prior {
            None => (
                if r.mode == Mode::Data {
                    Action::Read
                } else {
                    Action::Create
                },
                None,
            ),
            Some(p) => {
                for k in r.attributes.keys() {
                    let differs = unknown.contains(k) || after.get(k) != p.attributes.get(k);
                    if differs {
                        changed.push(k.clone());
                        if r.force_new.iter().any(|f| f == k) {
                            replace_paths.push(k.clone());
                        }
                    }
                }
                let type_changed = p.resource_type != r.resource_type;
                if type_changed {
                    replace_paths.push("type".to_owned());
                }
                if r.mode == Mode::Data {
                    if changed.is_empty() {
                        (Action::NoOp, None)
                    } else if unknown.is_empty() {
                        (Action::Read, None)
                    } else {
                        (Action::Read, Some("read_because_config_unknown"))
                    }
                } else if !replace_paths.is_empty() {
                    (Action::Replace, Some("replace_because_cannot_update"))
                } else if !changed.is_empty() {
                    (Action::Update, None)
                } else {
                    (Action::NoOp, None)
                }
            }
        };
        if action == Action::Replace && r.lifecycle.prevent_destroy {
            return Err(Error::field(
                &r.address,
                "lifecycle.prevent_destroy",
                format!(
                    "the plan would replace this resource ({} forces replacement)",
                    replace_paths.join(", ")
                ),
            ));
        }
        let planned_after = match (action, prior) {
            (Action::Update | Action::NoOp, Some(p)) => {
                let mut m = p.attributes.clone();
                for k in &unknown {
                    m.remove(k);
                }
                for (k, v) in &after {
                    m.insert(k.clone(), v.clone());
                }
                m
            }
            _ => after,
        };
        let change = ResourceChange {
            address: r.address.clone(),
            mode: r.mode,
            resource_type: r.resource_type.clone(),
            provider: r.provider.clone(),
            action,
            replace_order: None,
            before: prior.map(|p| p.attributes.clone()),
            after: Some(planned_after),
            after_unknown: unknown.into_iter().collect(),
            changed,
            replace_paths,
            sensitive: Vec::new(),
            reason: reason.map(str::to_owned),
            depends_on: config
                .deps_of(i)
                .iter()
                .map(|&j| resources[j].address.clone())
                .collect(),
            create_before_destroy: r.lifecycle.create_before_destroy
                || prior.is_some_and(|p| p.create_before_destroy),
            deposed: prior.map_or(0, |p| p.deposed.len()),
            config: Some(config.shared(i)),
        };
        changes[i] = Some(change);
    }
    let mut changes: Vec<ResourceChange> = changes.into_iter().flatten().collect();
    // Resources only in the state are deleted.
    for (addr, p) in &state.resources {
        let live = config.get(addr).is_some_and(|r| r.mode == p.mode);
        if live {
            continue;
        }
        changes.push(delete_change(p));
    }
    // Dependencies as indices: configuration ones for live resources,
    // recorded ones (state) for every resource in the state.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        index.insert(c.address.as_str(), i);
    }
    let mut cfg_deps: Vec<Vec<usize>> = Vec::with_capacity(changes.len());
    let mut state_deps: Vec<Vec<usize>> = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        cfg_deps.push(if i < n {
            config.deps_of(i).to_vec()
        } else {
            Vec::new()
        });
        let recorded = state
            .resources
            .get(&c.address)
            .map(|p| {
                let mut d: Vec<usize> = p
                    .depends_on
                    .iter()
                    .filter_map(|a| index.get(a.as_str()).copied())
                    .collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .unwrap_or_default();
        state_deps.push(recorded);
    }
    drop(index);
    // create_before_destroy flows from a resource to everything it depends
    // on, now or as recorded, so that replacements never form a cycle.
    let mut stack: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].create_before_destroy)
        .collect();
    while let Some(i) = stack.pop() {
        for &d in cfg_deps[i].iter().chain(&state_deps[i]) {
            if !changes[d].create_before_destroy && changes[d].action != Action::Delete {
                changes[d].create_before_destroy = true;
                stack.push(d);
            }
        }
    }
    for c in &mut changes {
        if c.action == Action::Replace {
            c.replace_order = Some(if c.create_before_destroy {
                ReplaceOrder::CreateBeforeDestroy
            } else {
                ReplaceOrder::DeleteBeforeCreate
            });
        }
    }
    let (steps, order) = build_steps(&changes, &cfg_deps, &state_deps)?;
    Ok(Plan {
        changes,
        steps,
        order,
    })
}

fn delete_change(p: &ResourceState) -> ResourceChange {
    ResourceChange {
        address: p.address.clone(),
        mode: p.mode,
        resource_type: p.resource_type.clone(),
        provider: p.provider.clone(),
        action: Action::Delete,
        replace_order: None,
        before: Some(p.attributes.clone()),
        after: None,
        after_unknown: Vec::new(),
        changed: Vec::new(),
        replace_paths: Vec::new(),
        sensitive: Vec::new(),
        reason: Some("delete_because_no_resource_config".to_owned()),
        depends_on: p.depends_on.clone(),
        create_before_destroy: p.create_before_destroy,
        deposed: p.deposed.len(),
        config: None,
    }
}

/// Expands changes into steps and orders them.
///
/// Rules: an apply step (create/update/read) runs after the apply steps of
/// its configuration dependencies; a delete-before-create replacement
/// creates after it deletes, a create-before-destroy one deletes the deposed
/// object after it creates; an object is destroyed after the objects that
/// depended on it (recorded state) are destroyed; and a resource that is
/// deleted outright, or deposed, is destroyed only after its dependents have
/// been updated or created away from it.
pub(crate) fn build_steps(
    changes: &[ResourceChange],
    cfg_deps: &[Vec<usize>],
    state_deps: &[Vec<usize>],
) -> Result<(Vec<Step>, Vec<usize>)> {
    let mut steps: Vec<Step> = Vec::with_capacity(changes.len() + changes.len() / 8);
    let mut apply_step = vec![usize::MAX; changes.len()];
    let mut destroy_step = vec![usize::MAX; changes.len()];
    let push = |steps: &mut Vec<Step>, change: usize, kind: StepKind| {
        steps.push(Step {
            change,
            kind,
            after: Vec::new(),
        });
        steps.len() - 1
    };
    for (i, c) in changes.iter().enumerate() {
        match c.action {
            Action::NoOp => {}
            Action::Create => apply_step[i] = push(&mut steps, i, StepKind::Create),
            Action::Update => apply_step[i] = push(&mut steps, i, StepKind::Update),
            Action::Read => apply_step[i] = push(&mut steps, i, StepKind::Read),
            Action::Delete => destroy_step[i] = push(&mut steps, i, StepKind::Delete),
            Action::Replace => {
                if c.replace_order == Some(ReplaceOrder::CreateBeforeDestroy) {
                    let a = push(&mut steps, i, StepKind::Create);
                    let d = push(&mut steps, i, StepKind::DeleteDeposed);
                    steps[d].after.push(a);
                    apply_step[i] = a;
                    destroy_step[i] = d;
                } else {
                    let d = push(&mut steps, i, StepKind::Delete);
                    let a = push(&mut steps, i, StepKind::Create);
                    steps[a].after.push(d);
                    apply_step[i] = a;
                    destroy_step[i] = d;
                }
            }
        }
        // Deposed objects are destroyed one at a time (each step removes
        // the oldest), before the current object is destroyed.
        let mut prev: Option<usize> = None;
        for _ in 0..c.deposed {
            let d = push(&mut steps, i, StepKind::DeleteDeposed);
            if let Some(p) = prev {
                steps[d].after.push(p);
            }
            prev = Some(d);
        }
        if let (Some(p), true) = (prev, destroy_step[i] != usize::MAX) {
            let x = destroy_step[i];
            steps[x].after.push(p);
        }
    }
    let destroyed_away = |d: usize| {
        changes[d].action == Action::Delete
            || changes[d].replace_order == Some(ReplaceOrder::CreateBeforeDestroy)
    };
    // "Update a former dependent before destroying what it used" edges
    // (from the recorded state only) are soft: they are added unless they
    // would close a cycle with the hard ordering, which happens when the
    // dependent now needs a resource whose replacement waits on that very
    // destroy.
    let mut soft: Vec<(usize, usize)> = Vec::new();
    for i in 0..changes.len() {
        let a = apply_step[i];
        if a != usize::MAX {
            for &d in &cfg_deps[i] {
                if apply_step[d] != usize::MAX {
                    steps[a].after.push(apply_step[d]);
                }
                if destroy_step[d] != usize::MAX && destroyed_away(d) {
                    steps[destroy_step[d]].after.push(a);
                }
            }
            for &d in &state_deps[i] {
                if destroy_step[d] != usize::MAX && destroyed_away(d) && !cfg_deps[i].contains(&d) {
                    soft.push((a, destroy_step[d]));
                }
            }
        }
        let x = destroy_step[i];
        if x != usize::MAX {
            for &d in &state_deps[i] {
                if destroy_step[d] != usize::MAX {
                    steps[destroy_step[d]].after.push(x);
                }
            }
        }
    }
    if !soft.is_empty() {
        add_soft_edges(&mut steps, &soft);
    }
    for s in &mut steps {
        s.after.sort_unstable();
        s.after.dedup();
    }
    let graph = Graph::from_deps(&steps.iter().map(|s| s.after.as_slice()).collect::<Vec<_>>());
    let order = graph.topo_order().map_err(|cyc| Error::Cycle {
        cycle: cyc
            .iter()
            .map(|&s| {
                format!(
                    "{} ({})",
                    changes[steps[s].change].address,
                    steps[s].kind.as_str()
                )
            })
            .collect(),
    })?;
    Ok((steps, order))
}

/// Adds each soft edge `(a, x)` ("x after a") unless `x` already reaches
/// `a`, which would make a cycle.
fn add_soft_edges(steps: &mut [Step], soft: &[(usize, usize)]) {
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        for &a in &s.after {
            succ[a].push(i);
        }
    }
    let mut mark = vec![0usize; steps.len()];
    let mut stack = Vec::new();
    for (gen_, &(a, x)) in soft.iter().enumerate() {
        let stamp = gen_ + 1;
        stack.clear();
        stack.push(x);
        mark[x] = stamp;
        let mut reaches = false;
        while let Some(u) = stack.pop() {
            if u == a {
                reaches = true;
                break;
            }
            for &v in &succ[u] {
                if mark[v] != stamp {
                    mark[v] = stamp;
                    stack.push(v);
                }
            }
        }
        if reaches {
            tracing::debug!(
                from = a,
                to = x,
                "soft ordering edge dropped: it would close a cycle"
            );
        } else {
            steps[x].after.push(a);
            succ[a].push(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;
    use serde_json::json;

    fn st(addr: &str, attrs: Value, deps: &[&str]) -> ResourceState {
        let p = crate::resource::parse_address(addr).unwrap();
        ResourceState {
            address: addr.into(),
            mode: p.mode,
            resource_type: p.resource_type,
            provider: "aws".into(),
            attributes: attrs.as_object().unwrap().clone(),
            depends_on: deps.iter().map(|s| s.to_string()).collect(),
            create_before_destroy: false,
            deposed: vec![],
        }
    }

    fn pos(p: &Plan, addr: &str, kind: StepKind) -> usize {
        p.step_order()
            .iter()
            .position(|&s| {
                p.steps()[s].kind == kind && p.changes()[p.steps()[s].change].address == addr
            })
            .unwrap()
    }

    #[test]
    fn creates_with_unknowns_in_order() {
        let vpc = Resource::new("aws_vpc.main")
            .unwrap()
            .attr("cidr_block", json!("10.0.0.0/16"));
        let sub = Resource::new("aws_subnet.a")
            .unwrap()
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("${aws_vpc.main.cidr_block}"));
        let cfg = Config::new(vec![sub, vpc]).unwrap();
        let p = plan(&cfg, &State::new()).unwrap();
        assert_eq!(p.counts().create, 2);
        let s = p.change("aws_subnet.a").unwrap();
        assert_eq!(s.after_unknown, vec!["vpc_id"]);
        assert_eq!(
            s.after.as_ref().unwrap()["cidr_block"],
            json!("10.0.0.0/16")
        );
        assert!(
            pos(&p, "aws_vpc.main", StepKind::Create) < pos(&p, "aws_subnet.a", StepKind::Create)
        );
        assert!(p.to_text().contains("vpc_id: (known after apply)"));
    }

    #[test]
    fn update_replace_noop_delete() {
        let state = State::new()
            .with(st(
                "aws_vpc.main",
                json!({"id": "vpc-1", "cidr_block": "10.0.0.0/16", "tags": {"a": 1}}),
                &[],
            ))
            .with(st(
                "aws_subnet.a",
                json!({"id": "sub-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24"}),
                &["aws_vpc.main"],
            ))
            .with(st(
                "aws_instance.old",
                json!({"id": "i-1", "subnet_id": "sub-1"}),
                &["aws_subnet.a"],
            ));
        // tags change: update; subnet cidr is force-new: replace; instance gone: delete
        let vpc = Resource::new("aws_vpc.main")
            .unwrap()
            .attr("cidr_block", json!("10.0.0.0/16"))
            .attr("tags", json!({"a": 2}))
            .force_new(["cidr_block"]);
        let sub = Resource::new("aws_subnet.a")
            .unwrap()
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("10.0.2.0/24"))
            .force_new(["cidr_block", "vpc_id"]);
        let cfg = Config::new(vec![vpc, sub]).unwrap();
        let p = plan(&cfg, &state).unwrap();
        let c = p.counts();
        assert_eq!(
            (c.update, c.replace, c.delete, c.create, c.no_op),
            (1, 1, 1, 0, 0)
        );
        let s = p.change("aws_subnet.a").unwrap();
        assert_eq!(s.replace_paths, vec!["cidr_block"]);
        assert_eq!(s.replace_order, Some(ReplaceOrder::DeleteBeforeCreate));
        // the vpc id is known (vpc is updated, not replaced)
        assert_eq!(s.after.as_ref().unwrap()["vpc_id"], json!("vpc-1"));
        // the instance that used the subnet goes before the subnet is destroyed
        assert!(
            pos(&p, "aws_instance.old", StepKind::Delete)
                < pos(&p, "aws_subnet.a", StepKind::Delete)
        );
        assert!(
            pos(&p, "aws_subnet.a", StepKind::Delete) < pos(&p, "aws_subnet.a", StepKind::Create)
        );
        assert_eq!(
            p.to_json()["resource_changes"][1]["change"]["actions"],
            json!(["delete", "create"])
        );
        // applying the same config to a matching state is a no-op
        let same = Resource::new("aws_vpc.main")
            .unwrap()
            .attr("cidr_block", json!("10.0.0.0/16"));
        let p2 = plan(
            &Config::new(vec![same]).unwrap(),
            &State::new().with(st(
                "aws_vpc.main",
                json!({"id": "v", "cidr_block": "10.0.0.0/16"}),
                &[],
            )),
        )
        .unwrap();
        assert!(p2.is_empty());
    }

    #[test]
    fn replacement_propagates_and_cbd_flows_to_dependencies() {
        let state = State::new()
            .with(st(
                "aws_launch_template.lt",
                json!({"id": "lt-1", "image": "ami-1"}),
                &[],
            ))
            .with(st(
                "aws_autoscaling_group.g",
                json!({"id": "g-1", "lt": "lt-1"}),
                &["aws_launch_template.lt"],
            ));
        let lt = Resource::new("aws_launch_template.lt")
            .unwrap()
            .attr("image", json!("ami-2"))
            .force_new(["image"]);
        let g = Resource::new("aws_autoscaling_group.g")
            .unwrap()
            .attr("lt", json!("${aws_launch_template.lt.id}"))
            .force_new(["lt"])
            .create_before_destroy(true);
        let p = plan(&Config::new(vec![lt, g]).unwrap(), &state).unwrap();
        assert_eq!(p.counts().replace, 2);
        let gc = p.change("aws_autoscaling_group.g").unwrap();
        assert_eq!(gc.after_unknown, vec!["lt"]);
        assert_eq!(gc.replace_paths, vec!["lt"]);
        let lc = p.change("aws_launch_template.lt").unwrap();
        assert_eq!(lc.replace_order, Some(ReplaceOrder::CreateBeforeDestroy));
        assert!(
            pos(&p, "aws_launch_template.lt", StepKind::Create)
                < pos(&p, "aws_autoscaling_group.g", StepKind::Create)
        );
        assert!(
            pos(&p, "aws_autoscaling_group.g", StepKind::DeleteDeposed)
                < pos(&p, "aws_launch_template.lt", StepKind::DeleteDeposed)
        );
    }

    #[test]
    fn prevent_destroy_blocks_replacement() {
        let state = State::new().with(st("aws_db_instance.db", json!({"engine": "pg"}), &[]));
        let db = Resource::new("aws_db_instance.db")
            .unwrap()
            .attr("engine", json!("mysql"))
            .force_new(["engine"])
            .prevent_destroy(true);
        let e = plan(&Config::new(vec![db]).unwrap(), &state).unwrap_err();
        assert!(e.to_string().contains("aws_db_instance.db"), "{e}");
    }
}
