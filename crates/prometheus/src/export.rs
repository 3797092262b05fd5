//! Results as Prometheus metrics: anomaly scores, failure probabilities and
//! incident states in the text exposition format (`prometheus-client`),
//! served on an HTTP endpoint and pushed to a Pushgateway.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use aiops_core::{Severity, Timestamp};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::{Error, Result};
use crate::pushgateway::{Grouping, PushMode, Pushgateway};

/// Scores and data quality of one series, as exported.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesMetrics {
    /// The series, in `name{label="value"}` form (the `series` label).
    pub series: String,
    /// Points observed, missing ones included.
    pub points: usize,
    /// Missing points (NaN, stale, absent).
    pub missing_points: usize,
    /// Points scored at or above the alert threshold.
    pub anomalous_points: usize,
    /// Incidents opened on the series.
    pub incidents: usize,
    /// The latest anomaly score, when known.
    pub last_score: Option<f64>,
    /// The highest anomaly score that was evidence of an incident.
    pub max_score: Option<f64>,
}

/// State of one incident, as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentMetrics {
    /// `INC-0001`, ...
    pub id: String,
    /// The affected resource (series).
    pub resource: String,
    /// Assessed severity.
    pub severity: Severity,
    /// True while open, false once resolved.
    pub open: bool,
    /// First signal.
    pub start: Timestamp,
    /// Last signal.
    pub end: Timestamp,
    /// Highest anomaly score among its signals.
    pub peak_score: Option<f64>,
    /// Probability of failure within the horizon, when computed.
    pub failure_probability: Option<f64>,
}

/// Everything one export shows: replaces the previous snapshot whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultsSnapshot {
    /// Per-series scores and counts.
    pub series: Vec<SeriesMetrics>,
    /// Incidents and their states.
    pub incidents: Vec<IncidentMetrics>,
    /// Data time the snapshot refers to.
    pub at: Option<Timestamp>,
}

type Labels = Vec<(String, String)>;
type GaugeF = Gauge<f64, AtomicU64>;
type Fam = Family<Labels, GaugeF>;

/// The registry of result metrics (every name starts with `aiops_`):
///
/// | metric | labels | meaning |
/// | --- | --- | --- |
/// | `aiops_anomaly_score` | `series` | latest anomaly score in [0, 1] |
/// | `aiops_anomaly_score_max` | `series` | highest score that was incident evidence |
/// | `aiops_series_points` | `series` | points observed |
/// | `aiops_series_missing_points` | `series` | missing points (NaN, stale, absent) |
/// | `aiops_series_anomalous_points` | `series` | points at or above the threshold |
/// | `aiops_series_incidents` | `series` | incidents opened |
/// | `aiops_incident_open` | `incident`, `resource`, `severity` | 1 open, 0 resolved |
/// | `aiops_incident_failure_probability` | `incident`, `resource` | P(failure) within the horizon |
/// | `aiops_incident_peak_score` | `incident`, `resource` | highest anomaly score |
/// | `aiops_incident_start_timestamp_seconds` | `incident`, `resource` | first signal |
/// | `aiops_incident_end_timestamp_seconds` | `incident`, `resource` | last signal |
/// | `aiops_incidents` | `severity`, `status` | incident count |
/// | `aiops_snapshot_timestamp_seconds` | | data time of the snapshot |
///
/// All are gauges: a snapshot replaces the previous one, and gauges push
/// cleanly through a Pushgateway.
#[derive(Debug)]
pub struct ResultMetrics {
    registry: Registry,
    score: Fam,
    score_max: Fam,
    points: Fam,
    missing: Fam,
    anomalous: Fam,
    series_incidents: Fam,
    incident_open: Fam,
    failure_probability: Fam,
    peak_score: Fam,
    start: Fam,
    end: Fam,
    incidents: Fam,
    snapshot_time: Fam,
}

