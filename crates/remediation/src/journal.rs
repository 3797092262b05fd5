//! The append-only JSON-lines audit journal.
//!
//! Every decision, guard verdict, action, result, verification, rollback,
//! escalation and learning outcome is one JSON object on one line. Lines are
//! written and flushed *before* the action they describe runs (the
//! [`Journaled`](crate::guard::Journaled) wrapper writes `action_started`
//! immediately before calling the real executor), so a crash loses nothing
//! that was acted on: replay shows every started action, and one started
//! without a result is *in doubt* and is not repeated automatically
//! (at-most-once). After a failed write the journal refuses every further
//! write, and the engine runs no action it could not record.
//!
//! Replay tolerates a torn last line (a crash in the middle of a write) and
//! rejects a corrupt line anywhere else with its line number.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aiops_core::{IncidentId, Severity};
use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind, Outcome};
use crate::error::{Error, Result};
use crate::executor::{Clock, SystemClock, lock};

/// What one journal line records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Entry {
    /// Severity assessed and runbook chosen for an incident.
    Decision {
        /// The resource.
        resource: String,
        /// Assessed severity.
        severity: Severity,
        /// Why.
        reasons: Vec<String>,
        /// Incident class used for learning.
        class: String,
        /// The matching runbooks.
        candidates: Vec<String>,
        /// The chosen runbook, if any matched.
        runbook: Option<String>,
    },
    /// An action is about to go through the guard stack.
    ActionPlanned {
        /// The action.
        action: Action,
    },
    /// The real executor is about to run an action (all guards allowed it).
    ActionStarted {
        /// The action.
        action: Action,
        /// 1-based attempt number when retried, else 1.
        attempt: u32,
    },
    /// What the executor returned for one attempt.
    AttemptResult {
        /// Idempotency key of the action.
        idempotency_key: String,
        /// 1-based attempt number.
        attempt: u32,
        /// The executor's outcome.
        outcome: Outcome,
    },
    /// The final outcome of an action after guards, retries and timeouts.
    ActionResult {
        /// The step name.
        step: String,
        /// The action kind.
        kind: ActionKind,
        /// The resource.
        resource: String,
        /// Idempotency key.
        idempotency_key: String,
        /// The outcome.
        outcome: Outcome,
    },
    /// A verification was evaluated.
    Verification {
        /// The step.
        step: String,
        /// Metric checked.
        metric: String,
        /// Last value read, if any.
        value: Option<f64>,
        /// Whether the condition held.
        held: bool,
        /// Human-readable detail.
        detail: String,
    },
    /// Rollback started for a runbook run.
    Rollback {
        /// The runbook.
        runbook: String,
        /// Why.
        reason: String,
    },
    /// Escalation from one runbook to another.
    Escalation {
        /// The failing runbook.
        from: String,
        /// The escalation runbook.
        to: String,
        /// Why.
        reason: String,
    },
    /// Outcome of a runbook run, for learning.
    RunbookOutcome {
        /// Incident class.
        class: String,
        /// Runbook.
        runbook: String,
        /// Whether it remediated the incident.
        success: bool,
        /// Time to recover in milliseconds, when known.
        ttr_ms: Option<i64>,
    },
    /// Free text (kill switch toggled, breaker reset, ...).
    Note {
        /// The message.
        message: String,
    },
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Sequence number, increasing within one journal.
    pub seq: u64,
    /// Wall-clock time of the write, ms since the epoch.
    pub at_ms: i64,
    /// The incident concerned, if any.
    pub incident: Option<IncidentId>,
    /// What happened.
    #[serde(flatten)]
    pub entry: Entry,
}

/// Where journal lines go. Each call appends one complete line (with its
/// newline) and must not return before the bytes are flushed to the
/// operating system (or further, see [`Durability`]).
pub trait JournalSink: Send + fmt::Debug {
    /// Appends one line.
    fn append_line(&mut self, line: &[u8]) -> std::io::Result<()>;
    /// Everything written so far, for replay; `None` if not readable.
    fn contents(&mut self) -> std::io::Result<Option<Vec<u8>>>;
}

/// How far a file journal pushes each line before the action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `write` + `flush`: survives a crash of the process.
    #[default]
    Flush,
    /// Also `fsync` the data: survives a crash of the machine (slower).
    Sync,
}

/// A journal file opened for appending.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    file: File,
    durability: Durability,
}

impl FileSink {
    /// Opens (creating if needed) `path` for appending. A torn last line
    /// left by a crash is terminated so the next line starts cleanly.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
            file.read_exact(&mut last).map_err(io)?;
            if last[0] != b'\n' {
                // A torn line was never acted on (actions run only after a
                // complete, flushed line): cut it off.
                let mut bytes = Vec::new();
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                file.read_to_end(&mut bytes).map_err(io)?;
                let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
                tracing::warn!(path = %path.display(), torn_bytes = bytes.len() - keep, "cutting a torn last journal line");
                file.set_len(keep as u64).map_err(io)?;
                file.sync_data().map_err(io)?;
            }
        }
        Ok(FileSink {
            path,
            file,
            durability,
        })
    }
}

