//! Safe auto-fixes: RFC 6902 JSON Patch operations, their application, the
//! fixed documents and atomic rewriting of manifest files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aiops_core::Severity;
use serde_json::Value;

use crate::document::{Document, ResourceRef, parse_yaml_chunk, split_yaml};
use crate::error::{Error, Result};
use crate::model::{PolicySet, Report};

/// One RFC 6902 JSON Patch operation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    /// Add a value (insert into an array, set a member).
    Add {
        /// Target JSON Pointer.
        path: String,
        /// Value to add.
        value: Value,
    },
    /// Remove the target.
    Remove {
        /// Target JSON Pointer.
        path: String,
    },
    /// Replace the target, which must exist.
    Replace {
        /// Target JSON Pointer.
        path: String,
        /// New value.
        value: Value,
    },
    /// Move a value.
    Move {
        /// Source JSON Pointer.
        from: String,
        /// Target JSON Pointer.
        path: String,
    },
    /// Copy a value.
    Copy {
        /// Source JSON Pointer.
        from: String,
        /// Target JSON Pointer.
        path: String,
    },
    /// Check the target equals a value.
    Test {
        /// Target JSON Pointer.
        path: String,
        /// Expected value.
        value: Value,
    },
}

impl PatchOp {
    fn name(&self) -> &'static str {
        match self {
            PatchOp::Add { .. } => "add",
            PatchOp::Remove { .. } => "remove",
            PatchOp::Replace { .. } => "replace",
            PatchOp::Move { .. } => "move",
            PatchOp::Copy { .. } => "copy",
            PatchOp::Test { .. } => "test",
        }
    }
    fn path(&self) -> &str {
        match self {
            PatchOp::Add { path, .. }
            | PatchOp::Remove { path }
            | PatchOp::Replace { path, .. }
            | PatchOp::Move { path, .. }
            | PatchOp::Copy { path, .. }
            | PatchOp::Test { path, .. } => path,
        }
    }
}

/// Escapes one JSON Pointer reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> std::result::Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    if !path.starts_with('/') {
        return Err("JSON Pointer must be empty or start with `/`".to_owned());
    }
    Ok(path[1..].split('/').map(unescape).collect())
}

fn array_index(token: &str, len: usize, allow_end: bool) -> std::result::Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    if token.is_empty()
        || (token.len() > 1 && token.starts_with('0'))
        || !token.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("invalid array index {token:?}"));
    }
    let i: usize = token
        .parse()
        .map_err(|_| format!("invalid array index {token:?}"))?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return Err(format!("array index {i} out of bounds (length {len})"));
    }
    Ok(i)
}

fn parent_mut<'v>(
    root: &'v mut Value,
    tokens: &[String],
) -> std::result::Result<&'v mut Value, String> {
    let mut cur = root;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(t)
                .ok_or_else(|| format!("member {t:?} does not exist"))?,
            Value::Array(a) => {
                let i = array_index(t, a.len(), false)?;
                a.get_mut(i)
                    .ok_or_else(|| format!("array index {i} out of bounds"))?
            }
            _ => return Err(format!("cannot descend into a scalar at {t:?}")),
        };
    }
    Ok(cur)
}

fn add(root: &mut Value, path: &str, value: Value) -> std::result::Result<(), String> {
    let tokens = split_pointer(path)?;
    let Some((last, parents)) = tokens.split_last() else {
        *root = value;
        return Ok(());
    };
    match parent_mut(root, parents)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = array_index(last, a.len(), true)?;
            a.insert(i, value);
            Ok(())
        }
        _ => Err("parent is not a container".to_owned()),
    }
}

fn remove(root: &mut Value, path: &str) -> std::result::Result<Value, String> {
    let tokens = split_pointer(path)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Ok(std::mem::take(root));
    };
    match parent_mut(root, parents)? {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("member {last:?} does not exist")),
        Value::Array(a) => {
            let i = array_index(last, a.len(), false)?;
            Ok(a.remove(i))
        }
        _ => Err("parent is not a container".to_owned()),
    }
}

fn get<'v>(root: &'v Value, path: &str) -> std::result::Result<&'v Value, String> {
    let tokens = split_pointer(path)?;
    let mut cur = root;
    for t in &tokens {
        cur = match cur {
            Value::Object(m) => m
                .get(t)
                .ok_or_else(|| format!("member {t:?} does not exist"))?,
            Value::Array(a) => {
                let i = array_index(t, a.len(), false)?;
                a.get(i)
                    .ok_or_else(|| format!("array index {i} out of bounds"))?
            }
            _ => return Err(format!("cannot descend into a scalar at {t:?}")),
        };
    }
    Ok(cur)
}

