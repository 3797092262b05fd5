//! Audit-trail events: every decision the orchestrator takes.

use crate::incident::IncidentId;
use crate::time::Timestamp;

/// What an [`Event`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EventKind {
    /// A new incident was opened.
    IncidentOpened,
    /// An open incident received more evidence.
    IncidentExtended,
    /// An incident was resolved after its quiet period.
    IncidentResolved,
    /// A forecast and failure probability were computed.
    ForecastComputed,
    /// A severity was assessed (or re-assessed).
    SeverityAssessed,
    /// A remediation action was planned.
    ActionPlanned,
    /// A guard allowed or blocked an action.
    GuardVerdict,
    /// An action ran (for real or as a dry run).
    ActionExecuted,
    /// An action failed.
    ActionFailed,
    /// An action was blocked by a guard.
    ActionBlocked,
    /// Input data had a problem that was counted, not dropped.
    DataQuality,
    /// A compliance evaluation ran.
    ComplianceChecked,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// Data time the decision refers to.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The incident concerned, if any.
    pub incident: Option<IncidentId>,
    /// The resource concerned.
    pub resource: String,
    /// Human-readable detail, including the reason for a decision.
    pub detail: String,
}

impl Event {
    /// A new event.
    pub fn new(
        at: Timestamp,
        kind: EventKind,
        incident: Option<IncidentId>,
        resource: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Event {
            at,
            kind,
            incident,
            resource: resource.into(),
            detail: detail.into(),
        }
    }
}