impl JournalSink for FileSink {
    fn append_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.file.write_all(line)?;
        self.file.flush()?;
        if self.durability == Durability::Sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn contents(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        std::fs::read(&self.path).map(Some)
    }
}

/// An in-memory journal; clones share the buffer.
#[derive(Debug, Clone, Default)]
pub struct MemorySink(Arc<Mutex<Vec<u8>>>);

impl MemorySink {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }
}

impl JournalSink for MemorySink {
    fn append_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        lock(&self.0).extend_from_slice(line);
        Ok(())
    }

    fn contents(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        Ok(Some(self.bytes()))
    }
}

/// The audit journal. Shared behind an `Arc`; writes are serialised.
#[derive(Debug)]
pub struct Journal {
    name: String,
    sink: Mutex<Box<dyn JournalSink>>,
    seq: AtomicU64,
    failed: AtomicBool,
    clock: Arc<dyn Clock>,
}

impl Journal {
    /// A journal writing to `sink`; `name` labels errors. Sequence numbers start at `next_seq`.
    pub fn with_sink(name: impl Into<String>, sink: Box<dyn JournalSink>, next_seq: u64) -> Self {
        Journal {
            name: name.into(),
            sink: Mutex::new(sink),
            seq: AtomicU64::new(next_seq),
            failed: AtomicBool::new(false),
            clock: Arc::new(SystemClock),
        }
    }

    /// An in-memory journal.
    pub fn in_memory() -> Self {
        Self::with_sink("memory", Box::new(MemorySink::new()), 0)
    }

    /// Opens a journal file for appending and replays what it already holds
    /// (so learning statistics and idempotency keys survive a restart).
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<(Journal, Replay)> {
        let path = path.as_ref();
        let replay = if path.exists() {
            Replay::from_path(path)?
        } else {
            Replay::default()
        };
        let sink = FileSink::open(path, durability)?;
        let next = replay.records.last().map_or(0, |r| r.seq + 1);
        Ok((
            Self::with_sink(path.display().to_string(), Box::new(sink), next),
            replay,
        ))
    }

    /// Uses `clock` for the `at_ms` of new records.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The journal's name (path or `memory`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a write has failed; a failed journal accepts no more writes.
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Appends one record and flushes it. Fails (and stays failed) if the
    /// sink fails; the caller must then not run the action described.
    pub fn append(&self, incident: Option<IncidentId>, entry: Entry) -> Result<u64> {
        let write_err = |source| Error::JournalWrite {
            target: self.name.clone(),
            source,
        };
        let mut sink = lock(&self.sink);
        if self.failed.load(Ordering::SeqCst) {
            return Err(write_err(std::io::Error::other(
                "journal failed earlier; refusing further writes",
            )));
        }
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        let record = Record {
            seq,
            at_ms: self.clock.now_millis(),
            incident,
            entry,
        };
        let mut line = serde_json::to_vec(&record)
            .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
        line.push(b'\n');
        if let Err(e) = sink.append_line(&line) {
            self.failed.store(true, Ordering::SeqCst);
            tracing::error!(journal = %self.name, error = %e, "audit journal write failed");
            return Err(write_err(e));
        }
        Ok(seq)
    }

    /// Replays what this journal holds (file or memory).
    pub fn replay(&self) -> Result<Replay> {
        let bytes = lock(&self.sink).contents().map_err(|source| Error::Io {
            path: PathBuf::from(&self.name),
            source,
        })?;
        match bytes {
            Some(b) => Replay::from_bytes(&self.name, &b),
            None => Ok(Replay::default()),
        }
    }
}

/// The records of a journal, read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Every complete record, in file order.
    pub records: Vec<Record>,
    /// Whether the last line was torn (a crash in the middle of a write) and skipped.
    pub truncated_tail: bool,
}

/// What replay says happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionHistory {
    /// The action as planned.
    pub action: Action,
    /// Whether the real executor was called (an `action_started` line exists).
    pub started: bool,
    /// The final outcome, if one was recorded.
    pub outcome: Option<Outcome>,
}

