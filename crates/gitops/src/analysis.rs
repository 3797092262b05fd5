//! Analysis runs with Argo Rollouts semantics: typed conditions, measurement
//! counts and intervals, failure / inconclusive / consecutive-error limits,
//! and an async [`MetricProvider`].

use std::collections::BTreeMap;
use std::fmt;

use aiops_core::{TimeSeries, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A typed predicate on a measured value. NaN satisfies none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `value > t`.
    Above(f64),
    /// `value >= t`.
    AtLeast(f64),
    /// `value < t`.
    Below(f64),
    /// `value <= t`.
    AtMost(f64),
    /// `low <= value <= high`.
    Between {
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (inclusive).
        high: f64,
    },
    /// `value < low || value > high`.
    Outside {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

impl Condition {
    /// Whether `value` satisfies the condition.
    pub fn holds(&self, value: f64) -> bool {
        match *self {
            Self::Above(t) => value > t,
            Self::AtLeast(t) => value >= t,
            Self::Below(t) => value < t,
            Self::AtMost(t) => value <= t,
            Self::Between { low, high } => low <= value && value <= high,
            Self::Outside { low, high } => value < low || value > high,
        }
    }

    /// Checks thresholds are finite and ranges ordered.
    ///
    /// # Errors
    /// [`Error::Invalid`] otherwise.
    pub fn check(&self) -> Result<()> {
        let ok = match *self {
            Self::Above(t) | Self::AtLeast(t) | Self::Below(t) | Self::AtMost(t) => t.is_finite(),
            Self::Between { low, high } | Self::Outside { low, high } => {
                low.is_finite() && high.is_finite() && low <= high
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid {
                what: "condition".into(),
                message: format!("{self} has a non-finite or reversed bound"),
            })
        }
    }

    /// Parses the comparison subset of Argo's expressions once, at load
    /// time: `result OP number` (`result[0]` also accepted, OP one of
    /// `> >= < <=`), `A && B` of a lower and an upper bound (a range) and
    /// `A || B` of an upper and a lower bound (outside a range).
    ///
    /// # Errors
    /// [`Error::Invalid`] for any other expression.
    pub fn parse_argo(expr: &str) -> Result<Self> {
        let bad = || Error::Invalid {
            what: "condition".into(),
            message: format!(
                "{expr:?} is not `result OP number`, a `&&` range or a `||` outside-range"
            ),
        };
        let single = |s: &str| -> Result<Self> {
            let s = s.trim();
            let rest = s
                .strip_prefix("result[0]")
                .or_else(|| s.strip_prefix("result"))
                .ok_or_else(bad)?
                .trim_start();
            let (ctor, num): (fn(f64) -> Self, &str) = if let Some(n) = rest.strip_prefix(">=") {
                (Self::AtLeast, n)
            } else if let Some(n) = rest.strip_prefix("<=") {
                (Self::AtMost, n)
            } else if let Some(n) = rest.strip_prefix('>') {
                (Self::Above, n)
            } else if let Some(n) = rest.strip_prefix('<') {
                (Self::Below, n)
            } else {
                return Err(bad());
            };
            let v: f64 = num.trim().parse().map_err(|_| bad())?;
            let c = ctor(v);
            c.check()?;
            Ok(c)
        };
        let c = if let Some((a, b)) = expr.split_once("&&") {
            match (single(a)?, single(b)?) {
                (Self::AtLeast(low), Self::AtMost(high))
                | (Self::AtMost(high), Self::AtLeast(low)) => Self::Between { low, high },
                _ => return Err(bad()),
            }
        } else if let Some((a, b)) = expr.split_once("||") {
            match (single(a)?, single(b)?) {
                (Self::Below(low), Self::Above(high)) | (Self::Above(high), Self::Below(low)) => {
                    Self::Outside { low, high }
                }
                _ => return Err(bad()),
            }
        } else {
            single(expr)?
        };
        c.check()?;
        Ok(c)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Above(t) => write!(f, "result > {t}"),
            Self::AtLeast(t) => write!(f, "result >= {t}"),
            Self::Below(t) => write!(f, "result < {t}"),
            Self::AtMost(t) => write!(f, "result <= {t}"),
            Self::Between { low, high } => write!(f, "{low} <= result <= {high}"),
            Self::Outside { low, high } => write!(f, "result < {low} || result > {high}"),
        }
    }
}

/// Outcome of one measurement or of a whole metric / run. Ordered from best
/// to worst, so the run's phase is the maximum over its metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AnalysisPhase {
    /// Success condition held (or failure condition did not).
    Successful,
    /// Neither condition decided.
    Inconclusive,
    /// The provider failed or returned a missing (NaN) value.
    Error,
    /// Failure condition held (or success condition did not).
    Failed,
}

