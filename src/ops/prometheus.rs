//! Prometheus in, scores and alerts out (`aiops-prometheus`).
//!
//! - [`PrometheusSource`]: a [`MetricSource`] over a PromQL query: a history
//!   range, then optional polling of the points since the last evaluation.
//! - [`AlertmanagerSink`]: an [`EventSink`] that posts incidents to
//!   Alertmanager (open: firing with `startsAt`; resolved: `endsAt`) and
//!   tracks each incident's alert.
//! - [`RecordScores`] plus [`report_snapshot`] / [`export_report`]: a run's
//!   anomaly scores, failure probabilities and incident states as Prometheus
//!   metrics, for a [`MetricsServer`](aiops_prometheus::MetricsServer) and a
//!   Pushgateway.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use aiops::IntelligentOps;
//! use aiops::ops::prometheus::{AlertmanagerSink, PrometheusSource, RecordScores, export_report};
//! use aiops::prometheus::{AlertmanagerClient, Grouping, PrometheusClient, Pushgateway, ResultMetrics};
//!
//! let prom = PrometheusClient::new("http://127.0.0.1:9090")?;
//! let source = PrometheusSource::new(
//!     prom,
//!     "rate(node_cpu_seconds_total[1m])",
//!     Duration::from_secs(15),
//!     Duration::from_secs(600),
//! )?;
//! let detectors = RecordScores::new(aiops::ops::default_detectors());
//! let scores = detectors.scores();
//! let mut ops = IntelligentOps::builder()
//!     .source(source)
//!     .detectors(detectors)
//!     .sink(AlertmanagerSink::new(AlertmanagerClient::new("http://127.0.0.1:9093")?))
//!     .build()?;
//! let report = ops.run().await?;
//! let metrics = ResultMetrics::new();
//! let gateway = Pushgateway::new("http://127.0.0.1:9091")?;
//! export_report(&report, Some(&scores), &metrics, Some((&gateway, &Grouping::new("aiops")?))).await?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiops_core::{Event, EventKind, IncidentStatus, SeriesKey, Severity, Timestamp};
use aiops_prometheus::{
    AlertNotifier, AlertState, AlertmanagerClient, ConvertStats, Grouping, IncidentMetrics,
    PostableAlert, PrometheusClient, Pushgateway, RangeStream, ResultMetrics, ResultsSnapshot,
    SeriesMetrics,
};
use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ops::report::Report;
use crate::ops::traits::{Detector, DetectorFactory, EventSink, MetricSource};

/// A [`MetricSource`] over a PromQL query: the first batch is the history
/// range (`history` back from now, at `step`); with [`Self::follow`], each
/// later batch waits `interval` and returns the points evaluated since (an
/// empty batch when no step has passed). Series are keyed by `__name__` (or
/// the query, when the query drops it) and labels.
///
/// Missing data is explicit: NaN and stale samples, infinities, and steps
/// where a series has no sample become missing (NaN) points, which the
/// orchestrator counts per series; [`Self::stats`] has the totals.
#[derive(Debug)]
pub struct PrometheusSource {
    name: String,
    stream: RangeStream,
    started: bool,
    interval: Duration,
    polls_left: Option<usize>,
    follow: bool,
}

impl PrometheusSource {
    /// A source reading `history` of `query` at `step`.
    pub fn new(
        client: PrometheusClient,
        query: impl Into<String>,
        step: Duration,
        history: Duration,
    ) -> Result<Self> {
        let query = query.into();
        let ms = |d: Duration, field: &'static str| {
            i64::try_from(d.as_millis()).map_err(|_| Error::Config {
                field,
                message: format!("{d:?} is too long"),
            })
        };
        let stream = RangeStream::new(
            client.clone(),
            query.clone(),
            ms(step, "step")?,
            ms(history, "history")?,
        )
        .map_err(|e| Error::Config {
            field: "prometheus",
            message: e.to_string(),
        })?;
        Ok(PrometheusSource {
            name: format!("prometheus {} {query}", client.url()),
            stream,
            started: false,
            interval: step,
            polls_left: Some(0),
            follow: false,
        })
    }

    /// After the history, poll every `interval` for new points; `polls`
    /// limits the number of polls (`None`: until the run is stopped).
    pub fn follow(mut self, interval: Duration, polls: Option<usize>) -> Self {
        self.follow = true;
        self.interval = interval;
        self.polls_left = polls;
        self
    }

    /// NaN, infinite and absent point counts so far.
    pub fn stats(&self) -> &ConvertStats {
        self.stream.stats()
    }

    fn err(&self, e: aiops_prometheus::Error) -> Error {
        Error::Source {
            source_name: self.name.clone(),
            message: e.to_string(),
        }
    }
}

