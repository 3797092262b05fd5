//! Error paths and protocol details against a tiny local mock server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aiops_core::Timestamp;
use aiops_prometheus::{
    AlertNotifier, AlertmanagerClient, Error, Grouping, HttpConfig, IncidentMetrics, MetricsServer,
    PostableAlert, PrometheusClient, Pushgateway, RangeQuery, RangeStream, ResultMetrics,
    ResultsSnapshot, SeriesMetrics,
};
use common::{Resp, json, matrix_body, mock, recorded};

fn fast(retries: u32) -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        retries,
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..HttpConfig::default()
    }
}

#[tokio::test]
async fn unreachable_server_is_a_typed_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = PrometheusClient::with_config(&url, fast(2)).unwrap();
    match c.query_vector("up", None).await {
        Err(Error::Unreachable {
            attempts, message, ..
        }) => {
            assert_eq!(attempts, 3);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn http_500_then_success_is_retried() {
    let m = mock(|_, i| {
        if i == 0 {
            json(500, "internal error")
        } else {
            Resp::Body(200, recorded("query_vector_up.json").into_bytes())
        }
    })
    .await;
    let c = PrometheusClient::with_config(&m.url, fast(3)).unwrap();
    let v = c.query_vector("up", None).await.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(m.requests().len(), 2);
    assert_eq!(m.requests()[0].param("query").as_deref(), Some("up"));
}

#[tokio::test]
async fn persistent_5xx_reports_the_api_error_after_retries() {
    let m = mock(|_, _| {
        json(
            503,
            r#"{"status":"error","errorType":"unavailable","error":"TSDB not ready"}"#,
        )
    })
    .await;
    let c = PrometheusClient::with_config(&m.url, fast(2)).unwrap();
    match c.query_vector("up", None).await {
        Err(Error::Api {
            status,
            error_type,
            message,
            ..
        }) => {
            assert_eq!((status, error_type.as_str()), (503, "unavailable"));
            assert_eq!(message, "TSDB not ready");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.requests().len(), 3);
    // A non-JSON 502 from a proxy is an HTTP error with the body's start.
    let m = mock(|_, _| json(502, "<html>bad gateway</html>")).await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    match c.query_vector("up", None).await {
        Err(Error::Http {
            status,
            body,
            attempts,
            ..
        }) => {
            assert_eq!((status, attempts), (502, 1));
            assert!(body.contains("bad gateway"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn promql_error_body_is_not_retried() {
    let m = mock(|_, _| Resp::Body(400, recorded("query_error_parse.json").into_bytes())).await;
    let c = PrometheusClient::with_config(&m.url, fast(3)).unwrap();
    match c.query("rate(up[1m]", None).await {
        Err(Error::Api {
            error_type,
            message,
            status,
            ..
        }) => {
            assert_eq!((status, error_type.as_str()), (400, "bad_data"));
            assert!(message.contains("parse error"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.requests().len(), 1);
}

#[tokio::test]
async fn wrong_result_type_is_a_typed_error() {
    let m = mock(|_, _| Resp::Body(200, recorded("query_vector_up.json").into_bytes())).await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let q = RangeQuery::new(
        "up",
        Timestamp::from_secs(0),
        Timestamp::from_secs(10),
        1000,
    );
    match c.query_range(&q).await {
        Err(Error::ResultType {
            expected,
            found,
            query,
        }) => {
            assert_eq!(
                (expected, found.as_str(), query.as_str()),
                ("matrix", "vector", "up")
            );
        }
        other => panic!("{other:?}"),
    }
    let m = mock(|_, _| Resp::Body(200, recorded("query_matrix_raw_up.json").into_bytes())).await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    assert!(matches!(
        c.query_vector("up[5s]", None).await,
        Err(Error::ResultType {
            expected: "vector",
            ..
        })
    ));
    let (s, _) = c.query_matrix("up[5s]", None).await.unwrap();
    assert_eq!(s[0].len(), 5);
}

#[tokio::test]
async fn oversize_bodies_stop_at_the_cap() {
    let big = matrix_body(50, 0.0, 100.0, 1.0).into_bytes();
    assert!(big.len() > 10_000);
    for unsized_body in [false, true] {
        let b = big.clone();
        let m = mock(move |_, _| {
            if unsized_body {
                Resp::Unsized(200, b.clone())
            } else {
                Resp::Body(200, b.clone())
            }
        })
        .await;
        let cfg = HttpConfig {
            max_body_bytes: 10_000,
            ..fast(2)
        };
        let c = PrometheusClient::with_config(&m.url, cfg).unwrap();
        match c.query("m", None).await {
            Err(Error::TooLarge { limit_bytes, .. }) => assert_eq!(limit_bytes, 10_000),
            other => panic!("unsized={unsized_body}: {other:?}"),
        }
        // Not retried: the answer will not shrink.
        assert_eq!(m.requests().len(), 1);
    }
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let m = mock(|_, _| Resp::Hang).await;
    let c = PrometheusClient::with_config(&m.url, fast(1)).unwrap();
    match c.query("up", None).await {
        Err(Error::Timeout {
            attempts,
            timeout_ms,
            ..
        }) => {
            assert_eq!((attempts, timeout_ms), (2, 500));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn long_ranges_are_split_into_chunks_and_merged() {
    let m = mock(|req, _| {
        let p = |k: &str| req.param(k).unwrap().parse::<f64>().unwrap();
        json(200, &matrix_body(3, p("start"), p("end"), p("step")))
    })
    .await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let mut q = RangeQuery::new(
        "m",
        Timestamp::from_secs(100),
        Timestamp::from_secs(124),
        2000,
    );
    q.max_points_per_request = 5;
    let r = c.query_range(&q).await.unwrap();
    assert_eq!(r.requests, 3);
    assert_eq!(m.requests().len(), 3);
    assert_eq!(r.series.len(), 3);
    for (i, s) in r.series.iter().enumerate() {
        assert_eq!(s.len(), 13, "100..=124 every 2 s");
        assert_eq!(s.timestamps()[12], Timestamp::from_secs(124));
        assert_eq!(s.values()[12], i as f64 + 124.0);
    }
    assert_eq!(r.stats.samples, 39);
    assert_eq!(r.stats.absent_points, 0);
    let reqs = m.requests();
    assert_eq!(reqs[1].param("start").as_deref(), Some("110"));
    assert_eq!(reqs[1].param("step").as_deref(), Some("2"));
}

#[tokio::test]
async fn the_total_point_cap_stops_big_results() {
    let m = mock(|req, _| {
        let p = |k: &str| req.param(k).unwrap().parse::<f64>().unwrap();
        json(200, &matrix_body(3, p("start"), p("end"), p("step")))
    })
    .await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let mut q = RangeQuery::new("m", Timestamp::from_secs(0), Timestamp::from_secs(99), 1000);
    q.max_points_per_request = 10;
    q.max_total_points = 100;
    match c.query_range(&q).await {
        Err(Error::TooManyPoints { points, limit, .. }) => {
            assert_eq!(limit, 100);
            assert!(points > 100);
        }
        other => panic!("{other:?}"),
    }
    // Stopped at the chunk that crossed the cap, not after all ten.
    assert_eq!(m.requests().len(), 4);
    // Filling a sparse series onto a long grid is counted too.
    let m = mock(|_, _| json(200, r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"]]}]}}"#)).await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let mut q = RangeQuery::new(
        "m",
        Timestamp::from_secs(0),
        Timestamp::from_secs(999),
        1000,
    );
    q.max_total_points = 500;
    assert!(matches!(
        c.query_range(&q).await,
        Err(Error::TooManyPoints { points: 1000, .. })
    ));
    q.fill_gaps = false;
    assert_eq!(c.query_range(&q).await.unwrap().series[0].len(), 1);
}

#[tokio::test]
async fn stale_gap_becomes_counted_missing_points() {
    let m = mock(|_, _| Resp::Body(200, recorded("query_range_stale_gap.json").into_bytes())).await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let q = RangeQuery::new(
        "aiops_capture_gauge",
        Timestamp::from_secs(1_796_325_334),
        Timestamp::from_secs(1_796_325_345),
        1000,
    );
    let r = c.query_range(&q).await.unwrap();
    let s = &r.series[0];
    assert_eq!(s.len(), 12);
    assert_eq!(r.stats.absent_points, 5);
    assert_eq!(s.missing_count(), 5);
    assert!(s.values()[4..9].iter().all(|v| v.is_nan()));
    let mut q2 = q.clone();
    q2.fill_gaps = false;
    let r = c.query_range(&q2).await.unwrap();
    assert_eq!((r.series[0].len(), r.stats.absent_points), (7, 0));
}

#[tokio::test]
async fn stream_polls_only_new_points_in_order() {
    let m = mock(|req, _| {
        let p = |k: &str| req.param(k).unwrap().parse::<f64>().unwrap();
        json(200, &matrix_body(2, p("start"), p("end"), p("step")))
    })
    .await;
    let c = PrometheusClient::with_config(&m.url, fast(0)).unwrap();
    let mut s = RangeStream::new(c, "m", 1000, 10_000).unwrap();
    let now = Timestamp::from_millis(1_000_500);
    let first = s.poll(now).await.unwrap();
    // lag 1 step: end 999 s, start 989 s: 11 steps x 2 series.
    assert_eq!(first.len(), 22);
    assert!(first.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    assert_eq!(first.last().unwrap().timestamp, Timestamp::from_secs(999));
    assert!(s.poll(now).await.unwrap().is_empty(), "no new step yet");
    let next = s.poll(now.add_millis(3000)).await.unwrap();
    assert_eq!(next.len(), 6);
    assert_eq!(next[0].timestamp, Timestamp::from_secs(1000));
    assert_eq!(next[5].timestamp, Timestamp::from_secs(1002));
    assert_eq!(s.stats().samples, 28);
}

#[tokio::test]
async fn failed_pushes_are_retried_then_reported() {
    let m = mock(|_, _| json(500, "storage full")).await;
    let pg = Pushgateway::with_config(&m.url, fast(2)).unwrap();
    let metrics = ResultMetrics::new();
    metrics.update(&ResultsSnapshot::default());
    let g = Grouping::new("aiops")
        .unwrap()
        .with("instance", "a/b")
        .unwrap();
    match metrics.push(&pg, &g).await {
        Err(Error::Http {
            status,
            attempts,
            body,
            url,
        }) => {
            assert_eq!((status, attempts), (500, 3));
            assert_eq!(body, "storage full");
            assert!(
                url.ends_with("/metrics/job/aiops/instance@base64/YS9i"),
                "{url}"
            );
        }
        other => panic!("{other:?}"),
    }
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "PUT");
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert!(body.contains("# TYPE aiops_incidents gauge"), "{body}");
    assert!(!body.contains("# EOF"));
}

#[tokio::test]
async fn alerts_are_posted_with_times_and_tracked() {
    let m = mock(|_, i| {
        if i == 1 {
            json(500, "x")
        } else {
            json(200, "")
        }
    })
    .await;
    let am = AlertmanagerClient::with_config(&m.url, fast(0)).unwrap();
    let n = AlertNotifier::new(am);
    let alert = PostableAlert::new([("alertname", "A"), ("incident", "INC-0001")])
        .unwrap()
        .annotate("summary", "s")
        .starts_at(Timestamp::from_secs(60))
        .generator_url("http://gen/");
    n.fire("INC-0001", alert).await.unwrap();
    // The second post fails: state keeps the error, the caller gets it.
    assert!(
        n.resolve("INC-0001", Timestamp::from_secs(120))
            .await
            .is_err()
    );
    let st = &n.states()["INC-0001"];
    assert!(!st.resolved && st.last_error.is_some());
    n.resolve("INC-0001", Timestamp::from_secs(120))
        .await
        .unwrap();
    let st = &n.states()["INC-0001"];
    assert!(st.resolved && st.last_error.is_none() && st.posts == 2);
    assert!(
        n.resolve("INC-9999", Timestamp::from_secs(1))
            .await
            .is_err()
    );
    let reqs = m.requests();
    assert_eq!(reqs[0].method, "POST");
    assert!(reqs[0].target.ends_with("/api/v2/alerts"));
    let posted: serde_json::Value = serde_json::from_slice(&reqs[2].body).unwrap();
    assert_eq!(posted[0]["startsAt"], "1970-01-01T00:01:00Z");
    assert_eq!(posted[0]["endsAt"], "1970-01-01T00:02:00Z");
    assert_eq!(posted[0]["generatorURL"], "http://gen/");
    assert_eq!(posted[0]["labels"]["incident"], "INC-0001");
}

#[tokio::test]
async fn metrics_endpoint_serves_the_snapshot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let metrics = Arc::new(ResultMetrics::new());
    metrics.update(&ResultsSnapshot {
        series: vec![SeriesMetrics {
            series: "m".into(),
            last_score: Some(0.25),
            ..SeriesMetrics::default()
        }],
        incidents: vec![IncidentMetrics {
            id: "INC-0001".into(),
            resource: "m".into(),
            severity: aiops_core::Severity::Critical,
            open: false,
            start: Timestamp::from_secs(1),
            end: Timestamp::from_secs(2),
            peak_score: None,
            failure_probability: Some(0.75),
        }],
        at: None,
    });
    let server = MetricsServer::bind("127.0.0.1:0".parse().unwrap(), Arc::clone(&metrics))
        .await
        .unwrap();
    let addr = server.local_addr();
    let get = |path: &'static str| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    let page = get("/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("application/openmetrics-text"));
    assert!(
        page.contains("aiops_anomaly_score{series=\"m\"} 0.25"),
        "{page}"
    );
    assert!(page.contains(
        "aiops_incident_open{incident=\"INC-0001\",resource=\"m\",severity=\"critical\"} 0.0"
    ));
    assert!(
        page.contains(
            "aiops_incident_failure_probability{incident=\"INC-0001\",resource=\"m\"} 0.75"
        )
    );
    assert!(get("/other").await.starts_with("HTTP/1.1 404"));
    assert!(server.url().ends_with("/metrics"));
    server.shutdown();
}

#[test]
fn bad_settings_are_rejected() {
    assert!(matches!(
        PrometheusClient::new("ftp://x"),
        Err(Error::InvalidUrl { .. })
    ));
    assert!(matches!(
        PrometheusClient::with_config(
            "http://x",
            HttpConfig {
                timeout: Duration::ZERO,
                ..HttpConfig::default()
            }
        ),
        Err(Error::Invalid { .. })
    ));
    let c = PrometheusClient::new("http://127.0.0.1:1").unwrap();
    assert!(RangeStream::new(c, "up", 0, 10).is_err());
}
