//! The resource model: addresses, resources, references, the desired
//! configuration and the recorded state.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::graph::Graph;

/// Attributes of a resource: a JSON object.
pub type Attributes = serde_json::Map<String, Value>;

/// Whether a resource is managed (created, updated, deleted) or a data
/// source (only read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A managed resource.
    #[default]
    Managed,
    /// A data source.
    Data,
}

impl Mode {
    /// `managed` or `data`, as in Terraform plan JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }
}

/// The parts of a resource address
/// `[module.NAME[KEY].]*[data.]TYPE.NAME[KEY]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressParts {
    /// Module path, e.g. `module.net` or `module.a.module.b`; empty at root.
    pub module: String,
    /// Managed or data.
    pub mode: Mode,
    /// Resource type, e.g. `aws_vpc`.
    pub resource_type: String,
    /// Resource name with its instance key, e.g. `web[0]`.
    pub name: String,
}

/// Splits `text` on dots that are outside brackets and quotes.
fn split_segments(text: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '[' if !in_quote => depth += 1,
            ']' if !in_quote => depth = depth.checked_sub(1)?,
            '.' if !in_quote && depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || in_quote {
        return None;
    }
    out.push(&text[start..]);
    Some(out)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Identifier with an optional `[key]` suffix.
fn is_ident_key(s: &str) -> bool {
    match s.find('[') {
        Some(i) => is_ident(&s[..i]) && s.ends_with(']'),
        None => is_ident(s),
    }
}

/// Parses a leading resource address out of dot-separated `segs`, returning
/// the parts and the number of segments used.
fn parse_prefix(segs: &[&str]) -> Option<(AddressParts, usize)> {
    let mut i = 0;
    let mut module = String::new();
    while segs.get(i) == Some(&"module") {
        let name = segs.get(i + 1)?;
        if !is_ident_key(name) {
            return None;
        }
        if !module.is_empty() {
            module.push('.');
        }
        module.push_str("module.");
        module.push_str(name);
        i += 2;
    }
    let mode = if segs.get(i) == Some(&"data") {
        i += 1;
        Mode::Data
    } else {
        Mode::Managed
    };
    let ty = segs.get(i)?;
    let name = segs.get(i + 1)?;
    if !is_ident(ty) || !is_ident_key(name) {
        return None;
    }
    Some((
        AddressParts {
            module,
            mode,
            resource_type: (*ty).to_owned(),
            name: (*name).to_owned(),
        },
        i + 2,
    ))
}

/// Parses a full resource address.
///
/// # Errors
/// [`Error::InvalidAddress`] when `address` is not
/// `[module.NAME.]*[data.]TYPE.NAME[KEY]`.
pub fn parse_address(address: &str) -> Result<AddressParts> {
    let bad = |reason: &str| Error::InvalidAddress {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    if address.is_empty() {
        return Err(bad("empty"));
    }
    let segs = split_segments(address).ok_or_else(|| bad("unbalanced brackets or quotes"))?;
    let (parts, used) =
        parse_prefix(&segs).ok_or_else(|| bad("expected [module.NAME.]*[data.]TYPE.NAME"))?;
    if used != segs.len() {
        return Err(bad("trailing segments after TYPE.NAME"));
    }
    Ok(parts)
}

/// A reference from one attribute to an attribute of another resource,
/// written `${TYPE.NAME.ATTR}` (Terraform's interpolation syntax, which is
/// also valid in `*.tf.json`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Address of the referenced resource.
    pub target: String,
    /// Referenced attribute (first segment after the address); empty when
    /// the whole resource is referenced.
    pub attribute: String,
    /// Remaining path below the attribute (`[0].name`), possibly empty.
    pub rest: String,
}

/// Roots of Terraform expressions that are not resources.
const NON_RESOURCE_ROOTS: &[&str] = &[
    "var",
    "local",
    "each",
    "count",
    "path",
    "self",
    "terraform",
    "module_output",
];

/// A reference borrowed from the expression text where possible.
#[derive(Debug)]
pub(crate) struct RefView<'a> {
    pub(crate) target: Cow<'a, str>,
    pub(crate) attribute: Cow<'a, str>,
    pub(crate) rest: Cow<'a, str>,
}