#[async_trait]
impl MetricSource for PrometheusSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn next_batch(&mut self) -> Result<Option<Vec<aiops_core::Observation>>> {
        if self.started {
            if !self.follow {
                return Ok(None);
            }
            match &mut self.polls_left {
                Some(0) => return Ok(None),
                Some(n) => *n -= 1,
                None => {}
            }
            tokio::time::sleep(self.interval).await;
        }
        self.started = true;
        let batch = self
            .stream
            .poll(Timestamp::now())
            .await
            .map_err(|e| self.err(e))?;
        Ok(Some(batch))
    }
}

/// An [`EventSink`] posting incidents to Alertmanager's v2 API.
///
/// An incident's alert fires when its severity is first assessed (right
/// after it opens, at the same data time), with labels `alertname`,
/// `incident`, `resource` and `severity`, `startsAt` the opening time, the
/// audit details as annotations and an optional `generatorURL`. A severity
/// escalation resolves the alert of the old severity and fires one with the
/// new severity (the label set is an alert's identity in Alertmanager). On
/// `IncidentResolved` the alert is posted again with `endsAt`. Failed posts
/// are retried by the client, then returned as [`Error::Sink`], which stops
/// the run: alerts are not lost silently.
#[derive(Debug)]
pub struct AlertmanagerSink {
    notifier: AlertNotifier,
    alertname: String,
    generator_url: Option<String>,
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug, Clone)]
struct Pending {
    alert: PostableAlert,
    key: Option<String>,
}

