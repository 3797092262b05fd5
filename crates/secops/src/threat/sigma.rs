//! A Sigma rule subset: `title`, `id`, `level`, `logsource`, and a `detection` with
//! named selections (field maps with the modifiers `contains`, `startswith`,
//! `endswith`, `re`, `all`; lists of maps; keyword lists) and a `condition` with
//! `and`, `or`, `not`, `1 of`, `all of` (name patterns with `*`, or `them`) and
//! parentheses. Fields are the format's header fields plus `Content` (alias
//! `message`), `EventId` and `EventTemplate`. Matching is case-insensitive except
//! for `re`, as in Sigma.

use std::path::Path;

use aiops_core::Severity;
use regex::Regex;
use yaml_serde::Value;

use super::{Threat, ThreatKind};
use crate::error::{Error, Result};
use crate::format::LogRecord;
use crate::miner::MinedLog;
use crate::template::TemplateId;

#[derive(Debug, Clone)]
enum Matcher {
    Equals(String),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Re(Regex),
}

impl Matcher {
    fn test(&self, v: &str) -> bool {
        match self {
            Matcher::Re(r) => r.is_match(v),
            Matcher::Equals(s) => v.to_lowercase() == *s,
            Matcher::Contains(s) => v.to_lowercase().contains(s.as_str()),
            Matcher::StartsWith(s) => v.to_lowercase().starts_with(s.as_str()),
            Matcher::EndsWith(s) => v.to_lowercase().ends_with(s.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct FieldTest {
    field: String,
    values: Vec<Matcher>,
    all: bool,
}

#[derive(Debug, Clone)]
enum Selection {
    /// OR over maps; each map is an AND over its fields.
    Maps(Vec<Vec<FieldTest>>),
    /// Any keyword in the raw line.
    Keywords(Vec<String>),
}

#[derive(Debug, Clone)]
enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    OneOf(Vec<usize>),
    AllOf(Vec<usize>),
}

/// A parsed Sigma rule.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    /// `title`.
    pub title: String,
    /// `id` (the title when absent).
    pub id: String,
    /// `level` mapped to a severity (informational/low: info, medium: warning, high/critical: critical).
    pub severity: Severity,
    /// `logsource` keys and values (`product`, `service`, `category`).
    pub logsource: Vec<(String, String)>,
    names: Vec<String>,
    selections: Vec<Selection>,
    condition: Cond,
}

fn err(file: &str, location: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Sigma {
        file: file.to_owned(),
        location: location.into(),
        message: message.into(),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

fn parse_map(file: &str, sel: &str, m: &yaml_serde::Mapping) -> Result<Vec<FieldTest>> {
    let mut out = Vec::new();
    for (k, v) in m {
        let key = scalar(k).ok_or_else(|| {
            err(
                file,
                format!("detection.{sel}"),
                "field names must be strings",
            )
        })?;
        let loc = format!("detection.{sel}.{key}");
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().to_owned();
        let (mut kind, mut all) = ("equals", false);
        for m in parts {
            match m {
                "contains" | "startswith" | "endswith" | "re" => kind = m,
                "all" => all = true,
                other => return Err(err(file, &loc, format!("unknown modifier `{other}`"))),
            }
        }
        let raw: Vec<String> = match v {
            Value::Sequence(s) => s
                .iter()
                .map(|x| scalar(x).ok_or_else(|| err(file, &loc, "values must be scalars")))
                .collect::<Result<_>>()?,
            other => vec![scalar(other).ok_or_else(|| err(file, &loc, "values must be scalars"))?],
        };
        let values = raw
            .into_iter()
            .map(|s| {
                Ok(match kind {
                    "re" => {
                        Matcher::Re(Regex::new(&s).map_err(|e| err(file, &loc, e.to_string()))?)
                    }
                    "contains" => Matcher::Contains(s.to_lowercase()),
                    "startswith" => Matcher::StartsWith(s.to_lowercase()),
                    "endswith" => Matcher::EndsWith(s.to_lowercase()),
                    _ => Matcher::Equals(s.to_lowercase()),
                })
            })
            .collect::<Result<_>>()?;
        out.push(FieldTest { field, values, all });
    }
    Ok(out)
}

struct CondParser<'a> {
    file: &'a str,
    text: &'a str,
    toks: Vec<(usize, String)>,
    pos: usize,
    names: &'a [String],
}

impl CondParser<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(|t| t.1.as_str())
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.text.len(), |t| t.0)
    }
    fn fail(&self, m: impl Into<String>) -> Error {
        err(self.file, format!("condition at byte {}", self.at()), m)
    }
    fn or(&mut self) -> Result<Cond> {
        let mut l = self.and()?;
        while self.peek() == Some("or") {
            self.pos += 1;
            l = Cond::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Cond> {
        let mut l = self.not()?;
        while self.peek() == Some("and") {
            self.pos += 1;
            l = Cond::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Cond> {
        if self.peek() == Some("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn resolve(&self, pat: &str) -> Result<Vec<usize>> {
        let idx: Vec<usize> = if pat == "them" {
            (0..self.names.len()).collect()
        } else {
            let (pre, wild) = pat.strip_suffix('*').map_or((pat, false), |p| (p, true));
            (0..self.names.len())
                .filter(|&i| {
                    if wild {
                        self.names[i].starts_with(pre)
                    } else {
                        self.names[i] == pre
                    }
                })
                .collect()
        };
        if idx.is_empty() {
            return Err(self.fail(format!("`{pat}` names no selection")));
        }
        Ok(idx)
    }
    fn atom(&mut self) -> Result<Cond> {
        let Some(tok) = self.peek().map(str::to_owned) else {
            return Err(self.fail("unexpected end of condition"));
        };
        self.pos += 1;
        match tok.as_str() {
            "(" => {
                let c = self.or()?;
                if self.peek() != Some(")") {
                    return Err(self.fail("expected `)`"));
                }
                self.pos += 1;
                Ok(c)
            }
            "1" | "all" => {
                if self.peek() != Some("of") {
                    return Err(self.fail("expected `of`"));
                }
                self.pos += 1;
                let Some(pat) = self.peek().map(str::to_owned) else {
                    return Err(self.fail("expected a selection name or `them` after `of`"));
                };
                let idx = self.resolve(&pat)?;
                self.pos += 1;
                Ok(if tok == "1" {
                    Cond::OneOf(idx)
                } else {
                    Cond::AllOf(idx)
                })
            }
            ")" | "and" | "or" | "of" => {
                self.pos -= 1;
                Err(self.fail(format!("unexpected `{tok}`")))
            }
            name => {
                self.pos -= 1;
                let i = self
                    .names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| self.fail(format!("unknown selection `{name}`")))?;
                self.pos += 1;
                Ok(Cond::Sel(i))
            }
        }
    }
}

fn tokenize(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, text[s..i].to_owned()));
            }
            if c != ' ' && !c.is_whitespace() {
                out.push((i, c.to_string()));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text[s..].to_owned()));
    }
    out
}

