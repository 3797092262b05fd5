//! Threat detection over parsed and mined logs: brute force (fail2ban sshd jail),
//! port scans and connection floods, log anomalies over template counts, and Sigma rules.

pub(crate) mod anomaly;
pub(crate) mod bruteforce;
pub(crate) mod scan;
pub(crate) mod sigma;

use std::path::Path;

use aiops_core::{Severity, Timestamp};

use crate::error::Result;
use crate::format::LogFormat;
use crate::miner::{MinedLog, mine};

pub use anomaly::{AnomalyParams, TemplateAnomalyDetector};
pub use bruteforce::{Ban, BanEvent, JailParams, SshJail, SshdLine, classify_sshd};
pub use scan::{ScanDetector, ScanParams};
pub use sigma::{SigmaRule, load_rules_dir};

/// What kind of threat was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ThreatKind {
    /// A source reached the jail's failure limit (fail2ban ban).
    BruteForce,
    /// A source touched many distinct ports or hosts in a window.
    PortScan,
    /// A source opened many connections in a window.
    ConnectionFlood,
    /// A template never seen before appeared after warm-up.
    NewTemplate,
    /// A template became suddenly more frequent than its history.
    FrequencySpike,
    /// A Sigma rule matched.
    Sigma {
        /// The rule's `id` (or title when it has none).
        rule: String,
    },
}

impl ThreatKind {
    /// A short lower-case name (`brute_force`, `port_scan`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            ThreatKind::BruteForce => "brute_force",
            ThreatKind::PortScan => "port_scan",
            ThreatKind::ConnectionFlood => "connection_flood",
            ThreatKind::NewTemplate => "new_template",
            ThreatKind::FrequencySpike => "frequency_spike",
            ThreatKind::Sigma { .. } => "sigma",
        }
    }
}

/// One detected threat.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Threat {
    /// Kind of threat.
    pub kind: ThreatKind,
    /// Severity assessed by the detector.
    pub severity: Severity,
    /// Source address (or host) when known.
    pub source: Option<String>,
    /// Start of the time window.
    pub start: Option<Timestamp>,
    /// End of the time window (for a ban: when it ends).
    pub end: Option<Timestamp>,
    /// Number of events behind the threat (failures, ports, lines).
    pub count: u64,
    /// Line numbers of the matching lines.
    pub lines: Vec<u64>,
    /// Human-readable summary.
    pub summary: String,
}

/// Settings of the default detectors.
#[derive(Debug, Clone, Default)]
pub struct DetectorConfig {
    /// Brute-force jail.
    pub jail: JailParams,
    /// Port scans and floods.
    pub scan: ScanParams,
    /// Template anomalies.
    pub anomaly: AnomalyParams,
}

/// Everything the detectors found in one log.
#[derive(Debug, Clone, Default)]
pub struct ThreatReport {
    /// fail2ban bans.
    pub bans: Vec<Ban>,
    /// Ban and unban events in order.
    pub ban_events: Vec<BanEvent>,
    /// All threats (bans, scans, floods, anomalies, Sigma matches) in detection order.
    pub threats: Vec<Threat>,
}

impl ThreatReport {
    /// Threats of one kind name (see [`ThreatKind::as_str`]).
    pub fn of_kind<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Threat> + 'a {
        self.threats.iter().filter(move |t| t.kind.as_str() == name)
    }
}

fn connection_id<'a>(mined: &MinedLog, fields: &'a [String]) -> Option<&'a str> {
    ["Pid", "PID", "ProcId"].iter().find_map(|n| {
        let i = mined.field_names.iter().position(|f| f == n)?;
        fields.get(i).map(String::as_str).filter(|s| !s.is_empty())
    })
}

/// Runs the default detectors (jail, scans/floods, template anomalies) and the
/// given Sigma rules over a mined log.
pub fn detect_threats(
    mined: &MinedLog,
    rules: &[SigmaRule],
    config: &DetectorConfig,
) -> Result<ThreatReport> {
    let mut jail = SshJail::new(config.jail.clone())?;
    let mut scans = ScanDetector::new(config.scan.clone())?;
    let mut anomalies = TemplateAnomalyDetector::new(config.anomaly.clone())?;
    let mut report = ThreatReport::default();
    for (rec, id) in mined.log.records.iter().zip(&mined.events) {
        jail.process(
            rec.timestamp,
            connection_id(mined, &rec.fields),
            &rec.content,
            rec.line,
        );
        scans.process(rec.timestamp, &rec.content, rec.line);
        anomalies.process(rec.timestamp, *id, &mined.template_text(*id), rec.line);
        for rule in rules {
            if rule.matches(mined, rec, *id) {
                report.threats.push(rule.threat(rec));
            }
        }
    }
    jail.finish();
    report.bans = jail.bans().to_vec();
    report.ban_events = jail.events().to_vec();
    let mut all: Vec<Threat> = report
        .bans
        .iter()
        .map(|b| Threat {
            kind: ThreatKind::BruteForce,
            severity: Severity::Critical,
            source: Some(b.address.to_string()),
            start: Some(b.start),
            end: Some(b.end),
            count: u64::from(b.failures),
            lines: b.lines.clone(),
            summary: format!(
                "{} failed logins from {} within the jail's find time; banned until {}",
                b.failures, b.address, b.end
            ),
        })
        .collect();
    all.extend(scans.into_threats());
    all.extend(anomalies.into_threats());
    all.append(&mut report.threats);
    report.threats = all;
    Ok(report)
}

/// Reads `path` with the built-in format `format_name`, mines it, and runs the
/// default detectors plus the Sigma rules of `rules_dir` (if any).
pub fn analyze_file(
    path: impl AsRef<Path>,
    format_name: &str,
    rules_dir: Option<&Path>,
) -> Result<(MinedLog, ThreatReport)> {
    let format = LogFormat::builtin(format_name)?;
    let mined = mine(&format, format.parse_file(path)?)?;
    let rules = match rules_dir {
        Some(d) => load_rules_dir(d)?,
        None => Vec::new(),
    };
    let report = detect_threats(&mined, &rules, &DetectorConfig::default())?;
    Ok((mined, report))
}