impl fmt::Display for AnalysisPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One metric of an analysis template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisMetric {
    /// Metric name, as the provider knows it.
    pub name: String,
    /// Condition under which a measurement is successful.
    #[serde(default)]
    pub success: Option<Condition>,
    /// Condition under which a measurement is failed.
    #[serde(default)]
    pub failure: Option<Condition>,
    /// Number of measurements (Argo's `count`, default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Milliseconds between measurements (Argo's `interval`).
    #[serde(default)]
    pub interval_ms: i64,
    /// Failed measurements tolerated (Argo default 0).
    #[serde(default)]
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated (Argo default 0).
    #[serde(default)]
    pub inconclusive_limit: u32,
    /// Consecutive errors tolerated (Argo default 4).
    #[serde(default = "four")]
    pub consecutive_error_limit: u32,
}

fn one() -> u32 {
    1
}
fn four() -> u32 {
    4
}

impl AnalysisMetric {
    /// A metric with one measurement and Argo's default limits.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            success: None,
            failure: None,
            count: 1,
            interval_ms: 0,
            failure_limit: 0,
            inconclusive_limit: 0,
            consecutive_error_limit: 4,
        }
    }

    /// Classifies one measured value (Argo's `evaluateResult`): failed if the
    /// failure condition holds; successful if the success condition holds;
    /// with only one condition set the other outcome follows from it; with
    /// both set and neither holding, inconclusive. NaN is an error.
    pub fn evaluate(&self, value: f64) -> AnalysisPhase {
        if value.is_nan() {
            return AnalysisPhase::Error;
        }
        match (&self.success, &self.failure) {
            (_, Some(f)) if f.holds(value) => AnalysisPhase::Failed,
            (Some(s), _) if s.holds(value) => AnalysisPhase::Successful,
            (Some(_), Some(_)) => AnalysisPhase::Inconclusive,
            (Some(_), None) => AnalysisPhase::Failed,
            (None, _) => AnalysisPhase::Successful,
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |message: String| Error::Invalid {
            what: format!("analysis metric `{}`", self.name),
            message,
        };
        if self.count == 0 {
            return Err(bad("count must be at least 1".into()));
        }
        if self.interval_ms < 0 {
            return Err(bad(format!("interval {} ms is negative", self.interval_ms)));
        }
        if self.count > 1 && self.interval_ms == 0 {
            return Err(bad("count > 1 needs an interval".into()));
        }
        for c in self.success.iter().chain(&self.failure) {
            c.check()?;
        }
        Ok(())
    }
}

/// A named set of metrics (Argo's `AnalysisTemplate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisTemplate {
    /// Template name.
    pub name: String,
    /// Its metrics.
    pub metrics: Vec<AnalysisMetric>,
}

impl AnalysisTemplate {
    /// Checks the template: at least one metric, each with a count of at
    /// least 1, an interval when count > 1, and valid conditions.
    ///
    /// # Errors
    /// [`Error::Invalid`] otherwise.
    pub fn check(&self) -> Result<()> {
        if self.metrics.is_empty() {
            return Err(Error::Invalid {
                what: format!("analysis template `{}`", self.name),
                message: "no metrics".into(),
            });
        }
        self.metrics.iter().try_for_each(AnalysisMetric::check)
    }
}

/// A source of measurements (Prometheus, a recorded file, memory).
#[async_trait::async_trait]
pub trait MetricProvider: Send + Sync + fmt::Debug {
    /// Measures `metric` at time `at`. A NaN value or an error counts as an
    /// error measurement.
    async fn measure(&self, metric: &str, at: Timestamp) -> Result<f64>;
}

/// An in-memory provider over recorded data: per metric, time-ordered
/// points; a measurement at `at` returns the latest point at or before `at`.
///
/// With [`InMemoryProvider::with_max_staleness`] the provider stands for a
/// complete recording: the point must be at most the bound older than `at`
/// (with the recording's step as the bound, a measurement uses data no
/// older than one step: past the last point by more than a step, or across
/// a longer gap, there is no answer), and asking for an unknown metric, a
/// time before the first point or a time past the bound is
/// [`Error::NotRecorded`], an input error that [`run_analysis`] returns
/// rather than counting as an error measurement: the recording does not
/// cover the rollout. Without a bound (the default) the provider behaves
/// like a live source: those cases are [`Error::Provider`] errors, counted
/// as error measurements, and the last point answers forever.
#[derive(Debug, Clone, Default)]
pub struct InMemoryProvider {
    series: BTreeMap<String, Vec<(Timestamp, f64)>>,
    max_staleness_ms: Option<i64>,
}

