//! The `IntelligentOps` loop.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use aiops_core::{
    Event, EventKind, Incident, IncidentId, SeriesKey, Signal, SignalKind, TimeSeries, Timestamp,
};

use crate::error::{Error, Result};
use crate::ops::report::{
    ActionCounts, IncidentReport, Report, SeriesReport, SeverityCounts, Summary,
};
use crate::ops::traits::{
    ActionRecord, Detector, DetectorFactory, Direction, EventSink, FailurePredictor, FailureQuery,
    MetricSource, RemediationEngine, SeverityAssessor, SeverityContext,
};

/// Settings of the loop. Build with [`OpsConfig::default`] and change fields;
/// [`IntelligentOpsBuilder::build`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsConfig {
    /// An incident resolves after this long without a new anomalous point
    /// (milliseconds of data time). Anomalous points closer than this extend
    /// the open incident instead of opening a new one: no alert storm.
    pub quiet_period_ms: i64,
    /// An incident opens only when this many anomalous points of a series
    /// fall within `open_window_ms` (like Prometheus' `for:`): one stray
    /// point is not an incident. `1` opens on the first anomalous point.
    pub open_after_points: usize,
    /// The window for `open_after_points` (milliseconds of data time).
    pub open_window_ms: i64,
    /// A single point scored at or above this opens an incident at once,
    /// without waiting for `open_after_points` (a value above 1 disables it).
    /// Moderate scores need persistence; an extreme one does not.
    pub open_at_once_score: f64,
    /// How far ahead the failure probability looks (milliseconds).
    pub horizon_ms: i64,
    /// Points of history kept per series for forecasting (bounded memory).
    pub history_len: usize,
    /// Default failure threshold: the operating range (1 % to 99 %
    /// quantiles) of the kept history before the incident's first signal,
    /// widened on each side by this fraction of its width.
    pub failure_margin: f64,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            quiet_period_ms: 24 * 3_600_000,
            open_after_points: 3,
            open_window_ms: 2 * 3_600_000,
            open_at_once_score: 0.9999,
            horizon_ms: 6 * 3_600_000,
            history_len: 4032,
            failure_margin: 0.1,
        }
    }
}

impl OpsConfig {
    fn check(&self) -> Result<()> {
        if self.quiet_period_ms <= 0 {
            return Err(Error::Config {
                field: "quiet_period_ms",
                message: format!("{} must be positive", self.quiet_period_ms),
            });
        }
        if self.open_after_points == 0 {
            return Err(Error::Config {
                field: "open_after_points",
                message: "must be at least 1".to_owned(),
            });
        }
        if self.open_window_ms < 0 {
            return Err(Error::Config {
                field: "open_window_ms",
                message: format!("{} must not be negative", self.open_window_ms),
            });
        }
        if !(self.open_at_once_score.is_finite() && self.open_at_once_score > 0.0) {
            return Err(Error::Config {
                field: "open_at_once_score",
                message: format!(
                    "{} must be a positive number",
                    aiops_core::Num(self.open_at_once_score)
                ),
            });
        }
        if self.horizon_ms <= 0 {
            return Err(Error::Config {
                field: "horizon_ms",
                message: format!("{} must be positive", self.horizon_ms),
            });
        }
        if self.history_len < 16 {
            return Err(Error::Config {
                field: "history_len",
                message: format!("{} is below the minimum of 16 points", self.history_len),
            });
        }
        if !(self.failure_margin.is_finite() && self.failure_margin >= 0.0) {
            return Err(Error::Config {
                field: "failure_margin",
                message: format!(
                    "{} must be a non-negative number",
                    aiops_core::Num(self.failure_margin)
                ),
            });
        }
        Ok(())
    }
}

/// Progress of a run, passed to the callback of [`IntelligentOps::run_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Observations processed so far.
    pub processed: usize,
    /// Total observations, when the source knows it.
    pub total: Option<usize>,
    /// Incidents opened so far.
    pub incidents: usize,
}

