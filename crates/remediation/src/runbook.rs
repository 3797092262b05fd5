//! Runbooks as data: a match on incidents, ordered steps with timeouts and
//! verifications, rollback steps and escalation; validated on load.
//!
//! A runbook document is YAML or JSON holding one runbook, a list of
//! runbooks, or a mapping with a `runbooks` list:
//!
//! ```yaml
//! - name: warning-restart
//!   description: Restart the resource and check its error rate.
//!   match:
//!     severity: [warning]          # any of; absent or empty = any severity
//!     labels: { tier: web }        # all must be equal
//!     signal_kinds: [anomaly]      # the incident has a signal of one of these kinds
//!   steps:
//!     - name: restart
//!       action: restart            # see ActionKind
//!       params: { grace_seconds: 30 }
//!       timeout_ms: 60000
//!       verify: { metric: error_rate, op: "<", threshold: 0.05, within_ms: 120000 }
//!   rollback:
//!     - { name: undo, action: rollback_deployment }
//!   escalate_to: page-oncall       # runbook run when a verification fails
//! ```
//!
//! A runbook without `match` is only reachable through `escalate_to`.
//! Unknown fields are rejected so that a typo (`timeout: 30`) cannot
//! silently change behaviour; errors name the runbook, the step and the field.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use std::borrow::Cow;

use aiops_core::{Incident, Severity, SignalKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::ActionKind;
use crate::error::{Error, Result};

/// Largest accepted step timeout: one hour.
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Step timeout used when a step gives none: 30 seconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Comparison of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparison {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl Comparison {
    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "<" | "lt" => Some(Comparison::Lt),
            "<=" | "le" => Some(Comparison::Le),
            ">" | "gt" => Some(Comparison::Gt),
            ">=" | "ge" => Some(Comparison::Ge),
            _ => None,
        }
    }

    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        })
    }
}

/// A condition on a metric of the acted-on resource that must hold after a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Metric name, read through a [`MetricSource`](crate::MetricSource).
    pub metric: String,
    /// Comparison.
    pub op: Comparison,
    /// Threshold.
    pub threshold: f64,
    /// How long to keep polling for the condition to hold (0 = check once).
    pub within_ms: u64,
}

/// One step: an action with parameters, a timeout and an optional verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Name, unique within the runbook (steps and rollback together).
    pub name: String,
    /// What to do.
    pub action: ActionKind,
    /// Parameters passed to the executor (scalars as text).
    pub params: BTreeMap<String, String>,
    /// Per-attempt timeout in milliseconds.
    pub timeout_ms: u64,
    /// Condition that must hold afterwards.
    pub verify: Option<Verification>,
}

/// The snake-case name of a signal kind, without allocating for known kinds.
pub(crate) fn kind_str(kind: &SignalKind) -> Cow<'_, str> {
    match kind {
        SignalKind::Anomaly => Cow::Borrowed("anomaly"),
        SignalKind::ForecastBreach => Cow::Borrowed("forecast_breach"),
        SignalKind::FailureProbability => Cow::Borrowed("failure_probability"),
        SignalKind::SloBurn => Cow::Borrowed("slo_burn"),
        SignalKind::LogThreat => Cow::Borrowed("log_threat"),
        SignalKind::PolicyViolation => Cow::Borrowed("policy_violation"),
        SignalKind::Other(name) => Cow::Borrowed(name.as_str()),
        other => Cow::Owned(other.to_string()),
    }
}

/// When a runbook applies to an incident.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunbookMatch {
    /// Severities it applies to; empty = any.
    pub severity: Vec<Severity>,
    /// Labels the incident must carry with these values.
    pub labels: BTreeMap<String, String>,
    /// Signal kinds (snake case); the incident needs one of them; empty = any.
    pub signal_kinds: Vec<String>,
}

