//! Deployment history: an append-only record of rollouts, persisted
//! atomically, with the last healthy revision, change failure rate and time
//! to restore.

use std::io::Write;
use std::path::{Path, PathBuf};

use aiops_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::judge::Verdict;

/// How a deployment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The revision became stable and healthy.
    Succeeded,
    /// The revision went out and failed in service (needs a later fix).
    Failed,
    /// The rollout was aborted; traffic went back to the stable revision.
    Aborted,
    /// The revision was rolled back to an earlier one.
    RolledBack,
}

impl Outcome {
    /// Whether this is a failed change (DORA): anything but `Succeeded`.
    pub fn is_failure(self) -> bool {
        self != Self::Succeeded
    }
}

/// Summary of a canary judgement kept with the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgementSummary {
    /// Score in [0, 100].
    pub score: f64,
    /// Verdict.
    pub verdict: Verdict,
    /// Metrics classified High or Low.
    pub failed_metrics: Vec<String>,
}

/// One deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    /// Revision deployed (commit id or version).
    pub revision: String,
    /// Revision it replaced.
    pub previous: Option<String>,
    /// When the rollout started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// How it ended.
    pub outcome: Outcome,
    /// Steps taken (timeline messages).
    #[serde(default)]
    pub steps: Vec<String>,
    /// Canary judgements made during the rollout.
    #[serde(default)]
    pub judgements: Vec<JudgementSummary>,
}

/// The history: records in the order they were appended, optionally backed
/// by a JSON Lines file rewritten atomically on each append.
#[derive(Debug, Clone, Default)]
pub struct DeploymentHistory {
    path: Option<PathBuf>,
    records: Vec<DeploymentRecord>,
}

impl DeploymentHistory {
    /// An in-memory history.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Opens (or starts) the history stored at `path` (JSON Lines). A
    /// missing file is an empty history.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::HistoryCorrupt`]
    /// for a line that is not a record.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut records = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: DeploymentRecord =
                serde_json::from_str(line).map_err(|e| Error::HistoryCorrupt {
                    path: path.clone(),
                    line: i + 1,
                    message: e.to_string(),
                })?;
            records.push(r);
        }
        Ok(Self {
            path: Some(path),
            records,
        })
    }

    /// The records, oldest first.
    pub fn records(&self) -> &[DeploymentRecord] {
        &self.records
    }

    /// Appends a record and, for a file-backed history, persists the whole
    /// history atomically: written to a temporary file in the same
    /// directory, fsynced, renamed over the old file, directory fsynced. A
    /// crash leaves either the old or the new file, never a torn one.
    ///
    /// # Errors
    /// [`Error::Record`] when the record ends before it starts or starts
    /// before the previous record started (the history is append-only in
    /// time); [`Error::Io`] when persisting fails (the record is then not kept).
    pub fn append(&mut self, record: DeploymentRecord) -> Result<()> {
        if record.finished_at < record.started_at {
            return Err(Error::Record {
                revision: record.revision,
                message: format!(
                    "finishes at {} before it starts at {}",
                    record.finished_at, record.started_at
                ),
            });
        }
        if let Some(last) = self.records.last()
            && record.started_at < last.started_at
        {
            return Err(Error::Record {
                revision: record.revision,
                message: format!(
                    "starts at {} before the previous record ({})",
                    record.started_at, last.started_at
                ),
            });
        }
        self.records.push(record);
        if let Some(path) = &self.path
            && let Err(e) = persist(path, &self.records)
        {
            self.records.pop();
            return Err(e);
        }
        Ok(())
    }

    /// The most recent revision that succeeded.
    pub fn last_healthy_revision(&self) -> Option<&str> {
        self.records
            .iter()
            .rev()
            .find(|r| r.outcome == Outcome::Succeeded)
            .map(|r| r.revision.as_str())
    }

    /// Share of deployments that failed (DORA change failure rate), `None`
    /// for an empty history.
    pub fn change_failure_rate(&self) -> Option<f64> {
        if self.records.is_empty() {
            return None;
        }
        let failed = self
            .records
            .iter()
            .filter(|r| r.outcome.is_failure())
            .count();
        Some(failed as f64 / self.records.len() as f64)
    }

    /// Time to restore (milliseconds) of each failed change, in order.
    ///
    /// An aborted or rolled-back rollout restored service itself: from its
    /// start to its end. A failed one is restored by the next succeeded
    /// deployment: from its start to that deployment's end. A failed change
    /// not yet restored is left out.
    pub fn times_to_restore(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for (i, r) in self.records.iter().enumerate() {
            match r.outcome {
                Outcome::Succeeded => {}
                Outcome::Aborted | Outcome::RolledBack => {
                    out.push(r.finished_at.millis_since(r.started_at));
                }
                Outcome::Failed => {
                    if let Some(fix) = self.records[i + 1..]
                        .iter()
                        .find(|n| n.outcome == Outcome::Succeeded)
                    {
                        out.push(fix.finished_at.millis_since(r.started_at));
                    }
                }
            }
        }
        out
    }

    /// Mean of [`Self::times_to_restore`] in milliseconds (`None` when no
    /// failed change was restored).
    pub fn mean_time_to_restore(&self) -> Option<f64> {
        let t = self.times_to_restore();
        (!t.is_empty()).then(|| t.iter().map(|&v| v as f64).sum::<f64>() / t.len() as f64)
    }
}

fn persist(path: &Path, records: &[DeploymentRecord]) -> Result<()> {
    let io = |source: std::io::Error| Error::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "history".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        let mut buf = Vec::new();
        for r in records {
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        f.write_all(&buf)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename durable (not supported on every platform).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rev: &str, start: i64, end: i64, outcome: Outcome) -> DeploymentRecord {
        DeploymentRecord {
            revision: rev.to_owned(),
            previous: None,
            started_at: Timestamp::from_secs(start),
            finished_at: Timestamp::from_secs(end),
            outcome,
            steps: vec![],
            judgements: vec![],
        }
    }

    #[test]
    fn metrics_by_hand() {
        let mut h = DeploymentHistory::in_memory();
        assert_eq!(h.change_failure_rate(), None);
        h.append(rec("a", 0, 100, Outcome::Succeeded)).unwrap();
        h.append(rec("b", 200, 300, Outcome::RolledBack)).unwrap();
        h.append(rec("c", 400, 500, Outcome::Failed)).unwrap();
        h.append(rec("d", 600, 900, Outcome::Succeeded)).unwrap();
        assert_eq!(h.last_healthy_revision(), Some("d"));
        assert_eq!(h.change_failure_rate(), Some(0.5));
        // b: 100 s; c: 400 -> 900 = 500 s.
        assert_eq!(h.times_to_restore(), vec![100_000, 500_000]);
        assert_eq!(h.mean_time_to_restore(), Some(300_000.0));
        assert!(matches!(
            h.append(rec("e", 10, 20, Outcome::Succeeded)),
            Err(Error::Record { .. })
        ));
        assert!(matches!(
            h.append(rec("e", 1000, 20, Outcome::Succeeded)),
            Err(Error::Record { .. })
        ));
    }
}
