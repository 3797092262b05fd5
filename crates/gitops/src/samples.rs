//! Reading metric samples from CSV: `metric,value` rows or one column per metric.

use crate::error::{Error, Result};
use crate::judge::MetricSamples;

/// Reads metric samples from CSV text.
///
/// Two shapes are accepted, told apart by the header:
/// - long: a header `metric,value`, then one `name,value` row per point;
/// - wide: a header naming one metric per column, then rows of values. A
///   first column named `timestamp` or `time` is ignored.
///
/// An empty cell, `NaN` or `nan` is a missing point and is kept as NaN (the
/// judge removes and counts it). Anything else that is not a number is an
/// error that names the line and column.
///
/// A value whose magnitude exceeds [`crate::MAX_SAMPLE_MAGNITUDE`] (`1e300`)
/// is an error too: the test's pairwise differences would overflow.
///
/// # Errors
/// [`Error::Csv`] on a malformed file, a non-numeric or out-of-range value
/// or an empty file.
pub fn read_samples_csv(source_name: &str, text: &str) -> Result<MetricSamples> {
    let err = |line: u64, column: usize, message: String| Error::Csv {
        source_name: source_name.to_owned(),
        line,
        column,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(e.position().map_or(1, |p| p.line()), 0, e.to_string()))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(err(1, 0, "empty file: expected a header".to_owned()));
    }
    let long = headers.len() == 2
        && headers[0].eq_ignore_ascii_case("metric")
        && headers[1].eq_ignore_ascii_case("value");
    let skip_first = !long
        && (headers[0].eq_ignore_ascii_case("timestamp")
            || headers[0].eq_ignore_ascii_case("time"));
    let mut out = MetricSamples::new();
    if !long {
        for (col, h) in headers.iter().enumerate().skip(usize::from(skip_first)) {
            if h.is_empty() {
                return Err(err(1, col + 1, "empty metric name in header".to_owned()));
            }
            if out.insert(h.to_owned(), Vec::new()).is_some() {
                return Err(err(
                    1,
                    col + 1,
                    format!("metric `{h}` appears twice in the header"),
                ));
            }
        }
    }
    let parse = |cell: &str, line: u64, column: usize| -> Result<f64> {
        if cell.is_empty() || cell.eq_ignore_ascii_case("nan") {
            return Ok(f64::NAN);
        }
        match cell.parse::<f64>() {
            Ok(v) if v.abs() > crate::mann_whitney::MAX_SAMPLE_MAGNITUDE && v.is_finite() => {
                Err(err(
                    line,
                    column,
                    format!(
                        "value {cell} exceeds the supported magnitude 1e300 (the statistics would overflow)"
                    ),
                ))
            }
            Ok(v) if v.is_finite() => Ok(v),
            Ok(v) => Err(err(line, column, format!("value {v} is not finite"))),
            Err(_) => Err(err(line, column, format!("{cell:?} is not a number"))),
        }
    };
    for record in reader.records() {
        let record =
            record.map_err(|e| err(e.position().map_or(0, |p| p.line()), 0, e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        if long {
            let name = &record[0];
            if name.is_empty() {
                return Err(err(line, 1, "empty metric name".to_owned()));
            }
            let v = parse(&record[1], line, 2)?;
            out.entry(name.to_owned()).or_default().push(v);
        } else {
            for (col, cell) in record.iter().enumerate().skip(usize::from(skip_first)) {
                let v = parse(cell, line, col + 1)?;
                if let Some(s) = out.get_mut(&headers[col]) {
                    s.push(v);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_long_and_wide() {
        let long = read_samples_csv("l", "metric,value\nlat,1.5\nerr,0\nlat,2\nlat,\n").unwrap();
        assert_eq!(long["lat"].len(), 3);
        assert!(long["lat"][2].is_nan());
        assert_eq!(long["err"], vec![0.0]);
        let wide = read_samples_csv("w", "timestamp,lat,err\n1,1.0,0\n2,2.0,NaN\n").unwrap();
        assert_eq!(wide.len(), 2);
        assert_eq!(wide["lat"], vec![1.0, 2.0]);
    }

    #[test]
    fn reports_line_and_column() {
        let e = read_samples_csv("f.csv", "lat,err\n1,2\n3,x\n").unwrap_err();
        assert_eq!(e.to_string(), "f.csv:3:2: \"x\" is not a number");
        let e = read_samples_csv("f.csv", "lat,err\n1,2\n3\n").unwrap_err();
        assert!(matches!(e, Error::Csv { line: 3, .. }), "{e}");
        assert!(read_samples_csv("f.csv", "").is_err());
    }
}
