//! Integration tests against real servers: Prometheus scraping node exporter
//! and the Pushgateway, and Alertmanager, as `.ci/live-servers.sh start`
//! runs them. The URLs come from `AIOPS_PROMETHEUS_URL`,
//! `AIOPS_PUSHGATEWAY_URL`, `AIOPS_ALERTMANAGER_URL`; when one is absent the
//! test prints a skip message and returns, unless `AIOPS_LIVE_TESTS=require`
//! (as in CI), where it fails.

#![allow(
    clippy::print_stderr,
    clippy::unwrap_used,
    reason = "a skipped live test says why; helpers fail loudly"
)]

use std::time::{Duration, Instant};

use aiops_core::{Severity, Timestamp};
use aiops_prometheus::{
    AlertNotifier, AlertmanagerClient, Error, Grouping, IncidentMetrics, PostableAlert,
    PrometheusClient, Pushgateway, RangeQuery, RangeStream, ResultMetrics, ResultsSnapshot,
    SeriesMetrics,
};

fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            let required = std::env::var("AIOPS_LIVE_TESTS").is_ok_and(|v| v == "require");
            assert!(
                !required,
                "{var} is not set but AIOPS_LIVE_TESTS=require: run `eval \"$(.ci/live-servers.sh start)\"` first"
            );
            eprintln!(
                "skipping live test: {var} is not set (run `eval \"$(.ci/live-servers.sh start)\"` to test against real servers)"
            );
            None
        }
    }
}

/// A label value unique to this test run.
fn run_id(tag: &str) -> String {
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        Timestamp::now().as_millis()
    )
}

async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn node_exporter_metrics_through_prometheus() {
    let Some(url) = server("AIOPS_PROMETHEUS_URL") else {
        return;
    };
    let prom = PrometheusClient::new(&url).unwrap();
    let query = "rate(node_cpu_seconds_total[5s])";
    let result = eventually("node CPU rates", || {
        let prom = prom.clone();
        async move {
            let end = Timestamp::now();
            let q = RangeQuery::new(query, end.add_millis(-30_000), end, 1000);
            let r = prom.query_range(&q).await.unwrap();
            let with_points = r
                .series
                .iter()
                .filter(|s| s.len() > s.missing_count())
                .count();
            (with_points > 0).then_some(r)
        }
    })
    .await;
    let s = &result.series[0];
    assert_eq!(
        s.key().name(),
        query,
        "rate() drops __name__: the query names the series"
    );
    assert_eq!(s.key().labels().get("job"), Some("node"));
    assert!(s.key().labels().get("cpu").is_some() && s.key().labels().get("mode").is_some());
    assert_eq!(s.len(), 31, "30 s at 1 s, gaps filled");
    let total: usize = result.series.iter().map(|s| s.len()).sum();
    assert_eq!(total, result.stats.samples + result.stats.absent_points);
    assert!(
        s.values()
            .iter()
            .filter(|v| v.is_finite())
            .all(|v| *v >= 0.0)
    );

    let up = prom.query_vector("up{job=\"node\"}", None).await.unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].value, 1.0);

    // The server's own PromQL error, typed.
    match prom.query("rate(up[1m]", None).await {
        Err(Error::Api {
            error_type, status, ..
        }) => assert_eq!((error_type.as_str(), status), ("bad_data", 400)),
        other => panic!("{other:?}"),
    }
    // 4 h at 1 s is 14,401 points per series: Prometheus alone refuses it
    // (11,000 max); chunked it succeeds.
    let end = Timestamp::now();
    let mut q = RangeQuery::new(
        "up{job=\"node\"}",
        end.add_millis(-4 * 3_600_000),
        end,
        1000,
    );
    let r = prom.query_range(&q).await.unwrap();
    assert_eq!(r.requests, 2);
    assert_eq!(r.series[0].len(), 14_401);
    q.max_points_per_request = 11_000;
    q.start = end.add_millis(-11_000 * 1000);
    assert_eq!(prom.query_range(&q).await.unwrap().requests, 2);
}