impl RunbookMatch {
    /// Whether the incident, assessed at `severity`, matches.
    pub fn matches(&self, incident: &Incident, severity: Severity) -> bool {
        (self.severity.is_empty() || self.severity.contains(&severity))
            && self
                .labels
                .iter()
                .all(|(k, v)| incident.labels.get(k) == Some(v.as_str()))
            && (self.signal_kinds.is_empty()
                || incident.signals.iter().any(|s| {
                    let kind = kind_str(&s.kind);
                    self.signal_kinds.iter().any(|k| *k == *kind)
                }))
    }
}

/// A validated runbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runbook {
    /// Unique name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// When it applies; `None` = only reachable by escalation.
    pub matcher: Option<RunbookMatch>,
    /// Ordered steps.
    pub steps: Vec<Step>,
    /// Steps run, in order, when a step fails or its verification does not hold.
    pub rollback: Vec<Step>,
    /// Runbook run after a failed verification (after rollback).
    pub escalate_to: Option<String>,
}

// ---- raw (serde) shapes -------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "match")]
    matcher: Option<RawMatch>,
    #[serde(default)]
    steps: Vec<Value>,
    #[serde(default)]
    rollback: Vec<Value>,
    #[serde(default)]
    escalate_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    severity: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, Value>,
    #[serde(default)]
    signal_kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    action: String,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    timeout_ms: Option<Value>,
    #[serde(default)]
    verify: Option<RawVerify>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    metric: String,
    op: String,
    threshold: f64,
    #[serde(default)]
    within_ms: u64,
}

/// The field a serde message is about (`missing field `x``, `unknown field `x``).
fn field_of(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map_or_else(|| "-".to_owned(), str::to_owned)
}

