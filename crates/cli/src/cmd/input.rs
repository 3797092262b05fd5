//! Shared input helpers: `-` means standard input.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// Reads a whole input named on the command line; `-` reads standard input.
/// Text that is not UTF-8 is an error naming the line and column of the
/// first invalid byte.
pub(crate) fn read_to_string(path: &Path) -> anyhow::Result<String> {
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        anyhow::anyhow!(
            "{}:{line}:{}: not valid UTF-8 (byte 0x{:02x})",
            display_name(path),
            at - line_start + 1,
            bytes[at]
        )
    })
}

/// Display name of an input: `stdin` for `-`, else the path.
pub(crate) fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a `timestamp,value` CSV named on the command line (`-` is stdin)
/// as one series named after the file stem (`stdin` for `-`). With
/// `skip_unsorted`, rows out of time order are left out and counted on
/// stderr and returned; otherwise they are an error that points at the flag.
pub(crate) fn read_series(
    path: &Path,
    skip_unsorted: bool,
) -> anyhow::Result<(aiops::core::TimeSeries, Vec<aiops::core::SkippedRow>)> {
    use aiops::core::{CsvOptions, OrderPolicy, SeriesKey, TimeSeries, read_nab_csv_reader_with};

    let text = read_to_string(path)?;
    let name = display_name(path);
    let opts = CsvOptions {
        order: if skip_unsorted {
            OrderPolicy::SkipAndReport
        } else {
            OrderPolicy::Reject
        },
    };
    let (series, skipped) =
        read_nab_csv_reader_with(&name, text.as_bytes(), &opts).map_err(|e| match e {
            aiops::core::Error::OutOfOrder { .. } => {
                anyhow::anyhow!("{e} (--skip-unsorted leaves such rows out and counts them)")
            }
            other => other.into(),
        })?;
    if !skipped.is_empty() {
        #[allow(clippy::print_stderr, reason = "a CLI reports what it left out")]
        {
            eprintln!(
                "aiops: note: {name}: {} row(s) out of time order left out",
                skipped.len()
            );
        }
    }
    let key = if path == Path::new("-") {
        name
    } else {
        path.file_stem()
            .map_or(name, |s| s.to_string_lossy().into_owned())
    };
    let (_, ts, values) = series.into_parts();
    Ok((TimeSeries::new(SeriesKey::new(key), ts, values)?, skipped))
}

/// A number for CSV output: the shortest text that reads back to the same
/// `f64`, in exponent form when plain digits would be long (`2.7e-183`,
/// not 183 zeros).
pub(crate) fn num(x: f64) -> String {
    aiops::core::Num(x).to_string()
}