/// [`parse_traversal`] without allocating for the common
/// `TYPE.NAME.ATTR` form.
pub(crate) fn parse_traversal_view(text: &str) -> Option<RefView<'_>> {
    let t = text.trim();
    let simple =
        !t.contains(['[', '"', ' ']) && !t.starts_with("module.") && !t.starts_with("data.");
    if simple {
        let mut it = t.splitn(4, '.');
        let ty = it.next()?;
        let name = it.next()?;
        if NON_RESOURCE_ROOTS.contains(&ty) || !is_ident(ty) || !is_ident(name) {
            return None;
        }
        let target = &t[..ty.len() + 1 + name.len()];
        let attribute = it.next().unwrap_or("");
        let rest_start = (target.len() + 1 + attribute.len()).min(t.len());
        return Some(RefView {
            target: Cow::Borrowed(target),
            attribute: Cow::Borrowed(attribute),
            rest: Cow::Borrowed(&t[rest_start..]),
        });
    }
    let r = parse_traversal(t)?;
    Some(RefView {
        target: Cow::Owned(r.target),
        attribute: Cow::Owned(r.attribute),
        rest: Cow::Owned(r.rest),
    })
}

/// Parses one traversal (`aws_vpc.main.id`, `data.x.y.z[0].a`) into a
/// reference, or `None` when it does not name a resource.
pub(crate) fn parse_traversal(text: &str) -> Option<Reference> {
    let segs = split_segments(text.trim())?;
    if segs.is_empty() || NON_RESOURCE_ROOTS.contains(&segs[0]) {
        return None;
    }
    let (parts, used) = parse_prefix(&segs)?;
    let target = render_address(&parts);
    let (attribute, rest) = match segs.get(used) {
        None => (String::new(), String::new()),
        Some(attr) => {
            let (a, idx) = match attr.find('[') {
                Some(i) => (&attr[..i], &attr[i..]),
                None => (*attr, ""),
            };
            let mut rest = idx.to_owned();
            for s in &segs[used + 1..] {
                rest.push('.');
                rest.push_str(s);
            }
            (a.to_owned(), rest)
        }
    };
    Some(Reference {
        target,
        attribute,
        rest,
    })
}

fn render_address(p: &AddressParts) -> String {
    let mut s = String::with_capacity(p.module.len() + p.resource_type.len() + p.name.len() + 8);
    if !p.module.is_empty() {
        s.push_str(&p.module);
        s.push('.');
    }
    if p.mode == Mode::Data {
        s.push_str("data.");
    }
    s.push_str(&p.resource_type);
    s.push('.');
    s.push_str(&p.name);
    s
}

/// One piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece<'a> {
    Literal(&'a str),
    Expr(&'a str),
}

/// Splits a string into literal text and `${...}` expressions.
pub(crate) fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let Some(end_rel) = rest[start + 2..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Piece::Literal(&rest[..start]));
        }
        out.push(Piece::Expr(&rest[start + 2..start + 2 + end_rel]));
        rest = &rest[start + 2 + end_rel + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// Calls `f` with every resource reference inside the `${...}`
/// expressions of a string. An expression that is not a bare traversal (a
/// function call, an operator) is scanned for traversal-shaped tokens.
pub(crate) fn visit_refs_in_str<'a>(s: &'a str, f: &mut dyn FnMut(RefView<'a>)) {
    if !s.contains("${") {
        return;
    }
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let Some(end_rel) = rest[start + 2..].find('}') else {
            break;
        };
        let e = &rest[start + 2..start + 2 + end_rel];
        rest = &rest[start + 2 + end_rel + 1..];
        if let Some(r) = parse_traversal_view(e) {
            f(r);
        } else {
            let is_tok = |c: char| c.is_ascii_alphanumeric() || "_-.[]\"".contains(c);
            for tok in e.split(|c: char| !is_tok(c)).filter(|t| t.contains('.')) {
                if let Some(r) = parse_traversal_view(tok) {
                    f(r);
                }
            }
        }
    }
}

