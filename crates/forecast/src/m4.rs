//! The M4 competition's data layout and accuracy measures (sMAPE, MASE, OWA).
//!
//! Definitions follow the organisers' evaluation code: per series
//! `sMAPE = 200/h * sum |y - f| / (|y| + |f|)` and
//! `MASE = mean |y - f| / mean_{t>m} |x_t - x_{t-m}|` over the training data,
//! both averaged over series; `OWA` divides each by Naive2's total and
//! averages the two ratios.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// Hourly Naive2 totals published by the organisers: (sMAPE, MASE).
pub const NAIVE2_HOURLY: (f64, f64) = (18.383, 2.395);

/// One M4 series: its id (`H1`) and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct M4Series {
    /// Series id.
    pub id: String,
    /// Values, oldest first.
    pub values: Vec<f64>,
}

/// Reads an M4 wide CSV (`"V1","V2",...` header; each row an id then values,
/// short rows padded with empty cells).
pub fn read_m4_csv(path: impl AsRef<Path>) -> Result<Vec<M4Series>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_m4_csv(path, &text)
}

fn parse_m4_csv(path: &Path, text: &str) -> Result<Vec<M4Series>> {
    let csv_err = |line: usize, column: usize, message: String| Error::Csv {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut cells = line.split(',').map(|c| c.trim().trim_matches('"'));
        let id = cells.next().unwrap_or_default().to_owned();
        if id.is_empty() {
            return Err(csv_err(line_no, 1, "empty series id".into()));
        }
        let mut values = Vec::new();
        let mut ended = false;
        for (j, c) in cells.enumerate() {
            if c.is_empty() {
                ended = true;
                continue;
            }
            if ended {
                return Err(csv_err(line_no, j + 2, "value after an empty cell".into()));
            }
            let v: f64 = c
                .parse()
                .map_err(|_| csv_err(line_no, j + 2, format!("not a number: {c:?}")))?;
            if !v.is_finite() {
                return Err(csv_err(line_no, j + 2, format!("not finite: {c:?}")));
            }
            values.push(v);
        }
        if values.is_empty() {
            return Err(csv_err(line_no, 0, format!("series {id} has no values")));
        }
        out.push(M4Series { id, values });
    }
    Ok(out)
}

/// sMAPE of one series, in percent.
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    let h = actual.len().min(forecast.len());
    let s: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| {
            let d = y.abs() + f.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (y - f).abs() / d
            }
        })
        .sum();
    s / h as f64
}

/// MASE of one series with seasonal period `m` for the in-sample scale.
pub fn mase(train: &[f64], actual: &[f64], forecast: &[f64], m: usize) -> f64 {
    let h = actual.len().min(forecast.len());
    let m = m.max(1).min(train.len().saturating_sub(1)).max(1);
    let n = train.len();
    let scale = (m..n).map(|t| (train[t] - train[t - m]).abs()).sum::<f64>() / (n - m) as f64;
    let mae = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| (y - f).abs())
        .sum::<f64>()
        / h as f64;
    mae / scale
}

/// Mean sMAPE, mean MASE and OWA over a set of series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct M4Score {
    /// Mean sMAPE in percent.
    pub smape: f64,
    /// Mean MASE.
    pub mase: f64,
    /// Overall weighted average relative to Naive2.
    pub owa: f64,
}

/// Scores forecasts against the test data. `naive2` is Naive2's
/// (sMAPE, MASE) on the same series, e.g. [`NAIVE2_HOURLY`].
pub fn score(
    train: &[M4Series],
    test: &[M4Series],
    forecasts: &[Vec<f64>],
    m: usize,
    naive2: (f64, f64),
) -> Result<M4Score> {
    if train.len() != test.len() || train.len() != forecasts.len() || train.is_empty() {
        return Err(Error::InvalidParameter {
            name: "series",
            value: format!("{}/{}/{}", train.len(), test.len(), forecasts.len()),
            reason: "train, test and forecasts must hold the same non-zero number of series",
        });
    }
    let (mut s, mut q) = (0.0, 0.0);
    for ((tr, te), f) in train.iter().zip(test).zip(forecasts) {
        if tr.id != te.id || f.len() != te.values.len() {
            return Err(Error::InvalidParameter {
                name: "series",
                value: tr.id.clone(),
                reason: "ids differ between train and test, or forecast length differs from the test",
            });
        }
        s += smape(&te.values, f);
        q += mase(&tr.values, &te.values, f, m);
    }
    let k = train.len() as f64;
    let (smape, mase) = (s / k, q / k);
    Ok(M4Score {
        smape,
        mase,
        owa: (smape / naive2.0 + mase / naive2.1) / 2.0,
    })
}

/// Writes forecasts in the M4 submission layout: `id,F1,...,Fh`.
pub fn write_forecasts_csv(
    path: impl AsRef<Path>,
    ids: &[&str],
    forecasts: &[Vec<f64>],
) -> Result<()> {
    let path = path.as_ref();
    let h = forecasts.iter().map(Vec::len).max().unwrap_or(0);
    let mut s = String::from("id");
    for i in 1..=h {
        let _ = write!(s, ",F{i}");
    }
    s.push('\n');
    for (id, f) in ids.iter().zip(forecasts) {
        s.push_str(id);
        for v in f {
            let _ = write!(s, ",{v}");
        }
        s.push('\n');
    }
    std::fs::write(path, s).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_padded_rows_and_reports_position() {
        let p = Path::new("t.csv");
        let s = parse_m4_csv(
            p,
            "\"V1\",\"V2\",\"V3\"\n\"H1\",\"1\",\"2\"\n\"H2\",\"3\",\"\"\n",
        )
        .unwrap();
        assert_eq!(s[1].values, vec![3.0]);
        let e = parse_m4_csv(p, "h\n\"H1\",\"x\"\n").unwrap_err();
        assert!(
            matches!(
                e,
                Error::Csv {
                    line: 2,
                    column: 2,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn metrics_by_hand() {
        assert!(
            (smape(&[100.0, 100.0], &[100.0, 50.0]) - 100.0 * 50.0 / 150.0 * 2.0 / 2.0).abs()
                < 1e-12
        );
        // scale: |3-1|,|4-2| = 2 -> mae 1 -> mase 0.5
        assert!((mase(&[1.0, 2.0, 3.0, 4.0], &[5.0], &[6.0], 2) - 0.5).abs() < 1e-12);
    }
}
