//! A CSV table of metric rows for the `detect` command and batch use.
//!
//! The first line is a header. A first column named `timestamp` is parsed as
//! timestamps (any form [`Timestamp::parse`] accepts) that must strictly
//! increase; every other column is numeric, where an empty cell, `NaN` or
//! `null` is a missing value (NaN). Errors name the input, line and column.

use aiops_core::Timestamp;
use ndarray::Array2;

use crate::error::{Error, Result};

/// A parsed table: optional timestamps and named numeric columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Timestamps when the first column is `timestamp`.
    pub timestamps: Option<Vec<Timestamp>>,
    /// Names of the numeric columns.
    pub names: Vec<String>,
    /// Numeric columns (NaN = missing).
    pub columns: Vec<Vec<f64>>,
}

fn err(source: &str, line: u64, column: usize, message: impl Into<String>) -> Error {
    Error::Core(aiops_core::Error::Csv {
        source_name: source.to_owned(),
        line,
        column,
        message: message.into(),
    })
}

impl Table {
    /// Parses CSV text; `source` names the input in errors.
    pub fn from_csv_str(source: &str, text: &str) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = rdr.records();
        let header = match records.next() {
            None => return Err(err(source, 1, 0, "empty input: expected a header line")),
            Some(r) => r.map_err(|e| err(source, 1, 0, e.to_string()))?,
        };
        let header: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let has_ts = header
            .first()
            .is_some_and(|h| h.eq_ignore_ascii_case("timestamp"));
        let names: Vec<String> = header.iter().skip(usize::from(has_ts)).cloned().collect();
        if names.is_empty() {
            return Err(err(source, 1, 0, "no value column in the header"));
        }
        let width = header.len();
        let mut timestamps = has_ts.then(Vec::new);
        let mut columns = vec![Vec::new(); names.len()];
        for rec in records {
            let rec = rec.map_err(|e| {
                err(
                    source,
                    e.position().map_or(0, |p| p.line()),
                    0,
                    e.to_string(),
                )
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
                continue;
            }
            if rec.len() != width {
                return Err(err(
                    source,
                    line,
                    0,
                    format!("row has {} column(s); the header has {width}", rec.len()),
                ));
            }
            if let Some(ts) = timestamps.as_mut() {
                let text = rec.get(0).unwrap_or("");
                let t = Timestamp::parse(text).map_err(|e| err(source, line, 1, e.to_string()))?;
                if let Some(prev) = ts.last()
                    && t <= *prev
                {
                    return Err(err(
                        source,
                        line,
                        1,
                        format!("timestamp {t} is not after the previous one {prev}"),
                    ));
                }
                ts.push(t);
            }
            for (k, col) in columns.iter_mut().enumerate() {
                let c = k + usize::from(has_ts);
                let text = rec.get(c).unwrap_or("").trim();
                let v = if text.is_empty()
                    || text.eq_ignore_ascii_case("nan")
                    || text.eq_ignore_ascii_case("null")
                {
                    f64::NAN
                } else {
                    match text.parse::<f64>() {
                        Ok(v) if v.is_finite() => v,
                        Ok(v) => {
                            return Err(err(
                                source,
                                line,
                                c + 1,
                                format!("value {v} is not finite"),
                            ));
                        }
                        Err(_) => {
                            return Err(err(
                                source,
                                line,
                                c + 1,
                                format!("value {text:?} is not a number"),
                            ));
                        }
                    }
                };
                col.push(v);
            }
        }
        if columns[0].is_empty() {
            return Err(err(source, 2, 0, "no data rows"));
        }
        Ok(Table {
            timestamps,
            names,
            columns,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indices of the selected columns: `include` (all when empty) minus
    /// `exclude`. Errors on an unknown name or an empty selection.
    pub fn select(&self, include: &[String], exclude: &[String]) -> Result<Vec<usize>> {
        let find = |n: &String| {
            self.names
                .iter()
                .position(|c| c == n)
                .ok_or_else(|| Error::param("columns", n, "no such column in the input"))
        };
        let mut idx: Vec<usize> = if include.is_empty() {
            (0..self.names.len()).collect()
        } else {
            include.iter().map(find).collect::<Result<_>>()?
        };
        for e in exclude {
            let k = find(e)?;
            idx.retain(|&i| i != k);
        }
        if idx.is_empty() {
            return Err(Error::param("columns", "(none)", "no column left to score"));
        }
        Ok(idx)
    }

    /// The selected columns as a row-major matrix (rows = table rows).
    pub fn matrix(&self, columns: &[usize]) -> Array2<f64> {
        let mut m = Array2::zeros((self.len(), columns.len()));
        for (j, &c) in columns.iter().enumerate() {
            for (i, v) in self.columns[c].iter().enumerate() {
                m[[i, j]] = *v;
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_selects() {
        let t = Table::from_csv_str(
            "t",
            "timestamp,a,b,label\n2014-01-01 00:00:00,1,2,0\n2014-01-01 00:05:00,,3,1\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert!(t.columns[0][1].is_nan());
        assert_eq!(t.select(&[], &["label".into()]).unwrap(), vec![0, 1]);
        assert!(t.select(&["zz".into()], &[]).is_err());
        assert_eq!(t.matrix(&[1]).dim(), (2, 1));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "timestamp,a\n",
            "timestamp,a\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n",
            "a,b\n1,2\n3\n",
            "a\ninf\n",
            "a\nx\n",
        ] {
            assert!(Table::from_csv_str("t", bad).is_err(), "{bad:?}");
        }
    }
}
