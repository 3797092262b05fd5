//! Continuous compliance: re-evaluate a changing set of resources and emit
//! only what changed since the previous evaluation, with the score over time.

use std::collections::BTreeMap;

use aiops_core::Timestamp;

use crate::document::Document;
use crate::error::Result;
use crate::model::{Finding, PolicySet, Report};

/// Identity of a finding across evaluations: resource kind, namespace, name,
/// policy id and path (not the file it was read from, so moving a manifest
/// does not churn findings).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FindingKey {
    /// Resource kind.
    pub kind: String,
    /// Resource namespace (empty when none).
    pub namespace: String,
    /// Resource name.
    pub name: String,
    /// Policy id.
    pub policy_id: String,
    /// JSON Pointer inside the resource.
    pub path: String,
}

impl FindingKey {
    /// The key of a finding.
    pub fn of(f: &Finding) -> FindingKey {
        FindingKey {
            kind: f.resource.kind.clone(),
            namespace: f.resource.namespace.clone().unwrap_or_default(),
            name: f.resource.name.clone(),
            policy_id: f.violation.policy_id.clone(),
            path: f.violation.path.clone(),
        }
    }
}

/// What changed between two evaluations.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ComplianceDelta {
    /// When this evaluation ran.
    pub at: Timestamp,
    /// Score of this evaluation.
    pub score: f64,
    /// Score of the previous one (`None` on the first evaluation).
    pub previous_score: Option<f64>,
    /// Findings that were not there before.
    pub new: Vec<Finding>,
    /// Findings that were there before and are gone.
    pub resolved: Vec<Finding>,
    /// Findings at the same key whose message or severity changed (new value).
    pub changed: Vec<Finding>,
}

impl ComplianceDelta {
    /// Whether nothing changed (same findings, same score).
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
            && self.resolved.is_empty()
            && self.changed.is_empty()
            && self.previous_score == Some(self.score)
    }
}

/// Re-evaluates resources and reports differences.
#[derive(Debug)]
pub struct ComplianceMonitor {
    set: PolicySet,
    previous: Option<BTreeMap<FindingKey, Finding>>,
    history: Vec<(Timestamp, f64)>,
    max_history: usize,
}

impl ComplianceMonitor {
    /// A monitor over a policy set, keeping the last 10 000 scores.
    pub fn new(set: PolicySet) -> Self {
        ComplianceMonitor {
            set,
            previous: None,
            history: Vec::new(),
            max_history: 10_000,
        }
    }

    /// Keeps at most `n` scores in the history (at least 1).
    #[must_use]
    pub fn with_max_history(mut self, n: usize) -> Self {
        self.max_history = n.max(1);
        self
    }

    /// The policy set.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// `(time, score)` of each evaluation, oldest first.
    pub fn history(&self) -> &[(Timestamp, f64)] {
        &self.history
    }

    /// Evaluates the current resources and returns the delta and the full report.
    ///
    /// # Errors
    /// As [`PolicySet::evaluate`]; the monitor's state is then unchanged.
    pub fn evaluate(
        &mut self,
        at: Timestamp,
        docs: &[Document],
    ) -> Result<(ComplianceDelta, Report)> {
        let report = self.set.evaluate(docs)?;
        let mut current: BTreeMap<FindingKey, Finding> = BTreeMap::new();
        for f in &report.findings {
            current.insert(FindingKey::of(f), f.clone());
        }
        let previous = self.previous.take().unwrap_or_default();
        let mut delta = ComplianceDelta {
            at,
            score: report.score,
            previous_score: self.history.last().map(|h| h.1),
            new: Vec::new(),
            resolved: Vec::new(),
            changed: Vec::new(),
        };
        for (k, f) in &current {
            match previous.get(k) {
                None => delta.new.push(f.clone()),
                Some(old)
                    if old.violation.message != f.violation.message
                        || old.violation.severity != f.violation.severity =>
                {
                    delta.changed.push(f.clone());
                }
                Some(_) => {}
            }
        }
        for (k, f) in previous {
            if !current.contains_key(&k) {
                delta.resolved.push(f);
            }
        }
        self.previous = Some(current);
        self.history.push((at, report.score));
        if self.history.len() > self.max_history {
            let excess = self.history.len() - self.max_history;
            self.history.drain(..excess);
        }
        Ok((delta, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse_documents;

    #[test]
    fn emits_only_changes() {
        let mut m = ComplianceMonitor::new(PolicySet::native()).with_max_history(2);
        let v1 = parse_documents(
            "a.yaml",
            "kind: Service\nmetadata: {name: s}\nspec: {type: NodePort}\n",
        )
        .unwrap();
        let (d, _) = m.evaluate(Timestamp::from_millis(0), &v1).unwrap();
        assert_eq!(d.new.len(), 2, "nodeport + required label");
        assert!(d.previous_score.is_none());
        let (d, _) = m.evaluate(Timestamp::from_millis(1), &v1).unwrap();
        assert!(d.is_empty(), "{d:?}");
        let v2 = parse_documents(
            "moved.yaml",
            "kind: Service\nmetadata: {name: s, labels: {app.kubernetes.io/name: s}}\nspec: {type: NodePort}\n",
        )
        .unwrap();
        let (d, _) = m.evaluate(Timestamp::from_millis(2), &v2).unwrap();
        assert!(d.new.is_empty() && d.changed.is_empty());
        assert_eq!(d.resolved.len(), 1);
        assert_eq!(d.resolved[0].violation.policy_id, "required-labels");
        assert!(d.score > d.previous_score.unwrap());
        assert_eq!(m.history().len(), 2);
        assert_eq!(m.history()[1].0, Timestamp::from_millis(2));
    }
}