impl InMemoryProvider {
    /// An empty provider.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the staleness bound: a point more than `ms` older than the
    /// measurement time no longer answers (`0` accepts only exact-time
    /// points). Without a bound (the default) the last point answers forever.
    #[must_use]
    pub fn with_max_staleness(mut self, ms: i64) -> Self {
        self.max_staleness_ms = Some(ms.max(0));
        self
    }

    /// The staleness bound, if set.
    pub fn max_staleness(&self) -> Option<i64> {
        self.max_staleness_ms
    }

    /// Adds points for `metric`, keeping them sorted by time.
    pub fn insert(
        &mut self,
        metric: impl Into<String>,
        points: impl IntoIterator<Item = (Timestamp, f64)>,
    ) {
        let v = self.series.entry(metric.into()).or_default();
        v.extend(points);
        v.sort_by_key(|p| p.0);
    }

    /// Adds every series under its metric name (`SeriesKey::metric`).
    pub fn insert_series(&mut self, series: &TimeSeries) {
        let pts: Vec<(Timestamp, f64)> = series
            .timestamps()
            .iter()
            .copied()
            .zip(series.values().iter().copied())
            .collect();
        self.insert(series.key().name().to_owned(), pts);
    }
}

#[async_trait::async_trait]
impl MetricProvider for InMemoryProvider {
    async fn measure(&self, metric: &str, at: Timestamp) -> Result<f64> {
        // With a staleness bound the recording is the whole truth: what it
        // lacks is an input error. Without one, keep the live-provider
        // semantics (an error measurement).
        let not_recorded = |message: String| {
            if self.max_staleness_ms.is_some() {
                Error::NotRecorded {
                    metric: metric.to_owned(),
                    message,
                }
            } else {
                Error::Provider {
                    metric: metric.to_owned(),
                    message,
                }
            }
        };
        let points = self.series.get(metric).ok_or_else(|| {
            let known: Vec<&str> = self.series.keys().map(String::as_str).collect();
            not_recorded(format!(
                "not in the recorded metrics (recorded: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(not_recorded("has no recorded points".to_owned()));
        };
        let range = || {
            let mut r = format!("the recording covers {} to {}", first.0, last.0);
            if let Some(s) = self.max_staleness_ms {
                r.push_str(&format!(
                    " and a point answers for {} after its time",
                    crate::rollout::fmt_duration(s)
                ));
            }
            r
        };
        let idx = points.partition_point(|p| p.0 <= at);
        if idx == 0 {
            return Err(not_recorded(format!(
                "no data at {at}: before the recording ({})",
                range()
            )));
        }
        let (t, v) = points[idx - 1];
        if let Some(s) = self.max_staleness_ms {
            let age = at.millis_since(t);
            if age > s {
                let place = if idx == points.len() {
                    "after the recording"
                } else {
                    "in a gap of the recording"
                };
                return Err(not_recorded(format!(
                    "no data at {at}: {place}, the latest earlier point ({t}) is {} old ({})",
                    crate::rollout::fmt_duration(age),
                    range()
                )));
            }
        }
        Ok(v)
    }
}

/// One measurement taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// When it was taken.
    pub at: Timestamp,
    /// The value (None on a provider error).
    pub value: Option<f64>,
    /// Its phase.
    pub phase: AnalysisPhase,
    /// Provider error message, if any.
    pub message: Option<String>,
}

/// Result of one metric in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRun {
    /// Metric name.
    pub name: String,
    /// The metric's phase.
    pub phase: AnalysisPhase,
    /// Measurements in time order.
    pub measurements: Vec<Measurement>,
    /// Successful measurements.
    pub successful: u32,
    /// Failed measurements.
    pub failed: u32,
    /// Inconclusive measurements.
    pub inconclusive: u32,
    /// Error measurements.
    pub errors: u32,
}

/// Result of an analysis run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRun {
    /// Template name.
    pub template: String,
    /// Worst phase over the metrics.
    pub phase: AnalysisPhase,
    /// When the run started.
    pub started_at: Timestamp,
    /// When its last measurement was taken.
    pub finished_at: Timestamp,
    /// Per-metric results.
    pub metrics: Vec<MetricRun>,
}

