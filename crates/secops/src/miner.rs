//! Mining whole logs: a format plus a Drain miner, the final template merge, and a
//! batch mode that mines several files in parallel (one thread per file, bounded by
//! the available cores).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::drain::{Change, Drain, DrainParams};
use crate::error::Result;
use crate::format::{LogFormat, LogRecord, ParsedLog};
use crate::improve;
use crate::mask::MaskScratch;
use crate::template::{Template, TemplateId};

/// A streaming miner for one log format: masks each record's content with the
/// format's rules and feeds it to [`Drain`].
#[derive(Debug, Clone)]
pub struct LogMiner {
    format: LogFormat,
    drain: Drain,
}

impl LogMiner {
    /// A miner with the format's recommended parameters.
    pub fn new(format: LogFormat) -> Result<Self> {
        let params = format.drain_params();
        Self::with_params(format, params)
    }

    /// A miner with explicit parameters.
    pub fn with_params(format: LogFormat, params: DrainParams) -> Result<Self> {
        Ok(LogMiner {
            format,
            drain: Drain::new(params)?,
        })
    }

    /// A miner from a restored Drain state.
    pub fn from_drain(format: LogFormat, drain: Drain) -> Self {
        LogMiner { format, drain }
    }

    /// The format.
    pub fn format(&self) -> &LogFormat {
        &self.format
    }

    /// The underlying Drain miner (for its state, templates and clusters).
    pub fn drain(&self) -> &Drain {
        &self.drain
    }

    /// Adds one record's content; returns its (stable) template id and the change.
    pub fn add(&mut self, record: &LogRecord) -> (TemplateId, Change) {
        self.add_content(&record.content)
    }

    /// Adds one message content.
    pub fn add_content(&mut self, content: &str) -> (TemplateId, Change) {
        let format = &self.format;
        let drain = &mut self.drain;
        with_scratch(|scratch, arena| {
            let m = format.masker().mask_with(content, scratch);
            let tokens = improve::normalised_tokens(m, arena);
            drain.add_tokens(&tokens)
        })
    }

    /// Matches a content without learning.
    pub fn match_content(&self, content: &str) -> Option<TemplateId> {
        with_scratch(|scratch, arena| {
            let m = self.format.masker().mask_with(content, scratch);
            let tokens = improve::normalised_tokens(m, arena);
            self.drain.match_tokens(&tokens)
        })
    }

    /// The parameters of `content` under template `id`, taken from the unmasked text.
    pub fn parameters(&self, id: TemplateId, content: &str) -> Option<Vec<String>> {
        self.drain.template(id)?.extract_parameters(content)
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<(MaskScratch, String)> = std::cell::RefCell::default();
}

/// Runs `f` with this thread's reusable masking buffers (fresh ones if re-entered).
fn with_scratch<R>(f: impl FnOnce(&mut MaskScratch, &mut String) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut guard) => {
            let (scratch, arena) = &mut *guard;
            arena.clear();
            f(scratch, arena)
        }
        Err(_) => f(&mut MaskScratch::default(), &mut String::new()),
    })
}

/// A mined log: every record with exactly one event id, and the templates.
#[derive(Debug, Clone)]
pub struct MinedLog {
    /// Name of the format used.
    pub format_name: String,
    /// Header field names of the format.
    pub field_names: Vec<String>,
    /// The parsed records and their counts.
    pub log: ParsedLog,
    /// Event (template) id per record, after the final merge.
    pub events: Vec<TemplateId>,
    /// Final templates by id.
    pub templates: BTreeMap<TemplateId, Template>,
}

impl MinedLog {
    /// The printed template of `id` (empty when unknown).
    pub fn template_text(&self, id: TemplateId) -> String {
        self.templates
            .get(&id)
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

/// Mines a parsed log with `format` (streaming Drain, then the final merge).
pub fn mine(format: &LogFormat, log: ParsedLog) -> Result<MinedLog> {
    let mut miner = LogMiner::new(format.clone())?;
    let raw_ids: Vec<TemplateId> = log.records.iter().map(|r| miner.add(r).0).collect();
    let (canonical, templates) = improve::merge_clusters(miner.drain());
    let events = raw_ids.iter().map(|id| canonical[id.0 as usize]).collect();
    Ok(MinedLog {
        format_name: format.name().to_owned(),
        field_names: format.fields().to_vec(),
        log,
        events,
        templates,
    })
}

/// Reads and mines one file.
pub fn mine_file(format: &LogFormat, path: impl AsRef<Path>) -> Result<MinedLog> {
    mine(format, format.parse_file(path)?)
}

/// Batch mode: mines each file independently, in parallel across files, and returns
/// the results in input order.
pub fn mine_files(format: &LogFormat, paths: &[PathBuf]) -> Vec<Result<MinedLog>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(paths.len().max(1));
    let mut results: Vec<Option<Result<MinedLog>>> = (0..paths.len()).map(|_| None).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let r = mine_file(format, path);
                    if let Ok(mut guard) = slots.lock() {
                        guard[i] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .zip(paths)
        .map(|(r, p)| {
            r.unwrap_or_else(|| {
                Err(crate::Error::Io {
                    path: p.clone(),
                    source: std::io::Error::other("worker thread panicked"),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_mode_equals_one_file_at_a_time_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let format = LogFormat::builtin("OpenSSH").unwrap();
        let mut paths = Vec::new();
        for i in 0..5 {
            let p = dir.path().join(format!("f{i}.log"));
            let mut text = String::new();
            for j in 0..(10 + i) {
                text.push_str(&format!(
                    "Dec 10 06:55:{:02} LabSZ sshd[{j}]: Invalid user u{j} from 10.0.{i}.{j}\n",
                    j % 60
                ));
            }
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        paths.push(dir.path().join("missing.log"));
        let batch = mine_files(&format, &paths);
        assert_eq!(batch.len(), 6);
        for (p, r) in paths.iter().zip(&batch).take(5) {
            let one = mine_file(&format, p).unwrap();
            let r = r.as_ref().unwrap();
            assert_eq!(r.events, one.events);
            assert_eq!(r.log.records, one.log.records);
        }
        assert!(matches!(batch[5], Err(crate::Error::Io { .. })));
    }
}
