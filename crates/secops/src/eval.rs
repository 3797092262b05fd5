//! Loghub evaluation: grouping accuracy, parsing accuracy, ground-truth reading and
//! structured CSV output.

use std::collections::HashMap;
use std::hash::Hash;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::miner::MinedLog;

/// Grouping accuracy (Zhu et al.): the share of lines whose predicted group holds
/// exactly the same set of lines as their ground-truth group.
pub fn grouping_accuracy<A: Eq + Hash, B: Eq + Hash>(truth: &[A], predicted: &[B]) -> Result<f64> {
    if truth.len() != predicted.len() {
        return Err(Error::LengthMismatch {
            truth: truth.len(),
            predicted: predicted.len(),
        });
    }
    if truth.is_empty() {
        return Ok(1.0);
    }
    let mut truth_size: HashMap<&A, usize> = HashMap::new();
    for t in truth {
        *truth_size.entry(t).or_default() += 1;
    }
    // For each predicted group: its size and the set of truth ids it covers.
    let mut groups: HashMap<&B, (usize, Option<&A>, bool)> = HashMap::new();
    for (t, p) in truth.iter().zip(predicted) {
        let g = groups.entry(p).or_insert((0, Some(t), true));
        g.0 += 1;
        if g.1 != Some(t) {
            g.2 = false;
        }
    }
    let correct: usize = groups
        .values()
        .filter(|(size, t, pure)| *pure && t.is_some_and(|t| truth_size.get(t) == Some(size)))
        .map(|(size, _, _)| *size)
        .sum();
    Ok(correct as f64 / truth.len() as f64)
}

fn normalise(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parsing accuracy: the share of lines whose predicted template equals the
/// ground-truth template (whitespace-normalised).
pub fn parsing_accuracy<A: AsRef<str>, B: AsRef<str>>(truth: &[A], predicted: &[B]) -> Result<f64> {
    if truth.len() != predicted.len() {
        return Err(Error::LengthMismatch {
            truth: truth.len(),
            predicted: predicted.len(),
        });
    }
    if truth.is_empty() {
        return Ok(1.0);
    }
    let ok = truth
        .iter()
        .zip(predicted)
        .filter(|(t, p)| normalise(t.as_ref()) == normalise(p.as_ref()))
        .count();
    Ok(ok as f64 / truth.len() as f64)
}

/// The `EventId` and `EventTemplate` columns of a Loghub `*_structured.csv`.
#[derive(Debug, Clone, Default)]
pub struct GroundTruth {
    /// Event id per line.
    pub event_ids: Vec<String>,
    /// Template per line.
    pub templates: Vec<String>,
}

/// Reads a Loghub structured CSV (needs `EventId` and `EventTemplate` columns).
pub fn read_ground_truth(path: impl AsRef<Path>) -> Result<GroundTruth> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let csv_err = |line: u64, message: String| Error::Csv {
        path: name.clone(),
        line,
        message,
    };
    let headers = rdr
        .headers()
        .map_err(|e| csv_err(1, e.to_string()))?
        .clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .ok_or_else(|| csv_err(1, format!("no `{n}` column")))
    };
    let (id_col, tpl_col) = (col("EventId")?, col("EventTemplate")?);
    let mut gt = GroundTruth::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_err(line, e.to_string())
        })?;
        gt.event_ids
            .push(rec.get(id_col).unwrap_or_default().to_owned());
        gt.templates
            .push(rec.get(tpl_col).unwrap_or_default().to_owned());
    }
    Ok(gt)
}

/// Writes `LineId,<header fields>,Content,EventId,EventTemplate` for a mined log.
pub fn write_structured_csv<W: Write>(out: W, mined: &MinedLog) -> Result<()> {
    // An I/O failure (a closed pipe) keeps its `io::Error` as the source so
    // callers can tell it apart from a malformed record.
    let io = |e: csv::Error| {
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => Error::Io {
                path: "<output>".into(),
                source,
            },
            _ => Error::Csv {
                path: "<output>".to_owned(),
                line: 0,
                message,
            },
        }
    };
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = vec!["LineId"];
    header.extend(mined.field_names.iter().map(String::as_str));
    header.extend(["Content", "EventId", "EventTemplate"]);
    w.write_record(&header).map_err(io)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for (rec, id) in mined.log.records.iter().zip(&mined.events) {
        row.clear();
        row.push(rec.line.to_string());
        row.extend(rec.fields.iter().cloned());
        row.push(rec.content.clone());
        row.push(id.to_string());
        row.push(mined.template_text(*id));
        w.write_record(&row).map_err(io)?;
    }
    w.flush().map_err(|e| io(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_accuracy_counts_exact_groups_only() {
        let truth = ["a", "a", "b", "b", "c"];
        assert_eq!(grouping_accuracy(&truth, &[1, 1, 2, 2, 3]).unwrap(), 1.0);
        // b split in two: the b lines are wrong.
        assert_eq!(grouping_accuracy(&truth, &[1, 1, 2, 4, 3]).unwrap(), 0.6);
        // b and c merged: b and c lines wrong.
        assert_eq!(grouping_accuracy(&truth, &[1, 1, 2, 2, 2]).unwrap(), 0.4);
        assert!(grouping_accuracy(&truth, &[1]).is_err());
        assert_eq!(
            parsing_accuracy(&["a  <*>", "b"], &["a <*>", "c"]).unwrap(),
            0.5
        );
    }
}
