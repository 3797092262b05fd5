//! Log formats: header parsing by Loghub-style format strings, syslog (RFC 3164 and
//! RFC 5424), JSON lines, and the built-in formats of the 16 Loghub systems.

use std::path::Path;

use aiops_core::Timestamp;
use regex::Regex;

use crate::drain::DrainParams;
use crate::error::{Error, Result};
use crate::mask::Masker;

/// Lines longer than this (in bytes) are truncated for mining and flagged; the raw line is kept.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How the header fields of one line are extracted.
#[derive(Debug, Clone)]
enum Kind {
    /// One anchored regex with a named group per field and a `Content` group.
    Header { regex: Regex },
    /// RFC 5424 tried first, then RFC 3164.
    Syslog { rfc5424: Regex, rfc3164: Regex },
    /// One JSON object per line.
    JsonLines,
}

/// How to turn header fields into a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampSpec {
    /// The named fields joined by single spaces, parsed with a `chrono` format.
    /// Formats without a year get `assumed_year` prepended.
    Chrono {
        /// Header fields joined with a space, in order.
        fields: Vec<String>,
        /// `chrono::NaiveDateTime::parse_from_str` format of the joined text (UTC).
        format: String,
        /// Year to assume when the format has none (`None`: the format has a year).
        assumed_year: Option<i32>,
    },
    /// One field holding Unix seconds.
    UnixSeconds(String),
    /// One field in RFC 3339 (or anything [`Timestamp::parse`] accepts).
    Rfc3339(String),
    /// One syslog timestamp field: RFC 3339 as RFC 5424 writes it (or anything
    /// [`Timestamp::parse`] accepts), else RFC 3164's `Mmm dd hh:mm:ss` in
    /// `assumed_year`, read as UTC.
    Syslog {
        /// The header field holding the timestamp.
        field: String,
        /// Year of RFC 3164 timestamps, which carry none.
        assumed_year: i32,
    },
}

/// Year assumed for formats whose timestamps carry none (a leap year, so Feb 29 parses).
pub const DEFAULT_ASSUMED_YEAR: i32 = 2000;

/// A named log format: header extraction, masking rules, timestamp and miner settings.
#[derive(Debug, Clone)]
pub struct LogFormat {
    name: String,
    source: String,
    kind: Kind,
    fields: Vec<String>,
    masker: Masker,
    timestamp: Option<TimestampSpec>,
    drain: DrainParams,
}

/// Per-line flags: nothing is dropped, but problems are recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LineFlags {
    /// The line was not valid UTF-8 and was decoded lossily.
    pub lossy: bool,
    /// The line exceeded [`MAX_LINE_BYTES`]; its content was truncated for mining.
    pub truncated: bool,
    /// The header did not match the format; the whole line is the content.
    pub unmatched: bool,
}

/// One parsed log line.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogRecord {
    /// 1-based line number in the input.
    pub line: u64,
    /// The raw line (lossily decoded, without the line terminator).
    pub raw: String,
    /// Header fields in the order of [`LogFormat::fields`] (empty strings when unmatched).
    pub fields: Vec<String>,
    /// The message content (the whole line when the header did not match).
    pub content: String,
    /// Timestamp from the header, when the format defines one and it parsed.
    pub timestamp: Option<Timestamp>,
    /// Problems with this line.
    pub flags: LineFlags,
}

impl LogRecord {
    /// The value of header field `name` under `format`, if present and non-empty.
    pub fn field<'a>(&'a self, format: &LogFormat, name: &str) -> Option<&'a str> {
        let i = format.fields.iter().position(|f| f == name)?;
        self.fields
            .get(i)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// `text` read with the chrono `format` as a time without zone, taken as UTC.
fn naive_utc(text: &str, format: &str) -> Option<Timestamp> {
    chrono::NaiveDateTime::parse_from_str(text, format)
        .ok()
        .map(|dt| Timestamp::from_millis(dt.and_utc().timestamp_millis()))
}

/// Counts over a parsed input: every line is counted, none dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ParseStats {
    /// Lines read.
    pub lines: u64,
    /// Lines whose header did not match (kept, content = whole line).
    pub unmatched: u64,
    /// Lines that were not valid UTF-8 (kept, decoded lossily).
    pub lossy: u64,
    /// Lines longer than [`MAX_LINE_BYTES`] (kept, content truncated).
    pub truncated: u64,
    /// Lines whose timestamp did not parse although the format defines one.
    pub bad_timestamps: u64,
}