#[tokio::test]
async fn stream_polls_new_points_from_prometheus() {
    let Some(url) = server("AIOPS_PROMETHEUS_URL") else {
        return;
    };
    let prom = PrometheusClient::new(&url).unwrap();
    let mut s = RangeStream::new(prom, "up{job=\"node\"}", 1000, 5_000).unwrap();
    // Right after Prometheus starts, the first window may predate its first scrape.
    let start = Instant::now();
    let first = loop {
        let batch = s.poll(Timestamp::now()).await.unwrap();
        if !batch.is_empty() {
            break batch;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no points of up{{job=\"node\"}}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let last = first.last().unwrap().timestamp;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let next = s.poll(Timestamp::now()).await.unwrap();
    assert!(next.len() >= 2, "{next:?}");
    assert!(next.iter().all(|o| o.timestamp > last));
    assert!(next.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
}

#[tokio::test]
async fn pushed_scores_appear_in_prometheus() {
    let (Some(prom_url), Some(pg_url)) = (
        server("AIOPS_PROMETHEUS_URL"),
        server("AIOPS_PUSHGATEWAY_URL"),
    ) else {
        return;
    };
    let id = run_id("live");
    let metrics = ResultMetrics::new();
    metrics.update(&ResultsSnapshot {
        series: vec![SeriesMetrics {
            series: id.clone(),
            points: 100,
            missing_points: 3,
            anomalous_points: 4,
            incidents: 1,
            last_score: Some(0.875),
            max_score: Some(0.9990234375),
        }],
        incidents: vec![IncidentMetrics {
            id: "INC-0001".into(),
            resource: id.clone(),
            severity: Severity::Warning,
            open: true,
            start: Timestamp::from_secs(1_000),
            end: Timestamp::from_secs(2_000),
            peak_score: Some(0.9990234375),
            failure_probability: Some(0.625),
        }],
        at: Some(Timestamp::now()),
    });
    let pg = Pushgateway::new(&pg_url).unwrap();
    let grouping = Grouping::new("aiops_live_test")
        .unwrap()
        .with("run", id.as_str())
        .unwrap();
    metrics.push(&pg, &grouping).await.unwrap();

    let prom = PrometheusClient::new(&prom_url).unwrap();
    let q = format!("aiops_anomaly_score{{series=\"{id}\"}}");
    let v = eventually("the pushed score in Prometheus", || {
        let (prom, q) = (prom.clone(), q.clone());
        async move {
            prom.query_vector(&q, None)
                .await
                .ok()
                .filter(|v| !v.is_empty())
        }
    })
    .await;
    assert_eq!(v[0].value, 0.875);
    assert_eq!(
        v[0].labels.get("job"),
        Some("aiops_live_test"),
        "honor_labels keeps the pushed job"
    );
    assert_eq!(v[0].labels.get("run"), Some(id.as_str()));
    let q = format!("aiops_incident_failure_probability{{resource=\"{id}\"}}");
    let p = prom.query_vector(&q, None).await.unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].value, 0.625);
    assert_eq!(p[0].labels.get("incident"), Some("INC-0001"));
    let q = format!("aiops_incident_open{{resource=\"{id}\",severity=\"warning\"}}");
    assert_eq!(prom.query_vector(&q, None).await.unwrap()[0].value, 1.0);

    pg.delete(&grouping).await.unwrap();
}

#[tokio::test]
async fn alerts_fire_and_resolve_in_alertmanager() {
    let Some(url) = server("AIOPS_ALERTMANAGER_URL") else {
        return;
    };
    let id = run_id("INC");
    let am = AlertmanagerClient::new(&url).unwrap();
    let notifier = AlertNotifier::new(am.clone());
    let start = Timestamp::now().add_millis(-60_000);
    let alert = PostableAlert::new([
        ("alertname", "AiopsLiveTest"),
        ("incident", id.as_str()),
        ("severity", "critical"),
    ])
    .unwrap()
    .annotate("summary", "live test incident")
    .starts_at(start)
    .generator_url("http://127.0.0.1:9090/graph");
    notifier.fire(&id, alert).await.unwrap();

    let found = eventually("the alert in Alertmanager", || {
        let (am, id) = (am.clone(), id.clone());
        async move {
            let alerts = am.alerts().await.unwrap();
            alerts
                .into_iter()
                .find(|a| a.labels.get("incident") == Some(&id))
        }
    })
    .await;
    assert_eq!(found.status.state, "active");
    assert_eq!(found.annotations["summary"], "live test incident");
    assert_eq!(found.generator_url, "http://127.0.0.1:9090/graph");
    assert_eq!(Timestamp::parse(&found.starts_at).unwrap(), start);

    notifier.resolve(&id, Timestamp::now()).await.unwrap();
    assert!(notifier.states()[&id].resolved);
    eventually("the alert to resolve", || {
        let (am, id) = (am.clone(), id.clone());
        async move {
            let alerts = am.alerts().await.unwrap();
            (!alerts.iter().any(|a| a.labels.get("incident") == Some(&id))).then_some(())
        }
    })
    .await;
}
