//! The policy model: policies, violations, policy sets, scores and reports.

use std::fmt;

use aiops_core::Severity;
use serde_json::Value;

use crate::document::{Document, ResourceRef};
use crate::error::Result;
use crate::fix::PatchOp;
use crate::inventory::Inventory;

/// One broken rule inside one resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Violation {
    /// Id of the policy that found it.
    pub policy_id: String,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong, for a human.
    pub message: String,
    /// JSON Pointer (RFC 6901) of the offending field inside the resource
    /// (`""` for the whole resource).
    pub path: String,
}

/// A rule that resources are checked against.
///
/// Implementations must be pure: the same document and inventory give the same
/// violations. `evaluate` appends to `out` so a policy set can reuse one buffer.
pub trait Policy: Send + Sync + fmt::Debug {
    /// Stable identifier (`privileged-container`, a Constraint's name, ...).
    fn id(&self) -> &str;
    /// Severity of its violations.
    fn severity(&self) -> Severity;
    /// The documented condition it checks, for reports and `--help`.
    fn description(&self) -> &str;
    /// Whether the resource is in scope; out-of-scope resources neither pass
    /// nor fail and do not count in the score.
    fn applies_to(&self, doc: &Document) -> bool;
    /// Appends the violations of `doc` to `out`. `inventory` holds every
    /// resource of the evaluation, for rules that look at other objects.
    ///
    /// # Errors
    /// Only policies backed by an engine (Rego) fail; native checks never do.
    fn evaluate(
        &self,
        doc: &Document,
        inventory: &Inventory<'_>,
        out: &mut Vec<Violation>,
    ) -> Result<()>;
    /// A JSON Patch fixing `violation` in `value` (the resource as fixed so far),
    /// if a safe fix exists. Never called for critical violations.
    fn fix(&self, value: &Value, violation: &Violation) -> Option<Vec<PatchOp>> {
        let _ = (value, violation);
        None
    }
}

/// Weights of each severity in the compliance score.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ScoreWeights {
    /// Weight of an info check.
    pub info: f64,
    /// Weight of a warning check.
    pub warning: f64,
    /// Weight of a critical check.
    pub critical: f64,
}

impl Default for ScoreWeights {
    /// Info 1, warning 3, critical 10.
    fn default() -> Self {
        ScoreWeights {
            info: 1.0,
            warning: 3.0,
            critical: 10.0,
        }
    }
}

impl ScoreWeights {
    /// The weight of a severity.
    pub fn weight(&self, s: Severity) -> f64 {
        match s {
            Severity::Info => self.info,
            Severity::Warning => self.warning,
            Severity::Critical => self.critical,
        }
    }
}

/// Number of findings at each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeverityCounts {
    /// Info findings.
    pub info: usize,
    /// Warning findings.
    pub warning: usize,
    /// Critical findings.
    pub critical: usize,
}

impl SeverityCounts {
    /// The count at one severity.
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Info => self.info,
            Severity::Warning => self.warning,
            Severity::Critical => self.critical,
        }
    }
    /// The count at `s` or above.
    pub fn at_or_above(&self, s: Severity) -> usize {
        Severity::ALL
            .iter()
            .filter(|x| **x >= s)
            .map(|x| self.get(*x))
            .sum()
    }
    /// Total findings.
    pub fn total(&self) -> usize {
        self.info + self.warning + self.critical
    }
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Info => self.info += 1,
            Severity::Warning => self.warning += 1,
            Severity::Critical => self.critical += 1,
        }
    }
}

/// A violation located in a resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    /// The resource.
    pub resource: ResourceRef,
    /// The violation.
    #[serde(flatten)]
    pub violation: Violation,
    /// Whether the policy offers a safe auto-fix (never for critical findings).
    pub fixable: bool,
}

/// Per-resource result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResourceResult {
    /// The resource.
    pub resource: ResourceRef,
    /// Number of policies that applied to it.
    pub checked: usize,
    /// Number of those it fails.
    pub failed: usize,
    /// Severity-weighted share of applicable policies it passes, 0..=100
    /// (100 when none applied).
    pub score: f64,
}

/// Per-policy result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PolicyResult {
    /// Policy id.
    pub id: String,
    /// Policy severity.
    pub severity: Severity,
    /// Number of resources it applied to.
    pub checked: usize,
    /// Number of those that fail it.
    pub failed: usize,
    /// Number of violations it found (a resource can have several).
    pub violations: usize,
}

