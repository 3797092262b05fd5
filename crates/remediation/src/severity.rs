//! Severity assessment: from an incident's evidence to info, warning or
//! critical, with the reasons attached.
//!
//! # Default rules
//!
//! Each rule looks at one kind of evidence and proposes a level with a
//! reason; the assessed level is the highest proposal, then adjusted by the
//! resource's criticality and the number of affected resources. With the
//! defaults of [`SeverityRules`]:
//!
//! | evidence | warning | critical |
//! |---|---|---|
//! | failure probability (`Incident::failure_probability`, else the peak `failure_probability` signal) | ≥ 0.5 | ≥ 0.8 |
//! | anomaly peak (`anomaly` and `forecast_breach` signals) | ≥ 0.7 | ≥ 0.9 **and** failure probability ≥ 0.5 |
//! | SLO burn rate, short **and** long window both at least | 6 | 14.4 |
//!
//! The burn-rate thresholds are the multi-window alerts of the Google SRE
//! workbook: 14.4 spends 2 % of a 30-day budget in one hour, 6 spends 5 % in
//! six hours. An `slo_burn` signal names its window after the last `@` of its
//! source (`checkout-availability@5m`, `@1h`, `@6h`, `@3d`): windows up to
//! `short_window_max_ms` (1 h) are short, longer ones long; a signal without a
//! window counts for both. Requiring both windows avoids paging on a burst
//! that has already stopped (short window quiet) or on a slow leak that a
//! single spike made look fast (long window quiet).
//!
//! Adjustments, applied after the rules and only when some rule fired:
//! * label `criticality`: `critical` raises the level by one, `low` caps it at warning;
//! * label `affected` (number of affected resources, default 1): at least
//!   `affected_raise` (5) raises by one, at least `affected_critical` (20) makes it critical.
//!
//! With no rule firing the level is info with the reason `no rule fired`.

use std::fmt;

use aiops_core::{Incident, Severity, SignalKind};
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};

/// How important the affected resource is (label `criticality`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    /// Best-effort resource: severity is capped at warning.
    Low,
    /// Ordinary resource (the default).
    #[default]
    Medium,
    /// Important resource; no adjustment by default.
    High,
    /// Business-critical resource: severity is raised by one level.
    Critical,
}

impl Criticality {
    /// Parses a label value; unknown values give `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Criticality::Low),
            "medium" | "normal" => Some(Criticality::Medium),
            "high" => Some(Criticality::High),
            "critical" | "tier0" | "tier-0" => Some(Criticality::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        })
    }
}

/// The evidence severity rules look at, extracted from an incident by
/// [`SeverityInput::from_incident`] or filled in directly.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SeverityInput {
    /// Highest anomaly score in [0, 1], if any anomaly evidence.
    pub anomaly_peak: Option<f64>,
    /// Probability of failure within the forecast horizon.
    pub failure_probability: Option<f64>,
    /// Highest SLO burn rate over a short window.
    pub burn_short: Option<f64>,
    /// Highest SLO burn rate over a long window.
    pub burn_long: Option<f64>,
    /// The resource's criticality.
    pub criticality: Criticality,
    /// How many resources are affected (at least 1).
    pub affected: u32,
}

/// Parses a window such as `5m`, `1h`, `30s`, `3d`, `250ms` into milliseconds.
pub(crate) fn parse_window_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000)
    } else if let Some(n) = t.strip_suffix('d') {
        (n, 86_400_000)
    } else {
        return None;
    };
    num.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(|v| v.saturating_mul(mult))
}