fn invalid(runbook: &str, step: Option<&str>, field: &str, message: impl Into<String>) -> Error {
    Error::InvalidRunbook {
        runbook: runbook.to_owned(),
        step: step.map(str::to_owned),
        field: field.to_owned(),
        message: message.into(),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn step_from_value(runbook: &str, index: usize, section: &str, v: Value) -> Result<Step> {
    let label = v
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{section}#{index}"), str::to_owned);
    let raw: RawStep = serde_json::from_value(v).map_err(|e| {
        let m = e.to_string();
        invalid(runbook, Some(&label), &field_of(&m), m)
    })?;
    let step = Some(label.as_str());
    if raw.name.trim().is_empty() {
        return Err(invalid(runbook, step, "name", "must not be empty"));
    }
    let action: ActionKind = raw
        .action
        .parse()
        .map_err(|e: Error| invalid(runbook, step, "action", e.to_string()))?;
    let mut params = BTreeMap::new();
    for (k, v) in raw.params {
        let text = scalar_text(&v).ok_or_else(|| {
            invalid(
                runbook,
                step,
                &format!("params.{k}"),
                "must be a string, number or boolean",
            )
        })?;
        params.insert(k, text);
    }
    let timeout_ms = match raw.timeout_ms {
        None => DEFAULT_TIMEOUT_MS,
        Some(v) => match v.as_u64() {
            Some(t) if (1..=MAX_TIMEOUT_MS).contains(&t) => t,
            _ => {
                return Err(invalid(
                    runbook,
                    step,
                    "timeout_ms",
                    format!("{v} is not an integer in 1..={MAX_TIMEOUT_MS}"),
                ));
            }
        },
    };
    let verify = match raw.verify {
        None => None,
        Some(rv) => {
            if rv.metric.trim().is_empty() {
                return Err(invalid(runbook, step, "verify.metric", "must not be empty"));
            }
            let op = Comparison::parse(&rv.op).ok_or_else(|| {
                invalid(
                    runbook,
                    step,
                    "verify.op",
                    format!("{:?} is not one of <, <=, >, >=", rv.op),
                )
            })?;
            if !rv.threshold.is_finite() {
                return Err(invalid(runbook, step, "verify.threshold", "must be finite"));
            }
            if rv.within_ms > MAX_TIMEOUT_MS {
                return Err(invalid(
                    runbook,
                    step,
                    "verify.within_ms",
                    format!("{} is above {MAX_TIMEOUT_MS}", rv.within_ms),
                ));
            }
            Some(Verification {
                metric: rv.metric,
                op,
                threshold: rv.threshold,
                within_ms: rv.within_ms,
            })
        }
    };
    Ok(Step {
        name: raw.name,
        action,
        params,
        timeout_ms,
        verify,
    })
}

impl Runbook {
    fn from_value(index: usize, v: Value) -> Result<Runbook> {
        let label = v
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{index}"), str::to_owned);
        let raw: RawRunbook = serde_json::from_value(v).map_err(|e| {
            let m = e.to_string();
            invalid(&label, None, &field_of(&m), m)
        })?;
        let name = raw.name.trim().to_owned();
        if name.is_empty() {
            return Err(invalid(&label, None, "name", "must not be empty"));
        }
        if raw.steps.is_empty() {
            return Err(invalid(
                &name,
                None,
                "steps",
                "a runbook needs at least one step",
            ));
        }
        let matcher = match raw.matcher {
            None => None,
            Some(m) => {
                let mut severity = Vec::new();
                for s in &m.severity {
                    severity.push(
                        s.parse::<Severity>()
                            .map_err(|e| invalid(&name, None, "match.severity", e.to_string()))?,
                    );
                }
                let mut labels = BTreeMap::new();
                for (k, v) in m.labels {
                    let text = scalar_text(&v).ok_or_else(|| {
                        invalid(
                            &name,
                            None,
                            &format!("match.labels.{k}"),
                            "must be a scalar",
                        )
                    })?;
                    labels.insert(k, text);
                }
                Some(RunbookMatch {
                    severity,
                    labels,
                    signal_kinds: m.signal_kinds,
                })
            }
        };
        let steps = raw
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, v)| step_from_value(&name, i, "steps", v))
            .collect::<Result<Vec<_>>>()?;
        let rollback = raw
            .rollback
            .into_iter()
            .enumerate()
            .map(|(i, v)| step_from_value(&name, i, "rollback", v))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = HashSet::new();
        for s in steps.iter().chain(&rollback) {
            if !seen.insert(s.name.as_str()) {
                return Err(invalid(&name, Some(&s.name), "name", "duplicate step name"));
            }
        }
        let escalate_to = raw.escalate_to.map(|e| e.trim().to_owned());
        if escalate_to.as_deref() == Some(name.as_str()) {
            return Err(Error::EscalationCycle {
                cycle: vec![name.clone(), name],
            });
        }
        Ok(Runbook {
            name,
            description: raw.description,
            matcher,
            steps,
            rollback,
            escalate_to,
        })
    }
}

/// A validated set of runbooks: unique names, known escalation targets and
/// no escalation cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct RunbookSet {
    runbooks: Vec<Runbook>,
    by_name: HashMap<String, usize>,
}

/// The seed's three default runbook paths (critical, warning, info) plus the
/// human escalation runbook, as shipped with the crate.
pub const DEFAULT_RUNBOOKS_YAML: &str = include_str!("../runbooks/default.yaml");

fn documents(source_name: &str, root: Value) -> Result<Vec<Value>> {
    match root {
        Value::Array(items) => Ok(items),
        Value::Object(mut map) if map.contains_key("runbooks") && !map.contains_key("steps") => {
            match map.remove("runbooks") {
                Some(Value::Array(items)) => Ok(items),
                _ => Err(Error::RunbookParse {
                    source_name: source_name.to_owned(),
                    message: "`runbooks` must be a list".to_owned(),
                }),
            }
        }
        v @ Value::Object(_) => Ok(vec![v]),
        _ => Err(Error::RunbookParse {
            source_name: source_name.to_owned(),
            message: "expected a runbook, a list of runbooks or a mapping with `runbooks`"
                .to_owned(),
        }),
    }
}

