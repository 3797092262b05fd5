//! Readers for the two common CSV shapes of metric data.
//!
//! * NAB style: a header `timestamp,value` and one point per row.
//! * Wide: a header `timestamp,<series>,<series>,...` and one column per series.
//!
//! In both, an empty cell or `NaN` is a missing point: it is kept as NaN and
//! counted by [`TimeSeries::missing_count`], never dropped. Every error names
//! the input, the 1-based line and the 1-based column.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::series::{SeriesKey, TimeSeries};
use crate::time::Timestamp;

fn csv_err(source: &str, line: u64, column: usize, message: impl Into<String>) -> Error {
    Error::Csv {
        source_name: source.to_owned(),
        line,
        column,
        message: message.into(),
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// What a reader does with a row whose timestamp is not after the previous
/// kept row's (a duplicate, or a step back in time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderPolicy {
    /// Fail with an error naming the line (the default).
    #[default]
    Reject,
    /// Leave the row out of the series and report it in the returned list of
    /// [`SkippedRow`]s. Real exports contain such rows (NAB's
    /// `machine_temperature_system_failure.csv` repeats one hour), and a
    /// caller that accepts them must say so and surface the count.
    SkipAndReport,
}

/// Options of the `*_with` readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    /// Treatment of rows that are not after the previous kept row.
    pub order: OrderPolicy,
}

/// A row left out under [`OrderPolicy::SkipAndReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedRow {
    /// 1-based line of the row.
    pub line: u64,
    /// Its timestamp.
    pub timestamp: Timestamp,
    /// The last kept timestamp before it.
    pub previous: Timestamp,
}

impl SkippedRow {
    /// True when the row repeats the previous kept timestamp exactly.
    pub fn is_duplicate(&self) -> bool {
        self.timestamp == self.previous
    }
}

/// Parsed table: header names and columns of values, plus timestamps.
struct Table {
    header: Vec<String>,
    timestamps: Vec<Timestamp>,
    columns: Vec<Vec<f64>>,
    skipped: Vec<SkippedRow>,
}

fn parse_value(source: &str, line: u64, column: usize, field: &[u8]) -> Result<f64> {
    let text = std::str::from_utf8(field)
        .map_err(|_| csv_err(source, line, column, "value is not valid UTF-8"))?
        .trim();
    if text.is_empty() || text.eq_ignore_ascii_case("nan") || text.eq_ignore_ascii_case("null") {
        return Ok(f64::NAN);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(csv_err(
            source,
            line,
            column,
            format!("value {text:?} is not finite (empty, NaN or null mark a missing value)"),
        )),
        Err(_) => Err(csv_err(
            source,
            line,
            column,
            format!("value {text:?} is not a number"),
        )),
    }
}

fn read_table<R: Read>(source: &str, reader: R, opts: &CsvOptions) -> Result<Table> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = rdr.byte_records();
    let header_rec = match records.next() {
        None => return Err(csv_err(source, 1, 0, "empty input: expected a header line")),
        Some(r) => r.map_err(|e| from_csv_error(source, &e))?,
    };
    let mut header = Vec::with_capacity(header_rec.len());
    for (i, f) in header_rec.iter().enumerate() {
        let name = std::str::from_utf8(f)
            .map_err(|_| csv_err(source, 1, i + 1, "header is not valid UTF-8"))?
            .trim()
            .trim_start_matches('\u{feff}')
            .to_owned();
        header.push(name);
    }
    if header.len() < 2 {
        return Err(csv_err(
            source,
            1,
            0,
            format!(
                "header has {} column(s); expected a timestamp column and at least one value column",
                header.len()
            ),
        ));
    }
    if !header[0].eq_ignore_ascii_case("timestamp") {
        return Err(csv_err(
            source,
            1,
            1,
            format!(
                "first header column is {:?}; expected \"timestamp\"",
                header[0]
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, h) in header.iter().enumerate().skip(1) {
        if h.is_empty() {
            return Err(csv_err(source, 1, i + 1, "empty column name"));
        }
        if !seen.insert(h.as_str()) {
            return Err(csv_err(source, 1, i + 1, format!("duplicate column {h:?}")));
        }
    }
    let width = header.len();
    let mut timestamps = Vec::new();
    let mut columns = vec![Vec::new(); width - 1];
    let mut prev: Option<Timestamp> = None;
    let mut skipped = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| from_csv_error(source, &e))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
        {
            // A blank line carries no point.
            continue;
        }
        if rec.len() != width {
            // The first column that is missing or extra.
            return Err(csv_err(
                source,
                line,
                rec.len().min(width) + 1,
                format!("row has {} column(s); the header has {width}", rec.len()),
            ));
        }
        let ts_field = rec.get(0).unwrap_or_default();
        let ts_text = std::str::from_utf8(ts_field)
            .map_err(|_| csv_err(source, line, 1, "timestamp is not valid UTF-8"))?;
        let ts = Timestamp::parse(ts_text).map_err(|e| csv_err(source, line, 1, e.to_string()))?;
        if let Some(p) = prev {
            if ts <= p && opts.order == OrderPolicy::SkipAndReport {
                // Still validate the row's values so a skipped row cannot hide bad data.
                for c in 0..width - 1 {
                    parse_value(source, line, c + 2, rec.get(c + 1).unwrap_or_default())?;
                }
                skipped.push(SkippedRow {
                    line,
                    timestamp: ts,
                    previous: p,
                });
                continue;
            }
            if ts <= p {
                return Err(Error::OutOfOrder {
                    source_name: source.to_owned(),
                    line,
                    timestamp: ts,
                    previous: p,
                });
            }
        }
        prev = Some(ts);
        timestamps.push(ts);
        for (c, col) in columns.iter_mut().enumerate() {
            let field = rec.get(c + 1).unwrap_or_default();
            col.push(parse_value(source, line, c + 2, field)?);
        }
    }
    if timestamps.is_empty() {
        return Err(csv_err(source, 2, 0, "no data rows after the header"));
    }
    Ok(Table {
        header,
        timestamps,
        columns,
        skipped,
    })
}

