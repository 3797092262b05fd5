//! Checkable documents: Kubernetes manifests (multi-document YAML or JSON)
//! and Terraform plan resource changes, each with a kind.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Source {
    /// File path or name of the input.
    pub name: String,
    /// 0-based index of the document within the input (YAML `---` chunk,
    /// JSON array element or Terraform `resource_changes` element).
    pub document: usize,
    /// 0-based index inside a `kind: List` document's `items`, if any.
    pub item: Option<usize>,
    /// 1-based line where the document starts (1 for JSON inputs).
    pub line: usize,
}

impl Source {
    /// A source for a single document with no file behind it.
    pub fn new(name: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            document: 0,
            item: None,
            line: 1,
        }
    }
}

/// What produced a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum Origin {
    /// A Kubernetes object (or any JSON/YAML document with a `kind`).
    Kubernetes,
    /// A Terraform plan `resource_changes` entry; the document value is the
    /// planned `change.after` attributes.
    Terraform {
        /// The plan's actions for the resource (`create`, `update`, ...).
        actions: Vec<String>,
    },
}

/// One resource to check: its identity plus its JSON value.
///
/// Build one with [`Document::from_value`] (any JSON with a `kind`),
/// [`Document::from_plan_resource`] (a Terraform plan resource change), or load
/// many with [`parse_documents`], [`load_path`] and [`load_paths`].
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    source: Source,
    origin: Origin,
    kind: String,
    api_version: String,
    name: String,
    namespace: Option<String>,
    value: Value,
}

/// The identity of a resource in findings and reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ResourceRef {
    /// Kind (Kubernetes kind, or Terraform resource type).
    pub kind: String,
    /// Name (Kubernetes `metadata.name`, or Terraform address).
    pub name: String,
    /// Namespace (Kubernetes only, when set).
    pub namespace: Option<String>,
    /// Where the document was read.
    pub source: Source,
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

impl Document {
    /// Wraps any JSON document that has a string `kind` (Kubernetes manifests
    /// and every other "document with a kind").
    ///
    /// # Errors
    /// [`Error::MissingKind`] when the value is not an object with a non-empty
    /// string `kind`.
    pub fn from_value(value: Value, source: Source) -> Result<Document> {
        let kind = match value.get("kind").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => k.to_owned(),
            _ => {
                return Err(Error::MissingKind {
                    source_name: source.name.clone(),
                    index: source.document,
                    line: source.line,
                });
            }
        };
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let meta = value.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Document {
            source,
            origin: Origin::Kubernetes,
            kind,
            api_version,
            name,
            namespace,
            value,
        })
    }

    /// Turns one Terraform plan `resource_changes` entry into a document whose
    /// kind is the resource `type`, name the `address`, and value the planned
    /// attributes (`change.after`; `{}` when the plan leaves them unknown).
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `type` or `address` is missing.
    pub fn from_plan_resource(resource_change: &Value, source: Source) -> Result<Document> {
        let field = |f: &str| {
            resource_change
                .get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::field(
                        &source.name,
                        format!("resource_changes[{}].{f}", source.document),
                        "missing or not a string",
                    )
                })
        };
        let kind = field("type")?;
        let name = field("address")?;
        let change = resource_change.get("change");
        let actions = change
            .and_then(|c| c.get("actions"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let value = change
            .and_then(|c| c.get("after"))
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        Ok(Document {
            source,
            origin: Origin::Terraform { actions },
            kind,
            api_version: "terraform".to_owned(),
            name,
            namespace: None,
            value,
        })
    }

    /// Where the document was read.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// What produced it.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// Whether it is a Kubernetes object (as opposed to a Terraform resource).
    pub fn is_kubernetes(&self) -> bool {
        matches!(self.origin, Origin::Kubernetes)
    }
    /// Its kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// Its `apiVersion` (`"terraform"` for plan resources).
    pub fn api_version(&self) -> &str {
        &self.api_version
    }
    /// Its name (`metadata.name`, or Terraform address).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its namespace, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    /// Its namespace, `"default"` when unset (how the API server places it).
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
    /// The JSON value checked by policies.
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// Consumes the document, returning its value.
    pub fn into_value(self) -> Value {
        self.value
    }
    /// The identity used in findings.
    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            source: self.source.clone(),
        }
    }
}