/// A parsed log: the records in input order and their counts.
#[derive(Debug, Clone, Default)]
pub struct ParsedLog {
    /// One record per input line.
    pub records: Vec<LogRecord>,
    /// Counts of lines and problems.
    pub stats: ParseStats,
}

impl ParsedLog {
    /// The line number of the first record counted in
    /// [`ParseStats::bad_timestamps`] (its header matched, its time did not
    /// parse), if any.
    pub fn first_bad_timestamp_line(&self) -> Option<u64> {
        if self.stats.bad_timestamps == 0 {
            return None;
        }
        self.records
            .iter()
            .find(|r| !r.flags.unmatched && r.timestamp.is_none())
            .map(|r| r.line)
    }
}

/// Loghub format strings, masking rules and Drain settings of the 16 systems.
///
/// Format strings and the first masking rules are the logparser benchmark settings
/// (`benchmark/Drain_benchmark.py`); rules marked `+` are this crate's additions
/// (see `docs/architecture.md`). Depth is given as Drain's total tree depth.
struct Builtin {
    name: &'static str,
    format: &'static str,
    masks: &'static [&'static str],
    st: f64,
    depth: usize,
    timestamp: fn() -> Option<TimestampSpec>,
}

fn chrono_ts(fields: &[&str], format: &str, has_year: bool) -> Option<TimestampSpec> {
    Some(TimestampSpec::Chrono {
        fields: fields.iter().map(|s| (*s).to_owned()).collect(),
        format: format.to_owned(),
        assumed_year: (!has_year).then_some(DEFAULT_ASSUMED_YEAR),
    })
}

const IPV4: &str = r"(\d+\.){3}\d+";