/// The result of evaluating a policy set over resources.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// Compliance score 0..=100: the severity-weighted share of
    /// (resource, applicable policy) pairs that pass; 100 when nothing applied.
    pub score: f64,
    /// Findings at each severity.
    pub counts: SeverityCounts,
    /// Every finding, in resource then policy order.
    pub findings: Vec<Finding>,
    /// One entry per resource evaluated, in input order.
    pub resources: Vec<ResourceResult>,
    /// One entry per policy, in set order.
    pub policies: Vec<PolicyResult>,
}

impl Report {
    /// Whether any finding is at or above `s`.
    pub fn has_findings_at_or_above(&self, s: Severity) -> bool {
        self.counts.at_or_above(s) > 0
    }
}

/// An ordered set of policies evaluated together.
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: Vec<Box<dyn Policy>>,
    weights: ScoreWeights,
}

impl PolicySet {
    /// An empty set with default score weights.
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// The built-in native checks (Kubernetes workloads and services, a few
    /// Terraform rules) with default configuration.
    pub fn native() -> Self {
        crate::native::native_policy_set(&crate::native::NativeConfig::default())
    }

    /// Adds a policy.
    pub fn push(&mut self, policy: Box<dyn Policy>) {
        self.policies.push(policy);
    }

    /// Adds a policy, builder style.
    #[must_use]
    pub fn with(mut self, policy: Box<dyn Policy>) -> Self {
        self.push(policy);
        self
    }

    /// Sets the score weights.
    #[must_use]
    pub fn with_weights(mut self, weights: ScoreWeights) -> Self {
        self.weights = weights;
        self
    }

    /// The policies, in order.
    pub fn policies(&self) -> &[Box<dyn Policy>] {
        &self.policies
    }

    /// The policy with this id.
    pub fn get(&self, id: &str) -> Option<&dyn Policy> {
        self.policies
            .iter()
            .find(|p| p.id() == id)
            .map(|p| p.as_ref())
    }

    /// The score weights.
    pub fn weights(&self) -> ScoreWeights {
        self.weights
    }

    /// Evaluates every policy on every document; the documents also form the
    /// inventory that cross-resource policies consult.
    ///
    /// # Errors
    /// The first error of an engine-backed policy.
    pub fn evaluate(&self, docs: &[Document]) -> Result<Report> {
        let inventory = Inventory::new(docs);
        self.evaluate_with(docs, &inventory)
    }

    /// As [`PolicySet::evaluate`] with a prebuilt inventory (which may hold
    /// more objects than are evaluated, e.g. a whole cluster).
    ///
    /// # Errors
    /// The first error of an engine-backed policy.
    pub fn evaluate_with(&self, docs: &[Document], inventory: &Inventory<'_>) -> Result<Report> {
        let mut findings = Vec::new();
        let mut counts = SeverityCounts::default();
        let mut resources = Vec::with_capacity(docs.len());
        let mut policies: Vec<PolicyResult> = self
            .policies
            .iter()
            .map(|p| PolicyResult {
                id: p.id().to_owned(),
                severity: p.severity(),
                checked: 0,
                failed: 0,
                violations: 0,
            })
            .collect();
        let (mut total_w, mut pass_w) = (0.0, 0.0);
        let mut buf = Vec::new();
        for doc in docs {
            let (mut checked, mut failed) = (0, 0);
            let (mut r_total, mut r_pass) = (0.0, 0.0);
            let resource = doc.resource_ref();
            for (p, pr) in self.policies.iter().zip(policies.iter_mut()) {
                if !p.applies_to(doc) {
                    continue;
                }
                buf.clear();
                p.evaluate(doc, inventory, &mut buf)?;
                let w = self.weights.weight(p.severity());
                checked += 1;
                pr.checked += 1;
                r_total += w;
                if buf.is_empty() {
                    r_pass += w;
                } else {
                    failed += 1;
                    pr.failed += 1;
                    pr.violations += buf.len();
                }
                for v in buf.drain(..) {
                    counts.add(v.severity);
                    let fixable = v.severity < Severity::Critical
                        && doc.source().item.is_none()
                        && p.fix(doc.value(), &v).is_some();
                    findings.push(Finding {
                        resource: resource.clone(),
                        violation: v,
                        fixable,
                    });
                }
            }
            total_w += r_total;
            pass_w += r_pass;
            resources.push(ResourceResult {
                resource,
                checked,
                failed,
                score: score(r_pass, r_total),
            });
        }
        Ok(Report {
            score: score(pass_w, total_w),
            counts,
            findings,
            resources,
            policies,
        })
    }
}

fn score(pass: f64, total: f64) -> f64 {
    if total > 0.0 {
        100.0 * pass / total
    } else {
        100.0
    }
}