impl SeverityInput {
    /// Extracts the evidence of an incident (see the module docs for the
    /// conventions on SLO windows and the `criticality`/`affected` labels).
    /// Non-finite signal values are ignored.
    pub fn from_incident(incident: &Incident, short_window_max_ms: i64) -> Self {
        let mut input = SeverityInput {
            affected: 1,
            ..SeverityInput::default()
        };
        let mut fp_signal: Option<f64> = None;
        let max_opt = |cur: Option<f64>, v: f64| Some(cur.map_or(v, |c: f64| c.max(v)));
        for s in &incident.signals {
            if !s.value.is_finite() {
                continue;
            }
            match &s.kind {
                SignalKind::Anomaly | SignalKind::ForecastBreach => {
                    input.anomaly_peak = max_opt(input.anomaly_peak, s.value);
                }
                SignalKind::FailureProbability => fp_signal = max_opt(fp_signal, s.value),
                SignalKind::SloBurn => {
                    let window = s
                        .source
                        .rsplit_once('@')
                        .and_then(|(_, w)| parse_window_ms(w));
                    match window {
                        Some(w) if w <= short_window_max_ms => {
                            input.burn_short = max_opt(input.burn_short, s.value);
                        }
                        Some(_) => input.burn_long = max_opt(input.burn_long, s.value),
                        None => {
                            input.burn_short = max_opt(input.burn_short, s.value);
                            input.burn_long = max_opt(input.burn_long, s.value);
                        }
                    }
                }
                _ => {}
            }
        }
        input.failure_probability = incident
            .failure_probability
            .filter(|p| p.is_finite())
            .or(fp_signal);
        if let Some(c) = incident
            .labels
            .get("criticality")
            .and_then(Criticality::parse)
        {
            input.criticality = c;
        }
        if let Some(n) = incident
            .labels
            .get("affected")
            .and_then(|a| a.trim().parse::<u32>().ok())
        {
            input.affected = n.max(1);
        }
        input
    }
}

/// The assessed severity with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The level.
    pub severity: Severity,
    /// Why, one sentence per rule that fired or adjustment applied.
    pub reasons: Vec<String>,
}

/// Thresholds of the severity rules. `Default` gives the documented rules;
/// [`SeverityRules::check`] validates a modified copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityRules {
    /// Failure probability at or above which the incident is a warning.
    pub failure_warning: f64,
    /// Failure probability at or above which the incident is critical.
    pub failure_critical: f64,
    /// Anomaly peak at or above which the incident is a warning.
    pub anomaly_warning: f64,
    /// Anomaly peak at or above which the incident is critical when the
    /// failure probability also reaches `failure_warning`.
    pub anomaly_critical: f64,
    /// Burn rate that both windows must reach for a warning.
    pub burn_warning: f64,
    /// Burn rate that both windows must reach for critical.
    pub burn_critical: f64,
    /// Longest window (ms) that counts as a short burn-rate window.
    pub short_window_max_ms: i64,
    /// Affected-resource count that raises the level by one.
    pub affected_raise: u32,
    /// Affected-resource count that makes the incident critical.
    pub affected_critical: u32,
}

impl Default for SeverityRules {
    fn default() -> Self {
        SeverityRules {
            failure_warning: 0.5,
            failure_critical: 0.8,
            anomaly_warning: 0.7,
            anomaly_critical: 0.9,
            burn_warning: 6.0,
            burn_critical: 14.4,
            short_window_max_ms: 3_600_000,
            affected_raise: 5,
            affected_critical: 20,
        }
    }
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Warning,
        _ => Severity::Critical,
    }
}

