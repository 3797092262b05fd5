//! Response: each threat becomes a severity, plain-data response actions (the
//! facade maps them onto guarded remediation) and forensic evidence (the matching
//! lines with surrounding context and the SHA-256 of each raw line).

use aiops_core::Severity;
use sha2::{Digest, Sha256};

use crate::miner::MinedLog;
use crate::threat::{Threat, ThreatKind, ThreatReport};

/// A response action as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ResponseAction {
    /// Block traffic from an address for a duration.
    IsolateAddress {
        /// The address to isolate.
        address: String,
        /// How long, in seconds.
        duration_secs: i64,
    },
    /// Notify a team.
    Notify {
        /// Who (`security`).
        team: String,
        /// What to say.
        message: String,
    },
    /// Open an incident.
    OpenIncident {
        /// Incident title.
        title: String,
        /// Its severity.
        severity: Severity,
    },
}

/// One line of forensic evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EvidenceLine {
    /// 1-based line number.
    pub line: u64,
    /// The raw line.
    pub raw: String,
    /// Lower-case hex SHA-256 of the raw line's UTF-8 bytes.
    pub sha256: String,
    /// True for a matching line, false for a context line.
    pub matched: bool,
}

/// A threat with its response and evidence.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Response {
    /// The threat.
    pub threat: Threat,
    /// Severity of the response.
    pub severity: Severity,
    /// Actions to take, in order.
    pub actions: Vec<ResponseAction>,
    /// Matching lines with context, in line order.
    pub evidence: Vec<EvidenceLine>,
}

/// Hex SHA-256 of a line.
pub fn sha256_hex(line: &str) -> String {
    let digest = Sha256::digest(line.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Response policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsePolicy {
    /// Context lines before and after each matching line (default 2).
    pub context: usize,
    /// Isolation time for addresses without a ban end (default 600 s).
    pub isolate_secs: i64,
}

impl Default for ResponsePolicy {
    fn default() -> Self {
        ResponsePolicy {
            context: 2,
            isolate_secs: 600,
        }
    }
}

/// Maps a threat to severity, actions and evidence:
/// critical threats with a source isolate it, open an incident and notify;
/// warnings open an incident and notify; info only notifies.
pub fn respond(threat: &Threat, mined: &MinedLog, policy: &ResponsePolicy) -> Response {
    let severity = threat.severity;
    let mut actions = Vec::new();
    let title = format!("{}: {}", threat.kind.as_str(), threat.summary);
    if severity == Severity::Critical
        && let Some(addr) = &threat.source
    {
        let duration_secs = match (threat.kind.clone(), threat.start, threat.end) {
            (ThreatKind::BruteForce, Some(s), Some(e)) => (e.millis_since(s) / 1000).max(1),
            _ => policy.isolate_secs,
        };
        actions.push(ResponseAction::IsolateAddress {
            address: addr.clone(),
            duration_secs,
        });
    }
    if severity >= Severity::Warning {
        actions.push(ResponseAction::OpenIncident {
            title: title.clone(),
            severity,
        });
    }
    actions.push(ResponseAction::Notify {
        team: "security".to_owned(),
        message: title,
    });
    Response {
        threat: threat.clone(),
        severity,
        actions,
        evidence: evidence(threat, mined, policy.context),
    }
}

/// [`respond`] for every threat of a report, in report order.
pub fn respond_all(
    report: &ThreatReport,
    mined: &MinedLog,
    policy: &ResponsePolicy,
) -> Vec<Response> {
    report
        .threats
        .iter()
        .map(|t| respond(t, mined, policy))
        .collect()
}

/// The threat's lines plus `context` lines around each, with hashes.
pub fn evidence(threat: &Threat, mined: &MinedLog, context: usize) -> Vec<EvidenceLine> {
    let records = &mined.log.records;
    let mut wanted: std::collections::BTreeMap<usize, bool> = std::collections::BTreeMap::new();
    for &l in &threat.lines {
        let Some(i) = records.iter().position(|r| r.line == l) else {
            continue;
        };
        for j in i.saturating_sub(context)..(i + context + 1).min(records.len()) {
            let e = wanted.entry(j).or_insert(false);
            *e |= j == i;
        }
    }
    wanted
        .into_iter()
        .map(|(i, matched)| EvidenceLine {
            line: records[i].line,
            raw: records[i].raw.clone(),
            sha256: sha256_hex(&records[i].raw),
            matched,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