fn from_csv_error(source: &str, e: &csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    csv_err(source, line, 0, e.to_string())
}

fn into_series(source: &str, table: Table) -> Result<Vec<TimeSeries>> {
    let Table {
        header,
        timestamps,
        columns,
        ..
    } = table;
    header
        .into_iter()
        .skip(1)
        .zip(columns)
        .map(|(name, values)| {
            TimeSeries::new(SeriesKey::new(name), timestamps.clone(), values)
                .map_err(|e| csv_err(source, 0, 0, e.to_string()))
        })
        .collect()
}

/// Reads a NAB-style `timestamp,value` CSV from any reader. The series is
/// named `name`; `name` also labels errors.
pub fn read_nab_csv_reader<R: Read>(name: &str, reader: R) -> Result<TimeSeries> {
    Ok(read_nab_csv_reader_with(name, reader, &CsvOptions::default())?.0)
}

/// [`read_nab_csv_reader`] with options; also returns the rows left out.
pub fn read_nab_csv_reader_with<R: Read>(
    name: &str,
    reader: R,
    opts: &CsvOptions,
) -> Result<(TimeSeries, Vec<SkippedRow>)> {
    let mut table = read_table(name, reader, opts)?;
    if table.header.len() != 2 {
        return Err(csv_err(
            name,
            1,
            0,
            format!(
                "header has {} columns; a NAB-style file has exactly `timestamp,value`",
                table.header.len()
            ),
        ));
    }
    let skipped = std::mem::take(&mut table.skipped);
    let (_, ts, values) = into_series(name, table)?
        .pop()
        .ok_or_else(|| csv_err(name, 1, 0, "no value column"))?
        .into_parts();
    let series = TimeSeries::new(SeriesKey::new(name), ts, values)
        .map_err(|e| csv_err(name, 0, 0, e.to_string()))?;
    Ok((series, skipped))
}

/// Reads a NAB-style CSV held in memory.
pub fn read_nab_csv_str(name: &str, text: &str) -> Result<TimeSeries> {
    read_nab_csv_reader(name, text.as_bytes())
}

/// Reads a NAB-style CSV file; the series is named after the file stem
/// (`machine_temperature_system_failure.csv` gives
/// `machine_temperature_system_failure`). Errors name the path.
pub fn read_nab_csv(path: impl AsRef<Path>) -> Result<TimeSeries> {
    Ok(read_nab_csv_with(path, &CsvOptions::default())?.0)
}

/// [`read_nab_csv`] with options; also returns the rows left out.
pub fn read_nab_csv_with(
    path: impl AsRef<Path>,
    opts: &CsvOptions,
) -> Result<(TimeSeries, Vec<SkippedRow>)> {
    let path = path.as_ref();
    let file = open(path)?;
    let (series, skipped) = read_nab_csv_reader_with(&path.display().to_string(), file, opts)?;
    let (_, ts, values) = series.into_parts();
    Ok((
        TimeSeries::new(SeriesKey::new(stem(path)), ts, values)?,
        skipped,
    ))
}

/// Reads a wide CSV (`timestamp,<series>,...`) from any reader: one series
/// per value column, named by its header. `name` labels errors.
pub fn read_wide_csv_reader<R: Read>(name: &str, reader: R) -> Result<Vec<TimeSeries>> {
    Ok(read_wide_csv_reader_with(name, reader, &CsvOptions::default())?.0)
}