static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "HDFS",
        format: "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        masks: &[r"blk_-?\d+", r"(\d+\.){3}\d+(:\d+)?"],
        st: 0.5,
        depth: 4,
        timestamp: || chrono_ts(&["Date", "Time"], "%y%m%d %H%M%S", true),
    },
    Builtin {
        name: "Hadoop",
        format: r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
        masks: &[IPV4],
        st: 0.5,
        depth: 4,
        timestamp: || chrono_ts(&["Date", "Time"], "%Y-%m-%d %H:%M:%S,%3f", true),
    },
    Builtin {
        name: "Spark",
        format: "<Date> <Time> <Level> <Component>: <Content>",
        masks: &[IPV4, r"\b[KGTM]?B\b", r"([\w-]+\.){2,}[\w-]+"],
        st: 0.5,
        depth: 4,
        timestamp: || chrono_ts(&["Date", "Time"], "%y/%m/%d %H:%M:%S", true),
    },
    Builtin {
        name: "Zookeeper",
        format: r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
        masks: &[r"(/|)(\d+\.){3}\d+(:\d+)?"],
        st: 0.5,
        depth: 4,
        timestamp: || chrono_ts(&["Date", "Time"], "%Y-%m-%d %H:%M:%S,%3f", true),
    },
    Builtin {
        name: "BGL",
        format: "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
        masks: &[r"core\.\d+"],
        st: 0.5,
        depth: 4,
        timestamp: || Some(TimestampSpec::UnixSeconds("Timestamp".to_owned())),
    },
    Builtin {
        name: "HPC",
        format: "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>",
        masks: &[r"=\d+"],
        st: 0.5,
        depth: 4,
        timestamp: || Some(TimestampSpec::UnixSeconds("Time".to_owned())),
    },
    Builtin {
        name: "Thunderbird",
        format: r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
        masks: &[IPV4],
        st: 0.5,
        depth: 4,
        timestamp: || Some(TimestampSpec::UnixSeconds("Timestamp".to_owned())),
    },
    Builtin {
        name: "Windows",
        format: "<Date> <Time>, <Level>                  <Component>    <Content>",
        masks: &[r"0x.*?\s"],
        st: 0.7,
        depth: 5,
        timestamp: || chrono_ts(&["Date", "Time"], "%Y-%m-%d %H:%M:%S", true),
    },
    Builtin {
        name: "Linux",
        format: r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        masks: &[IPV4, r"\d{2}:\d{2}:\d{2}"],
        st: 0.39,
        depth: 6,
        timestamp: || chrono_ts(&["Month", "Date", "Time"], "%b %d %H:%M:%S", false),
    },
    Builtin {
        name: "Android",
        format: "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
        masks: &[
            r"(/[\w-]+)+",
            r"([\w-]+\.){2,}[\w-]+",
            r"\b(\-?\+?\d+)\b|\b0[Xx][a-fA-F\d]+\b|\b[a-fA-F\d]{4,}\b",
        ],
        st: 0.2,
        depth: 6,
        timestamp: || chrono_ts(&["Date", "Time"], "%m-%d %H:%M:%S%.3f", false),
    },
    Builtin {
        name: "HealthApp",
        format: r"<Time>\|<Component>\|<Pid>\|<Content>",
        masks: &[],
        st: 0.2,
        depth: 4,
        timestamp: || chrono_ts(&["Time"], "%Y%m%d-%H:%M:%S:%3f", true),
    },
    Builtin {
        name: "Apache",
        format: r"\[<Time>\] \[<Level>\] <Content>",
        masks: &[IPV4],
        st: 0.5,
        depth: 4,
        timestamp: || chrono_ts(&["Time"], "%a %b %d %H:%M:%S %Y", true),
    },
    Builtin {
        name: "Proxifier",
        format: r"\[<Time>\] <Program> - <Content>",
        masks: &[
            r"<\d+\ssec",
            r"([\w-]+\.)+[\w-]+(:\d+)?",
            r"\d{2}:\d{2}(:\d{2})*",
            r"[KGTM]B",
        ],
        st: 0.6,
        depth: 3,
        timestamp: || chrono_ts(&["Time"], "%m.%d %H:%M:%S", false),
    },
    Builtin {
        name: "OpenSSH",
        format: r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
        masks: &[IPV4, r"([\w-]+\.){2,}[\w-]+"],
        st: 0.6,
        depth: 5,
        timestamp: || chrono_ts(&["Date", "Day", "Time"], "%b %d %H:%M:%S", false),
    },
    Builtin {
        name: "OpenStack",
        format: r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
        masks: &[
            r"((\d+\.){3}\d+,?)+",
            r"/.+?\s",
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            r"\d+",
        ],
        st: 0.5,
        depth: 5,
        timestamp: || chrono_ts(&["Date", "Time"], "%Y-%m-%d %H:%M:%S%.3f", true),
    },
    Builtin {
        name: "Mac",
        format: r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
        masks: &[r"([\w-]+\.){2,}[\w-]+"],
        st: 0.7,
        depth: 6,
        timestamp: || chrono_ts(&["Month", "Date", "Time"], "%b %d %H:%M:%S", false),
    },
];

/// Masking rules of the generic formats (`syslog`, `jsonl`).
const GENERIC_MASKS: &[&str] = &[
    r"(\d+\.){3}\d+(:\d+)?",
    r"\b0[xX][0-9a-fA-F]+\b",
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
    r"(/[\w.-]+){2,}",
    r"\b\d+\b",
];

/// The byte-order mark RFC 5424 (§6.4) allows at the start of a UTF-8 MSG.
const UTF8_BOM: &str = "\u{feff}";

const SYSLOG_FIELDS: &[&str] = &["Pri", "Timestamp", "Host", "App", "ProcId", "MsgId"];
const JSONL_FIELDS: &[&str] = &["Timestamp", "Level", "Host"];
const JSON_MESSAGE_KEYS: &[&str] = &["message", "msg", "log", "MESSAGE"];
const JSON_TIME_KEYS: &[&str] = &["timestamp", "@timestamp", "time", "ts"];
const JSON_LEVEL_KEYS: &[&str] = &["level", "severity", "lvl"];
const JSON_HOST_KEYS: &[&str] = &["host", "hostname", "source_ip", "src_ip"];

