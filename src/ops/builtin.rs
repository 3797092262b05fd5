//! Built-in parts that need no capability crate.
//!
//! They are simple but honest: a robust streaming z-score detector, a
//! random-walk-with-drift failure model, rule-based severity, a dry-run
//! remediation planner with the seed's three paths, and event sinks. With the
//! default features the orchestrator uses the capability crates instead (see
//! the `integrations` module); these remain for builds without them and as
//! references in tests.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use aiops_core::{Event, Incident, SeriesKey, Severity, SignalKind, TimeSeries, Timestamp};
use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ops::traits::{
    ActionRecord, ActionStatus, Detector, DetectorFactory, Direction, EventSink, FailurePrediction,
    FailurePredictor, FailureQuery, ProposedAction, RemediationEngine, SeverityAssessor,
    SeverityContext,
};

/// Standard normal cumulative distribution function.
///
/// Uses the complementary error function of W. J. Cody's rational
/// approximation as given by Numerical Recipes (`erfcc`, relative error below
/// 1.2e-7 everywhere).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Parameters of [`RobustZDetector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustZParams {
    /// Smoothing factor of the level and spread estimates, in (0, 1).
    pub alpha: f64,
    /// Points before the detector starts scoring.
    pub warmup: usize,
}

impl Default for RobustZParams {
    fn default() -> Self {
        RobustZParams {
            alpha: 0.01,
            warmup: 288,
        }
    }
}

/// A streaming robust z-score: exponentially weighted level and mean absolute
/// deviation; the score is the two-sided normal probability mass inside
/// `|z|`, so 0.9973 is three robust standard deviations. State: 4 numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustZDetector {
    params: RobustZParams,
    level: f64,
    spread: f64,
    seen: usize,
}

impl RobustZDetector {
    /// A detector with the given parameters.
    pub fn new(params: RobustZParams) -> Self {
        RobustZDetector {
            params,
            level: f64::NAN,
            spread: 0.0,
            seen: 0,
        }
    }
}

impl Detector for RobustZDetector {
    fn update(&mut self, _t: Timestamp, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        self.seen += 1;
        if self.level.is_nan() {
            self.level = x;
            return None;
        }
        let dev = x - self.level;
        // 1.2533 = sqrt(pi/2): mean absolute deviation to standard deviation.
        let sd = (self.spread * 1.2533).max(1e-9 * self.level.abs().max(1.0));
        let z = dev.abs() / sd;
        let a = self.params.alpha;
        self.level += a * dev;
        self.spread += a * (dev.abs() - self.spread);
        if self.seen <= self.params.warmup {
            return None;
        }
        Some((1.0 - erfc(z / std::f64::consts::SQRT_2)).clamp(0.0, 1.0))
    }
}

/// Factory of [`RobustZDetector`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustZFactory {
    /// Parameters of each detector.
    pub params: RobustZParams,
    /// Alert threshold on the score.
    pub threshold: f64,
}

impl Default for RobustZFactory {
    fn default() -> Self {
        RobustZFactory {
            params: RobustZParams::default(),
            threshold: 0.9999,
        }
    }
}

impl DetectorFactory for RobustZFactory {
    fn create(&self, _key: &SeriesKey) -> Box<dyn Detector> {
        Box::new(RobustZDetector::new(self.params))
    }

    fn threshold(&self) -> f64 {
        self.threshold
    }

    fn name(&self) -> &str {
        "robust-z"
    }
}

/// Failure probability from a random walk with drift fitted to the recent
/// increments: the first-passage probability of a Brownian motion with drift
/// (reflection principle) over the horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftFailurePredictor {
    /// How many recent points to fit on.
    pub window: usize,
}

impl Default for DriftFailurePredictor {
    fn default() -> Self {
        DriftFailurePredictor { window: 288 }
    }
}