fn apply_one(doc: &mut Value, op: &PatchOp) -> std::result::Result<(), String> {
    match op {
        PatchOp::Add { path, value } => add(doc, path, value.clone()),
        PatchOp::Remove { path } => remove(doc, path).map(drop),
        PatchOp::Replace { path, value } => {
            get(doc, path)?;
            remove(doc, path)?;
            add(doc, path, value.clone())
        }
        PatchOp::Move { from, path } => {
            if path.starts_with(from.as_str())
                && path.len() > from.len()
                && path[from.len()..].starts_with('/')
            {
                return Err("cannot move a value into one of its children".to_owned());
            }
            let v = remove(doc, from)?;
            add(doc, path, v)
        }
        PatchOp::Copy { from, path } => {
            let v = get(doc, from)?.clone();
            add(doc, path, v)
        }
        PatchOp::Test { path, value } => {
            if get(doc, path)? == value {
                Ok(())
            } else {
                Err("test failed: value differs".to_owned())
            }
        }
    }
}

/// Applies a JSON Patch atomically: on error `doc` is left unchanged.
///
/// # Errors
/// [`Error::Patch`] naming the failing operation.
pub fn apply_patch(doc: &mut Value, ops: &[PatchOp]) -> Result<()> {
    let mut work = doc.clone();
    for (index, op) in ops.iter().enumerate() {
        apply_one(&mut work, op).map_err(|message| Error::Patch {
            index,
            op: op.name().to_owned(),
            path: op.path().to_owned(),
            message,
        })?;
    }
    *doc = work;
    Ok(())
}

/// The fix of one resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DocumentFix {
    /// The resource.
    pub resource: ResourceRef,
    /// Ids of the policies whose violations were fixed, one per fixed violation.
    pub fixed: Vec<String>,
    /// The JSON Patch turning the original into the fixed document.
    pub patch: Vec<PatchOp>,
    /// The fixed document.
    pub document: Value,
}

/// Fixes every fixable (non-critical, with a safe fix) violation of one
/// document, applying each policy's patch to the result of the previous one.
/// Returns `None` when nothing is fixable.
///
/// # Errors
/// [`Error::Patch`] if a policy produced a patch that does not apply.
pub fn fix_document(
    set: &PolicySet,
    doc: &Document,
    report: &Report,
) -> Result<Option<DocumentFix>> {
    let src = doc.source();
    let mut cur = doc.value().clone();
    let mut patch = Vec::new();
    let mut fixed = Vec::new();
    for f in report.findings.iter().filter(|f| {
        f.fixable && f.resource.source == *src && f.violation.severity < Severity::Critical
    }) {
        let Some(policy) = set.get(&f.violation.policy_id) else {
            continue;
        };
        if let Some(ops) = policy.fix(&cur, &f.violation) {
            apply_patch(&mut cur, &ops)?;
            patch.extend(ops);
            fixed.push(f.violation.policy_id.clone());
        }
    }
    if patch.is_empty() {
        return Ok(None);
    }
    Ok(Some(DocumentFix {
        resource: doc.resource_ref(),
        fixed,
        patch,
        document: cur,
    }))
}

/// The fixes of one file and its new text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileFix {
    /// The file.
    pub path: PathBuf,
    /// One entry per fixed document.
    pub documents: Vec<DocumentFix>,
    /// The whole new file text: unchanged YAML documents are kept byte for
    /// byte (comments included); fixed ones are re-serialized.
    #[serde(skip)]
    pub new_text: String,
}