/// Compiles a Loghub-style format string into an anchored regex.
///
/// `<Name>` is a field; text between fields is a regex fragment in which runs of
/// spaces match any run of whitespace (logparser's `generate_logformat_regex`).
fn compile_format(format: &str) -> Result<(Regex, Vec<String>)> {
    let bad = |message: String| Error::InvalidFormat {
        format: format.to_owned(),
        message,
    };
    let mut pattern = String::from("^");
    let mut fields = Vec::new();
    let mut rest = format;
    while let Some(open) = rest.find('<') {
        let literal = &rest[..open];
        let after = &rest[open + 1..];
        let Some(close) = after.find(['>', '<']) else {
            return Err(bad(format!(
                "unclosed `<` at byte {}",
                format.len() - rest.len() + open
            )));
        };
        if after.as_bytes()[close] == b'<' {
            return Err(bad(format!(
                "nested `<` at byte {}",
                format.len() - after.len() + close
            )));
        }
        push_literal(&mut pattern, literal);
        let name = &after[..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(format!("field name {name:?} must be [A-Za-z0-9_]+")));
        }
        if fields.iter().any(|f| f == name) {
            return Err(bad(format!("field `{name}` appears twice")));
        }
        pattern.push_str(&format!("(?P<{name}>.*?)"));
        fields.push(name.to_owned());
        rest = &after[close + 1..];
    }
    push_literal(&mut pattern, rest);
    pattern.push('$');
    if !fields.iter().any(|f| f == "Content") {
        return Err(bad("the format has no <Content> field".to_owned()));
    }
    let regex = Regex::new(&pattern).map_err(|e| bad(e.to_string()))?;
    fields.retain(|f| f != "Content");
    Ok((regex, fields))
}

fn push_literal(pattern: &mut String, literal: &str) {
    let mut in_space = false;
    for c in literal.chars() {
        if c == ' ' {
            if !in_space {
                pattern.push_str(r"\s+");
            }
            in_space = true;
        } else {
            in_space = false;
            pattern.push(c);
        }
    }
}