/// Runs `template` against `provider` starting at `start`, measuring each
/// metric at `start + k * interval` for `k < count` (a logical clock: the
/// caller decides whether to sleep between measurements).
///
/// A metric stops early once its failure, inconclusive or consecutive-error
/// limit is exceeded (Argo's semantics); otherwise it is successful after
/// `count` measurements, unless every measurement was an error (then it is
/// `Error`: a dead metric source must not promote a rollout).
///
/// # Errors
/// [`Error::Invalid`] when the template does not pass [`AnalysisTemplate::check`];
/// [`Error::NotRecorded`] from the provider (recorded data that does not
/// cover a measurement is an input error, not an error measurement).
pub async fn run_analysis(
    template: &AnalysisTemplate,
    provider: &dyn MetricProvider,
    start: Timestamp,
) -> Result<AnalysisRun> {
    template.check()?;
    let mut metrics = Vec::with_capacity(template.metrics.len());
    let mut finished_at = start;
    for m in &template.metrics {
        let mut run = MetricRun {
            name: m.name.clone(),
            phase: AnalysisPhase::Successful,
            measurements: Vec::new(),
            successful: 0,
            failed: 0,
            inconclusive: 0,
            errors: 0,
        };
        let mut consecutive_errors = 0u32;
        for k in 0..m.count {
            let at = start.add_millis(i64::from(k).saturating_mul(m.interval_ms));
            finished_at = finished_at.max(at);
            let (value, message, phase) = match provider.measure(&m.name, at).await {
                Ok(v) => (Some(v), None, m.evaluate(v)),
                Err(e @ Error::NotRecorded { .. }) => return Err(e),
                Err(e) => (None, Some(e.to_string()), AnalysisPhase::Error),
            };
            match phase {
                AnalysisPhase::Successful => run.successful += 1,
                AnalysisPhase::Failed => run.failed += 1,
                AnalysisPhase::Inconclusive => run.inconclusive += 1,
                AnalysisPhase::Error => run.errors += 1,
            }
            consecutive_errors = if phase == AnalysisPhase::Error {
                consecutive_errors + 1
            } else {
                0
            };
            run.measurements.push(Measurement {
                at,
                value: value.filter(|v| !v.is_nan()),
                phase,
                message,
            });
            if run.failed > m.failure_limit {
                run.phase = AnalysisPhase::Failed;
                break;
            }
            if run.inconclusive > m.inconclusive_limit {
                run.phase = AnalysisPhase::Inconclusive;
                break;
            }
            if consecutive_errors > m.consecutive_error_limit {
                run.phase = AnalysisPhase::Error;
                break;
            }
        }
        // Every measurement errored: no evidence either way. Argo would call
        // this successful when the errors stay within the limit; we report
        // Error so a dead metric source cannot promote a rollout.
        if run.phase == AnalysisPhase::Successful && run.errors as usize == run.measurements.len() {
            run.phase = AnalysisPhase::Error;
        }
        metrics.push(run);
    }
    let phase = metrics
        .iter()
        .map(|m| m.phase)
        .max()
        .unwrap_or(AnalysisPhase::Successful);
    Ok(AnalysisRun {
        template: template.name.clone(),
        phase,
        started_at: start,
        finished_at,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_argo_expressions() {
        assert_eq!(
            Condition::parse_argo("result[0] >= 0.95").unwrap(),
            Condition::AtLeast(0.95)
        );
        assert_eq!(
            Condition::parse_argo("result < 5").unwrap(),
            Condition::Below(5.0)
        );
        assert_eq!(
            Condition::parse_argo("result >= 1 && result <= 3").unwrap(),
            Condition::Between {
                low: 1.0,
                high: 3.0
            }
        );
        assert_eq!(
            Condition::parse_argo("result > 3 || result < 1").unwrap(),
            Condition::Outside {
                low: 1.0,
                high: 3.0
            }
        );
        assert!(Condition::parse_argo("len(result) > 1").is_err());
        assert!(Condition::parse_argo("result >= 3 && result <= 1").is_err());
    }

    #[test]
    fn evaluates_like_argo() {
        let mut m = AnalysisMetric::new("x");
        m.success = Some(Condition::AtLeast(0.95));
        assert_eq!(m.evaluate(0.99), AnalysisPhase::Successful);
        assert_eq!(m.evaluate(0.5), AnalysisPhase::Failed);
        m.failure = Some(Condition::Below(0.5));
        assert_eq!(m.evaluate(0.7), AnalysisPhase::Inconclusive);
        assert_eq!(m.evaluate(0.4), AnalysisPhase::Failed);
        m.success = None;
        assert_eq!(m.evaluate(0.7), AnalysisPhase::Successful);
        assert_eq!(m.evaluate(f64::NAN), AnalysisPhase::Error);
    }
}