/// One `---`-separated chunk of a YAML stream.
#[derive(Debug, Clone)]
pub(crate) struct Chunk<'a> {
    /// 1-based line of the chunk's first content line.
    pub(crate) line: usize,
    /// Byte offset of the chunk in the whole input.
    pub(crate) start: usize,
    /// Text of the chunk (without the `---` marker).
    pub(crate) text: &'a str,
}

/// Splits a YAML stream at document markers (`---` at column 0 and `...`).
///
/// Each chunk keeps its starting line so parse errors point into the whole
/// file. Content on the `---` line itself (`--- {a: 1}`) stays in the chunk.
pub(crate) fn split_yaml(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize; // byte offset of current chunk
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (line_no, line) in (1usize..).zip(text.split_inclusive('\n')) {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_start = trimmed.starts_with("---")
            && trimmed[3..].chars().next().is_none_or(char::is_whitespace);
        let is_end = trimmed == "...";
        if is_start || is_end {
            chunks.push(Chunk {
                line: start_line,
                start,
                text: &text[start..offset],
            });
            if is_start {
                // Keep what follows the marker on this line, blanking the marker.
                start = offset + 3;
                start_line = line_no;
            } else {
                start = offset + line.len();
                start_line = line_no + 1;
            }
        }
        offset += line.len();
    }
    chunks.push(Chunk {
        line: start_line,
        start,
        text: &text[start..],
    });
    chunks
}

/// Parses one YAML chunk into JSON; `None` for an empty (null) chunk.
pub(crate) fn parse_yaml_chunk(source_name: &str, chunk: &Chunk<'_>) -> Result<Option<Value>> {
    if chunk.text.trim().is_empty() {
        return Ok(None);
    }
    match yaml_serde::from_str::<Value>(chunk.text) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (l.line() + chunk.line - 1, l.column()))
                .unwrap_or((chunk.line, 0));
            Err(Error::Yaml {
                source_name: source_name.to_owned(),
                line,
                column,
                message: yaml_message(&e.to_string(), chunk.line, line, column),
            })
        }
    }
}

