//! Alertmanager v2 client (`POST`/`GET /api/v2/alerts`) and an incident
//! notifier that tracks which alerts fire and which are resolved.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aiops_core::{Incident, IncidentStatus, Timestamp};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::http::{HttpConfig, Request, Transport, join, parse_base, shown_url, snippet};
use crate::pushgateway::valid_label_name;

/// An alert as Alertmanager's `POST /api/v2/alerts` takes it.
///
/// `starts_at`/`ends_at` are RFC 3339. An alert with `ends_at` in the past
/// is resolved; without `ends_at` Alertmanager resolves it after its
/// `resolve_timeout` unless it is posted again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    /// Identity and routing labels (`alertname`, `severity`, ...).
    pub labels: BTreeMap<String, String>,
    /// Descriptive annotations (`summary`, `description`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// When the problem started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// A link back to what produced the alert.
    #[serde(
        default,
        rename = "generatorURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub generator_url: Option<String>,
}

impl PostableAlert {
    /// An alert with labels only; the label names are checked.
    pub fn new<I, K, V>(labels: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (k, v) in labels {
            let k = k.into();
            if !valid_label_name(&k) {
                return Err(Error::Label {
                    name: k,
                    message: "not a label name of the form [a-zA-Z_][a-zA-Z0-9_]*".to_owned(),
                });
            }
            map.insert(k, v.into());
        }
        if map.is_empty() {
            return Err(Error::Label {
                name: String::new(),
                message: "an alert needs at least one label".to_owned(),
            });
        }
        Ok(PostableAlert {
            labels: map,
            annotations: BTreeMap::new(),
            starts_at: None,
            ends_at: None,
            generator_url: None,
        })
    }

    /// Adds an annotation.
    pub fn annotate(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(name.into(), value.into());
        self
    }

    /// Sets `startsAt`.
    pub fn starts_at(mut self, t: Timestamp) -> Self {
        self.starts_at = Some(t.to_rfc3339());
        self
    }

    /// Sets `endsAt` (an end in the past resolves the alert).
    pub fn ends_at(mut self, t: Timestamp) -> Self {
        self.ends_at = Some(t.to_rfc3339());
        self
    }

    /// Sets `generatorURL`.
    pub fn generator_url(mut self, url: impl Into<String>) -> Self {
        self.generator_url = Some(url.into());
        self
    }

    /// The alert for an incident: labels `alertname` (given), `incident`
    /// (`INC-0001`), `resource`, `severity` and the incident's own labels
    /// (which never override those four); annotations `summary`,
    /// `description` (the severity reasons) and `failure_probability` when
    /// known; `startsAt` the incident start and, once resolved, `endsAt`.
    pub fn from_incident(alertname: &str, incident: &Incident) -> Result<Self> {
        let mut labels: Vec<(String, String)> = incident
            .labels
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        labels.push(("alertname".to_owned(), alertname.to_owned()));
        labels.push(("incident".to_owned(), incident.id.to_string()));
        labels.push(("resource".to_owned(), incident.resource.clone()));
        labels.push(("severity".to_owned(), incident.severity.as_str().to_owned()));
        let mut alert = PostableAlert::new(labels)?.starts_at(incident.start);
        let summary = aiops_core::Alert::from_incident(incident).summary;
        alert = alert.annotate("summary", summary);
        if !incident.severity_reasons.is_empty() {
            alert = alert.annotate("description", incident.severity_reasons.join("; "));
        }
        if let Some(p) = incident.failure_probability {
            alert = alert.annotate("failure_probability", format!("{p:.4}"));
        }
        if incident.status == IncidentStatus::Resolved {
            alert = alert.ends_at(incident.resolved_at.unwrap_or(incident.end));
        }
        Ok(alert)
    }
}

