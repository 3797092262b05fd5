//! Parsing real response bodies recorded from the servers (see tests/data/README.md).

mod common;

use aiops_prometheus::{ConvertStats, Error, GettableAlert, QueryData, api};
use common::recorded;

fn parse(name: &str, status: u16) -> aiops_prometheus::Result<aiops_prometheus::QueryResponse> {
    api::parse_response(recorded(name).as_bytes(), name, status)
}

#[test]
fn rate_matrix_keeps_labels_as_keys_and_every_point() {
    let r = parse("query_range_rate_cpu.json", 200).unwrap();
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    // 2 CPUs x 3 modes, 13 steps of 5 s over 60 s.
    assert_eq!(m.len(), 6);
    assert!(
        m.iter()
            .all(|s| s.name.is_empty() && s.timestamps.len() == 13)
    );
    assert_eq!(r.stats.samples, 78);
    assert_eq!(r.stats.missing(), 0);
    let series = api::matrix_to_series(m, "rate(node_cpu_seconds_total[10s])").unwrap();
    let k = series[0].key();
    assert_eq!(k.name(), "rate(node_cpu_seconds_total[10s])");
    assert_eq!(k.labels().get("cpu"), Some("0"));
    assert_eq!(k.labels().get("mode"), Some("idle"));
    assert_eq!(k.labels().get("job"), Some("node"));
    assert_eq!(series[0].timestamps()[0].as_millis(), 1_796_325_269_000);
    assert!((series[0].values()[0] - 0.975_555_555_555_552_6).abs() < 1e-15);
    assert_eq!(series[0].typical_step_millis(), Some(5_000));
}

#[test]
fn vector_and_scalar_results() {
    let r = parse("query_vector_up.json", 200).unwrap();
    let QueryData::Vector(v) = r.data else {
        panic!("not a vector")
    };
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].name, "up");
    assert_eq!(v[1].labels.get("job"), Some("node"));
    assert_eq!(v[1].value, 1.0);
    assert_eq!(v[1].timestamp.as_millis(), 1_796_325_329_297);
    let r = parse("query_scalar.json", 200).unwrap();
    assert_eq!(
        r.data,
        QueryData::Scalar(aiops_core::Timestamp::from_millis(1_796_325_329_307), 1.0)
    );
}

#[test]
fn raw_samples_keep_millisecond_timestamps() {
    let r = parse("query_matrix_raw_up.json", 200).unwrap();
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    let s = api::matrix_to_series(m, "up").unwrap();
    assert_eq!(
        s[0].key().to_string(),
        r#"up{instance="127.0.0.1:9100",job="node"}"#
    );
    assert_eq!(s[0].timestamps()[0].as_millis(), 1_796_325_325_174);
    assert_eq!(s[0].len(), 5);
}

#[test]
fn nan_and_infinite_samples_become_counted_missing_points() {
    let r = parse("query_range_nan.json", 200).unwrap();
    assert_eq!(r.stats.nan_samples, r.stats.samples);
    assert_eq!(r.stats.series, 2);
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    let s = api::matrix_to_series(m, "q").unwrap();
    let n: usize = s.iter().map(|s| s.len()).sum();
    assert_eq!(n, r.stats.samples);
    assert!(s.iter().all(|s| s.missing_count() == s.len()));

    let r = parse("query_range_inf.json", 200).unwrap();
    assert_eq!(r.stats.infinite_samples, r.stats.samples);
    assert_eq!(r.stats.nan_samples, 0);
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    let s = api::matrix_to_series(m, "q").unwrap();
    assert!(s.iter().all(|s| s.len() == 6 && s.missing_count() == 6));
}

#[test]
fn stale_gap_is_visible_in_raw_samples() {
    let r = parse("query_matrix_raw_stale_gap.json", 200).unwrap();
    let QueryData::Matrix(m) = r.data else {
        panic!("not a matrix")
    };
    let s = api::matrix_to_series(m, "g").unwrap();
    assert_eq!(s[0].len(), 8);
    assert_eq!(s[0].gap_count(), 1);
}

#[test]
fn api_errors_carry_type_and_message() {
    match parse("query_error_parse.json", 400) {
        Err(Error::Api {
            status,
            error_type,
            message,
            ..
        }) => {
            assert_eq!(status, 400);
            assert_eq!(error_type, "bad_data");
            assert!(message.contains("unclosed left parenthesis"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match parse("query_range_error_too_many_points.json", 400) {
        Err(Error::Api { message, .. }) => assert!(message.contains("11,000 points")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_bodies_are_typed_errors() {
    for bad in [
        "",
        "{",
        r#"{"status":"success"}"#,
        r#"{"status":"success","data":{"resultType":"matrix"}}"#,
        r#"{"status":"success","data":{"resultType":"cube","result":[]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"]]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"1bad":"x"},"values":[]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[[1,{}]]}]}}"#,
        r#"{"status":"weird"}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"2"]]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]"#,
    ] {
        assert!(
            matches!(
                api::parse_response(bad.as_bytes(), "t", 200),
                Err(Error::Json { .. })
            ),
            "{bad}"
        );
    }
    // Out-of-order samples fail series validation with the series named.
    let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m"},"values":[[2,"1"],[1,"1"]]}]}}"#;
    let QueryData::Matrix(m) = api::parse_response(body.as_bytes(), "t", 200).unwrap().data else {
        panic!()
    };
    assert!(matches!(api::matrix_to_series(m, "q"), Err(Error::Core(_))));
}

#[test]
fn result_before_result_type_still_parses() {
    let body = r#"{"data":{"result":[{"values":[[1,"2"]],"metric":{"a":"b"}}],"resultType":"matrix"},"status":"success"}"#;
    let r = api::parse_response(body.as_bytes(), "t", 200).unwrap();
    assert_eq!(
        r.stats,
        ConvertStats {
            series: 1,
            samples: 1,
            ..ConvertStats::default()
        }
    );
}

#[test]
fn alertmanager_alerts_parse() {
    let alerts: Vec<GettableAlert> =
        serde_json::from_str(&recorded("alertmanager_get_alerts.json")).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].labels["incident"], "INC-0001");
    assert_eq!(alerts[0].status.state, "active");
    assert_eq!(alerts[0].generator_url, "http://127.0.0.1:9090/graph");
}