impl Default for ResultMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ResultMetrics {
    /// An empty registry with every family registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("aiops");
        let mut fam = |name: &str, help: &str| {
            let f = Fam::default();
            registry.register(name, help, f.clone());
            f
        };
        let score = fam(
            "anomaly_score",
            "Latest anomaly score of the series, in [0, 1].",
        );
        let score_max = fam(
            "anomaly_score_max",
            "Highest anomaly score of the series that was evidence of an incident.",
        );
        let points = fam("series_points", "Points observed, missing ones included.");
        let missing = fam(
            "series_missing_points",
            "Missing points (NaN, stale or absent samples), counted not dropped.",
        );
        let anomalous = fam(
            "series_anomalous_points",
            "Points scored at or above the alert threshold.",
        );
        let series_incidents = fam("series_incidents", "Incidents opened on the series.");
        let incident_open = fam(
            "incident_open",
            "1 while the incident is open, 0 once resolved.",
        );
        let failure_probability = fam(
            "incident_failure_probability",
            "Probability of failure within the forecast horizon.",
        );
        let peak_score = fam(
            "incident_peak_score",
            "Highest anomaly score of the incident.",
        );
        let start = fam(
            "incident_start_timestamp_seconds",
            "Time of the incident's first signal.",
        );
        let end = fam(
            "incident_end_timestamp_seconds",
            "Time of the incident's last signal.",
        );
        let incidents = fam("incidents", "Incidents by severity and status.");
        let snapshot_time = fam(
            "snapshot_timestamp_seconds",
            "Data time the exported results refer to.",
        );
        ResultMetrics {
            registry,
            score,
            score_max,
            points,
            missing,
            anomalous,
            series_incidents,
            incident_open,
            failure_probability,
            peak_score,
            start,
            end,
            incidents,
            snapshot_time,
        }
    }

    /// Replaces the exported values with `snap` (series and incidents not
    /// in it disappear from the exposition).
    pub fn update(&self, snap: &ResultsSnapshot) {
        for f in self.families() {
            f.clear();
        }
        for s in &snap.series {
            let l = vec![("series".to_owned(), s.series.clone())];
            set(&self.points, &l, s.points as f64);
            set(&self.missing, &l, s.missing_points as f64);
            set(&self.anomalous, &l, s.anomalous_points as f64);
            set(&self.series_incidents, &l, s.incidents as f64);
            if let Some(v) = s.last_score.filter(|v| v.is_finite()) {
                set(&self.score, &l, v);
            }
            if let Some(v) = s.max_score.filter(|v| v.is_finite()) {
                set(&self.score_max, &l, v);
            }
        }
        let mut counts = std::collections::BTreeMap::new();
        for inc in &snap.incidents {
            let base = vec![
                ("incident".to_owned(), inc.id.clone()),
                ("resource".to_owned(), inc.resource.clone()),
            ];
            let mut with_sev = base.clone();
            with_sev.push(("severity".to_owned(), inc.severity.as_str().to_owned()));
            set(
                &self.incident_open,
                &with_sev,
                if inc.open { 1.0 } else { 0.0 },
            );
            if let Some(p) = inc.failure_probability.filter(|v| v.is_finite()) {
                set(&self.failure_probability, &base, p);
            }
            if let Some(p) = inc.peak_score.filter(|v| v.is_finite()) {
                set(&self.peak_score, &base, p);
            }
            set(&self.start, &base, inc.start.as_secs_f64());
            set(&self.end, &base, inc.end.as_secs_f64());
            let status = if inc.open { "open" } else { "resolved" };
            *counts.entry((inc.severity, status)).or_insert(0usize) += 1;
        }
        for sev in Severity::ALL {
            for status in ["open", "resolved"] {
                let n = counts.get(&(sev, status)).copied().unwrap_or(0);
                let l = vec![
                    ("severity".to_owned(), sev.as_str().to_owned()),
                    ("status".to_owned(), status.to_owned()),
                ];
                set(&self.incidents, &l, n as f64);
            }
        }
        if let Some(t) = snap.at {
            set(&self.snapshot_time, &Vec::new(), t.as_secs_f64());
        }
    }

    fn families(&self) -> [&Fam; 13] {
        [
            &self.score,
            &self.score_max,
            &self.points,
            &self.missing,
            &self.anomalous,
            &self.series_incidents,
            &self.incident_open,
            &self.failure_probability,
            &self.peak_score,
            &self.start,
            &self.end,
            &self.incidents,
            &self.snapshot_time,
        ]
    }

    /// The OpenMetrics text exposition (ends with `# EOF`), for scrapes.
    pub fn encode(&self) -> Result<String> {
        let mut s = String::new();
        encode_registry(&mut s, &self.registry).map_err(|e| Error::Encode(e.to_string()))?;
        encode_eof(&mut s).map_err(|e| Error::Encode(e.to_string()))?;
        Ok(s)
    }

    /// The exposition without the OpenMetrics `# EOF` line: the text format
    /// the Pushgateway parses (gauges only, so both formats agree).
    pub fn encode_text(&self) -> Result<String> {
        let mut s = String::new();
        encode_registry(&mut s, &self.registry).map_err(|e| Error::Encode(e.to_string()))?;
        Ok(s)
    }

    /// Pushes the current values to a Pushgateway group (`PUT`: the group's
    /// previous metrics are replaced). Retried per the client's settings,
    /// then an error.
    pub async fn push(&self, gateway: &Pushgateway, grouping: &Grouping) -> Result<()> {
        let text = self.encode_text()?;
        gateway.push(grouping, &text, PushMode::Replace).await
    }
}