/// Calls `f` with every resource reference anywhere inside a JSON value.
pub(crate) fn visit_refs<'a>(v: &'a Value, f: &mut dyn FnMut(RefView<'a>)) {
    match v {
        Value::String(s) => visit_refs_in_str(s, f),
        Value::Array(a) => a.iter().for_each(|x| visit_refs(x, f)),
        Value::Object(o) => o.values().for_each(|x| visit_refs(x, f)),
        _ => {}
    }
}

/// Every resource reference anywhere inside a JSON value.
pub(crate) fn references_in_value(v: &Value, out: &mut Vec<Reference>) {
    visit_refs(v, &mut |r| {
        out.push(Reference {
            target: r.target.into_owned(),
            attribute: r.attribute.into_owned(),
            rest: r.rest.into_owned(),
        })
    });
}

/// Lifecycle settings of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Create the replacement before destroying the old object.
    #[serde(default)]
    pub create_before_destroy: bool,
    /// Refuse any plan that destroys this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// A resource in the desired configuration.
///
/// Attributes may reference other resources as `${TYPE.NAME.ATTR}`; each
/// reference is an implicit dependency, and its value is unknown until the
/// referenced resource is applied when that resource is being created or
/// replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Address, e.g. `aws_vpc.main` or `module.net.aws_subnet.a[0]`.
    pub address: String,
    /// Managed resource or data source.
    #[serde(default)]
    pub mode: Mode,
    /// Resource type, e.g. `aws_vpc`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Provider configuration, e.g. `aws` or `aws.west`.
    pub provider: String,
    /// Desired attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Explicit dependencies (addresses), beyond the implied ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Attributes whose change forces replacement (the provider schema's
    /// "ForceNew").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub force_new: Vec<String>,
    /// Lifecycle settings.
    #[serde(default)]
    pub lifecycle: Lifecycle,
}

impl Resource {
    /// A resource at `address`; type, mode and the default provider (the
    /// type's prefix before the first `_`) come from the address.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for a malformed address.
    pub fn new(address: &str) -> Result<Resource> {
        let parts = parse_address(address)?;
        let provider = parts
            .resource_type
            .split('_')
            .next()
            .unwrap_or(&parts.resource_type)
            .to_owned();
        Ok(Resource {
            address: address.to_owned(),
            mode: parts.mode,
            resource_type: parts.resource_type,
            provider,
            attributes: Attributes::new(),
            depends_on: Vec::new(),
            force_new: Vec::new(),
            lifecycle: Lifecycle::default(),
        })
    }

    /// Sets one attribute (builder style).
    pub fn attr(mut self, name: &str, value: Value) -> Resource {
        self.attributes.insert(name.to_owned(), value);
        self
    }

    /// Sets the provider configuration (builder style).
    pub fn provider(mut self, provider: &str) -> Resource {
        self.provider = provider.to_owned();
        self
    }

    /// Adds an explicit dependency (builder style).
    pub fn depends_on(mut self, address: &str) -> Resource {
        self.depends_on.push(address.to_owned());
        self
    }

    /// Marks attributes as forcing replacement when they change.
    pub fn force_new<I, S>(mut self, names: I) -> Resource
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.force_new.extend(names.into_iter().map(Into::into));
        self
    }

    /// Sets `create_before_destroy` (builder style).
    pub fn create_before_destroy(mut self, on: bool) -> Resource {
        self.lifecycle.create_before_destroy = on;
        self
    }

    /// Sets `prevent_destroy` (builder style).
    pub fn prevent_destroy(mut self, on: bool) -> Resource {
        self.lifecycle.prevent_destroy = on;
        self
    }

    /// References to other resources in the attributes.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        for v in self.attributes.values() {
            references_in_value(v, &mut out);
        }
        out
    }
}