impl FailurePredictor for DriftFailurePredictor {
    fn predict(&self, history: &TimeSeries, q: &FailureQuery) -> Result<FailurePrediction> {
        let vals: Vec<f64> = history
            .values()
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let start = vals.len().saturating_sub(self.window);
        let recent = &vals[start..];
        if recent.len() < 3 {
            return Err(Error::Forecast {
                resource: history.key().to_string(),
                message: format!("{} observed points; need at least 3", recent.len()),
            });
        }
        let last = recent[recent.len() - 1];
        let inc: Vec<f64> = recent.windows(2).map(|w| w[1] - w[0]).collect();
        let n = inc.len() as f64;
        let mu = inc.iter().sum::<f64>() / n;
        let var = inc.iter().map(|d| (d - mu).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        // Distance to the threshold in the direction of failure, and the drift towards it.
        let (a, m) = match q.direction {
            Direction::Above => (q.threshold - last, mu),
            Direction::Below => (last - q.threshold, -mu),
        };
        let h = q.horizon_steps as f64;
        let probability = if a <= 0.0 {
            1.0
        } else if var <= 0.0 || h == 0.0 {
            if m > 0.0 && a <= m * h { 1.0 } else { 0.0 }
        } else {
            let s = var.sqrt() * h.sqrt();
            let p = normal_cdf((m * h - a) / s)
                + (2.0 * m * a / var).min(700.0).exp() * normal_cdf((-a - m * h) / s);
            p.clamp(0.0, 1.0)
        };
        let expected_steps = (m > 0.0 && a > 0.0 && a / m <= h).then(|| a / m);
        Ok(FailurePrediction {
            probability,
            expected_steps,
            model: "random-walk-drift".to_owned(),
        })
    }
}

/// Rule-based severity from the incident's evidence.
///
/// * critical: failure probability >= `critical_probability`, or more than
///   `fleet_fraction` of the watched resources have open incidents;
/// * warning: failure probability >= `warning_probability`, or the peak
///   anomaly score >= `warning_score` over at least `warning_points` signals;
/// * info: anything else.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSeverityAssessor {
    /// Failure probability that makes an incident critical.
    pub critical_probability: f64,
    /// Failure probability that makes an incident a warning.
    pub warning_probability: f64,
    /// Peak anomaly score that, sustained, makes an incident a warning.
    pub warning_score: f64,
    /// Signals needed for the score rule.
    pub warning_points: usize,
    /// Fraction of resources in incident that makes every incident critical.
    pub fleet_fraction: f64,
}

impl Default for RuleSeverityAssessor {
    fn default() -> Self {
        RuleSeverityAssessor {
            critical_probability: 0.8,
            warning_probability: 0.5,
            warning_score: 0.99,
            warning_points: 3,
            fleet_fraction: 0.5,
        }
    }
}

impl SeverityAssessor for RuleSeverityAssessor {
    fn assess(&self, ctx: &SeverityContext<'_>) -> (Severity, Vec<String>) {
        let inc = ctx.incident;
        let mut reasons = Vec::new();
        let mut sev = Severity::Info;
        if let Some(p) = inc.failure_probability {
            if p >= self.critical_probability {
                sev = Severity::Critical;
                reasons.push(format!(
                    "failure probability {p:.2} >= {:.2}",
                    self.critical_probability
                ));
            } else if p >= self.warning_probability {
                sev = sev.max(Severity::Warning);
                reasons.push(format!(
                    "failure probability {p:.2} >= {:.2}",
                    self.warning_probability
                ));
            }
        }
        let n = inc
            .signals
            .iter()
            .filter(|s| s.kind == SignalKind::Anomaly)
            .count();
        if let Some(peak) = inc.peak(&SignalKind::Anomaly)
            && peak >= self.warning_score
            && n >= self.warning_points
        {
            sev = sev.max(Severity::Warning);
            reasons.push(format!("{n} anomalous points, peak score {peak:.4}"));
        }
        if ctx.resources > 1
            && (ctx.open_incidents as f64) > self.fleet_fraction * ctx.resources as f64
        {
            sev = Severity::Critical;
            reasons.push(format!(
                "{} of {} resources in incident",
                ctx.open_incidents, ctx.resources
            ));
        }
        if reasons.is_empty() {
            reasons.push("isolated anomaly without failure risk".to_owned());
        }
        (sev, reasons)
    }
}

/// Plans the seed's three paths and records them as dry runs; never acts.
///
/// critical: `failover`, `root_cause_analysis`, `deploy_fix`, `learn`;
/// warning: `scale_up` then `verify`; info: `record`, `notify`.
#[derive(Debug, Default)]
pub struct DryRunRemediation;