/// An alert as `GET /api/v2/alerts` returns it (the fields this crate reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339 start.
    pub starts_at: String,
    /// RFC 3339 end.
    pub ends_at: String,
    /// `generatorURL`.
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    /// Alertmanager's fingerprint of the label set.
    pub fingerprint: String,
    /// `status.state`: `active`, `suppressed` or `unprocessed`.
    pub status: AlertStatus,
}

/// The `status` of a [`GettableAlert`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// `active`, `suppressed` or `unprocessed`.
    pub state: String,
}

/// An Alertmanager v2 API client.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    base: Url,
    http: Transport,
}

impl AlertmanagerClient {
    /// A client for the Alertmanager at `url` (`http://host:9093`).
    pub fn new(url: &str) -> Result<Self> {
        Self::with_config(url, HttpConfig::default())
    }

    /// A client with explicit HTTP settings.
    pub fn with_config(url: &str, config: HttpConfig) -> Result<Self> {
        Ok(AlertmanagerClient {
            base: parse_base(url)?,
            http: Transport::new(config)?,
        })
    }

    /// Posts alerts (`POST /api/v2/alerts`); retried on transport errors and
    /// 5xx, then an error.
    pub async fn post(&self, alerts: &[PostableAlert]) -> Result<()> {
        let url = join(&self.base, "api/v2/alerts")?;
        let shown = shown_url(&url);
        let body = serde_json::to_vec(alerts).map_err(|e| Error::Json {
            url: shown.clone(),
            message: e.to_string(),
        })?;
        let answer = self
            .http
            .send(&Request {
                method: Method::POST,
                url,
                body: Some(("application/json", body)),
            })
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(Error::Http {
                url: shown,
                status: answer.status,
                attempts: answer.attempts,
                body: snippet(&answer.body),
            })
        }
    }

    /// Lists the alerts Alertmanager holds (`GET /api/v2/alerts`; by default
    /// active, silenced, inhibited and unprocessed ones, not resolved ones).
    pub async fn alerts(&self) -> Result<Vec<GettableAlert>> {
        let url = join(&self.base, "api/v2/alerts")?;
        let shown = shown_url(&url);
        let answer = self
            .http
            .send(&Request {
                method: Method::GET,
                url,
                body: None,
            })
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Error::Http {
                url: shown,
                status: answer.status,
                attempts: answer.attempts,
                body: snippet(&answer.body),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|e| Error::Json {
            url: shown,
            message: e.to_string(),
        })
    }
}

/// Where an incident's alert stands.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertState {
    /// The alert as last posted.
    pub alert: PostableAlert,
    /// True once a resolving post (with `endsAt`) went through.
    pub resolved: bool,
    /// Successful posts of this alert.
    pub posts: usize,
    /// The last failure, if the last post failed.
    pub last_error: Option<String>,
}

/// Posts alerts keyed by an identifier (an incident id) and tracks their
/// state: firing on open, resolved with `endsAt` on resolve. A failed post
/// is recorded in the state and returned as the error; [`Self::refresh`]
/// re-posts firing alerts (Alertmanager resolves alerts that are not
/// re-posted within its `resolve_timeout`).
#[derive(Debug)]
pub struct AlertNotifier {
    client: AlertmanagerClient,
    states: Mutex<BTreeMap<String, AlertState>>,
}

impl AlertNotifier {
    /// A notifier posting through `client`.
    pub fn new(client: AlertmanagerClient) -> Self {
        AlertNotifier {
            client,
            states: Mutex::new(BTreeMap::new()),
        }
    }

    /// The client.
    pub fn client(&self) -> &AlertmanagerClient {
        &self.client
    }

    /// Posts `alert` under `id` as firing (no `endsAt`), or as an update of
    /// the firing alert (same labels, new annotations).
    pub async fn fire(&self, id: &str, mut alert: PostableAlert) -> Result<()> {
        alert.ends_at = None;
        self.post_tracked(id, alert, false).await
    }