/// A validated desired configuration: unique addresses, every dependency
/// and reference declared, and no cycle.
#[derive(Debug, Clone)]
pub struct Config {
    resources: Arc<Vec<Resource>>,
    index: HashMap<String, usize>,
    /// Dependencies (explicit and implied) per resource, deduplicated.
    deps: Vec<Vec<usize>>,
    /// A topological order (dependencies first).
    order: Vec<usize>,
}

impl Config {
    /// Validates `resources` into a configuration.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`], [`Error::DuplicateAddress`],
    /// [`Error::DanglingReference`] (naming the referencing resource), or
    /// [`Error::Cycle`] (naming the resources on the cycle).
    pub fn new(resources: Vec<Resource>) -> Result<Config> {
        let mut index = HashMap::with_capacity(resources.len());
        for (i, r) in resources.iter().enumerate() {
            let parts = parse_address(&r.address)?;
            if parts.resource_type != r.resource_type || parts.mode != r.mode {
                return Err(Error::field(
                    &r.address,
                    "type",
                    format!(
                        "type `{}` ({}) does not match the address",
                        r.resource_type,
                        r.mode.as_str()
                    ),
                ));
            }
            if index.insert(r.address.clone(), i).is_some() {
                return Err(Error::DuplicateAddress {
                    address: r.address.clone(),
                });
            }
        }
        let mut deps = Vec::with_capacity(resources.len());
        for (i, r) in resources.iter().enumerate() {
            let mut d: Vec<usize> = Vec::with_capacity(r.depends_on.len() + 2);
            for a in &r.depends_on {
                let j = *index
                    .get(a.as_str())
                    .ok_or_else(|| Error::DanglingReference {
                        resource: r.address.clone(),
                        target: a.clone(),
                    })?;
                d.push(j);
            }
            let mut dangling: Option<String> = None;
            for v in r.attributes.values() {
                visit_refs(v, &mut |rf| match index.get(rf.target.as_ref()) {
                    Some(&j) => d.push(j),
                    None => {
                        dangling.get_or_insert_with(|| rf.target.into_owned());
                    }
                });
            }
            if let Some(target) = dangling {
                return Err(Error::DanglingReference {
                    resource: r.address.clone(),
                    target,
                });
            }
            d.sort_unstable();
            d.dedup();
            if d.binary_search(&i).is_ok() {
                return Err(Error::Cycle {
                    cycle: vec![r.address.clone(), r.address.clone()],
                });
            }
            deps.push(d);
        }
        let graph = Graph::from_deps(&deps);
        let order = graph.topo_order().map_err(|cyc| Error::Cycle {
            cycle: cyc.iter().map(|&i| resources[i].address.clone()).collect(),
        })?;
        Ok(Config {
            resources: Arc::new(resources),
            index,
            deps,
            order,
        })
    }

    /// The resources, in the order given.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The resource at `address`.
    pub fn get(&self, address: &str) -> Option<&Resource> {
        self.index.get(address).map(|&i| &self.resources[i])
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when there are no resources.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Addresses `address` depends on (explicit and implied), or `None` for
    /// an unknown address.
    pub fn dependencies(&self, address: &str) -> Option<Vec<&str>> {
        let i = *self.index.get(address)?;
        Some(
            self.deps[i]
                .iter()
                .map(|&j| self.resources[j].address.as_str())
                .collect(),
        )
    }

    /// Addresses in a dependency order (every resource after what it
    /// depends on).
    pub fn topological_order(&self) -> Vec<&str> {
        self.order
            .iter()
            .map(|&i| self.resources[i].address.as_str())
            .collect()
    }

    pub(crate) fn shared(&self, index: usize) -> ConfigRef {
        ConfigRef {
            all: Arc::clone(&self.resources),
            index,
        }
    }
    pub(crate) fn index_of(&self, address: &str) -> Option<usize> {
        self.index.get(address).copied()
    }
    pub(crate) fn deps_of(&self, i: usize) -> &[usize] {
        &self.deps[i]
    }
    pub(crate) fn order(&self) -> &[usize] {
        &self.order
    }
}

/// A shared handle on one resource of a [`Config`] (cheap to clone).
#[derive(Clone)]
pub(crate) struct ConfigRef {
    all: Arc<Vec<Resource>>,
    index: usize,
}

impl ConfigRef {
    pub(crate) fn get(&self) -> &Resource {
        &self.all[self.index]
    }
}

impl fmt::Debug for ConfigRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigRef")
            .field(&self.get().address)
            .finish()
    }
}