impl RunbookSet {
    /// Validates a list of runbooks as a set.
    pub fn new(runbooks: Vec<Runbook>) -> Result<Self> {
        let mut by_name = HashMap::new();
        for (i, r) in runbooks.iter().enumerate() {
            if by_name.insert(r.name.clone(), i).is_some() {
                return Err(invalid(&r.name, None, "name", "duplicate runbook name"));
            }
        }
        for r in &runbooks {
            if let Some(target) = &r.escalate_to
                && !by_name.contains_key(target)
            {
                return Err(invalid(
                    &r.name,
                    None,
                    "escalate_to",
                    format!("unknown runbook {target:?}"),
                ));
            }
        }
        // Each runbook escalates to at most one other: walk each chain.
        for r in &runbooks {
            let mut path = vec![r.name.clone()];
            let mut cur = r;
            while let Some(next) = &cur.escalate_to {
                if let Some(pos) = path.iter().position(|n| n == next) {
                    let mut cycle = path[pos..].to_vec();
                    cycle.push(next.clone());
                    return Err(Error::EscalationCycle { cycle });
                }
                path.push(next.clone());
                match by_name.get(next) {
                    Some(&i) => cur = &runbooks[i],
                    None => break,
                }
            }
        }
        Ok(RunbookSet { runbooks, by_name })
    }