    /// Resolves the alert tracked under `id` at `at` (its labels and
    /// `startsAt` are kept). Unknown ids are an error.
    pub async fn resolve(&self, id: &str, at: Timestamp) -> Result<()> {
        let alert = {
            let states = self.lock();
            let Some(st) = states.get(id) else {
                return Err(Error::Invalid {
                    what: "alert id".to_owned(),
                    message: format!("{id} was never fired"),
                });
            };
            st.alert.clone().ends_at(at)
        };
        self.post_tracked(id, alert, true).await
    }

    /// Posts the alert of an incident in its current state (firing when
    /// open, resolved when resolved).
    pub async fn notify_incident(&self, alertname: &str, incident: &Incident) -> Result<()> {
        let alert = PostableAlert::from_incident(alertname, incident)?;
        let resolved = incident.status == IncidentStatus::Resolved;
        self.post_tracked(&incident.id.to_string(), alert, resolved)
            .await
    }

    /// Re-posts every firing alert; returns how many were posted.
    pub async fn refresh(&self) -> Result<usize> {
        let firing: Vec<(String, PostableAlert)> = self
            .lock()
            .iter()
            .filter(|(_, s)| !s.resolved)
            .map(|(k, s)| (k.clone(), s.alert.clone()))
            .collect();
        for (id, alert) in &firing {
            self.post_tracked(id, alert.clone(), false).await?;
        }
        Ok(firing.len())
    }

    /// A snapshot of every tracked alert, by id.
    pub fn states(&self) -> BTreeMap<String, AlertState> {
        self.lock().clone()
    }

    async fn post_tracked(&self, id: &str, alert: PostableAlert, resolved: bool) -> Result<()> {
        let outcome = self.client.post(std::slice::from_ref(&alert)).await;
        let mut states = self.lock();
        let entry = states.entry(id.to_owned()).or_insert_with(|| AlertState {
            alert: alert.clone(),
            resolved: false,
            posts: 0,
            last_error: None,
        });
        match &outcome {
            Ok(()) => {
                entry.alert = alert;
                entry.resolved = resolved;
                entry.posts += 1;
                entry.last_error = None;
            }
            Err(e) => {
                tracing::warn!(%id, error = %e, "alert post failed");
                entry.last_error = Some(e.to_string());
            }
        }
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, AlertState>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every update is a single insert or field write).
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::{IncidentId, Labels, Severity, Signal, SignalKind};

    #[test]
    fn incident_alert_has_labels_times_and_annotations() {
        let sig = Signal {
            kind: SignalKind::Anomaly,
            source: "d".into(),
            at: Timestamp::from_secs(100),
            value: 0.99,
            detail: String::new(),
        };
        let mut inc = Incident::open(IncidentId(7), "cpu{mode=\"idle\"}", sig);
        inc.labels = Labels::new().with("instance", "a:9100").unwrap();
        inc.severity = Severity::Critical;
        inc.failure_probability = Some(0.25);
        let a = PostableAlert::from_incident("AiopsIncident", &inc).unwrap();
        assert_eq!(a.labels["incident"], "INC-0007");
        assert_eq!(a.labels["severity"], "critical");
        assert_eq!(a.labels["instance"], "a:9100");
        assert_eq!(a.starts_at.as_deref(), Some("1970-01-01T00:01:40Z"));
        assert_eq!(a.ends_at, None);
        assert_eq!(a.annotations["failure_probability"], "0.2500");
        inc.resolve(Timestamp::from_secs(200));
        let a = PostableAlert::from_incident("AiopsIncident", &inc).unwrap();
        assert_eq!(a.ends_at.as_deref(), Some("1970-01-01T00:03:20Z"));
        let json = serde_json::to_string(&a.generator_url("http://x/")).unwrap();
        assert!(json.contains("\"generatorURL\":\"http://x/\""), "{json}");
        assert!(json.contains("\"startsAt\""), "{json}");
        assert!(PostableAlert::new([("bad-name", "x")]).is_err());
    }
}