/// The YAML parser's message with the error's own position (already in the
/// error's `line` and `column`) left out and the other positions it names
/// ("while parsing a block mapping at line 7 column 3") made file lines:
/// the parser counts from the start of the chunk, which starts at
/// `chunk_line`.
fn yaml_message(message: &str, chunk_line: usize, line: usize, column: usize) -> String {
    const AT: &str = " at line ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        let after = &rest[i + AT.len()..];
        let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
        let n = digits(after);
        let col_part = after[n..].strip_prefix(" column ");
        match (after[..n].parse::<usize>(), col_part) {
            (Ok(l), Some(c)) if digits(c) > 0 => {
                let m = digits(c);
                let file_line = l + chunk_line - 1;
                let col: usize = c[..m].parse().unwrap_or(0);
                if !(file_line == line && col == column) {
                    out.push_str(&format!("{AT}{file_line} column {col}"));
                }
                rest = &c[m..];
            }
            _ => {
                out.push_str(AT);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// Whether a JSON value is a Terraform plan (`terraform show -json`).
pub fn is_terraform_plan(value: &Value) -> bool {
    value.get("resource_changes").is_some()
        || (value.get("format_version").is_some() && value.get("planned_values").is_some())
}

/// Turns a Terraform plan (`terraform show -json plan.out`) into one document
/// per `resource_changes` entry, skipping resources the plan deletes (they
/// will not exist to be checked; a `tracing` debug event records each skip).
///
/// # Errors
/// [`Error::InvalidField`] when `resource_changes` is not an array or an entry
/// lacks `type`/`address`.
pub fn documents_from_plan(source_name: &str, plan: &Value) -> Result<Vec<Document>> {
    let Some(changes) = plan.get("resource_changes") else {
        return Ok(Vec::new());
    };
    let changes = changes
        .as_array()
        .ok_or_else(|| Error::field(source_name, "resource_changes", "not an array"))?;
    let mut docs = Vec::with_capacity(changes.len());
    for (i, rc) in changes.iter().enumerate() {
        let source = Source {
            name: source_name.to_owned(),
            document: i,
            item: None,
            line: 1,
        };
        let doc = Document::from_plan_resource(rc, source)?;
        if let Origin::Terraform { actions } = &doc.origin
            && actions.len() == 1
            && actions[0] == "delete"
        {
            tracing::debug!(
                address = doc.name(),
                "skipping resource deleted by the plan"
            );
            continue;
        }
        docs.push(doc);
    }
    Ok(docs)
}

fn push_value(docs: &mut Vec<Document>, value: Value, source: Source) -> Result<()> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"));
    if is_list && let Some(Value::Array(items)) = value.get("items") {
        for (i, item) in items.iter().enumerate() {
            let src = Source {
                item: Some(i),
                ..source.clone()
            };
            docs.push(Document::from_value(item.clone(), src)?);
        }
        return Ok(());
    }
    docs.push(Document::from_value(value, source)?);
    Ok(())
}

/// Parses a text input: multi-document YAML, a JSON object, a JSON array of
/// objects, a `kind: List`, or a Terraform plan JSON. Empty documents (a
/// trailing `---`, comments only) are skipped.
///
/// # Errors
/// [`Error::Yaml`]/[`Error::Json`] with line and column for malformed input,
/// [`Error::MissingKind`] for a document without `kind`.
pub fn parse_documents(source_name: &str, text: &str) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    if looks_like_json(text) {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json {
            source_name: source_name.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if is_terraform_plan(&value) {
            return documents_from_plan(source_name, &value);
        }
        match value {
            Value::Array(items) => {
                for (i, v) in items.into_iter().enumerate() {
                    let src = Source {
                        name: source_name.to_owned(),
                        document: i,
                        item: None,
                        line: 1,
                    };
                    push_value(&mut docs, v, src)?;
                }
            }
            v => push_value(&mut docs, v, Source::new(source_name))?,
        }
        return Ok(docs);
    }
    for (i, chunk) in split_yaml(text).iter().enumerate() {
        let Some(value) = parse_yaml_chunk(source_name, chunk)? else {
            continue;
        };
        let line = chunk
            .text
            .lines()
            .position(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            })
            .map_or(chunk.line, |p| chunk.line + p);
        let src = Source {
            name: source_name.to_owned(),
            document: i,
            item: None,
            line,
        };
        push_value(&mut docs, value, src)?;
    }
    Ok(docs)
}

/// Whether a path names a manifest file this crate reads (`.yaml`, `.yml`, `.json`).
pub fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Lists manifest files under a path: the path itself when it is a file,
/// else every `.yaml`/`.yml`/`.json` file below it, recursively, sorted.
///
/// # Errors
/// [`Error::Io`] when the path or a folder cannot be read.
pub fn manifest_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let p = entry.path();
            let ft = entry.file_type().map_err(|e| Error::io(&p, e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if is_manifest_file(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads and parses one manifest file.
///
/// # Errors
/// As [`parse_documents`], plus [`Error::Io`].
pub fn load_file(path: &Path) -> Result<Vec<Document>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_documents(&path.display().to_string(), &text)
}

/// Loads every document under a file or folder (see [`manifest_files`]).
///
/// # Errors
/// As [`load_file`].
pub fn load_path(path: &Path) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for file in manifest_files(path)? {
        docs.extend(load_file(&file)?);
    }
    Ok(docs)
}

/// Loads every document under several files or folders, in order.
///
/// # Errors
/// As [`load_file`].
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for p in paths {
        docs.extend(load_path(p.as_ref())?);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_messages_name_each_position_once_in_file_lines() {
        let m = "did not find expected key at line 3 column 1, while parsing a block mapping at line 2 column 3";
        // A chunk starting at file line 7: the error is at 9:1, the mapping at 8:3.
        assert_eq!(
            yaml_message(m, 7, 9, 1),
            "did not find expected key, while parsing a block mapping at line 8 column 3"
        );
        assert_eq!(
            yaml_message("no position here", 1, 1, 1),
            "no position here"
        );
        assert_eq!(yaml_message("odd at line x", 1, 1, 1), "odd at line x");
    }

    #[test]
    fn splits_multi_document_yaml_with_lines() {
        let text = "a: 1\n---\nkind: B\n--- \n# only comment\n---\nkind: C\nx: [1]\n...\n";
        let chunks = split_yaml(text);
        let lines: Vec<usize> = chunks.iter().map(|c| c.line).collect();
        assert_eq!(lines, vec![1, 2, 4, 6, 10]);
        assert!(chunks[2].text.contains("only comment"));
    }

    #[test]
    fn parses_documents_and_reports_kindless() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\n---\n---\nkind: Pod\nmetadata: {name: p}\n";
        let docs = parse_documents("t.yaml", text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].kind(), "Service");
        assert_eq!(docs[0].namespace(), Some("prod"));
        assert_eq!(docs[1].source().line, 8);
        assert_eq!(docs[1].source().document, 2);
        let err = parse_documents("t.yaml", "kind: Pod\n---\nfoo: bar\n").unwrap_err();
        assert!(
            matches!(
                err,
                Error::MissingKind {
                    index: 1,
                    line: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn malformed_yaml_has_line_and_column_in_file() {
        let text = "kind: Pod\n---\nkind: Service\nmetadata:\n  name: [unclosed\n";
        match parse_documents("bad.yaml", text).unwrap_err() {
            Error::Yaml { line, column, .. } => {
                assert!(line >= 5, "line {line}");
                assert!(column > 0);
            }
            e => panic!("unexpected {e}"),
        }
        let err = parse_documents("bad.yaml", "kind: Pod\n  bad: indent: here\n").unwrap_err();
        assert!(matches!(err, Error::Yaml { line: 2, .. }), "{err}");
    }

    #[test]
    fn malformed_json_has_line_and_column() {
        let err = parse_documents("bad.json", "{\n \"kind\": \"Pod\",\n}").unwrap_err();
        assert!(matches!(err, Error::Json { line: 3, .. }), "{err}");
    }

    #[test]
    fn lists_and_arrays_expand() {
        let text = r#"{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"a"}},{"kind":"Service"}]}"#;
        let docs = parse_documents("l.json", text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].source().item, Some(1));
        let docs = parse_documents("a.json", r#"[{"kind":"Pod"},{"kind":"Job"}]"#).unwrap();
        assert_eq!(docs[1].kind(), "Job");
    }

    #[test]
    fn terraform_plan_resources_become_documents() {
        let plan = r#"{"format_version":"1.2","resource_changes":[
          {"address":"aws_s3_bucket.logs","type":"aws_s3_bucket","name":"logs",
           "change":{"actions":["create"],"after":{"bucket":"logs","acl":"public-read"}}},
          {"address":"aws_instance.old","type":"aws_instance","name":"old",
           "change":{"actions":["delete"],"after":null}}]}"#;
        let docs = parse_documents("plan.json", plan).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].kind(), "aws_s3_bucket");
        assert_eq!(docs[0].name(), "aws_s3_bucket.logs");
        assert_eq!(docs[0].value()["acl"], "public-read");
        assert!(!docs[0].is_kubernetes());
        let bad = r#"{"resource_changes":[{"type":"x"}]}"#;
        assert!(matches!(
            parse_documents("p.json", bad),
            Err(Error::InvalidField { .. })
        ));
    }
}