/// Builder of [`IntelligentOps`]; see the crate docs for an example.
#[derive(Debug, Default)]
pub struct IntelligentOpsBuilder {
    source: Option<Box<dyn MetricSource>>,
    detectors: Option<Box<dyn DetectorFactory>>,
    predictor: Option<Box<dyn FailurePredictor>>,
    assessor: Option<Box<dyn SeverityAssessor>>,
    remediation: Option<Box<dyn RemediationEngine>>,
    sinks: Vec<Box<dyn EventSink>>,
    thresholds: HashMap<String, (f64, Direction)>,
    security_logs: Vec<(std::path::PathBuf, String)>,
    compliance_paths: Vec<std::path::PathBuf>,
    config: OpsConfig,
}

impl IntelligentOpsBuilder {
    /// Manifests (files or folders of multi-document YAML/JSON, Terraform
    /// plan JSON) to evaluate with `aiops-policy`'s native checks at the
    /// start of the run; the report carries the score and the findings.
    #[cfg(feature = "policy")]
    #[cfg_attr(docsrs, doc(cfg(feature = "policy")))]
    pub fn compliance_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.compliance_paths.push(path.into());
        self
    }

    /// A log file to analyse for threats (brute force, scans, rule matches)
    /// with `aiops-secops`, in a named format (`OpenSSH`, `Linux`, `syslog`,
    /// `jsonl`, ...). Each threat becomes an incident whose response actions
    /// (isolate the source address, notify, open a ticket) run through the
    /// remediation engine's guards.
    #[cfg(feature = "secops")]
    #[cfg_attr(docsrs, doc(cfg(feature = "secops")))]
    pub fn security_log(
        mut self,
        path: impl Into<std::path::PathBuf>,
        format: impl Into<String>,
    ) -> Self {
        self.security_logs.push((path.into(), format.into()));
        self
    }

    /// The metric source (required).
    pub fn source(mut self, source: impl MetricSource + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The detector factory (default: [`crate::ops::default_detectors`]).
    pub fn detectors(mut self, factory: impl DetectorFactory + 'static) -> Self {
        self.detectors = Some(Box::new(factory));
        self
    }

    /// The failure predictor (default: [`crate::ops::default_predictor`]).
    pub fn failure_predictor(mut self, p: impl FailurePredictor + 'static) -> Self {
        self.predictor = Some(Box::new(p));
        self
    }

    /// The severity assessor (default: [`crate::ops::default_assessor`]).
    pub fn severity_assessor(mut self, a: impl SeverityAssessor + 'static) -> Self {
        self.assessor = Some(Box::new(a));
        self
    }

    /// The remediation engine (default: [`crate::ops::default_remediation`], dry run).
    pub fn remediation(mut self, r: impl RemediationEngine + 'static) -> Self {
        self.remediation = Some(Box::new(r));
        self
    }

    /// Adds an event sink; every decision is sent to every sink.
    pub fn sink(mut self, sink: impl EventSink + 'static) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// A known failure threshold for one resource, instead of the default
    /// operating-range rule.
    pub fn failure_threshold(
        mut self,
        resource: impl Into<String>,
        threshold: f64,
        direction: Direction,
    ) -> Self {
        self.thresholds
            .insert(resource.into(), (threshold, direction));
        self
    }

    /// Loop settings.
    pub fn config(mut self, config: OpsConfig) -> Self {
        self.config = config;
        self
    }

    /// Validates the settings and builds the orchestrator.
    pub fn build(self) -> Result<IntelligentOps> {
        self.config.check()?;
        for (resource, (t, _)) in &self.thresholds {
            if !t.is_finite() {
                return Err(Error::Config {
                    field: "failure_threshold",
                    message: format!("threshold {t} for `{resource}` is not finite"),
                });
            }
        }
        let source = self.source.ok_or(Error::Config {
            field: "source",
            message: "a metric source is required".to_owned(),
        })?;
        Ok(IntelligentOps {
            source,
            detectors: self.detectors.unwrap_or_else(crate::ops::default_detectors),
            predictor: self.predictor.unwrap_or_else(crate::ops::default_predictor),
            assessor: self.assessor.unwrap_or_else(crate::ops::default_assessor),
            remediation: self
                .remediation
                .unwrap_or_else(crate::ops::default_remediation),
            sinks: self.sinks,
            thresholds: self.thresholds,
            security_logs: self.security_logs,
            compliance_paths: self.compliance_paths,
            config: self.config,
        })
    }
}

/// The orchestrator: observe, score, group into incidents, forecast failure,
/// assess severity, remediate through guards, and record every decision.
#[derive(Debug)]
pub struct IntelligentOps {
    source: Box<dyn MetricSource>,
    detectors: Box<dyn DetectorFactory>,
    predictor: Box<dyn FailurePredictor>,
    assessor: Box<dyn SeverityAssessor>,
    remediation: Box<dyn RemediationEngine>,
    sinks: Vec<Box<dyn EventSink>>,
    thresholds: HashMap<String, (f64, Direction)>,
    #[cfg_attr(
        not(feature = "secops"),
        allow(dead_code, reason = "only read with the secops feature")
    )]
    security_logs: Vec<(std::path::PathBuf, String)>,
    #[cfg_attr(
        not(feature = "policy"),
        allow(dead_code, reason = "only read with the policy feature")
    )]
    compliance_paths: Vec<std::path::PathBuf>,
    config: OpsConfig,
}