fn set(f: &Fam, labels: &Labels, v: f64) {
    f.get_or_create(labels).set(v);
}

/// Content type of [`ResultMetrics::encode`].
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// An HTTP endpoint serving `GET /metrics` from a [`ResultMetrics`]
/// (hyper 1, HTTP/1.1). It runs on a tokio task until [`Self::shutdown`]
/// or drop.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    /// Binds `addr` (port 0 picks a free port) and starts serving. Must be
    /// called within a tokio runtime.
    pub async fn bind(addr: SocketAddr, metrics: Arc<ResultMetrics>) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Server {
                addr: addr.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Server {
            addr: addr.to_string(),
            source,
        })?;
        let task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "metrics endpoint: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let metrics = Arc::clone(&metrics);
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let metrics = Arc::clone(&metrics);
                        async move { Ok::<_, Infallible>(respond(&metrics, &req)) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    if let Err(e) = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await
                    {
                        tracing::debug!(%peer, error = %e, "metrics endpoint: connection error");
                    }
                });
            }
        });
        Ok(MetricsServer { addr, task })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The scrape URL (`http://addr/metrics`).
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// Stops accepting connections.
    pub fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn respond(metrics: &ResultMetrics, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, ctype: &'static str, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(ctype),
        );
        r
    };
    if req.uri().path() != "/metrics" {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found; metrics are at /metrics\n".to_owned(),
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".to_owned(),
        );
    }
    match metrics.encode() {
        Ok(text) => reply(StatusCode::OK, OPENMETRICS_CONTENT_TYPE, text),
        Err(e) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("{e}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_replaces_previous_values() {
        let m = ResultMetrics::new();
        m.update(&ResultsSnapshot {
            series: vec![SeriesMetrics {
                series: "cpu{mode=\"idle\"}".into(),
                points: 10,
                missing_points: 2,
                last_score: Some(0.5),
                ..SeriesMetrics::default()
            }],
            incidents: vec![IncidentMetrics {
                id: "INC-0001".into(),
                resource: "cpu".into(),
                severity: Severity::Warning,
                open: true,
                start: Timestamp::from_secs(10),
                end: Timestamp::from_secs(20),
                peak_score: Some(0.999),
                failure_probability: Some(0.3),
            }],
            at: Some(Timestamp::from_secs(30)),
        });
        let text = m.encode().unwrap();
        assert!(
            text.contains("aiops_series_missing_points{series=\"cpu{mode=\\\"idle\\\"}\"} 2.0"),
            "{text}"
        );
        assert!(
            text.contains("aiops_anomaly_score{series=\"cpu{mode=\\\"idle\\\"}\"} 0.5"),
            "{text}"
        );
        assert!(text.contains("aiops_incident_open{incident=\"INC-0001\",resource=\"cpu\",severity=\"warning\"} 1.0"), "{text}");
        assert!(
            text.contains(
                "aiops_incident_failure_probability{incident=\"INC-0001\",resource=\"cpu\"} 0.3"
            ),
            "{text}"
        );
        assert!(
            text.contains("aiops_incidents{severity=\"warning\",status=\"open\"} 1.0"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
        assert!(!m.encode_text().unwrap().contains("# EOF"));
        m.update(&ResultsSnapshot::default());
        let text = m.encode().unwrap();
        assert!(!text.contains("INC-0001"), "{text}");
        assert!(
            text.contains("aiops_incidents{severity=\"warning\",status=\"open\"} 0.0"),
            "{text}"
        );
    }
}