    /// Parses and validates YAML (`source_name` labels errors).
    pub fn from_yaml_str(source_name: &str, text: &str) -> Result<Self> {
        let root: Value = yaml_serde::from_str(text).map_err(|e| Error::RunbookParse {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_value(source_name, root)
    }

    /// Parses and validates JSON (`source_name` labels errors).
    pub fn from_json_str(source_name: &str, text: &str) -> Result<Self> {
        let root: Value = serde_json::from_str(text).map_err(|e| Error::RunbookParse {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_value(source_name, root)
    }

    /// Reads a `.json` file as JSON and anything else as YAML.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let name = path.display().to_string();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json_str(&name, &text)
        } else {
            Self::from_yaml_str(&name, &text)
        }
    }

    fn from_value(source_name: &str, root: Value) -> Result<Self> {
        let docs = documents(source_name, root)?;
        let runbooks = docs
            .into_iter()
            .enumerate()
            .map(|(i, v)| Runbook::from_value(i, v))
            .collect::<Result<Vec<_>>>()?;
        Self::new(runbooks)
    }

    /// The default runbooks shipped with the crate ([`DEFAULT_RUNBOOKS_YAML`]).
    pub fn defaults() -> Result<Self> {
        Self::from_yaml_str("default.yaml", DEFAULT_RUNBOOKS_YAML)
    }

    /// All runbooks, in load order.
    pub fn runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// A runbook by name.
    pub fn get(&self, name: &str) -> Option<&Runbook> {
        self.by_name.get(name).map(|&i| &self.runbooks[i])
    }

    /// Indices of the runbooks matching an incident at a severity, in load
    /// order, written into `out` (cleared first). Allocation-free when `out`
    /// has capacity.
    pub fn matching_into(&self, incident: &Incident, severity: Severity, out: &mut Vec<usize>) {
        out.clear();
        for (i, r) in self.runbooks.iter().enumerate() {
            if r.matcher
                .as_ref()
                .is_some_and(|m| m.matches(incident, severity))
            {
                out.push(i);
            }
        }
    }

    /// The runbooks matching an incident at a severity, in load order.
    pub fn matching(&self, incident: &Incident, severity: Severity) -> Vec<&Runbook> {
        let mut idx = Vec::new();
        self.matching_into(incident, severity, &mut idx);
        idx.into_iter().map(|i| &self.runbooks[i]).collect()
    }

    /// Number of runbooks.
    pub fn len(&self) -> usize {
        self.runbooks.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.runbooks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Error {
        match RunbookSet::from_yaml_str("t.yaml", text) {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_load() -> Result<()> {
        let set = RunbookSet::defaults()?;
        assert!(set.get("critical-failover").is_some());
        assert!(set.get("warning-scale-out").is_some());
        assert!(set.get("info-record").is_some());
        Ok(())
    }

    #[test]
    fn errors_name_runbook_step_and_field() {
        let e = err("- name: a\n  steps:\n    - name: s1\n      action: reboot\n");
        match e {
            Error::InvalidRunbook {
                runbook,
                step,
                field,
                ..
            } => {
                assert_eq!(runbook, "a");
                assert_eq!(step.as_deref(), Some("s1"));
                assert_eq!(field, "action");
            }
            other => panic!("{other:?}"),
        }
        let e =
            err("- name: a\n  steps:\n    - name: s1\n      action: restart\n      timeout: 5\n");
        assert!(
            matches!(e, Error::InvalidRunbook { ref field, .. } if field == "timeout"),
            "{e}"
        );
        let e = err(
            "- name: a\n  steps:\n    - name: s1\n      action: restart\n      timeout_ms: 0\n",
        );
        assert!(
            matches!(e, Error::InvalidRunbook { ref field, .. } if field == "timeout_ms"),
            "{e}"
        );
        let e = err(
            "- name: a\n  steps:\n    - name: s1\n      action: restart\n      verify: {metric: m, op: '~', threshold: 1}\n",
        );
        assert!(
            matches!(e, Error::InvalidRunbook { ref field, .. } if field == "verify.op"),
            "{e}"
        );
        let e = err("- name: a\n  steps:\n    - action: restart\n");
        assert!(
            matches!(e, Error::InvalidRunbook { ref field, ref step, .. } if field == "name" && step.as_deref() == Some("steps#0")),
            "{e}"
        );
        let e = err("- name: a\n  steps: []\n");
        assert!(matches!(e, Error::InvalidRunbook { ref field, .. } if field == "steps"));
        let e =
            err("- name: a\n  match: {severity: [fatal]}\n  steps: [{name: s, action: notify}]\n");
        assert!(matches!(e, Error::InvalidRunbook { ref field, .. } if field == "match.severity"));
        assert!(matches!(err("name: [\n"), Error::RunbookParse { .. }));
    }

    #[test]
    fn escalation_cycles_and_unknown_targets_are_rejected() {
        let e = err(
            "- {name: a, escalate_to: b, steps: [{name: s, action: notify}]}\n- {name: b, escalate_to: c, steps: [{name: s, action: notify}]}\n- {name: c, escalate_to: a, steps: [{name: s, action: notify}]}\n",
        );
        match e {
            Error::EscalationCycle { cycle } => assert_eq!(cycle, ["a", "b", "c", "a"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err("- {name: a, escalate_to: a, steps: [{name: s, action: notify}]}\n"),
            Error::EscalationCycle { .. }
        ));
        assert!(matches!(
            err("- {name: a, escalate_to: zz, steps: [{name: s, action: notify}]}\n"),
            Error::InvalidRunbook { ref field, .. } if field == "escalate_to"
        ));
    }

    #[test]
    fn json_and_yaml_agree() -> Result<()> {
        let y = RunbookSet::from_yaml_str(
            "y",
            "runbooks:\n  - name: r\n    match: {severity: [warning], labels: {tier: 1}}\n    steps:\n      - {name: s, action: scale, params: {replicas: 4}, verify: {metric: cpu, op: '<', threshold: 0.8}}\n",
        )?;
        let j = RunbookSet::from_json_str(
            "j",
            r#"{"name":"r","match":{"severity":["warning"],"labels":{"tier":"1"}},"steps":[{"name":"s","action":"scale","params":{"replicas":"4"},"verify":{"metric":"cpu","op":"<","threshold":0.8}}]}"#,
        )?;
        assert_eq!(y, j);
        let step = &y.runbooks()[0].steps[0];
        assert_eq!(step.params.get("replicas").map(String::as_str), Some("4"));
        assert_eq!(step.timeout_ms, DEFAULT_TIMEOUT_MS);
        Ok(())
    }
}