/// Spacings used to learn a series' usual step.
const STEP_SAMPLES: usize = 64;

#[derive(Debug)]
struct SeriesState {
    key: SeriesKey,
    detector: Box<dyn Detector>,
    hist_t: VecDeque<Timestamp>,
    hist_v: VecDeque<f64>,
    last_t: Option<Timestamp>,
    step_ms: Option<i64>,
    step_samples: Vec<i64>,
    points: usize,
    missing: usize,
    gaps: usize,
    anomalous: usize,
    incidents: usize,
    open: Option<usize>,
    /// Anomalous points not yet part of an incident (at most `open_after_points - 1`).
    pending: VecDeque<Signal>,
}

struct Run {
    states: Vec<SeriesState>,
    index: HashMap<SeriesKey, usize>,
    incidents: Vec<Incident>,
    actions: Vec<Vec<ActionRecord>>,
    events: usize,
    open_count: usize,
    compliance: Option<crate::ops::report::ComplianceSummary>,
}

impl IntelligentOps {
    /// A builder with default parts and settings.
    pub fn builder() -> IntelligentOpsBuilder {
        IntelligentOpsBuilder::default()
    }

    /// Runs the loop until the source is exhausted and returns the report.
    pub async fn run(&mut self) -> Result<Report> {
        self.run_with_progress(|_| {}).await
    }

    /// Like [`IntelligentOps::run`], calling `progress` after each batch.
    pub async fn run_with_progress(
        &mut self,
        mut progress: impl FnMut(Progress),
    ) -> Result<Report> {
        let started = Instant::now();
        let total = self.source.size_hint();
        let mut run = Run {
            states: Vec::new(),
            index: HashMap::new(),
            incidents: Vec::new(),
            actions: Vec::new(),
            events: 0,
            open_count: 0,
            compliance: None,
        };
        #[cfg(feature = "policy")]
        self.compliance(&mut run).await?;
        #[cfg(feature = "secops")]
        self.security(&mut run).await?;
        let mut processed = 0usize;
        while let Some(batch) = self.source.next_batch().await? {
            for obs in batch {
                self.observe(&mut run, obs.key, obs.timestamp, obs.value)
                    .await?;
                processed += 1;
            }
            progress(Progress {
                processed,
                total,
                incidents: run.incidents.len(),
            });
        }
        for st in &run.states {
            let skipped = self.source.skipped_rows(&st.key.to_string());
            if st.missing > 0 || st.gaps > 0 || skipped > 0 {
                let at = st.last_t.unwrap_or(Timestamp::EPOCH);
                let detail = format!(
                    "{} missing points, {} gaps and {skipped} rows skipped (out of time order) counted",
                    st.missing, st.gaps
                );
                let ev = Event::new(at, EventKind::DataQuality, None, st.key.to_string(), detail);
                self.emit(&mut run.events, &ev).await?;
            }
        }
        Ok(self.report(run, started))
    }