impl LogFormat {
    /// The 16 Loghub systems with a built-in format, in the benchmark's order.
    pub fn loghub_systems() -> Vec<&'static str> {
        BUILTINS.iter().map(|b| b.name).collect()
    }

    /// Names of the built-in formats: the 16 Loghub systems, `syslog` and `jsonl`.
    pub fn builtin_names() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = BUILTINS.iter().map(|b| b.name).collect();
        v.push("syslog");
        v.push("jsonl");
        v
    }

    /// A built-in format by name (case-insensitive).
    pub fn builtin(name: &str) -> Result<Self> {
        if name.eq_ignore_ascii_case("syslog") {
            return Self::syslog();
        }
        if name.eq_ignore_ascii_case("jsonl") || name.eq_ignore_ascii_case("json") {
            return Self::json_lines();
        }
        let b = BUILTINS
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownFormat(name.to_owned()))?;
        let mut masks: Vec<&str> = b.masks.to_vec();
        masks.extend(crate::improve::extra_masks(b.name));
        let params = DrainParams {
            similarity_threshold: b.st,
            depth: b.depth,
            ..DrainParams::default()
        };
        Ok(Self::from_format_string(b.name, b.format)?
            .with_masks(&masks)?
            .with_timestamp((b.timestamp)())
            .with_drain_params(crate::improve::tune_params(b.name, params)))
    }

    /// A format from a Loghub-style format string such as
    /// `<Date> <Time> <Pid> <Level> <Component>: <Content>`; no masking rules.
    pub fn from_format_string(name: &str, format: &str) -> Result<Self> {
        let (regex, fields) = compile_format(format)?;
        Ok(LogFormat {
            name: name.to_owned(),
            source: format.to_owned(),
            kind: Kind::Header { regex },
            fields,
            masker: Masker::default(),
            timestamp: None,
            drain: DrainParams::default(),
        })
    }

    /// Syslog: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) or
    /// RFC 3164 (`[<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), detected per line;
    /// the RFC 3164 layout is also read with an RFC 3339 timestamp in place of
    /// `Mmm dd hh:mm:ss` (rsyslog's `RSYSLOG_FileFormat`,
    /// `2026-12-10T06:55:46.000000+01:00 HOST TAG[PID]: MSG`), whose year and
    /// offset are kept.
    /// The UTF-8 byte-order mark an RFC 5424 MSG may start with is not part of
    /// the content (the raw line keeps it).
    /// Timestamps are read as [`TimestampSpec::Syslog`]: RFC 3164 ones get the
    /// assumed year ([`DEFAULT_ASSUMED_YEAR`] unless set with [`Self::with_assumed_year`]);
    /// a nil (`-`) RFC 5424 timestamp gives a record without a time.
    pub fn syslog() -> Result<Self> {
        let compile = |p: &str| {
            Regex::new(p).map_err(|e| Error::InvalidFormat {
                format: "syslog".to_owned(),
                message: e.to_string(),
            })
        };
        let rfc5424 = compile(
            r"^<(?P<Pri>\d{1,3})>\d{1,2} (?P<Timestamp>\S+) (?P<Host>\S+) (?P<App>\S+) (?P<ProcId>\S+) (?P<MsgId>\S+) (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(?P<Content>.*)$",
        )?;
        let rfc3164 = compile(
            r"^(?:<(?P<Pri>\d{1,3})>)?(?P<Timestamp>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (?P<Host>\S+) (?P<App>[^\[:\s]+)(?:\[(?P<ProcId>[^\]]*)\])?: ?(?P<Content>.*)$",
        )?;
        Ok(LogFormat {
            name: "syslog".to_owned(),
            source: "RFC 5424 | RFC 3164".to_owned(),
            kind: Kind::Syslog { rfc5424, rfc3164 },
            fields: SYSLOG_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
            masker: Masker::new(GENERIC_MASKS)?,
            timestamp: Some(TimestampSpec::Syslog {
                field: "Timestamp".to_owned(),
                assumed_year: DEFAULT_ASSUMED_YEAR,
            }),
            drain: DrainParams::default(),
        })
    }

    /// JSON lines: the message is the first of `message`, `msg`, `log`, `MESSAGE`;
    /// header fields `Timestamp`, `Level`, `Host` come from common keys.
    pub fn json_lines() -> Result<Self> {
        Ok(LogFormat {
            name: "jsonl".to_owned(),
            source: "JSON lines".to_owned(),
            kind: Kind::JsonLines,
            fields: JSONL_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
            masker: Masker::new(GENERIC_MASKS)?,
            timestamp: Some(TimestampSpec::Rfc3339("Timestamp".to_owned())),
            drain: DrainParams::default(),
        })
    }

    /// Replaces the masking rules.
    pub fn with_masks<S: AsRef<str>>(mut self, patterns: &[S]) -> Result<Self> {
        self.masker = Masker::new(patterns)?;
        Ok(self)
    }

    /// Sets (or clears) how timestamps are read from header fields.
    pub fn with_timestamp(mut self, spec: Option<TimestampSpec>) -> Self {
        self.timestamp = spec;
        self
    }

    /// Sets the year assumed for timestamps that carry none (syslog-style
    /// `Dec 10 06:55:46`; default [`DEFAULT_ASSUMED_YEAR`]). Formats whose
    /// timestamps have a year are unchanged, and so are RFC 5424 lines of `syslog`.
    ///
    /// ```
    /// use aiops_secops::LogFormat;
    /// let f = LogFormat::builtin("OpenSSH").unwrap().with_assumed_year(2026);
    /// let rec = f.parse_line(1, b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
    /// assert_eq!(rec.timestamp.unwrap().to_string(), "2026-12-10T06:55:46Z");
    /// ```
    pub fn with_assumed_year(mut self, year: i32) -> Self {
        match &mut self.timestamp {
            Some(TimestampSpec::Chrono {
                assumed_year: Some(y),
                ..
            })
            | Some(TimestampSpec::Syslog {
                assumed_year: y, ..
            }) => *y = year,
            _ => {}
        }
        self
    }

    /// Sets the recommended miner parameters for this format.
    pub fn with_drain_params(mut self, params: DrainParams) -> Self {
        self.drain = params;
        self
    }

    /// The format's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The format string (or a description for syslog and JSON lines).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Header field names, in order, without `Content`.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// The masking rules.
    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// Recommended miner parameters for this format.
    pub fn drain_params(&self) -> DrainParams {
        self.drain.clone()
    }

    /// Parses one line (bytes, without terminator). Never fails: problems are flagged.
    pub fn parse_line(&self, line: u64, bytes: &[u8]) -> LogRecord {
        let mut flags = LineFlags::default();
        let raw = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => {
                flags.lossy = true;
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        let body: &str = if raw.len() > MAX_LINE_BYTES {
            flags.truncated = true;
            let mut cut = MAX_LINE_BYTES;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            &raw[..cut]
        } else {
            &raw
        };
        let (fields, content) = match self.split_header(body) {
            Some(x) => x,
            None => {
                flags.unmatched = true;
                (vec![String::new(); self.fields.len()], body.to_owned())
            }
        };
        let mut rec = LogRecord {
            line,
            raw,
            fields,
            content,
            timestamp: None,
            flags,
        };
        rec.timestamp = self.timestamp_of(&rec);
        rec
    }

    fn split_header(&self, body: &str) -> Option<(Vec<String>, String)> {
        match &self.kind {
            Kind::Header { regex } => {
                let caps = regex.captures(body)?;
                let fields = self
                    .fields
                    .iter()
                    .map(|f| {
                        caps.name(f)
                            .map_or(String::new(), |m| m.as_str().to_owned())
                    })
                    .collect();
                let content = caps.name("Content").map_or("", |m| m.as_str()).to_owned();
                Some((fields, content))
            }
            Kind::Syslog { rfc5424, rfc3164 } => {
                let (caps, is_5424) = match rfc5424.captures(body) {
                    Some(c) => (c, true),
                    None => (rfc3164.captures(body)?, false),
                };
                let fields = self
                    .fields
                    .iter()
                    .map(|f| match caps.name(f).map(|m| m.as_str()) {
                        Some("-") | None => String::new(),
                        Some(v) => v.to_owned(),
                    })
                    .collect();
                let content = caps.name("Content").map_or("", |m| m.as_str());
                // RFC 5424 §6.4: MSG may open with a UTF-8 byte-order mark,
                // which is encoding metadata, not message text.
                let content = if is_5424 {
                    content.strip_prefix(UTF8_BOM).unwrap_or(content)
                } else {
                    content
                };
                Some((fields, content.to_owned()))
            }
            Kind::JsonLines => {
                let v: serde_json::Value = serde_json::from_str(body).ok()?;
                let obj = v.as_object()?;
                let pick = |keys: &[&str]| {
                    keys.iter()
                        .find_map(|k| obj.get(*k))
                        .map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .unwrap_or_default()
                };
                let content =
                    JSON_MESSAGE_KEYS
                        .iter()
                        .find_map(|k| obj.get(*k))
                        .map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })?;
                Some((
                    vec![
                        pick(JSON_TIME_KEYS),
                        pick(JSON_LEVEL_KEYS),
                        pick(JSON_HOST_KEYS),
                    ],
                    content,
                ))
            }
        }
    }

    fn timestamp_of(&self, rec: &LogRecord) -> Option<Timestamp> {
        let spec = self.timestamp.as_ref()?;
        if rec.flags.unmatched {
            return None;
        }
        match spec {
            TimestampSpec::UnixSeconds(f) => {
                let s = rec.field(self, f)?;
                s.trim().parse::<i64>().ok().map(Timestamp::from_secs)
            }
            TimestampSpec::Rfc3339(f) => Timestamp::parse(rec.field(self, f)?).ok(),
            TimestampSpec::Syslog {
                field,
                assumed_year,
            } => {
                let s = rec.field(self, field)?.trim();
                Timestamp::parse(s)
                    .ok()
                    .or_else(|| naive_utc(&format!("{assumed_year} {s}"), "%Y %b %d %H:%M:%S"))
            }
            TimestampSpec::Chrono {
                fields,
                format,
                assumed_year,
            } => {
                let mut text = String::with_capacity(32);
                if let Some(y) = assumed_year {
                    text.push_str(&format!("{y} "));
                }
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        text.push(' ');
                    }
                    text.push_str(rec.field(self, f)?.trim());
                }
                let fmt = if assumed_year.is_some() {
                    format!("%Y {format}")
                } else {
                    format.clone()
                };
                naive_utc(&text, &fmt)
            }
        }
    }

    /// Parses a whole input (bytes); lines split on `\n`, a trailing `\r` is
    /// removed, and so is a UTF-8 byte-order mark at the start of the input.
    pub fn parse_bytes(&self, data: &[u8]) -> ParsedLog {
        let mut log = ParsedLog::default();
        let data = data.strip_prefix(UTF8_BOM.as_bytes()).unwrap_or(data);
        if data.is_empty() {
            return log;
        }
        let body = data.strip_suffix(b"\n").unwrap_or(data);
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let rec = self.parse_line(i as u64 + 1, line);
            log.stats.lines += 1;
            log.stats.unmatched += u64::from(rec.flags.unmatched);
            log.stats.lossy += u64::from(rec.flags.lossy);
            log.stats.truncated += u64::from(rec.flags.truncated);
            log.stats.bad_timestamps += u64::from(
                self.timestamp.is_some() && !rec.flags.unmatched && rec.timestamp.is_none(),
            );
            log.records.push(rec);
        }
        if log.stats.unmatched > 0 || log.stats.lossy > 0 || log.stats.truncated > 0 {
            tracing::debug!(format = %self.name, stats = ?log.stats, "lines kept with problems");
        }
        log
    }

    /// Reads and parses a file.
    pub fn parse_file(&self, path: impl AsRef<Path>) -> Result<ParsedLog> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(self.parse_bytes(&data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_compiles() {
        for name in LogFormat::builtin_names() {
            let f = LogFormat::builtin(name).unwrap();
            assert_eq!(f.name().to_ascii_lowercase(), name.to_ascii_lowercase());
        }
        assert!(matches!(
            LogFormat::builtin("nope"),
            Err(Error::UnknownFormat(_))
        ));
    }

    #[test]
    fn openssh_header_and_timestamp() {
        let f = LogFormat::builtin("OpenSSH").unwrap();
        let r = f.parse_line(
            1,
            b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        );
        assert!(!r.flags.unmatched);
        assert_eq!(r.field(&f, "Pid"), Some("24200"));
        assert_eq!(r.content, "Invalid user webmaster from 173.234.31.186");
        assert_eq!(
            r.timestamp.unwrap(),
            Timestamp::parse("2000-12-10T06:55:46Z").unwrap()
        );
    }

    #[test]
    fn bad_format_strings_are_errors() {
        for bad in [
            "<Date> <Content",
            "<Date> <Time>",
            "<Da<te>> <Content>",
            "<A> <A> <Content>",
            "<Date> ( <Content>",
        ] {
            assert!(LogFormat::from_format_string("x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unmatched_lossy_and_long_lines_are_kept_and_counted() {
        let f = LogFormat::builtin("OpenSSH").unwrap();
        let mut data = b"garbage line\n\xff\xfe binary\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 10));
        data.push(b'\n');
        let log = f.parse_bytes(&data);
        assert_eq!(log.records.len(), 3);
        assert_eq!(log.stats.lines, 3);
        assert_eq!(log.stats.unmatched, 3);
        assert_eq!(log.stats.lossy, 1);
        assert_eq!(log.stats.truncated, 1);
        assert_eq!(log.records[0].content, "garbage line");
        assert_eq!(log.records[2].content.len(), MAX_LINE_BYTES);
    }

    #[test]
    fn syslog_both_rfcs_and_jsonl() {
        let f = LogFormat::syslog().unwrap();
        let a = f.parse_line(
            1,
            b"<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick on /dev/pts/8",
        );
        assert!(!a.flags.unmatched);
        assert_eq!(a.field(&f, "App"), Some("su"));
        assert_eq!(a.field(&f, "ProcId"), Some("123"));
        let b = f.parse_line(1, b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event");
        assert!(!b.flags.unmatched);
        assert_eq!(b.content, "An application event");
        assert_eq!(b.field(&f, "MsgId"), Some("ID47"));
        let j = LogFormat::json_lines().unwrap();
        let r = j.parse_line(
            1,
            br#"{"timestamp":"2024-01-01T00:00:00Z","level":"warn","msg":"disk 91% full"}"#,
        );
        assert!(!r.flags.unmatched);
        assert_eq!(r.content, "disk 91% full");
        assert!(r.timestamp.is_some());
        assert!(j.parse_line(2, b"{not json").flags.unmatched);
    }

    #[test]
    fn syslog_lines_have_timestamps() {
        let f = LogFormat::syslog().unwrap();
        let at = |line: &[u8]| f.parse_line(1, line).timestamp.map(|t| t.to_string());
        // RFC 3164: the assumed year; a space-padded day.
        assert_eq!(
            at(b"Dec 10 07:01:00 host sshd[1001]: Failed password for root from 10.0.0.9 port 22001 ssh2"),
            Some("2000-12-10T07:01:00Z".to_owned())
        );
        assert_eq!(
            at(b"<38>Feb  9 07:01:00 host sshd[1001]: Connection closed"),
            Some("2000-02-09T07:01:00Z".to_owned())
        );
        let f26 = LogFormat::syslog().unwrap().with_assumed_year(2026);
        assert_eq!(
            f26.parse_line(1, b"Dec 10 07:01:00 host sshd[1]: x")
                .timestamp
                .map(|t| t.to_string()),
            Some("2026-12-10T07:01:00Z".to_owned())
        );
        // RFC 5424: the line's own year and offset, whatever the assumed year.
        assert_eq!(
            f26.parse_line(
                1,
                b"<165>1 2003-10-11T22:14:15.003-07:00 host app - - - msg"
            )
            .timestamp
            .map(|t| t.to_string()),
            Some("2003-10-12T05:14:15.003Z".to_owned())
        );
        // A nil timestamp gives no time; a date that does not exist in the year neither.
        assert_eq!(at(b"<165>1 - host app - - - msg"), None);
        assert_eq!(at(b"Feb 30 07:01:00 host app: msg"), None);
        let log = f.parse_bytes(b"<165>1 - host app - - - msg\nDec 10 07:01:00 host sshd[1]: x\n");
        assert_eq!(log.stats.bad_timestamps, 1);
    }

    #[test]
    fn first_bad_timestamp_line_skips_unmatched_lines() {
        let f = LogFormat::syslog().unwrap().with_assumed_year(2026);
        let log = f.parse_bytes(
            b"garbage\nDec 10 07:01:00 host sshd[1]: x\nFeb 29 07:01:00 host sshd[1]: x\n<165>1 - host app - - - msg\n",
        );
        assert_eq!(log.stats.unmatched, 1);
        assert_eq!(log.stats.bad_timestamps, 2);
        assert_eq!(log.first_bad_timestamp_line(), Some(3));
        let log = f.parse_bytes(b"garbage\nDec 10 07:01:00 host sshd[1]: x\n");
        assert_eq!(log.first_bad_timestamp_line(), None);
    }

    #[test]
    fn a_byte_order_mark_at_the_start_of_the_input_is_not_content() {
        let f = LogFormat::builtin("OpenSSH").unwrap();
        let line =
            b"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo failed";
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(line);
        let (a, b) = (f.parse_bytes(line), f.parse_bytes(&with_bom));
        assert_eq!(b.stats.unmatched, 0);
        assert_eq!(a.records[0].fields, b.records[0].fields);
        assert!(b.records[0].timestamp.is_some());
    }

    #[test]
    fn rsyslog_file_format_lines_are_syslog() {
        let f = LogFormat::syslog().unwrap().with_assumed_year(2030);
        let r = f.parse_line(
            1,
            b"2026-12-10T06:55:46.123456+01:00 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        );
        assert!(!r.flags.unmatched);
        assert_eq!(
            r.timestamp.map(|t| t.to_string()),
            Some("2026-12-10T05:55:46.123Z".to_owned())
        );
        assert_eq!(r.field(&f, "App"), Some("sshd"));
        assert_eq!(r.field(&f, "ProcId"), Some("24200"));
        assert_eq!(r.content, "Invalid user webmaster from 173.234.31.186");
    }

    #[test]
    fn syslog_rfc5424_message_drops_a_leading_bom() {
        let f = LogFormat::syslog().unwrap();
        let line = "<38>1 2024-12-10T07:01:00Z host sshd 1 - - \u{feff}Failed password for root from 10.0.0.9 port 22 ssh2";
        let r = f.parse_line(1, line.as_bytes());
        assert!(!r.flags.unmatched);
        assert_eq!(
            r.content,
            "Failed password for root from 10.0.0.9 port 22 ssh2"
        );
        assert_eq!(r.raw, line);
        // After structured data too; only one BOM, only at the start.
        let r = f.parse_line(
            1,
            "<165>1 2003-10-11T22:14:15Z h app - ID47 [x@1 a=\"1\"] \u{feff}\u{feff}ev\u{feff}"
                .as_bytes(),
        );
        assert_eq!(r.content, "\u{feff}ev\u{feff}");
        // RFC 3164 has no such rule: its content is kept as written.
        let r = f.parse_line(1, "Dec 10 07:01:00 host sshd[1]: \u{feff}x".as_bytes());
        assert!(!r.flags.unmatched);
        assert_eq!(r.content, "\u{feff}x");
    }
}