impl PartialEq for ConfigRef {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// The recorded state of one resource: the attributes the provider
/// returned, plus objects deposed by a create-before-destroy replacement
/// whose destroy has not completed yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Address.
    pub address: String,
    /// Managed or data.
    #[serde(default)]
    pub mode: Mode,
    /// Resource type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Provider configuration.
    pub provider: String,
    /// Attributes as applied (including computed ones such as `id`).
    pub attributes: Attributes,
    /// Dependencies at the time of the last apply (used to order deletes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Whether replacements of this resource create before destroying
    /// (stored, as Terraform does, once propagated from a dependent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// Old objects replaced under create-before-destroy and not yet
    /// destroyed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Attributes>,
}

/// Version of the state file format written by this crate.
pub const STATE_FORMAT_VERSION: u64 = 1;

/// The recorded state: what has been applied, by address.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    /// State file format version ([`STATE_FORMAT_VERSION`]).
    pub version: u64,
    /// Incremented on every write.
    pub serial: u64,
    /// Resources by address.
    pub resources: BTreeMap<String, ResourceState>,
}

impl State {
    /// An empty state.
    pub fn new() -> State {
        State {
            version: STATE_FORMAT_VERSION,
            serial: 0,
            resources: BTreeMap::new(),
        }
    }

    /// Adds or replaces one resource (builder style, for tests and imports).
    pub fn with(mut self, r: ResourceState) -> State {
        self.resources.insert(r.address.clone(), r);
        self
    }

    /// Parses a state document.
    ///
    /// # Errors
    /// [`Error::State`] when the text is not a state of a known version.
    pub fn from_json_str(path: &Path, text: &str) -> Result<State> {
        let st: State = serde_json::from_str(text).map_err(|e| Error::State {
            path: path.to_owned(),
            message: e.to_string(),
            source: None,
        })?;
        if st.version != STATE_FORMAT_VERSION {
            return Err(Error::State {
                path: path.to_owned(),
                message: format!("unsupported state version {}", st.version),
                source: None,
            });
        }
        for (k, r) in &st.resources {
            if k != &r.address {
                return Err(Error::State {
                    path: path.to_owned(),
                    message: format!("entry `{k}` holds resource `{}`", r.address),
                    source: None,
                });
            }
        }
        Ok(st)
    }

    /// Reads a state file; a missing file is an empty state.
    ///
    /// # Errors
    /// [`Error::State`] when the file cannot be read or parsed.
    pub fn load(path: &Path) -> Result<State> {
        match std::fs::read_to_string(path) {
            Ok(text) => State::from_json_str(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::new()),
            Err(e) => Err(Error::State {
                path: path.to_owned(),
                message: "cannot read".to_owned(),
                source: Some(e),
            }),
        }
    }