impl SigmaRule {
    /// Parses one rule from YAML text; `file` names it in errors.
    pub fn parse(file: &str, yaml: &str) -> Result<Self> {
        let doc: Value =
            yaml_serde::from_str(yaml).map_err(|e| err(file, "yaml", e.to_string()))?;
        let get = |k: &str| doc.get(k);
        let title = get("title")
            .and_then(scalar)
            .ok_or_else(|| err(file, "title", "missing `title`"))?;
        let id = get("id").and_then(scalar).unwrap_or_else(|| title.clone());
        let severity = match get("level").and_then(scalar).as_deref() {
            Some("high" | "critical") => Severity::Critical,
            Some("medium") => Severity::Warning,
            Some("low" | "informational") | None => Severity::Info,
            Some(other) => return Err(err(file, "level", format!("unknown level `{other}`"))),
        };
        let logsource = match get("logsource") {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect(),
            Some(_) => return Err(err(file, "logsource", "must be a mapping")),
            None => Vec::new(),
        };
        let Some(Value::Mapping(det)) = get("detection") else {
            return Err(err(file, "detection", "missing `detection` mapping"));
        };
        let mut names = Vec::new();
        let mut selections = Vec::new();
        let mut condition = None;
        for (k, v) in det {
            let name = scalar(k)
                .ok_or_else(|| err(file, "detection", "selection names must be strings"))?;
            if name == "condition" {
                condition = Some(
                    scalar(v)
                        .ok_or_else(|| err(file, "detection.condition", "must be a string"))?,
                );
                continue;
            }
            let sel = match v {
                Value::Mapping(m) => Selection::Maps(vec![parse_map(file, &name, m)?]),
                Value::Sequence(items)
                    if items.iter().all(|x| matches!(x, Value::Mapping(_)))
                        && !items.is_empty() =>
                {
                    let mut maps = Vec::new();
                    for x in items {
                        if let Value::Mapping(m) = x {
                            maps.push(parse_map(file, &name, m)?);
                        }
                    }
                    Selection::Maps(maps)
                }
                Value::Sequence(items) => Selection::Keywords(
                    items
                        .iter()
                        .map(|x| {
                            scalar(x).map(|s| s.to_lowercase()).ok_or_else(|| {
                                err(
                                    file,
                                    format!("detection.{name}"),
                                    "keywords must be scalars",
                                )
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
                _ => {
                    return Err(err(
                        file,
                        format!("detection.{name}"),
                        "a selection is a mapping or a list",
                    ));
                }
            };
            names.push(name);
            selections.push(sel);
        }
        let text =
            condition.ok_or_else(|| err(file, "detection.condition", "missing `condition`"))?;
        let mut p = CondParser {
            file,
            text: &text,
            toks: tokenize(&text),
            pos: 0,
            names: &names,
        };
        let cond = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.fail("unexpected text after the condition"));
        }
        Ok(SigmaRule {
            title,
            id,
            severity,
            logsource,
            names,
            selections,
            condition: cond,
        })
    }

    /// Reads and parses one rule file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Selection names in rule order.
    pub fn selection_names(&self) -> &[String] {
        &self.names
    }

    fn field<'a>(
        mined: &'a MinedLog,
        rec: &'a LogRecord,
        id: TemplateId,
        name: &str,
    ) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        match name {
            "Content" | "message" => Some(Cow::Borrowed(&rec.content)),
            "EventId" => Some(Cow::Owned(id.to_string())),
            "EventTemplate" => Some(Cow::Owned(mined.template_text(id))),
            _ => {
                let i = mined.field_names.iter().position(|f| f == name)?;
                rec.fields.get(i).map(|s| Cow::Borrowed(s.as_str()))
            }
        }
    }

    fn sel(&self, i: usize, mined: &MinedLog, rec: &LogRecord, id: TemplateId) -> bool {
        match &self.selections[i] {
            Selection::Keywords(k) => {
                let raw = rec.raw.to_lowercase();
                k.iter().any(|w| raw.contains(w.as_str()))
            }
            Selection::Maps(maps) => maps.iter().any(|m| {
                m.iter().all(|t| {
                    let Some(v) = Self::field(mined, rec, id, &t.field) else {
                        return false;
                    };
                    if t.all {
                        t.values.iter().all(|x| x.test(&v))
                    } else {
                        t.values.iter().any(|x| x.test(&v))
                    }
                })
            }),
        }
    }

    fn eval(&self, c: &Cond, mined: &MinedLog, rec: &LogRecord, id: TemplateId) -> bool {
        match c {
            Cond::Sel(i) => self.sel(*i, mined, rec, id),
            Cond::Not(x) => !self.eval(x, mined, rec, id),
            Cond::And(a, b) => self.eval(a, mined, rec, id) && self.eval(b, mined, rec, id),
            Cond::Or(a, b) => self.eval(a, mined, rec, id) || self.eval(b, mined, rec, id),
            Cond::OneOf(v) => v.iter().any(|i| self.sel(*i, mined, rec, id)),
            Cond::AllOf(v) => v.iter().all(|i| self.sel(*i, mined, rec, id)),
        }
    }

    /// True when the rule matches the record (with its event id).
    pub fn matches(&self, mined: &MinedLog, rec: &LogRecord, id: TemplateId) -> bool {
        self.eval(&self.condition, mined, rec, id)
    }

    pub(crate) fn threat(&self, rec: &LogRecord) -> Threat {
        Threat {
            kind: ThreatKind::Sigma {
                rule: self.id.clone(),
            },
            severity: self.severity,
            source: None,
            start: rec.timestamp,
            end: rec.timestamp,
            count: 1,
            lines: vec![rec.line],
            summary: format!("sigma `{}` matched line {}", self.title, rec.line),
        }
    }
}

/// Loads every `*.yml` / `*.yaml` file of a directory (sorted by name).
pub fn load_rules_dir(dir: &Path) -> Result<Vec<SigmaRule>> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| SigmaRule::from_file(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
title: SSH root brute force
id: ssh-root
level: high
logsource: { product: linux, service: sshd }
detection:
  failed:
    Content|startswith: 'Failed password'
  root:
    Content|contains|all: ['for root', 'ssh2']
  noise:
    - 'Accepted'
  condition: (failed and root) and not 1 of noise*
"#;

    #[test]
    fn parses_and_evaluates_conditions() {
        let r = SigmaRule::parse("t.yml", RULE).unwrap();
        assert_eq!(r.severity, Severity::Critical);
        assert_eq!(r.logsource.len(), 2);
        let f = crate::LogFormat::builtin("OpenSSH").unwrap();
        let log = f.parse_bytes(
            b"Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\n\
              Dec 10 06:55:47 LabSZ sshd[1]: Failed password for admin from 1.2.3.4 port 22 ssh2\n",
        );
        let mined = crate::mine(&f, log).unwrap();
        let hits: Vec<bool> = mined
            .log
            .records
            .iter()
            .zip(&mined.events)
            .map(|(rec, id)| r.matches(&mined, rec, *id))
            .collect();
        assert_eq!(hits, vec![true, false]);
    }

    #[test]
    fn errors_name_file_and_position() {
        let bad_mod = RULE.replace("Content|startswith", "Content|sounds_like");
        let e = SigmaRule::parse("r.yml", &bad_mod).unwrap_err().to_string();
        assert!(e.contains("r.yml") && e.contains("sounds_like"), "{e}");
        let bad_cond = RULE.replace("(failed and root)", "(failed and root");
        let e = SigmaRule::parse("r.yml", &bad_cond)
            .unwrap_err()
            .to_string();
        assert!(e.contains("condition at byte"), "{e}");
        let e = SigmaRule::parse("r.yml", &RULE.replace("not 1 of noise*", "not nosuch"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown selection"), "{e}");
        assert!(SigmaRule::parse("r.yml", "title: [").is_err());
    }
}
