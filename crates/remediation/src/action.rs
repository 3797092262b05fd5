//! Actions, their outcomes and the per-action report.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use aiops_core::{IncidentId, Severity};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What an action does. Runbooks name these in snake case (`failover`,
/// `rollback_deployment`, ...); any other name is rejected on load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Move traffic or a role from the resource to a standby.
    Failover,
    /// Restart the resource.
    Restart,
    /// Change the resource's capacity (`replicas` or `delta` parameter).
    Scale,
    /// Roll back the resource's latest deployment.
    RollbackDeployment,
    /// Deploy a fix (a pinned version or a patch named by parameters).
    DeployFix,
    /// Block a source address (`address` parameter) at the edge.
    IsolateSource,
    /// Rank the likely root-cause services of the incident.
    RootCauseAnalysis,
    /// Open a ticket for humans.
    OpenTicket,
    /// Send a notification.
    Notify,
    /// Record the incident (a note in the audit trail / incident log).
    Record,
    /// Record the outcome of the incident for learning.
    Learn,
}

impl ActionKind {
    /// Every action kind.
    pub const ALL: [ActionKind; 11] = [
        ActionKind::Failover,
        ActionKind::Restart,
        ActionKind::Scale,
        ActionKind::RollbackDeployment,
        ActionKind::DeployFix,
        ActionKind::IsolateSource,
        ActionKind::RootCauseAnalysis,
        ActionKind::OpenTicket,
        ActionKind::Notify,
        ActionKind::Record,
        ActionKind::Learn,
    ];

    /// The snake-case name used in runbooks and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Failover => "failover",
            ActionKind::Restart => "restart",
            ActionKind::Scale => "scale",
            ActionKind::RollbackDeployment => "rollback_deployment",
            ActionKind::DeployFix => "deploy_fix",
            ActionKind::IsolateSource => "isolate_source",
            ActionKind::RootCauseAnalysis => "root_cause_analysis",
            ActionKind::OpenTicket => "open_ticket",
            ActionKind::Notify => "notify",
            ActionKind::Record => "record",
            ActionKind::Learn => "learn",
        }
    }

    /// Whether the action changes the system (as opposed to recording,
    /// notifying or analysing). Only mutating actions count against blast
    /// radius and cool-down limits.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            ActionKind::Failover
                | ActionKind::Restart
                | ActionKind::Scale
                | ActionKind::RollbackDeployment
                | ActionKind::DeployFix
                | ActionKind::IsolateSource
        )
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .or(match t {
                "rca" => Some(ActionKind::RootCauseAnalysis),
                "rollback" => Some(ActionKind::RollbackDeployment),
                "isolate" => Some(ActionKind::IsolateSource),
                _ => None,
            })
            .ok_or_else(|| Error::UnknownAction {
                name: s.to_owned(),
                expected: ActionKind::ALL.map(ActionKind::as_str).join(", "),
            })
    }
}

/// One concrete action to run against one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The incident it serves, if any (external actions may have none).
    pub incident: Option<IncidentId>,
    /// What to do.
    pub kind: ActionKind,
    /// The resource acted on (service, host, address).
    pub resource: String,
    /// Parameters, e.g. `replicas: "4"` for scale or `address` for isolate.
    pub params: BTreeMap<String, String>,
    /// Severity of the incident; approval gates look at it.
    pub severity: Severity,
    /// The runbook it comes from, or `external`.
    pub runbook: String,
    /// The step name within the runbook.
    pub step: String,
    /// Per-attempt timeout in milliseconds.
    pub timeout_ms: u64,
    /// Idempotency key: a re-delivered incident produces the same key and the
    /// idempotency guard skips an action already executed under it.
    pub idempotency_key: String,
    /// 1-based attempt number, set by the retry guard.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

impl Action {
    /// A new action with an idempotency key derived from incident, runbook,
    /// step, kind and resource, and a 30-second timeout.
    pub fn new(
        incident: Option<IncidentId>,
        kind: ActionKind,
        resource: impl Into<String>,
        runbook: impl Into<String>,
        step: impl Into<String>,
    ) -> Self {
        let resource = resource.into();
        let runbook = runbook.into();
        let step = step.into();
        let idempotency_key = format!(
            "{}/{runbook}/{step}/{kind}/{resource}",
            incident.map_or_else(|| "-".to_owned(), |i| i.to_string())
        );
        Action {
            incident,
            kind,
            resource,
            params: BTreeMap::new(),
            severity: Severity::Info,
            runbook,
            step,
            timeout_ms: 30_000,
            idempotency_key,
            attempt: 1,
        }
    }

    /// Sets a parameter (builder style).
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Sets the severity (builder style).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the per-attempt timeout (builder style).
    pub fn with_timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// Replaces the idempotency key (builder style).
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = key.into();
        self
    }
}

/// Final status of an action as reported to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Dry run: the action would have run; nothing was changed.
    Planned,
    /// The action ran and its executor reported success.
    Executed,
    /// A guard refused the action.
    Blocked,
    /// The executor failed, panicked or timed out.
    Failed,
    /// Not run: already done (idempotency) or an earlier step failed.
    Skipped,
}

impl ActionStatus {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Executed => "executed",
            ActionStatus::Blocked => "blocked",
            ActionStatus::Failed => "failed",
            ActionStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an executor (or a guard wrapping it) returns for one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Dry run: what would have happened.
    Planned {
        /// Description of the effect.
        detail: String,
    },
    /// The action ran.
    Executed {
        /// Description of the effect.
        detail: String,
    },
    /// A guard refused the action.
    Blocked {
        /// The guard's name (`rate_limit`, `kill_switch`, ...).
        guard: String,
        /// Why.
        reason: String,
    },
    /// The action failed.
    Failed {
        /// Why (error text, `timed out after ...`, `executor panicked: ...`).
        reason: String,
    },
    /// The action was not run and need not be.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// A blocked outcome.
    pub fn blocked(guard: &str, reason: impl Into<String>) -> Self {
        Outcome::Blocked {
            guard: guard.to_owned(),
            reason: reason.into(),
        }
    }

    /// A failed outcome.
    pub fn failed(reason: impl Into<String>) -> Self {
        Outcome::Failed {
            reason: reason.into(),
        }
    }

    /// The status this outcome reports.
    pub fn status(&self) -> ActionStatus {
        match self {
            Outcome::Planned { .. } => ActionStatus::Planned,
            Outcome::Executed { .. } => ActionStatus::Executed,
            Outcome::Blocked { .. } => ActionStatus::Blocked,
            Outcome::Failed { .. } => ActionStatus::Failed,
            Outcome::Skipped { .. } => ActionStatus::Skipped,
        }
    }

    /// The human-readable reason or detail.
    pub fn reason(&self) -> String {
        match self {
            Outcome::Planned { detail } | Outcome::Executed { detail } => detail.clone(),
            Outcome::Blocked { guard, reason } => format!("{guard}: {reason}"),
            Outcome::Failed { reason } | Outcome::Skipped { reason } => reason.clone(),
        }
    }

    /// Whether the action succeeded (ran, or would have in a dry run).
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Planned { .. } | Outcome::Executed { .. })
    }
}

/// One line of a remediation report: what happened to one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionReport {
    /// The runbook step (or `rollback:<step>` for a rollback step).
    pub step: String,
    /// What the action does.
    pub kind: ActionKind,
    /// The resource acted on.
    pub resource: String,
    /// planned, executed, blocked, failed or skipped.
    pub status: ActionStatus,
    /// Why (guard verdict, error, dry-run detail, verification result).
    pub reason: String,
}