    /// Writes the state atomically: a temporary file beside `path`, fsync,
    /// rename over `path`, then fsync of the directory. A crash at any
    /// point leaves either the old or the new file, never a partial one.
    ///
    /// # Errors
    /// [`Error::State`] on any I/O failure (the temporary file is removed).
    pub fn save_atomic(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let io_err = |message: &str, e: std::io::Error| Error::State {
            path: path.to_owned(),
            message: message.to_owned(),
            source: Some(e),
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::State {
            path: path.to_owned(),
            message: format!("cannot serialise: {e}"),
            source: None,
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => std::path::PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".to_owned());
        let tmp = dir.join(format!(".{file_name}.tmp.{}", std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp).map_err(|e| io_err("cannot create temp", e))?;
            f.write_all(&bytes)
                .map_err(|e| io_err("cannot write temp", e))?;
            f.sync_all().map_err(|e| io_err("cannot fsync temp", e))?;
            drop(f);
            std::fs::rename(&tmp, path).map_err(|e| io_err("cannot rename temp", e))?;
            // Persist the rename itself; not every platform can open a
            // directory, so failure to open is not an error.
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_addresses() {
        let p = parse_address("module.net.module.x[\"a.b\"].data.aws_ami.ubuntu[0]").unwrap();
        assert_eq!(p.module, "module.net.module.x[\"a.b\"]");
        assert_eq!(p.mode, Mode::Data);
        assert_eq!(p.resource_type, "aws_ami");
        assert_eq!(p.name, "ubuntu[0]");
        assert!(parse_address("aws_vpc").is_err());
        assert!(parse_address("aws_vpc.main.id").is_err());
        assert!(parse_address("").is_err());
        assert!(parse_address("aws_vpc.main[").is_err());
    }

    #[test]
    fn finds_references() {
        let r = Resource::new("aws_subnet.a")
            .unwrap()
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("name", json!("${var.env}-${data.aws_ami.x.tags[\"k\"]}"))
            .attr(
                "list",
                json!(["${format(\"%s\", aws_eip.ip[0].public_ip)}", "plain"]),
            );
        let refs = r.references();
        let targets: Vec<_> = refs.iter().map(|r| r.target.as_str()).collect();
        // attributes are visited in key order: list, name, vpc_id
        assert_eq!(targets, ["aws_eip.ip[0]", "data.aws_ami.x", "aws_vpc.main"]);
        assert_eq!(refs[0].attribute, "public_ip");
        assert_eq!(refs[2].attribute, "id");
        assert_eq!(refs[1].attribute, "tags");
        assert_eq!(refs[1].rest, "[\"k\"]");
    }

    #[test]
    fn config_errors() {
        let a = Resource::new("aws_vpc.a").unwrap();
        let dup = Config::new(vec![a.clone(), a.clone()]).unwrap_err();
        assert!(matches!(dup, Error::DuplicateAddress { address } if address == "aws_vpc.a"));
        let b = Resource::new("aws_subnet.b")
            .unwrap()
            .attr("vpc", json!("${aws_vpc.zz.id}"));
        let e = Config::new(vec![a.clone(), b]).unwrap_err();
        assert!(
            matches!(&e, Error::DanglingReference { resource, target } if resource == "aws_subnet.b" && target == "aws_vpc.zz"),
            "{e}"
        );
        let x = Resource::new("aws_vpc.x").unwrap().depends_on("aws_vpc.y");
        let y = Resource::new("aws_vpc.y")
            .unwrap()
            .attr("r", json!("${aws_vpc.x.id}"));
        let e = Config::new(vec![a, x, y]).unwrap_err();
        match e {
            Error::Cycle { cycle } => {
                assert_eq!(cycle.first(), cycle.last());
                assert!(cycle.contains(&"aws_vpc.x".to_owned()));
                assert!(cycle.contains(&"aws_vpc.y".to_owned()));
                assert!(!cycle.contains(&"aws_vpc.a".to_owned()));
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn state_roundtrip_and_atomic_save() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        assert_eq!(State::load(&p).unwrap(), State::new());
        let st = State::new().with(ResourceState {
            address: "aws_vpc.a".into(),
            mode: Mode::Managed,
            resource_type: "aws_vpc".into(),
            provider: "aws".into(),
            attributes: json!({"id": "vpc-1"}).as_object().unwrap().clone(),
            depends_on: vec![],
            create_before_destroy: false,
            deposed: vec![],
        });
        st.save_atomic(&p).unwrap();
        assert_eq!(State::load(&p).unwrap(), st);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&p, "{\"version\": 1, \"serial\": ").unwrap();
        assert!(matches!(State::load(&p), Err(Error::State { .. })));
    }
}