/// Computes the fixes of every file behind `docs` (documents read with
/// [`crate::load_paths`], whose source names are file paths) from a report of
/// `set` over them. Files are re-read to rebuild their text.
///
/// # Errors
/// [`Error::Io`] when a file cannot be re-read, [`Error::Patch`] for a bad patch,
/// parse errors if a file changed since it was loaded.
pub fn fix_files(set: &PolicySet, docs: &[Document], report: &Report) -> Result<Vec<FileFix>> {
    let mut by_file: BTreeMap<&str, Vec<DocumentFix>> = BTreeMap::new();
    for doc in docs {
        if let Some(fix) = fix_document(set, doc, report)? {
            by_file.entry(&doc.source().name).or_default().push(fix);
        }
    }
    let mut out = Vec::new();
    for (name, fixes) in by_file {
        let path = PathBuf::from(name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let new_text = rebuild_text(name, &text, &fixes)?;
        out.push(FileFix {
            path,
            documents: fixes,
            new_text,
        });
    }
    Ok(out)
}

fn rebuild_text(name: &str, text: &str, fixes: &[DocumentFix]) -> Result<String> {
    let by_index: BTreeMap<usize, &Value> = fixes
        .iter()
        .map(|f| (f.resource.source.document, &f.document))
        .collect();
    if matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'[')) {
        let mut value: Value = serde_json::from_str(text).map_err(|e| Error::Json {
            source_name: name.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        match &mut value {
            Value::Array(items) => {
                for (i, v) in &by_index {
                    if let Some(slot) = items.get_mut(*i) {
                        *slot = (*v).clone();
                    }
                }
            }
            v => {
                if let Some(f) = by_index.get(&0) {
                    *v = (*f).clone();
                }
            }
        }
        let mut s = serde_json::to_string_pretty(&value)
            .map_err(|e| Error::field(name, "", e.to_string()))?;
        s.push('\n');
        return Ok(s);
    }
    let chunks = split_yaml(text);
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0usize;
    for (i, chunk) in chunks.iter().enumerate() {
        let start = chunk.start;
        out.push_str(&text[pos..start]);
        pos = start + chunk.text.len();
        match by_index.get(&i) {
            Some(v) => {
                // Make sure the chunk still parses (the file did not change).
                parse_yaml_chunk(name, chunk)?;
                let yaml =
                    yaml_serde::to_string(v).map_err(|e| Error::field(name, "", e.to_string()))?;
                // Keep the comments and blank lines that open the document.
                let leading: usize = chunk
                    .text
                    .split_inclusive('\n')
                    .take_while(|l| {
                        let t = l.trim();
                        t.is_empty() || t.starts_with('#')
                    })
                    .map(str::len)
                    .sum();
                let leading = &chunk.text[..leading];
                if i > 0 && !leading.contains('\n') {
                    out.push_str(leading);
                    out.push('\n');
                } else {
                    out.push_str(leading);
                }
                out.push_str(&yaml);
            }
            None => out.push_str(chunk.text),
        }
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// Writes a file atomically: a temporary file in the same folder is written,
/// flushed to disk (`fsync`), then renamed over the target, so readers see the
/// old or the new content, never a mix. Permissions of an existing target are kept.
///
/// # Errors
/// [`Error::Io`] on any failure; the target is then untouched.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest".to_owned());
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let candidate = dir.join(format!(
            ".{file_name}.aiops-{}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(Error::io(&candidate, e)),
        }
    };
    let result = (|| {
        file.write_all(contents.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp_path, path)?;
        // Persist the rename itself.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc6902_appendix_examples() {
        // A.1 add member, A.2 add array element, A.3 remove, A.5 replace,
        // A.6 move, A.10 nested add, A.16 append with "-", escaping.
        let mut doc = json!({"foo": ["bar", "baz"], "a/b": {"c~d": 1}});
        let ops: Vec<PatchOp> = serde_json::from_value(json!([
            {"op": "add", "path": "/baz", "value": "qux"},
            {"op": "add", "path": "/foo/1", "value": "qux"},
            {"op": "remove", "path": "/foo/0"},
            {"op": "replace", "path": "/baz", "value": "boo"},
            {"op": "move", "from": "/baz", "path": "/moved"},
            {"op": "add", "path": "/foo/-", "value": {"x": 1}},
            {"op": "test", "path": "/a~1b/c~0d", "value": 1},
            {"op": "copy", "from": "/a~1b", "path": "/copy"}
        ]))
        .unwrap();
        apply_patch(&mut doc, &ops).unwrap();
        assert_eq!(
            doc,
            json!({"foo": ["qux", "baz", {"x": 1}], "moved": "boo", "a/b": {"c~d": 1}, "copy": {"c~d": 1}})
        );
    }

    #[test]
    fn failing_patch_leaves_document_unchanged() {
        let mut doc = json!({"a": 1});
        let before = doc.clone();
        let ops = vec![
            PatchOp::Add {
                path: "/b".into(),
                value: json!(2),
            },
            PatchOp::Replace {
                path: "/missing".into(),
                value: json!(0),
            },
        ];
        let err = apply_patch(&mut doc, &ops).unwrap_err();
        assert!(matches!(err, Error::Patch { index: 1, .. }), "{err}");
        assert_eq!(doc, before);
        for bad in ["/a/0", "a", "/x/y"] {
            assert!(
                apply_patch(
                    &mut doc,
                    &[PatchOp::Add {
                        path: bad.into(),
                        value: json!(1)
                    }]
                )
                .is_err(),
                "{bad}"
            );
        }
        let mut arr = json!([1]);
        assert!(
            apply_patch(
                &mut arr,
                &[PatchOp::Add {
                    path: "/01".into(),
                    value: json!(1)
                }]
            )
            .is_err()
        );
        assert!(
            apply_patch(
                &mut arr,
                &[PatchOp::Add {
                    path: "/2".into(),
                    value: json!(1)
                }]
            )
            .is_err()
        );
        assert!(
            apply_patch(
                &mut arr,
                &[PatchOp::Test {
                    path: "/0".into(),
                    value: json!(2)
                }]
            )
            .is_err()
        );
    }

    #[test]
    fn atomic_write_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.yaml");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        assert!(write_atomic(&dir.path().join("no/such/dir/x"), "y").is_err());
    }
}