/// [`read_wide_csv_reader`] with options; also returns the rows left out.
pub fn read_wide_csv_reader_with<R: Read>(
    name: &str,
    reader: R,
    opts: &CsvOptions,
) -> Result<(Vec<TimeSeries>, Vec<SkippedRow>)> {
    let mut table = read_table(name, reader, opts)?;
    let skipped = std::mem::take(&mut table.skipped);
    Ok((into_series(name, table)?, skipped))
}

/// Reads a wide CSV held in memory.
pub fn read_wide_csv_str(name: &str, text: &str) -> Result<Vec<TimeSeries>> {
    read_wide_csv_reader(name, text.as_bytes())
}

/// Reads a wide CSV file; errors name the path.
pub fn read_wide_csv(path: impl AsRef<Path>) -> Result<Vec<TimeSeries>> {
    let path = path.as_ref();
    let file = open(path)?;
    read_wide_csv_reader(&path.display().to_string(), file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_at(r: Result<impl std::fmt::Debug>) -> (u64, usize, String) {
        match r {
            Err(Error::Csv {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            Err(e @ Error::OutOfOrder { line, .. }) => (line, 1, e.to_string()),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    #[test]
    fn reads_nab_and_keeps_missing_points() -> Result<()> {
        let s = read_nab_csv_str(
            "x",
            "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,NaN\n2014-01-01 00:10:00,3\n",
        )?;
        assert_eq!(s.len(), 3);
        assert_eq!(s.missing_count(), 1);
        Ok(())
    }

    #[test]
    fn errors_name_line_and_column() {
        let (l, c, m) = err_at(read_nab_csv_str(
            "x",
            "timestamp,value\n2014-01-01 00:00:00,abc\n",
        ));
        assert_eq!((l, c), (2, 2), "{m}");
        let (l, c, _) = err_at(read_nab_csv_str(
            "x",
            "timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n",
        ));
        assert_eq!((l, c), (3, 1));
        let (l, c, m) = err_at(read_nab_csv_str(
            "x",
            "timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:05:00,2\n",
        ));
        assert_eq!((l, c), (3, 1));
        assert!(m.contains("duplicate"));
        let (l, _, m) = err_at(read_nab_csv_str(
            "x",
            "timestamp,value\n2014-01-01 00:05:00,1,4\n",
        ));
        assert_eq!(l, 2);
        assert!(m.contains("3 column"));
        let (l, _, _) = err_at(read_nab_csv_str("x", ""));
        assert_eq!(l, 1);
        let (l, _, m) = err_at(read_nab_csv_str("x", "timestamp,value\n"));
        assert_eq!(l, 2, "{m}");
        let (_, c, _) = err_at(read_nab_csv_str("x", "time,value\n1,2\n"));
        assert_eq!(c, 1);
        let (l, c, _) = err_at(read_nab_csv_str("x", "timestamp,value\nnot a time,2\n"));
        assert_eq!((l, c), (2, 1));
    }

    #[test]
    fn skip_policy_reports_rows_that_go_back() -> Result<()> {
        let text = "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n2014-01-01 00:05:00,9\n2014-01-01 00:01:00,9\n2014-01-01 00:10:00,3\n";
        let opts = CsvOptions {
            order: OrderPolicy::SkipAndReport,
        };
        let (s, skipped) = read_nab_csv_reader_with("x", text.as_bytes(), &opts)?;
        assert_eq!(s.values(), &[1.0, 2.0, 3.0]);
        assert_eq!(
            skipped.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert!(skipped[0].is_duplicate() && !skipped[1].is_duplicate());
        // A skipped row with a bad value is still an error.
        let bad = "timestamp,value\n2014-01-01 00:05:00,2\n2014-01-01 00:01:00,x\n";
        assert!(read_nab_csv_reader_with("x", bad.as_bytes(), &opts).is_err());
        Ok(())
    }

    #[test]
    fn reads_wide() -> Result<()> {
        let v = read_wide_csv_str(
            "w",
            "timestamp,a,b:c\n2014-01-01T00:00:00Z,1,\n2014-01-01T00:01:00Z,2,5\n",
        )?;
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].key().name(), "b:c");
        assert_eq!(v[1].missing_count(), 1);
        let (l, c, _) = err_at(read_wide_csv_str("w", "timestamp,a,a\n1,2,3\n"));
        assert_eq!((l, c), (1, 3));
        Ok(())
    }

    #[test]
    fn unknown_path_is_an_io_error() {
        assert!(matches!(
            read_nab_csv("/definitely/not/here.csv"),
            Err(Error::Io { .. })
        ));
    }
}