    #[cfg(feature = "policy")]
    async fn compliance(&self, run: &mut Run) -> Result<()> {
        if self.compliance_paths.is_empty() {
            return Ok(());
        }
        let summary = crate::ops::integrations::compliance_check(&self.compliance_paths)?;
        let detail = format!(
            "score {:.1} over {} documents ({} critical, {} warning, {} info findings)",
            summary.score,
            summary.documents,
            summary.by_severity.critical,
            summary.by_severity.warning,
            summary.by_severity.info
        );
        let ev = Event::new(
            Timestamp::now(),
            EventKind::ComplianceChecked,
            None,
            summary.paths.join(","),
            detail,
        );
        self.emit(&mut run.events, &ev).await?;
        run.compliance = Some(summary);
        Ok(())
    }

    #[cfg(feature = "secops")]
    async fn security(&self, run: &mut Run) -> Result<()> {
        for (path, format) in &self.security_logs {
            let found = crate::ops::integrations::log_threat_incidents(path, format)?;
            for (mut inc, proposed) in found {
                inc.id = IncidentId(run.incidents.len() as u64 + 1);
                let (id, at, resource) = (inc.id, inc.start, inc.resource.clone());
                let ev = Event::new(
                    at,
                    EventKind::IncidentOpened,
                    Some(id),
                    resource.clone(),
                    inc.signals
                        .first()
                        .map(|s| s.detail.clone())
                        .unwrap_or_default(),
                );
                self.emit(&mut run.events, &ev).await?;
                let detail = format!("{}: {}", inc.severity, inc.severity_reasons.join("; "));
                let ev = Event::new(
                    at,
                    EventKind::SeverityAssessed,
                    Some(id),
                    resource.clone(),
                    detail,
                );
                self.emit(&mut run.events, &ev).await?;
                let mut records = Vec::with_capacity(proposed.len());
                for action in &proposed {
                    let r = self.remediation.execute_proposed(&inc, action).await?;
                    let ev = Event::new(
                        at,
                        action_event_kind(r.status),
                        Some(id),
                        resource.clone(),
                        format!("{} {}: {}", r.kind, r.status.as_str(), r.reason),
                    );
                    self.emit(&mut run.events, &ev).await?;
                    records.push(r);
                }
                // An info-level finding also takes the info runbook (record,
                // notify); warning and critical runbooks (scale, fail over)
                // are for resources, not for an attacker's address.
                if inc.severity == aiops_core::Severity::Info {
                    let runbook = self.remediation.remediate(&inc).await?;
                    for r in &runbook {
                        let ev = Event::new(
                            at,
                            action_event_kind(r.status),
                            Some(id),
                            resource.clone(),
                            format!("{} {}: {}", r.kind, r.status.as_str(), r.reason),
                        );
                        self.emit(&mut run.events, &ev).await?;
                    }
                    records.extend(runbook);
                }
                let end = inc.end;
                inc.resolve(end);
                run.incidents.push(inc);
                run.actions.push(records);
            }
        }
        Ok(())
    }

    async fn emit(&self, counter: &mut usize, event: &Event) -> Result<()> {
        for s in &self.sinks {
            s.record(event).await?;
        }
        *counter += 1;
        Ok(())
    }

