//! Invariant: converting a matrix answer keeps every point, every value
//! (bit for bit when finite) and marks NaN/infinite samples as missing, counted.

use aiops_prometheus::{QueryData, api};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => any::<f64>().prop_filter("finite", |v| v.is_finite()),
        2 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

fn fmt_value(v: f64, exp: bool) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == f64::INFINITY {
        "+Inf".to_owned()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else if exp {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

proptest! {
    #[test]
    fn conversion_preserves_points_and_values(
        series in prop::collection::vec(
            (prop::collection::vec(value(), 0..40), 1_600_000_000_000i64..1_800_000_000_000, 1i64..60_000, any::<bool>()),
            0..8,
        )
    ) {
        let mut body = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
        for (i, (values, t0, step, exp)) in series.iter().enumerate() {
            if i > 0 { body.push(','); }
            body.push_str(&format!(r#"{{"metric":{{"__name__":"m","i":"{i}"}},"values":["#));
            for (j, v) in values.iter().enumerate() {
                if j > 0 { body.push(','); }
                let ms = t0 + step * j as i64;
                body.push_str(&format!(r#"[{}.{:03},"{}"]"#, ms.div_euclid(1000), ms.rem_euclid(1000), fmt_value(*v, *exp)));
            }
            body.push_str("]}");
        }
        body.push_str("]}}");

        let r = api::parse_response(body.as_bytes(), "prop", 200).unwrap();
        // A leading space leaves the one-pass fast path: the general parser
        // must agree with it exactly.
        let slow = api::parse_response(format!(" {body}").as_bytes(), "prop", 200).unwrap();
        prop_assert_eq!(slow.stats, r.stats);
        let (QueryData::Matrix(a), QueryData::Matrix(b)) = (&r.data, &slow.data) else { panic!("not a matrix") };
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            prop_assert_eq!(&x.timestamps, &y.timestamps);
            prop_assert_eq!((&x.name, &x.labels), (&y.name, &y.labels));
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&x.values), bits(&y.values));
        }
        let total: usize = series.iter().map(|s| s.0.len()).sum();
        let nan = series.iter().flat_map(|s| &s.0).filter(|v| v.is_nan()).count();
        let inf = series.iter().flat_map(|s| &s.0).filter(|v| v.is_infinite()).count();
        prop_assert_eq!(r.stats.samples, total);
        prop_assert_eq!(r.stats.nan_samples, nan);
        prop_assert_eq!(r.stats.infinite_samples, inf);
        prop_assert_eq!(r.stats.series, series.len());
        let QueryData::Matrix(m) = r.data else { panic!("not a matrix") };
        let out = api::matrix_to_series(m, "m").unwrap();
        prop_assert_eq!(out.len(), series.len());
        for ((values, t0, step, _), s) in series.iter().zip(&out) {
            prop_assert_eq!(s.len(), values.len());
            prop_assert_eq!(s.missing_count(), values.iter().filter(|v| !v.is_finite()).count());
            for (j, (&want, &got)) in values.iter().zip(s.values()).enumerate() {
                prop_assert_eq!(s.timestamps()[j].as_millis(), t0 + step * j as i64);
                if want.is_finite() {
                    prop_assert_eq!(want.to_bits(), got.to_bits());
                } else {
                    prop_assert!(got.is_nan());
                }
            }
        }
    }
}