impl Replay {
    /// Reads a journal file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&path.display().to_string(), &bytes)
    }

    /// Parses journal bytes; `name` labels errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self> {
        let mut out = Replay::default();
        let ends_with_newline = bytes.last().is_none_or(|b| *b == b'\n');
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let last_unterminated = i + 1 == n && !ends_with_newline;
            match serde_json::from_slice::<Record>(line) {
                Ok(r) => out.records.push(r),
                Err(_) if last_unterminated => out.truncated_tail = true,
                Err(e) => {
                    return Err(Error::JournalCorrupt {
                        source_name: name.to_owned(),
                        line: i + 1,
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Records of one incident, in order.
    pub fn incident(&self, id: IncidentId) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| r.incident == Some(id))
            .collect()
    }

    /// Incidents mentioned, in ascending order.
    pub fn incidents(&self) -> BTreeSet<IncidentId> {
        self.records.iter().filter_map(|r| r.incident).collect()
    }

    /// Every action that reached the executor or was planned, keyed by
    /// idempotency key, in first-seen order, with its final outcome.
    pub fn actions(&self) -> Vec<ActionHistory> {
        let mut order: Vec<String> = Vec::new();
        let mut map: HashMap<String, ActionHistory> = HashMap::new();
        for r in &self.records {
            match &r.entry {
                Entry::ActionPlanned { action } | Entry::ActionStarted { action, .. } => {
                    let started = matches!(r.entry, Entry::ActionStarted { .. });
                    let h = map
                        .entry(action.idempotency_key.clone())
                        .or_insert_with(|| {
                            order.push(action.idempotency_key.clone());
                            ActionHistory {
                                action: action.clone(),
                                started: false,
                                outcome: None,
                            }
                        });
                    h.started |= started;
                }
                Entry::ActionResult {
                    idempotency_key,
                    outcome,
                    ..
                } => {
                    if let Some(h) = map.get_mut(idempotency_key) {
                        h.outcome = Some(outcome.clone());
                    }
                }
                _ => {}
            }
        }
        order.into_iter().filter_map(|k| map.remove(&k)).collect()
    }

    /// Idempotency keys of actions that must not run again: executed, or
    /// started without a recorded result (in doubt after a crash).
    pub fn done_keys(&self) -> Vec<(String, bool)> {
        self.actions()
            .into_iter()
            .filter_map(|h| match (&h.outcome, h.started) {
                (Some(Outcome::Executed { .. }), _) => Some((h.action.idempotency_key, false)),
                (None, true) => Some((h.action.idempotency_key, true)),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(j: &Journal, m: &str) -> Result<u64> {
        j.append(None, Entry::Note { message: m.into() })
    }

    #[test]
    fn memory_round_trip() -> Result<()> {
        let j = Journal::in_memory();
        note(&j, "a")?;
        let a = Action::new(Some(IncidentId(3)), ActionKind::Restart, "db", "rb", "s");
        j.append(
            Some(IncidentId(3)),
            Entry::ActionStarted {
                action: a.clone(),
                attempt: 1,
            },
        )?;
        let r = j.replay()?;
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.incident(IncidentId(3)).len(), 1);
        assert_eq!(r.records[1].seq, 1);
        assert_eq!(r.done_keys(), vec![(a.idempotency_key, true)]);
        Ok(())
    }

    #[test]
    fn torn_tail_is_tolerated_but_corruption_is_not() -> Result<()> {
        let j = Journal::in_memory();
        note(&j, "a")?;
        note(&j, "b")?;
        let r = j.replay()?;
        let mut bytes = serde_json::to_vec(&r.records[0]).map_err(|e| Error::Config {
            field: "t".into(),
            message: e.to_string(),
        })?;
        bytes.extend_from_slice(b"\n{\"seq\":1,\"at_");
        let rep = Replay::from_bytes("t", &bytes)?;
        assert!(rep.truncated_tail);
        assert_eq!(rep.records.len(), 1);
        bytes.extend_from_slice(b"\n");
        assert!(matches!(
            Replay::from_bytes("t", &bytes),
            Err(Error::JournalCorrupt { line: 2, .. })
        ));
        Ok(())
    }

    #[test]
    fn file_journal_reopens_and_continues() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: "tmp".into(),
            source,
        })?;
        let path = dir.path().join("j.jsonl");
        {
            let (j, rep) = Journal::open(&path, Durability::Flush)?;
            assert!(rep.records.is_empty());
            note(&j, "one")?;
        }
        // Simulate a torn write left by a crash.
        let mut f = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        f.write_all(b"{\"seq\":9").map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        drop(f);
        let rep = Replay::from_path(&path)?;
        assert!(rep.truncated_tail);
        let (j, rep) = Journal::open(&path, Durability::Sync)?;
        assert_eq!(rep.records.len(), 1);
        // The torn line was cut off; appending continues cleanly.
        note(&j, "two")?;
        let rep = Replay::from_path(&path)?;
        assert!(!rep.truncated_tail);
        assert_eq!(rep.records.len(), 2);
        assert_eq!(rep.records[1].seq, 1);
        Ok(())
    }
}