impl AlertmanagerSink {
    /// A sink posting through `client`, with alert name `AiopsIncident`.
    pub fn new(client: AlertmanagerClient) -> Self {
        AlertmanagerSink {
            notifier: AlertNotifier::new(client),
            alertname: "AiopsIncident".to_owned(),
            generator_url: None,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The `alertname` label.
    pub fn alertname(mut self, name: impl Into<String>) -> Self {
        self.alertname = name.into();
        self
    }

    /// The `generatorURL` of every alert (e.g. the Prometheus graph of the query).
    pub fn generator_url(mut self, url: impl Into<String>) -> Self {
        self.generator_url = Some(url.into());
        self
    }

    /// Every alert posted, by `INC-0001/severity`, with its state
    /// (firing or resolved, posts, last error).
    pub fn states(&self) -> BTreeMap<String, AlertState> {
        self.notifier.states()
    }

    /// Re-posts firing alerts (Alertmanager resolves an alert that is not
    /// re-posted within its `resolve_timeout`, 5 minutes by default).
    pub async fn refresh(&self) -> Result<usize> {
        self.notifier
            .refresh()
            .await
            .map_err(|e| Error::Sink(e.to_string()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn fire(&self, id: &str, severity: Severity, at: Timestamp) -> Result<()> {
        let key = format!("{id}/{severity}");
        let (previous, alert) = {
            let mut map = self.lock();
            let Some(p) = map.get_mut(id) else {
                return Ok(());
            };
            let mut alert = p.alert.clone();
            alert
                .labels
                .insert("severity".to_owned(), severity.as_str().to_owned());
            (p.key.replace(key.clone()), alert)
        };
        if let Some(old) = previous.filter(|old| *old != key) {
            // Escalation: the old severity's alert ends when the new one starts.
            self.notifier
                .resolve(&old, at)
                .await
                .map_err(|e| Error::Sink(e.to_string()))?;
        }
        self.notifier
            .fire(&key, alert)
            .await
            .map_err(|e| Error::Sink(e.to_string()))
    }
}

/// The severity in a `SeverityAssessed` detail: `critical: ...` or
/// `escalated warning -> critical: ...`.
fn assessed_severity(detail: &str) -> Option<Severity> {
    let head = detail.split(':').next()?;
    let name = head.rsplit("-> ").next()?;
    name.trim().parse().ok()
}

#[async_trait]
impl EventSink for AlertmanagerSink {
    async fn record(&self, event: &Event) -> Result<()> {
        let Some(incident) = event.incident else {
            return Ok(());
        };
        let id = incident.to_string();
        match event.kind {
            EventKind::IncidentOpened => {
                let mut alert = PostableAlert::new([
                    ("alertname", self.alertname.as_str()),
                    ("incident", id.as_str()),
                    ("resource", event.resource.as_str()),
                ])
                .map_err(|e| Error::Sink(e.to_string()))?
                .annotate(
                    "summary",
                    format!("{id} on {}: {}", event.resource, event.detail),
                )
                .starts_at(event.at);
                if let Some(u) = &self.generator_url {
                    alert = alert.generator_url(u.clone());
                }
                self.lock().insert(id, Pending { alert, key: None });
                Ok(())
            }
            EventKind::ForecastComputed => {
                if let Some(p) = self.lock().get_mut(&id) {
                    p.alert
                        .annotations
                        .insert("forecast".to_owned(), event.detail.clone());
                }
                Ok(())
            }
            EventKind::SeverityAssessed => {
                let severity = assessed_severity(&event.detail).unwrap_or(Severity::Info);
                if let Some(p) = self.lock().get_mut(&id) {
                    p.alert
                        .annotations
                        .insert("description".to_owned(), event.detail.clone());
                }
                self.fire(&id, severity, event.at).await
            }
            EventKind::IncidentResolved => {
                let key = self.lock().get(&id).and_then(|p| p.key.clone());
                let key = match key {
                    Some(k) => k,
                    None => {
                        // Never assessed: fire it first so the resolution is visible.
                        self.fire(&id, Severity::Info, event.at).await?;
                        format!("{id}/{}", Severity::Info)
                    }
                };
                self.lock().remove(&id);
                self.notifier
                    .resolve(&key, event.at)
                    .await
                    .map_err(|e| Error::Sink(e.to_string()))
            }
            _ => Ok(()),
        }
    }
}

/// The latest anomaly score of each series, shared with [`RecordScores`].
#[derive(Debug, Clone, Default)]
pub struct LastScores(Arc<Mutex<HashMap<String, (Timestamp, f64)>>>);

impl LastScores {
    /// A snapshot: series (`name{labels}`) to (time, score).
    pub fn snapshot(&self) -> HashMap<String, (Timestamp, f64)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Wraps a [`DetectorFactory`] and records every score its detectors give
/// (per series, the latest), so the exporter can publish current scores and
/// not only those that became incident evidence.
#[derive(Debug)]
pub struct RecordScores<F> {
    inner: F,
    scores: LastScores,
}

impl<F: DetectorFactory> RecordScores<F> {
    /// Records the scores of `inner`'s detectors.
    pub fn new(inner: F) -> Self {
        RecordScores {
            inner,
            scores: LastScores::default(),
        }
    }

    /// The shared score table (clone it before handing the factory over).
    pub fn scores(&self) -> LastScores {
        self.scores.clone()
    }
}

impl<F: DetectorFactory> DetectorFactory for RecordScores<F> {
    fn create(&self, key: &SeriesKey) -> Box<dyn Detector> {
        Box::new(Recording {
            inner: self.inner.create(key),
            series: key.to_string(),
            scores: self.scores.clone(),
        })
    }

    fn threshold(&self) -> f64 {
        self.inner.threshold()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

impl DetectorFactory for Box<dyn DetectorFactory> {
    fn create(&self, key: &SeriesKey) -> Box<dyn Detector> {
        (**self).create(key)
    }

    fn threshold(&self) -> f64 {
        (**self).threshold()
    }

    fn name(&self) -> &str {
        (**self).name()
    }
}

#[derive(Debug)]
struct Recording {
    inner: Box<dyn Detector>,
    series: String,
    scores: LastScores,
}

impl Detector for Recording {
    fn update(&mut self, t: Timestamp, value: f64) -> Option<f64> {
        let s = self.inner.update(t, value);
        if let Some(v) = s.filter(|v| v.is_finite()) {
            self.scores
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(self.series.clone(), (t, v));
        }
        s
    }
}

/// A report (and optionally the latest scores) as a metrics snapshot.
pub fn report_snapshot(report: &Report, scores: Option<&LastScores>) -> ResultsSnapshot {
    let last = scores.map(LastScores::snapshot).unwrap_or_default();
    let mut max_by_series: HashMap<&str, f64> = HashMap::new();
    let mut incidents = Vec::with_capacity(report.incidents.len());
    for inc in &report.incidents {
        let peak = inc
            .signals
            .iter()
            .filter(|s| s.kind == "anomaly" && s.value.is_finite())
            .map(|s| s.value)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        if let Some(p) = peak {
            let e = max_by_series.entry(inc.resource.as_str()).or_insert(p);
            *e = e.max(p);
        }
        let core = report
            .core_incidents
            .iter()
            .find(|c| c.id.to_string() == inc.id);
        let parse = |s: &str| Timestamp::parse(s).unwrap_or(Timestamp::EPOCH);
        incidents.push(IncidentMetrics {
            id: inc.id.clone(),
            resource: inc.resource.clone(),
            severity: inc.severity,
            open: inc.status == IncidentStatus::Open,
            start: core.map_or_else(|| parse(&inc.start), |c| c.start),
            end: core.map_or_else(|| parse(&inc.end), |c| c.end),
            peak_score: peak,
            failure_probability: inc.failure_probability,
        });
    }
    let series = report
        .series
        .iter()
        .map(|s| SeriesMetrics {
            series: s.resource.clone(),
            points: s.points,
            missing_points: s.missing_points,
            anomalous_points: s.anomalous_points,
            incidents: s.incidents,
            last_score: last.get(&s.resource).map(|x| x.1),
            max_score: max_by_series.get(s.resource.as_str()).copied(),
        })
        .collect();
    let at = last.values().map(|x| x.0).max();
    ResultsSnapshot {
        series,
        incidents,
        at,
    }
}

/// Updates `metrics` from a report and, when given, pushes them to the
/// Pushgateway group (retried, then [`Error::Sink`]: a failed push is
/// reported, not lost).
pub async fn export_report(
    report: &Report,
    scores: Option<&LastScores>,
    metrics: &ResultMetrics,
    push: Option<(&Pushgateway, &Grouping)>,
) -> Result<()> {
    metrics.update(&report_snapshot(report, scores));
    if let Some((gateway, grouping)) = push {
        metrics
            .push(gateway, grouping)
            .await
            .map_err(|e| Error::Sink(format!("push to the Pushgateway failed: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_is_read_from_both_detail_forms() {
        assert_eq!(
            assessed_severity("critical: a; b"),
            Some(Severity::Critical)
        );
        assert_eq!(
            assessed_severity("escalated warning -> critical: x"),
            Some(Severity::Critical)
        );
        assert_eq!(assessed_severity("nonsense"), None);
    }
}

#[cfg(test)]
mod adapter_tests {
    use std::sync::{Arc, Mutex};

    use std::io::{Read, Write};

    use super::*;
    use crate::{IntelligentOps, OpsConfig};

    /// A detector scoring 1 above 100, else 0.
    #[derive(Debug)]
    struct Above100;
    #[derive(Debug)]
    struct Above100Detector;
    impl Detector for Above100Detector {
        fn update(&mut self, _t: Timestamp, value: f64) -> Option<f64> {
            (!value.is_nan()).then_some(if value > 100.0 { 1.0 } else { 0.0 })
        }
    }
    impl DetectorFactory for Above100 {
        fn create(&self, _key: &SeriesKey) -> Box<dyn Detector> {
            Box::new(Above100Detector)
        }
        fn threshold(&self) -> f64 {
            0.5
        }
        fn name(&self) -> &str {
            "above100"
        }
    }

    type Seen = Arc<Mutex<Vec<(String, String)>>>;

    /// A mock of Prometheus' `query_range` (one series, a spike at steps
    /// 20..23 of the requested grid) and Alertmanager's `POST /api/v2/alerts`.
    fn mock() -> (String, Seen) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Seen = Arc::default();
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(mut sock) = sock else { return };
                let log = Arc::clone(&log);
                {
                    let mut buf = Vec::new();
                    let mut tmp = [0u8; 8192];
                    loop {
                        let n = sock.read(&mut tmp).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&tmp[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let len = head
                            .lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            .map_or(0, |(_, v)| v.trim().parse().unwrap());
                        if body.len() < len {
                            continue;
                        }
                        let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                        log.lock().unwrap().push((target.clone(), body.to_owned()));
                        let reply = if target.starts_with("/api/v1/query_range") {
                            let p = |k: &str| -> f64 {
                                let q = target.split_once('?').unwrap().1;
                                q.split('&')
                                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                                    .unwrap()
                                    .parse()
                                    .unwrap()
                            };
                            let (start, end, step) = (p("start"), p("end"), p("step"));
                            let mut values = Vec::new();
                            let mut i = 0;
                            while start + step * f64::from(i) <= end {
                                let v = if (20..23).contains(&i) { 500 } else { 1 };
                                values.push(format!("[{},\"{v}\"]", start + step * f64::from(i)));
                                i += 1;
                            }
                            format!(
                                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"load","host":"a"}},"values":[{}]}}]}}}}"#,
                                values.join(",")
                            )
                        } else {
                            String::new()
                        };
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                            reply.len()
                        );
                        let _ = sock.write_all(resp.as_bytes());
                        break;
                    }
                }
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn prometheus_in_alerts_and_metrics_out() {
        let (url, seen) = mock();
        let source = PrometheusSource::new(
            PrometheusClient::new(&url).unwrap(),
            "load",
            Duration::from_secs(1),
            Duration::from_secs(59),
        )
        .unwrap();
        let detectors = RecordScores::new(Above100);
        let scores = detectors.scores();
        let sink = AlertmanagerSink::new(AlertmanagerClient::new(&url).unwrap())
            .generator_url("http://prom/graph");
        let config = OpsConfig {
            quiet_period_ms: 10_000,
            ..OpsConfig::default()
        };
        let mut ops = IntelligentOps::builder()
            .source(source)
            .detectors(detectors)
            .sink(sink)
            .config(config)
            .build()
            .unwrap();
        let report = ops.run().await.unwrap();
        assert_eq!(report.summary.points, 60);
        assert_eq!(report.incidents.len(), 1);
        let inc = &report.incidents[0];
        assert_eq!(inc.status, IncidentStatus::Resolved);
        assert_eq!(inc.resource, r#"load{host="a"}"#);

        let posts: Vec<serde_json::Value> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| t == "/api/v2/alerts")
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect();
        assert!(posts.len() >= 2, "{posts:?}");
        let first = &posts[0][0];
        assert_eq!(first["labels"]["incident"], "INC-0001");
        assert_eq!(first["labels"]["resource"], r#"load{host="a"}"#);
        assert_eq!(first["labels"]["severity"], inc.severity.as_str());
        assert_eq!(first["startsAt"].as_str().unwrap(), inc.start);
        assert_eq!(first["generatorURL"], "http://prom/graph");
        assert!(first.get("endsAt").is_none());
        let last = &posts[posts.len() - 1][0];
        assert_eq!(last["endsAt"].as_str(), inc.resolved_at.as_deref());
        assert_eq!(last["labels"], first["labels"]);

        let metrics = ResultMetrics::new();
        export_report(&report, Some(&scores), &metrics, None)
            .await
            .unwrap();
        let text = metrics.encode().unwrap();
        let series = r#"series="load{host=\"a\"}""#;
        assert!(
            text.contains(&format!("aiops_anomaly_score{{{series}}} 0.0")),
            "{text}"
        );
        assert!(
            text.contains(&format!("aiops_anomaly_score_max{{{series}}} 1.0")),
            "{text}"
        );
        assert!(
            text.contains(&format!("aiops_series_anomalous_points{{{series}}} 3.0")),
            "{text}"
        );
        assert!(
            text.contains(r#"aiops_incident_open{incident="INC-0001""#),
            "{text}"
        );
        assert!(text.contains(r#"status="resolved"} 1.0"#), "{text}");
    }
}