    async fn observe(&self, run: &mut Run, key: SeriesKey, t: Timestamp, value: f64) -> Result<()> {
        let idx = match run.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = run.states.len();
                run.states.push(SeriesState {
                    detector: self.detectors.create(&key),
                    key: key.clone(),
                    hist_t: VecDeque::new(),
                    hist_v: VecDeque::new(),
                    last_t: None,
                    step_ms: None,
                    step_samples: Vec::new(),
                    points: 0,
                    missing: 0,
                    gaps: 0,
                    anomalous: 0,
                    incidents: 0,
                    open: None,
                    pending: VecDeque::new(),
                });
                run.index.insert(key, i);
                i
            }
        };
        let quiet = self.config.quiet_period_ms;
        let resolve_at;
        {
            let st = &mut run.states[idx];
            if let Some(prev) = st.last_t {
                if t <= prev {
                    return Err(Error::OutOfOrder {
                        series: st.key.to_string(),
                        at: t.to_string(),
                        previous: prev.to_string(),
                    });
                }
                let dt = t.millis_since(prev);
                // The usual step is the median of the first spacings: robust
                // to a stray short or long interval in the warm-up.
                if st.step_samples.len() < STEP_SAMPLES {
                    st.step_samples.push(dt);
                    let mut v = st.step_samples.clone();
                    v.sort_unstable();
                    st.step_ms = Some(v[v.len() / 2]);
                }
                let step = st.step_ms.unwrap_or(dt);
                if dt * 2 > step * 3 {
                    st.gaps += 1;
                }
            }
            st.last_t = Some(t);
            st.points += 1;
            if value.is_nan() {
                st.missing += 1;
            }
            st.hist_t.push_back(t);
            st.hist_v.push_back(value);
            if st.hist_t.len() > self.config.history_len {
                st.hist_t.pop_front();
                st.hist_v.pop_front();
            }
            resolve_at = st.open.and_then(|i| {
                let inc = &run.incidents[i];
                (t.millis_since(inc.end) > quiet).then(|| inc.end.add_millis(quiet))
            });
        }
        if let (Some(at), Some(i)) = (resolve_at, run.states[idx].open) {
            run.incidents[i].resolve(at);
            run.states[idx].open = None;
            run.open_count = run.open_count.saturating_sub(1);
            let inc = &run.incidents[i];
            let detail = format!("no anomalous point for {} h", quiet as f64 / 3.6e6);
            let ev = Event::new(
                at,
                EventKind::IncidentResolved,
                Some(inc.id),
                inc.resource.clone(),
                detail,
            );
            self.emit(&mut run.events, &ev).await?;
        }
        let score = run.states[idx].detector.update(t, value);
        let Some(score) = score else {
            return Ok(());
        };
        if !score.is_finite() || score < self.detectors.threshold() {
            return Ok(());
        }
        run.states[idx].anomalous += 1;
        let resource = run.states[idx].key.to_string();
        let signal = Signal {
            kind: SignalKind::Anomaly,
            source: format!("{}:{}", self.detectors.name(), resource),
            at: t,
            value: score,
            detail: format!("value {} scored {score:.5}", aiops_core::Num(value)),
        };
        match run.states[idx].open {
            Some(i) => {
                let before = run.incidents[i].severity;
                run.incidents[i].push_signal(signal);
                let ctx = SeverityContext {
                    incident: &run.incidents[i],
                    open_incidents: run.open_count,
                    resources: run.states.len(),
                };
                let (sev, reasons) = self.assessor.assess(&ctx);
                let inc = &mut run.incidents[i];
                let id = inc.id;
                let ev = Event::new(
                    t,
                    EventKind::IncidentExtended,
                    Some(id),
                    resource.clone(),
                    format!("score {score:.5}"),
                );
                self.emit(&mut run.events, &ev).await?;
                if sev > before {
                    inc.severity = sev;
                    inc.severity_reasons = reasons;
                    let detail = format!(
                        "escalated {before} -> {sev}: {}",
                        inc.severity_reasons.join("; ")
                    );
                    let ev = Event::new(
                        t,
                        EventKind::SeverityAssessed,
                        Some(id),
                        resource.clone(),
                        detail,
                    );
                    self.emit(&mut run.events, &ev).await?;
                    self.remediate(run, i, t).await?;
                }
            }
            None => {
                let window = self.config.open_window_ms;
                let st = &mut run.states[idx];
                while st
                    .pending
                    .front()
                    .is_some_and(|p| t.millis_since(p.at) > window)
                {
                    st.pending.pop_front();
                }
                st.pending.push_back(signal);
                if st.pending.len() < self.config.open_after_points
                    && score < self.config.open_at_once_score
                {
                    return Ok(());
                }
                let mut evidence = std::mem::take(&mut st.pending).into_iter();
                let Some(first) = evidence.next() else {
                    return Ok(());
                };
                let id = IncidentId(run.incidents.len() as u64 + 1);
                let mut inc = Incident::open(id, resource.clone(), first);
                for s in evidence {
                    inc.push_signal(s);
                }
                inc.labels = run.states[idx].key.labels().clone();
                run.incidents.push(inc);
                run.actions.push(Vec::new());
                let i = run.incidents.len() - 1;
                run.states[idx].open = Some(i);
                run.states[idx].incidents += 1;
                run.open_count += 1;
                let ev = Event::new(
                    t,
                    EventKind::IncidentOpened,
                    Some(id),
                    resource.clone(),
                    format!(
                        "{} points >= {} within {:.1} h; last score {score:.5}",
                        self.config.open_after_points,
                        self.detectors.threshold(),
                        self.config.open_window_ms as f64 / 3.6e6
                    ),
                );
                self.emit(&mut run.events, &ev).await?;
                self.forecast(run, idx, i, t).await?;
                let ctx = SeverityContext {
                    incident: &run.incidents[i],
                    open_incidents: run.open_count,
                    resources: run.states.len(),
                };
                let (sev, reasons) = self.assessor.assess(&ctx);
                let inc = &mut run.incidents[i];
                inc.severity = sev;
                inc.severity_reasons = reasons;
                let detail = format!("{sev}: {}", inc.severity_reasons.join("; "));
                let ev = Event::new(t, EventKind::SeverityAssessed, Some(id), resource, detail);
                self.emit(&mut run.events, &ev).await?;
                self.remediate(run, i, t).await?;
            }
        }
        Ok(())
    }

    async fn forecast(&self, run: &mut Run, idx: usize, i: usize, t: Timestamp) -> Result<()> {
        let st = &run.states[idx];
        let resource = st.key.to_string();
        let finite: Vec<f64> = st
            .hist_v
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if finite.len() < 16 {
            let ev = Event::new(
                t,
                EventKind::ForecastComputed,
                Some(run.incidents[i].id),
                resource,
                format!("skipped: {} points of history", finite.len()),
            );
            return self.emit(&mut run.events, &ev).await;
        }
        let query = match self.thresholds.get(&resource) {
            Some(&(threshold, direction)) => (threshold, direction),
            None => {
                // The operating range is learned from the history before the
                // incident's first signal, so the anomaly does not widen it.
                let start = run.incidents[i].start;
                let mut before: Vec<f64> = st
                    .hist_t
                    .iter()
                    .zip(&st.hist_v)
                    .filter(|(t, v)| **t < start && v.is_finite())
                    .map(|(_, v)| *v)
                    .collect();
                if before.len() < 16 {
                    before = finite.clone();
                }
                before.sort_by(f64::total_cmp);
                let q = |p: f64| before[((before.len() - 1) as f64 * p).round() as usize];
                let (lo, hi, median) = (q(0.01), q(0.99), q(0.5));
                let last = finite[finite.len() - 1];
                let margin = self.config.failure_margin * (hi - lo);
                if last >= median {
                    (hi + margin, Direction::Above)
                } else {
                    (lo - margin, Direction::Below)
                }
            }
        };
        let step = st.step_ms.unwrap_or(1).max(1);
        let horizon_steps = usize::try_from(self.config.horizon_ms / step)
            .unwrap_or(1)
            .max(1);
        let hist = TimeSeries::new(
            st.key.clone(),
            st.hist_t.iter().copied().collect(),
            st.hist_v.iter().copied().collect(),
        )?;
        let q = FailureQuery {
            threshold: query.0,
            direction: query.1,
            horizon_steps,
        };
        let id = run.incidents[i].id;
        match self.predictor.predict(&hist, &q) {
            Ok(pred) => {
                let inc = &mut run.incidents[i];
                inc.failure_probability = Some(pred.probability);
                let dir = match q.direction {
                    Direction::Above => "above",
                    Direction::Below => "below",
                };
                let eta = pred
                    .expected_steps
                    .map(|s| format!(", expected in {:.1} h", s * step as f64 / 3.6e6))
                    .unwrap_or_default();
                let detail = format!(
                    "P(value {dir} {:.3} within {:.1} h) = {:.3} [{}]{eta}",
                    q.threshold,
                    self.config.horizon_ms as f64 / 3.6e6,
                    pred.probability,
                    pred.model
                );
                inc.push_signal(Signal {
                    kind: SignalKind::FailureProbability,
                    source: pred.model.clone(),
                    at: t,
                    value: pred.probability,
                    detail: detail.clone(),
                });
                let ev = Event::new(t, EventKind::ForecastComputed, Some(id), resource, detail);
                self.emit(&mut run.events, &ev).await
            }
            Err(e) => {
                // A failed forecast is recorded and the incident proceeds on its other evidence.
                tracing::warn!(%resource, error = %e, "failure prediction failed");
                let ev = Event::new(
                    t,
                    EventKind::ForecastComputed,
                    Some(id),
                    resource,
                    format!("failed: {e}"),
                );
                self.emit(&mut run.events, &ev).await
            }
        }
    }

    async fn remediate(&self, run: &mut Run, i: usize, t: Timestamp) -> Result<()> {
        let inc = &run.incidents[i];
        let id = inc.id;
        let resource = inc.resource.clone();
        let records = self.remediation.remediate(inc).await?;
        for r in &records {
            let kind = action_event_kind(r.status);
            let detail = format!("{} {}: {}", r.kind, r.status.as_str(), r.reason);
            let ev = Event::new(t, kind, Some(id), resource.clone(), detail);
            self.emit(&mut run.events, &ev).await?;
        }
        run.actions[i].extend(records);
        Ok(())
    }

    fn report(&self, run: Run, started: Instant) -> Report {
        let mut by_severity = SeverityCounts::default();
        let mut actions = ActionCounts::default();
        let incidents: Vec<IncidentReport> = run
            .incidents
            .iter()
            .zip(&run.actions)
            .map(|(inc, acts)| {
                match inc.severity {
                    aiops_core::Severity::Info => by_severity.info += 1,
                    aiops_core::Severity::Warning => by_severity.warning += 1,
                    aiops_core::Severity::Critical => by_severity.critical += 1,
                }
                for a in acts {
                    actions.add(a.status);
                }
                IncidentReport::new(inc, acts)
            })
            .collect();
        let series: Vec<SeriesReport> = run
            .states
            .iter()
            .map(|s| SeriesReport {
                resource: s.key.to_string(),
                points: s.points,
                missing_points: s.missing,
                gaps: s.gaps,
                skipped_rows: self.source.skipped_rows(&s.key.to_string()),
                anomalous_points: s.anomalous,
                incidents: s.incidents,
            })
            .collect();
        Report {
            summary: Summary {
                series: series.len(),
                points: series.iter().map(|s| s.points).sum(),
                missing_points: series.iter().map(|s| s.missing_points).sum(),
                gaps: series.iter().map(|s| s.gaps).sum(),
                skipped_rows: series.iter().map(|s| s.skipped_rows).sum(),
                incidents: incidents.len(),
                by_severity,
                actions,
                events: run.events,
                detector: self.detectors.name().to_owned(),
                elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            },
            incidents,
            series,
            compliance: run.compliance,
            core_incidents: run.incidents,
        }
    }
}

fn action_event_kind(status: crate::ops::traits::ActionStatus) -> EventKind {
    use crate::ops::traits::ActionStatus;
    match status {
        ActionStatus::Planned => EventKind::ActionPlanned,
        ActionStatus::Executed | ActionStatus::DryRun => EventKind::ActionExecuted,
        ActionStatus::Blocked | ActionStatus::Skipped => EventKind::ActionBlocked,
        ActionStatus::Failed => EventKind::ActionFailed,
    }
}