impl SeverityRules {
    /// Validates the thresholds: probabilities and scores in [0, 1],
    /// warning thresholds not above critical ones, positive burn rates and window.
    pub fn check(self) -> Result<Self> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(config(
                    format!("severity.{name}"),
                    format!("{} is outside [0, 1]", aiops_core::Num(v)),
                ))
            }
        };
        unit("failure_warning", self.failure_warning)?;
        unit("failure_critical", self.failure_critical)?;
        unit("anomaly_warning", self.anomaly_warning)?;
        unit("anomaly_critical", self.anomaly_critical)?;
        if self.failure_warning > self.failure_critical {
            return Err(config(
                "severity.failure_warning",
                "is above failure_critical",
            ));
        }
        if self.anomaly_warning > self.anomaly_critical {
            return Err(config(
                "severity.anomaly_warning",
                "is above anomaly_critical",
            ));
        }
        if !(self.burn_warning.is_finite() && self.burn_warning > 0.0) {
            return Err(config("severity.burn_warning", "must be a positive number"));
        }
        if !(self.burn_critical.is_finite() && self.burn_critical >= self.burn_warning) {
            return Err(config(
                "severity.burn_critical",
                "must be a number at least burn_warning",
            ));
        }
        if self.short_window_max_ms <= 0 {
            return Err(config("severity.short_window_max_ms", "must be positive"));
        }
        if self.affected_raise == 0 || self.affected_critical < self.affected_raise {
            return Err(config(
                "severity.affected_critical",
                "affected_raise must be at least 1 and affected_critical at least affected_raise",
            ));
        }
        Ok(self)
    }

    /// Assesses an incident.
    pub fn assess(&self, incident: &Incident) -> Assessment {
        self.assess_input(&SeverityInput::from_incident(
            incident,
            self.short_window_max_ms,
        ))
    }

    /// Assesses extracted evidence. Deterministic: the same input gives the
    /// same level and reasons.
    pub fn assess_input(&self, input: &SeverityInput) -> Assessment {
        let mut level = Severity::Info;
        let mut reasons = Vec::new();
        let mut fired = false;
        let mut propose = |s: Severity, reason: String, level: &mut Severity| {
            fired = true;
            *level = (*level).max(s);
            reasons.push(reason);
        };
        let fp = input.failure_probability;
        if let Some(p) = fp {
            if p >= self.failure_critical {
                propose(
                    Severity::Critical,
                    format!("failure probability {p:.2} >= {:.2}", self.failure_critical),
                    &mut level,
                );
            } else if p >= self.failure_warning {
                propose(
                    Severity::Warning,
                    format!("failure probability {p:.2} >= {:.2}", self.failure_warning),
                    &mut level,
                );
            }
        }
        if let Some(a) = input.anomaly_peak {
            let corroborated = fp.is_some_and(|p| p >= self.failure_warning);
            if a >= self.anomaly_critical && corroborated {
                propose(
                    Severity::Critical,
                    format!(
                        "anomaly score {a:.2} >= {:.2} corroborated by failure probability >= {:.2}",
                        self.anomaly_critical, self.failure_warning
                    ),
                    &mut level,
                );
            } else if a >= self.anomaly_warning {
                propose(
                    Severity::Warning,
                    format!("anomaly score {a:.2} >= {:.2}", self.anomaly_warning),
                    &mut level,
                );
            }
        }
        if let (Some(s), Some(l)) = (input.burn_short, input.burn_long) {
            let both = s.min(l);
            if both >= self.burn_critical {
                propose(
                    Severity::Critical,
                    format!(
                        "SLO burn rate {s:.1}x (short) and {l:.1}x (long) >= {:.1}x",
                        self.burn_critical
                    ),
                    &mut level,
                );
            } else if both >= self.burn_warning {
                propose(
                    Severity::Warning,
                    format!(
                        "SLO burn rate {s:.1}x (short) and {l:.1}x (long) >= {:.1}x",
                        self.burn_warning
                    ),
                    &mut level,
                );
            }
        }
        if !fired {
            return Assessment {
                severity: Severity::Info,
                reasons: vec!["no rule fired".to_owned()],
            };
        }
        match input.criticality {
            Criticality::Critical if level < Severity::Critical => {
                level = raise(level);
                reasons.push(format!("resource criticality critical raises to {level}"));
            }
            Criticality::Low if level == Severity::Critical => {
                level = Severity::Warning;
                reasons.push("resource criticality low caps at warning".to_owned());
            }
            _ => {}
        }
        if input.affected >= self.affected_critical && level < Severity::Critical {
            level = Severity::Critical;
            reasons.push(format!(
                "{} affected resources >= {} makes it critical",
                input.affected, self.affected_critical
            ));
        } else if input.affected >= self.affected_raise && level < Severity::Critical {
            level = raise(level);
            reasons.push(format!(
                "{} affected resources >= {} raises to {level}",
                input.affected, self.affected_raise
            ));
        }
        Assessment {
            severity: level,
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::{IncidentId, Labels, Signal, Timestamp};

    fn sig(kind: SignalKind, source: &str, value: f64) -> Signal {
        Signal {
            kind,
            source: source.into(),
            at: Timestamp::from_secs(0),
            value,
            detail: String::new(),
        }
    }

    #[test]
    fn defaults_follow_the_documented_table() {
        let r = SeverityRules::default();
        let mut inc = Incident::open(
            IncidentId(1),
            "db",
            sig(SignalKind::Anomaly, "db:cpu", 0.75),
        );
        assert_eq!(r.assess(&inc).severity, Severity::Warning);
        inc.failure_probability = Some(0.6);
        inc.push_signal(sig(SignalKind::Anomaly, "db:cpu", 0.95));
        let a = r.assess(&inc);
        assert_eq!(a.severity, Severity::Critical, "{:?}", a.reasons);
        inc.failure_probability = Some(0.2);
        assert_eq!(r.assess(&inc).severity, Severity::Warning);
        let quiet = Incident::open(IncidentId(2), "db", sig(SignalKind::Anomaly, "db:cpu", 0.3));
        let a = r.assess(&quiet);
        assert_eq!(a.severity, Severity::Info);
        assert_eq!(a.reasons, vec!["no rule fired".to_owned()]);
    }

    #[test]
    fn multi_window_burn_needs_both_windows() {
        let r = SeverityRules::default();
        let mut inc = Incident::open(
            IncidentId(1),
            "api",
            sig(SignalKind::SloBurn, "avail@5m", 20.0),
        );
        // Short window alone: a burst that may already be over.
        assert_eq!(r.assess(&inc).severity, Severity::Info);
        inc.push_signal(sig(SignalKind::SloBurn, "avail@1h", 3.0));
        // 1h is still a short window by default.
        assert_eq!(r.assess(&inc).severity, Severity::Info);
        inc.push_signal(sig(SignalKind::SloBurn, "avail@6h", 7.0));
        assert_eq!(r.assess(&inc).severity, Severity::Warning);
        inc.push_signal(sig(SignalKind::SloBurn, "avail@3d", 15.0));
        let a = r.assess(&inc);
        assert_eq!(a.severity, Severity::Critical, "{:?}", a.reasons);
        assert!(a.reasons[0].contains("SLO burn"));
    }

    #[test]
    fn criticality_and_affected_adjust() -> aiops_core::Result<()> {
        let r = SeverityRules::default();
        let mut inc = Incident::open(
            IncidentId(1),
            "pay",
            sig(SignalKind::Anomaly, "pay:lat", 0.8),
        );
        inc.labels = Labels::new().with("criticality", "critical")?;
        assert_eq!(r.assess(&inc).severity, Severity::Critical);
        inc.labels = Labels::new().with("criticality", "low")?;
        inc.failure_probability = Some(0.9);
        assert_eq!(r.assess(&inc).severity, Severity::Warning);
        inc.labels = Labels::new().with("affected", "25")?;
        inc.failure_probability = None;
        let a = r.assess(&inc);
        assert_eq!(a.severity, Severity::Critical);
        assert!(a.reasons.iter().any(|x| x.contains("25 affected")));
        Ok(())
    }

    #[test]
    fn check_rejects_bad_thresholds() {
        let bad = SeverityRules {
            failure_warning: 0.9,
            failure_critical: 0.8,
            ..SeverityRules::default()
        };
        assert!(bad.check().is_err());
        let bad = SeverityRules {
            anomaly_warning: f64::NAN,
            ..SeverityRules::default()
        };
        assert!(bad.check().is_err());
        assert!(SeverityRules::default().check().is_ok());
    }

    #[test]
    fn windows_parse() {
        assert_eq!(parse_window_ms("5m"), Some(300_000));
        assert_eq!(parse_window_ms("250ms"), Some(250));
        assert_eq!(parse_window_ms("3d"), Some(259_200_000));
        assert_eq!(parse_window_ms("x"), None);
        assert_eq!(parse_window_ms("0h"), None);
    }
}
