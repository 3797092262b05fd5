//! Metric sources: in-memory series and CSV files.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use aiops_core::{CsvOptions, Observation, SkippedRow, TimeSeries, Timestamp, read_nab_csv_with};
use async_trait::async_trait;

use crate::error::Result;
use crate::ops::traits::MetricSource;

/// Replays a set of series as one stream in global timestamp order (a k-way
/// merge; ties go to the series given first). Missing (NaN) points are
/// replayed too, so the orchestrator can count them.
#[derive(Debug)]
pub struct SeriesSource {
    name: String,
    series: Vec<TimeSeries>,
    cursor: Vec<usize>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    batch: usize,
    total: usize,
    skipped: Vec<Vec<SkippedRow>>,
}

impl SeriesSource {
    /// A source over series already in memory.
    pub fn new(name: impl Into<String>, series: Vec<TimeSeries>) -> Self {
        let mut heap = BinaryHeap::new();
        for (i, s) in series.iter().enumerate() {
            if let Some(&t) = s.timestamps().first() {
                heap.push(Reverse((t, i)));
            }
        }
        let total = series.iter().map(TimeSeries::len).sum();
        SeriesSource {
            name: name.into(),
            cursor: vec![0; series.len()],
            series,
            heap,
            batch: 4096,
            total,
            skipped: Vec::new(),
        }
    }

    /// A source over NAB-style CSV files; each series is named after its
    /// file stem. Rows out of time order are an error.
    pub fn from_csv_files<P: AsRef<Path>>(paths: &[P]) -> Result<Self> {
        Self::from_csv_files_with(paths, &CsvOptions::default())
    }

    /// Like [`SeriesSource::from_csv_files`] with reader options; rows left
    /// out under [`aiops_core::OrderPolicy::SkipAndReport`] are kept in
    /// [`SeriesSource::skipped`] and counted in the run's report.
    pub fn from_csv_files_with<P: AsRef<Path>>(paths: &[P], opts: &CsvOptions) -> Result<Self> {
        let mut series = Vec::with_capacity(paths.len());
        let mut skipped = Vec::with_capacity(paths.len());
        for p in paths {
            let (s, sk) = read_nab_csv_with(p.as_ref(), opts)?;
            series.push(s);
            skipped.push(sk);
        }
        let mut src = SeriesSource::new("csv", series);
        src.skipped = skipped;
        Ok(src)
    }

    /// Attaches the rows a reader left out of each series (one list per
    /// series, in the order given to [`SeriesSource::new`]), so the run's
    /// report counts them, as [`SeriesSource::from_csv_files_with`] does.
    ///
    /// # Errors
    /// [`crate::Error::Config`] when there is not one list per series.
    pub fn with_skipped(mut self, skipped: Vec<Vec<SkippedRow>>) -> Result<Self> {
        if skipped.len() != self.series.len() {
            return Err(crate::Error::Config {
                field: "skipped",
                message: format!(
                    "{} lists of skipped rows for {} series",
                    skipped.len(),
                    self.series.len()
                ),
            });
        }
        self.skipped = skipped;
        Ok(self)
    }

    /// Rows left out of each series by the reader, with their line numbers.
    pub fn skipped(&self) -> impl Iterator<Item = (&str, &[SkippedRow])> {
        self.series
            .iter()
            .zip(&self.skipped)
            .map(|(s, k)| (s.key().name(), k.as_slice()))
    }

    /// The series this source replays.
    pub fn series(&self) -> &[TimeSeries] {
        &self.series
    }
}

#[async_trait]
impl MetricSource for SeriesSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn next_batch(&mut self) -> Result<Option<Vec<Observation>>> {
        if self.heap.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.batch);
        while out.len() < self.batch {
            let Some(Reverse((t, i))) = self.heap.pop() else {
                break;
            };
            let s = &self.series[i];
            let c = self.cursor[i];
            out.push(Observation {
                key: s.key().clone(),
                timestamp: t,
                value: s.values()[c],
            });
            self.cursor[i] = c + 1;
            if let Some(&next) = s.timestamps().get(c + 1) {
                self.heap.push(Reverse((next, i)));
            }
        }
        Ok(Some(out))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.total)
    }

    fn skipped_rows(&self, resource: &str) -> usize {
        self.skipped()
            .filter(|(n, _)| *n == resource)
            .map(|(_, k)| k.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_core::SeriesKey;

    fn series(name: &str, ts: &[i64]) -> TimeSeries {
        let t = ts.iter().map(|&s| Timestamp::from_secs(s)).collect();
        TimeSeries::new(SeriesKey::new(name), t, vec![1.0; ts.len()]).unwrap()
    }

    #[tokio::test]
    async fn merges_in_time_order_without_loss() {
        let mut src = SeriesSource::new(
            "t",
            vec![series("a", &[1, 4, 9]), series("b", &[2, 3, 9, 10])],
        );
        let mut seen = Vec::new();
        while let Some(batch) = src.next_batch().await.unwrap() {
            seen.extend(
                batch
                    .into_iter()
                    .map(|o| (o.timestamp.as_millis() / 1000, o.key.name().to_owned())),
            );
        }
        let ts: Vec<i64> = seen.iter().map(|x| x.0).collect();
        assert_eq!(ts, vec![1, 2, 3, 4, 9, 9, 10]);
        assert_eq!(seen[4].1, "a");
    }
}
