//! A CSV table of metric rows for the `detect` command and batch use.
//!
//! The first line is a header. A first column named `timestamp` is parsed as
//! timestamps (any form [`Timestamp::parse`] accepts) that must strictly
//! increase (or, with [`OrderPolicy::SkipAndReport`], rows that do not are
//! left out and returned); every other column is numeric, where an empty
//! cell, `NaN` or `null` is a missing value (NaN). Column names must be
//! distinct. Errors name the input, line and (1-based) column.

use aiops_core::{CsvOptions, OrderPolicy, SkippedRow, Timestamp};
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
    /// The 1-based input line of each row, so a caller can point at it.
    pub lines: Vec<u64>,
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
    /// Parses CSV text; `source` names the input in errors. Rows whose
    /// timestamp is not after the previous row's are an error.
    pub fn from_csv_str(source: &str, text: &str) -> Result<Self> {
        Ok(Self::from_csv_str_with(source, text, &CsvOptions::default())?.0)
    }

    /// Parses CSV text with reader options: under
    /// [`OrderPolicy::SkipAndReport`], rows whose timestamp is not after the
    /// previous kept row's are left out and returned with their lines.
    pub fn from_csv_str_with(
        source: &str,
        text: &str,
        opts: &CsvOptions,
    ) -> Result<(Self, Vec<SkippedRow>)> {
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
        for (k, n) in names.iter().enumerate() {
            if let Some(first) = names[..k].iter().position(|m| m == n) {
                let col = |i: usize| i + 1 + usize::from(has_ts);
                return Err(err(
                    source,
                    1,
                    col(k),
                    format!("duplicate column {n:?} (also column {})", col(first)),
                ));
            }
        }
        let width = header.len();
        let mut timestamps = has_ts.then(Vec::new);
        let mut columns = vec![Vec::new(); names.len()];
        let mut lines = Vec::new();
        let mut skipped = Vec::new();
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
                // The first column that is missing or extra.
                return Err(err(
                    source,
                    line,
                    rec.len().min(width) + 1,
                    format!("row has {} column(s); the header has {width}", rec.len()),
                ));
            }
            if let Some(ts) = timestamps.as_mut() {
                let text = rec.get(0).unwrap_or("");
                let t = Timestamp::parse(text).map_err(|e| err(source, line, 1, e.to_string()))?;
                if let Some(&prev) = ts.last()
                    && t <= prev
                {
                    if opts.order == OrderPolicy::SkipAndReport {
                        skipped.push(SkippedRow {
                            line,
                            timestamp: t,
                            previous: prev,
                        });
                        continue;
                    }
                    return Err(Error::Core(aiops_core::Error::OutOfOrder {
                        source_name: source.to_owned(),
                        line,
                        timestamp: t,
                        previous: prev,
                    }));
                }
                ts.push(t);
            }
            lines.push(line);
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
                        Ok(_) => {
                            return Err(err(
                                source,
                                line,
                                c + 1,
                                format!(
                                    "value {text:?} is not finite (empty, NaN or null mark a missing value)"
                                ),
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
        Ok((
            Table {
                timestamps,
                names,
                columns,
                lines,
            },
            skipped,
        ))
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
        let find = |option: &'static str, n: &String| {
            self.names
                .iter()
                .position(|c| c == n)
                .ok_or_else(|| Error::param(option, n, "no such column in the input"))
        };
        let mut idx: Vec<usize> = if include.is_empty() {
            (0..self.names.len()).collect()
        } else {
            include
                .iter()
                .map(|n| find("columns", n))
                .collect::<Result<_>>()?
        };
        for e in exclude {
            let k = find("exclude-columns", e)?;
            idx.retain(|&i| i != k);
        }
        if idx.is_empty() {
            return Err(Error::param("columns", "(none)", "no column left to score"));
        }
        Ok(idx)
    }

    /// The selected columns of the given rows (indices into the table, in
    /// the order given) as a matrix.
    pub fn matrix_rows(&self, columns: &[usize], rows: &[usize]) -> Array2<f64> {
        let mut m = Array2::zeros((rows.len(), columns.len()));
        for (j, &c) in columns.iter().enumerate() {
            for (i, &r) in rows.iter().enumerate() {
                m[[i, j]] = self.columns[c][r];
            }
        }
        m
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

    fn csv_error(r: Result<Table>) -> (u64, usize, String) {
        match r {
            Err(Error::Core(aiops_core::Error::Csv {
                line,
                column,
                message,
                ..
            })) => (line, column, message),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_line_and_column() {
        let (line, column, m) = csv_error(Table::from_csv_str(
            "t",
            "a,b,a
1,2,3
",
        ));
        assert_eq!((line, column), (1, 3));
        assert!(m.contains("duplicate column \"a\" (also column 1)"), "{m}");
        let (line, column, m) = csv_error(Table::from_csv_str(
            "t",
            "a,b
1,2
3
",
        ));
        assert_eq!((line, column), (3, 2), "{m}");
        let (line, column, m) = csv_error(Table::from_csv_str(
            "t",
            "a,b
1,2
3,4,5
",
        ));
        assert_eq!((line, column), (3, 3), "{m}");
        let (line, column, m) = csv_error(Table::from_csv_str(
            "t",
            "timestamp,a
0,1
60,1e400
",
        ));
        assert_eq!((line, column), (3, 2));
        assert!(m.contains("\"1e400\" is not finite"), "{m}");
        let t = Table::from_csv_str("t", "a,b\n1,2\n3,4\n").unwrap();
        let e = t.select(&[], &["zz".into()]).unwrap_err().to_string();
        assert!(e.contains("exclude-columns"), "{e}");
    }

    #[test]
    fn unsorted_rows_are_left_out_and_reported_when_asked() {
        let text = "timestamp,a\n0,1\n60,2\n60,3\n30,4\n120,5\n";
        assert!(Table::from_csv_str("t", text).is_err());
        let opts = CsvOptions {
            order: OrderPolicy::SkipAndReport,
        };
        let (t, skipped) = Table::from_csv_str_with("t", text, &opts).unwrap();
        assert_eq!(t.columns[0], vec![1.0, 2.0, 5.0]);
        assert_eq!(t.lines, vec![2, 3, 6]);
        assert_eq!(
            skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert!(skipped[0].is_duplicate() && !skipped[1].is_duplicate());
    }
}