#[async_trait]
impl RemediationEngine for DryRunRemediation {
    async fn remediate(&self, incident: &Incident) -> Result<Vec<ActionRecord>> {
        let kinds: &[&str] = match incident.severity {
            Severity::Critical => &["failover", "root_cause_analysis", "deploy_fix", "learn"],
            Severity::Warning => &["scale_up", "verify"],
            Severity::Info => &["record", "notify"],
        };
        Ok(kinds
            .iter()
            .map(|k| ActionRecord {
                kind: (*k).to_owned(),
                status: ActionStatus::DryRun,
                reason: format!("{} path for {} (dry run)", incident.severity, incident.id),
            })
            .collect())
    }

    async fn execute_proposed(
        &self,
        incident: &Incident,
        action: &ProposedAction,
    ) -> Result<ActionRecord> {
        Ok(ActionRecord {
            kind: action.kind.clone(),
            status: ActionStatus::DryRun,
            reason: format!(
                "{} on {} for {} (dry run)",
                action.reason, action.target, incident.id
            ),
        })
    }
}

/// Keeps every event in memory.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<Event>>,
}

impl MemorySink {
    /// A copy of the events recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl EventSink for MemorySink {
    async fn record(&self, event: &Event) -> Result<()> {
        self.events
            .lock()
            .map_err(|_| Error::Sink("memory sink lock poisoned".to_owned()))?
            .push(event.clone());
        Ok(())
    }
}

/// Appends each event as one JSON line and flushes it before returning.
#[derive(Debug)]
pub struct JsonLinesSink {
    path: std::path::PathBuf,
    file: Mutex<std::fs::File>,
}

impl JsonLinesSink {
    /// Opens (creating or appending to) a JSON-lines file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        Ok(JsonLinesSink {
            path,
            file: Mutex::new(file),
        })
    }
}

#[async_trait]
impl EventSink for JsonLinesSink {
    async fn record(&self, event: &Event) -> Result<()> {
        let mut line = serde_json::to_vec(event).map_err(|e| Error::Sink(e.to_string()))?;
        line.push(b'\n');
        let mut f = self
            .file
            .lock()
            .map_err(|_| Error::Sink("journal lock poisoned".to_owned()))?;
        f.write_all(&line)
            .and_then(|()| f.flush())
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::SeriesKey;

    #[test]
    fn normal_cdf_matches_tables() {
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746),
            (-1.959_963_985, 0.025),
            (3.0, 0.998_650_102),
        ] {
            assert!((normal_cdf(x) - p).abs() < 2e-7, "{x}");
        }
    }

    #[test]
    fn robust_z_flags_a_spike_after_warmup() {
        let mut d = RobustZDetector::new(RobustZParams {
            alpha: 0.05,
            warmup: 50,
        });
        let mut last = None;
        for i in 0..200 {
            let x = 10.0 + ((i * 7919) % 13) as f64 * 0.1;
            last = d.update(Timestamp::from_secs(i), x);
            if i < 50 {
                assert!(last.is_none());
            }
        }
        assert!(last.is_some_and(|s| s < 0.999));
        let spike = d.update(Timestamp::from_secs(200), 50.0).unwrap();
        assert!(spike > 0.9999, "{spike}");
        assert_eq!(d.update(Timestamp::from_secs(201), f64::NAN), None);
    }

    #[test]
    fn drift_predictor_is_calibrated_on_a_random_walk() {
        // Random walk with drift 0.1 and unit steps: compare the closed form with simulation.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n = 2000;
        let mut x = 0.0;
        let mut vals = Vec::with_capacity(n);
        for _ in 0..n {
            x += 0.1 + if rng.random::<bool>() { 1.0 } else { -1.0 };
            vals.push(x);
        }
        let ts = (0..n as i64).map(Timestamp::from_secs).collect();
        let hist = TimeSeries::new(SeriesKey::new("rw"), ts, vals.clone()).unwrap();
        let q = FailureQuery {
            threshold: x + 8.0,
            direction: Direction::Above,
            horizon_steps: 50,
        };
        let p = DriftFailurePredictor { window: n }
            .predict(&hist, &q)
            .unwrap()
            .probability;
        let trials = 20_000;
        let mut hits = 0;
        for _ in 0..trials {
            let mut y = x;
            for _ in 0..50 {
                y += 0.1 + if rng.random::<bool>() { 1.0 } else { -1.0 };
                if y >= q.threshold {
                    hits += 1;
                    break;
                }
            }
        }
        let truth = hits as f64 / trials as f64;
        assert!((p - truth).abs() < 0.06, "model {p} vs simulated {truth}");
    }
}
