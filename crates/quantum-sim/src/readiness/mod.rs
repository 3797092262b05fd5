//! Post-quantum readiness: find cryptography in a folder (X.509
//! certificates, keys, SSH keys and known-hosts, TLS and SSH configuration),
//! classify each use by quantum vulnerability, rank migration priority with
//! Mosca's inequality and order a roadmap.
//!
//! Mosca's inequality: with `x` the years data must stay secret (or a
//! signature must stay trustworthy), `y` the years the migration takes, and
//! `z` the years until a cryptographically relevant quantum computer (CRQC),
//! the use is at risk when `x + y > z`. The margin `x + y - z` orders the roadmap.

mod config;
mod keys;

use std::path::{Path, PathBuf};

use x509_parser::pem::Pem;

use crate::{Error, Result};

/// Quantum vulnerability of an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vulnerability {
    /// Public-key cryptography Shor's algorithm breaks: RSA, finite-field and
    /// elliptic-curve Diffie-Hellman, ECDSA, EdDSA, DSA.
    ShorBreakable,
    /// Symmetric cryptography with less than 256-bit keys: Grover's search
    /// halves the effective key length (AES-128 -> 64-bit security).
    GroverWeakened,
    /// Post-quantum (ML-KEM, ML-DSA, SLH-DSA, hybrid PQ key exchange) or
    /// symmetric with 256-bit keys (AES-256, ChaCha20).
    PostQuantum,
    /// Not recognised.
    Unknown,
}

/// Where the algorithm was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UseKind {
    /// Public key of an X.509 certificate.
    Certificate,
    /// A PEM public key.
    PublicKey,
    /// A private key file (PKCS#1, PKCS#8, SEC1, OpenSSH).
    PrivateKey,
    /// An SSH public key file.
    SshKey,
    /// An `authorized_keys` entry.
    AuthorizedKey,
    /// A `known_hosts` entry.
    KnownHost,
    /// TLS key exchange of a cipher suite.
    TlsKeyExchange,
    /// TLS named group / curve.
    TlsGroup,
    /// TLS bulk cipher.
    TlsCipher,
    /// SSH key exchange algorithm.
    SshKex,
    /// SSH cipher.
    SshCipher,
    /// SSH host or user signature algorithm in configuration.
    SshHostKeyAlgorithm,
}

impl UseKind {
    /// True for uses that protect confidentiality (key exchange, encryption):
    /// recorded traffic can be decrypted later ("harvest now, decrypt later").
    #[must_use]
    pub fn protects_confidentiality(self) -> bool {
        matches!(
            self,
            Self::TlsKeyExchange
                | Self::TlsGroup
                | Self::TlsCipher
                | Self::SshKex
                | Self::SshCipher
        )
    }

    fn is_config(self) -> bool {
        self.protects_confidentiality() || self == Self::SshHostKeyAlgorithm
    }

    fn is_ssh(self) -> bool {
        matches!(
            self,
            Self::SshKey
                | Self::AuthorizedKey
                | Self::KnownHost
                | Self::SshKex
                | Self::SshCipher
                | Self::SshHostKeyAlgorithm
        )
    }
}

/// One cryptographic use found by the scan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CryptoUse {
    /// File.
    pub path: PathBuf,
    /// 1-based line for text files.
    pub line: Option<usize>,
    /// Kind of use.
    pub kind: UseKind,
    /// Algorithm (e.g. `RSA`, `ECDSA P-256`, `Ed25519`, `X25519`, `AES-128`).
    pub algorithm: String,
    /// Key size in bits, when known.
    pub key_bits: Option<u32>,
    /// Quantum vulnerability.
    pub vulnerability: Vulnerability,
    /// Subject, comment or configuration item.
    pub detail: String,
    /// Certificate expiry (Unix seconds).
    pub not_after: Option<i64>,
}

/// A file that could not be read or decoded, or an entry the scan skipped
/// without reading it; the scan went on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScanIssue {
    /// File, folder or link, as reached from the scanned path.
    pub path: PathBuf,
    /// What went wrong, or why the entry was skipped.
    pub message: String,
    /// `true` when the entry was not read at all: a named pipe, device or
    /// socket, a symlink that cannot be followed (dangling or a loop), a
    /// file or folder already scanned through another path, a file over
    /// [`ReadinessConfig::max_file_bytes`]. `false` when reading or decoding failed.
    pub skipped: bool,
}

impl ScanIssue {
    fn problem(path: &Path, message: String) -> Self {
        Self {
            path: path.to_owned(),
            message,
            skipped: false,
        }
    }

    fn skip(path: &Path, message: String) -> Self {
        Self {
            path: path.to_owned(),
            message,
            skipped: true,
        }
    }
}

impl std::fmt::Display for ScanIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped {
            write!(f, "{}: skipped: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}: {}", self.path.display(), self.message)
        }
    }
}

/// Secrecy lifetime for paths containing a substring.
#[derive(Debug, Clone, PartialEq)]
pub struct SecrecyRule {
    /// Substring of the path.
    pub path_contains: String,
    /// Years the data behind matching uses must stay secret (`x`).
    pub years: f64,
}

/// Mosca parameters and scan limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadinessConfig {
    /// `z`: years until a cryptographically relevant quantum computer. Default 10.
    pub years_to_crqc: f64,
    /// `x` for key exchange and encryption (traffic recorded today is
    /// decrypted later). Default 10.
    pub confidentiality_years: f64,
    /// `x` for signatures and authentication keys (they only need to hold
    /// while trusted). Default 1.
    pub authentication_years: f64,
    /// `y` for certificates and PKI keys. Default 3.
    pub migration_years_pki: f64,
    /// `y` for SSH keys and SSH configuration. Default 1.
    pub migration_years_ssh: f64,
    /// `y` for TLS configuration. Default 1.
    pub migration_years_tls: f64,
    /// Overrides of `x` by path (first match wins).
    pub secrecy_rules: Vec<SecrecyRule>,
    /// Files larger than this are reported and skipped. Default 4 MiB.
    pub max_file_bytes: u64,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        Self {
            years_to_crqc: 10.0,
            confidentiality_years: 10.0,
            authentication_years: 1.0,
            migration_years_pki: 3.0,
            migration_years_ssh: 1.0,
            migration_years_tls: 1.0,
            secrecy_rules: Vec::new(),
            max_file_bytes: 4 << 20,
        }
    }
}

/// Mosca's inequality for one use.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mosca {
    /// `x`: secrecy / trust lifetime in years.
    pub secrecy_years: f64,
    /// `y`: migration time in years.
    pub migration_years: f64,
    /// `z`: years to a CRQC.
    pub years_to_crqc: f64,
    /// `x + y - z`: positive means at risk already.
    pub margin: f64,
    /// `x + y > z`.
    pub at_risk: bool,
}

/// One roadmap step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RoadmapItem {
    /// 1-based rank (1 = migrate first).
    pub rank: usize,
    /// The use.
    #[serde(rename = "use")]
    pub crypto_use: CryptoUse,
    /// Its Mosca assessment.
    pub mosca: Mosca,
    /// Recommended action.
    pub action: String,
}

/// Everything a scan found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReadinessReport {
    /// Files read.
    pub files_scanned: usize,
    /// Every use found, in path order.
    pub uses: Vec<CryptoUse>,
    /// Files that could not be read or decoded.
    pub issues: Vec<ScanIssue>,
    /// Uses needing migration (not post-quantum), most urgent first.
    pub roadmap: Vec<RoadmapItem>,
    /// Files read without any issue (with or without uses).
    #[serde(skip)]
    clean_files: usize,
}

impl ReadinessReport {
    /// `true` when the scan found problems and nothing usable: no
    /// cryptographic use, and every candidate file (and folder) was
    /// unreadable, undecodable or skipped (a named pipe, a device, a
    /// dangling link or a link loop given as the root, for instance). A caller should treat this as bad input
    /// rather than as a clean report.
    #[must_use]
    pub fn nothing_readable(&self) -> bool {
        self.uses.is_empty() && !self.issues.is_empty() && self.clean_files == 0
    }

    /// Entries skipped without being read (see [`ScanIssue::skipped`]).
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.issues.iter().filter(|i| i.skipped).count()
    }

    /// Roadmap items with `x + y > z`.
    #[must_use]
    pub fn at_risk(&self) -> usize {
        self.roadmap.iter().filter(|r| r.mosca.at_risk).count()
    }
}

/// Decode one DER certificate.
///
/// # Errors
/// [`Error::Certificate`] when it is not a valid X.509 certificate.
pub fn parse_certificate_der(path: &Path, der: &[u8]) -> Result<CryptoUse> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| Error::Certificate {
        path: path.to_owned(),
        what: "DER certificate".into(),
        message: e.to_string(),
    })?;
    let info = keys::classify_spki(cert.public_key());
    Ok(CryptoUse {
        path: path.to_owned(),
        line: None,
        kind: UseKind::Certificate,
        algorithm: info.algorithm,
        key_bits: info.bits,
        vulnerability: info.vulnerability,
        detail: format!(
            "subject `{}`, signature {}",
            cert.subject(),
            signature_name(&cert.signature_algorithm.algorithm.to_id_string())
        ),
        not_after: Some(cert.validity().not_after.timestamp()),
    })
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".into(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".into(),
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption".into(),
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".into(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".into(),
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512".into(),
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        o => o.to_owned(),
    }
}

fn use_from(
    path: &Path,
    line: Option<usize>,
    kind: UseKind,
    info: keys::KeyInfo,
    detail: String,
) -> CryptoUse {
    CryptoUse {
        path: path.to_owned(),
        line,
        kind,
        algorithm: info.algorithm,
        key_bits: info.bits,
        vulnerability: info.vulnerability,
        detail,
        not_after: None,
    }
}

/// The message of a certificate error without the path (the issue carries it).
fn without_path(e: &Error) -> String {
    match e {
        Error::Certificate { what, message, .. } => format!("cannot decode {what}: {message}"),
        other => other.to_string(),
    }
}

/// Scan one file's bytes. Uses go to `uses`, problems to `issues`.
fn scan_bytes(path: &Path, data: &[u8], uses: &mut Vec<CryptoUse>, issues: &mut Vec<ScanIssue>) {
    let mut issue = |message: String| issues.push(ScanIssue::problem(path, message));
    if data.windows(11).any(|w| w == b"-----BEGIN ") {
        for block in Pem::iter_from_buffer(data) {
            let pem = match block {
                Ok(p) => p,
                Err(e) => {
                    issue(format!("cannot decode PEM block: {e}"));
                    break;
                }
            };
            let label = pem.label.as_str();
            match label {
                "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                    match parse_certificate_der(path, &pem.contents) {
                        Ok(u) => uses.push(u),
                        Err(e) => issue(without_path(&e)),
                    }
                }
                "PUBLIC KEY" => match keys::classify_spki_der(&pem.contents) {
                    Ok(info) => uses.push(use_from(
                        path,
                        None,
                        UseKind::PublicKey,
                        info,
                        "PEM public key".into(),
                    )),
                    Err(e) => issue(format!("cannot decode PUBLIC KEY: {e}")),
                },
                "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "PRIVATE KEY" => {
                    match keys::classify_private_key(label, &pem.contents) {
                        Ok(info) => uses.push(use_from(
                            path,
                            None,
                            UseKind::PrivateKey,
                            info,
                            format!("{label} (private key on disk)"),
                        )),
                        Err(e) => issue(e),
                    }
                }
                "OPENSSH PRIVATE KEY" => match keys::classify_openssh_private(&pem.contents) {
                    Ok(info) => uses.push(use_from(
                        path,
                        None,
                        UseKind::PrivateKey,
                        info,
                        "OpenSSH private key".into(),
                    )),
                    Err(e) => issue(format!("cannot decode OPENSSH PRIVATE KEY: {e}")),
                },
                "ENCRYPTED PRIVATE KEY" => issue(
                    "encrypted private key: algorithm not visible without the passphrase".into(),
                ),
                _ => {}
            }
        }
        return;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if matches!(ext.as_str(), "der" | "cer" | "crt" | "cert") {
        match parse_certificate_der(path, data) {
            Ok(u) => uses.push(u),
            Err(e) => issue(without_path(&e)),
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return; // binary file without certificates: nothing to report
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let ssh_kind = if name.starts_with("known_hosts") {
        UseKind::KnownHost
    } else if name.starts_with("authorized_keys") {
        UseKind::AuthorizedKey
    } else {
        UseKind::SshKey
    };
    let before = uses.len();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        // SSH keys: `[options|hosts|@marker] type base64 [comment]`.
        let tokens: Vec<&str> = t.split_whitespace().collect();
        if let Some(k) = tokens.iter().position(|tok| keys::is_ssh_key_type(tok))
            && let Some(b64) = tokens.get(k + 1)
        {
            match keys::b64(b64)
                .ok_or_else(|| "invalid base64".to_owned())
                .and_then(|blob| keys::classify_ssh_blob(&blob))
            {
                Ok(info) => {
                    let context = if k > 0 {
                        tokens[..k].join(" ")
                    } else {
                        String::new()
                    };
                    let comment = tokens[k + 2..].join(" ");
                    let detail = match (context.is_empty(), comment.is_empty()) {
                        (true, true) => tokens[k].to_owned(),
                        (true, false) => comment,
                        (false, true) => context,
                        (false, false) => format!("{context} {comment}"),
                    };
                    uses.push(use_from(path, Some(line_no), ssh_kind, info, detail));
                }
                Err(e) => issue(format!(
                    "line {line_no}: cannot decode {} key: {e}",
                    tokens[k]
                )),
            }
            continue;
        }
        for a in config::parse_line(line) {
            uses.push(CryptoUse {
                path: path.to_owned(),
                line: Some(line_no),
                kind: a.kind,
                algorithm: a.algorithm,
                key_bits: a.bits,
                vulnerability: a.vulnerability,
                detail: a.detail,
                not_after: None,
            });
        }
    }
    // One entry per (line, kind, algorithm): a cipher list names ECDHE many times.
    let mut seen = std::collections::HashSet::new();
    let mut k = before;
    while k < uses.len() {
        let key = (uses[k].line, uses[k].kind, uses[k].algorithm.clone());
        if seen.insert(key) {
            k += 1;
        } else {
            uses.remove(k);
        }
    }
}

/// Collects the files under a root, following symlinks to files and folders.
/// Every file and folder is entered once, by its canonical path: a second
/// path to it (a symlink loop, two links to one certificate) is skipped and
/// reported. Entries that are neither files nor folders are never opened.
struct Walker<'a> {
    files: Vec<PathBuf>,
    issues: &'a mut Vec<ScanIssue>,
    /// Canonical path -> the path it was first reached by.
    seen: std::collections::HashMap<PathBuf, PathBuf>,
}

impl Walker<'_> {
    fn walk(&mut self, path: &Path) {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.issues.push(ScanIssue::problem(path, e.to_string()));
                return;
            }
        };
        let meta = if meta.file_type().is_symlink() {
            match std::fs::metadata(path) {
                Ok(m) => m,
                Err(e) => {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        "its target does not exist".to_owned()
                    } else {
                        e.to_string()
                    };
                    self.issues.push(ScanIssue::skip(
                        path,
                        format!("symlink cannot be followed: {why}"),
                    ));
                    return;
                }
            }
        } else {
            meta
        };
        let kind = meta.file_type();
        if !kind.is_dir() && !kind.is_file() {
            self.issues.push(ScanIssue::skip(
                path,
                format!("{}, not opened", special_file_kind(&kind)),
            ));
            return;
        }
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) => {
                self.issues.push(ScanIssue::problem(
                    path,
                    format!("cannot resolve path: {e}"),
                ));
                return;
            }
        };
        if let Some(first) = self.seen.get(&canonical) {
            let message = if kind.is_dir() && path.starts_with(first) {
                format!(
                    "symlink loop: folder {} is already being scanned as {}",
                    canonical.display(),
                    first.display()
                )
            } else {
                format!(
                    "{} already scanned as {}",
                    canonical.display(),
                    first.display()
                )
            };
            self.issues.push(ScanIssue::skip(path, message));
            return;
        }
        self.seen.insert(canonical, path.to_owned());
        if kind.is_file() {
            self.files.push(path.to_owned());
            return;
        }
        let entries = match std::fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                self.issues.push(ScanIssue::problem(
                    path,
                    format!("cannot list directory: {e}"),
                ));
                return;
            }
        };
        let mut children: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => children.push(e.path()),
                Err(e) => self.issues.push(ScanIssue::problem(
                    path,
                    format!("cannot read directory entry: {e}"),
                )),
            }
        }
        children.sort();
        for c in children {
            self.walk(&c);
        }
    }
}

/// What a file that is neither a regular file nor a folder is.
#[cfg_attr(
    not(unix),
    allow(unused_variables, reason = "only Unix names the kinds")
)]
fn special_file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "named pipe (FIFO)";
        }
        if kind.is_char_device() {
            return "character device";
        }
        if kind.is_block_device() {
            return "block device";
        }
        if kind.is_socket() {
            return "socket";
        }
    }
    "not a regular file or folder"
}

/// Largest number of years [`ReadinessConfig::validate`] accepts for any of
/// Mosca's `x`, `y` and `z`.
pub const MAX_YEARS: f64 = 1000.0;

impl ReadinessConfig {
    /// Check every year count (`z`, both `x`, the three `y`, and each
    /// secrecy rule's `x`): finite, `>= 0` and at most [`MAX_YEARS`].
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field and its value.
    pub fn validate(&self) -> Result<()> {
        let mut fields = vec![
            ("years_to_crqc", self.years_to_crqc),
            ("confidentiality_years", self.confidentiality_years),
            ("authentication_years", self.authentication_years),
            ("migration_years_pki", self.migration_years_pki),
            ("migration_years_ssh", self.migration_years_ssh),
            ("migration_years_tls", self.migration_years_tls),
        ];
        fields.extend(
            self.secrecy_rules
                .iter()
                .map(|r| ("secrecy_rules years", r.years)),
        );
        for (what, v) in fields {
            if !v.is_finite() || !(0.0..=MAX_YEARS).contains(&v) {
                return Err(Error::invalid(
                    what,
                    format!(
                        "{} years; must be a finite number between 0 and {MAX_YEARS}",
                        aiops_core::Num(v)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn mosca(&self, u: &CryptoUse) -> Mosca {
        let path = u.path.to_string_lossy();
        let x = self
            .secrecy_rules
            .iter()
            .find(|r| path.contains(&r.path_contains))
            .map(|r| r.years)
            .unwrap_or(if u.kind.protects_confidentiality() {
                self.confidentiality_years
            } else {
                self.authentication_years
            });
        let y = if u.kind.is_ssh() {
            self.migration_years_ssh
        } else if u.kind.is_config() {
            self.migration_years_tls
        } else {
            self.migration_years_pki
        };
        let z = self.years_to_crqc;
        Mosca {
            secrecy_years: x,
            migration_years: y,
            years_to_crqc: z,
            margin: x + y - z,
            at_risk: x + y > z,
        }
    }
}

fn action(u: &CryptoUse) -> String {
    match (u.vulnerability, u.kind) {
        (Vulnerability::GroverWeakened, _) => {
            format!(
                "replace {} with a 256-bit cipher (AES-256-GCM or ChaCha20-Poly1305)",
                u.algorithm
            )
        }
        (_, UseKind::TlsKeyExchange | UseKind::TlsGroup) => {
            "enable hybrid post-quantum key exchange (X25519MLKEM768) and prefer it".into()
        }
        (_, UseKind::SshKex) => {
            "enable mlkem768x25519-sha256 / sntrup761x25519-sha512@openssh.com key exchange first"
                .into()
        }
        (_, UseKind::Certificate | UseKind::PublicKey | UseKind::PrivateKey) => {
            format!(
                "re-issue the {} key with ML-DSA (FIPS 204) or a hybrid certificate once the PKI supports it",
                u.algorithm
            )
        }
        (
            _,
            UseKind::SshKey
            | UseKind::AuthorizedKey
            | UseKind::KnownHost
            | UseKind::SshHostKeyAlgorithm,
        ) => {
            format!(
                "plan replacement of {} SSH keys with post-quantum signatures; meanwhile rotate and restrict them",
                u.algorithm
            )
        }
        _ => format!("review {}", u.algorithm),
    }
}

/// Scan `root` (a file or a folder, recursively) and build the report.
/// Unreadable or undecodable files become [`ScanIssue`]s and the scan goes on.
///
/// Symlinks to files and folders are followed, also out of `root` (as in
/// `/etc/ssl/certs`), `root` included. Each file and folder is scanned once,
/// by its canonical path: a later path to it (a symlink loop, a second link
/// to the same certificate) is a skipped [`ScanIssue`] naming the first.
/// Named pipes, devices and sockets are never opened (reading a FIFO would
/// block); they, dangling links and link loops are skipped issues too.
///
/// # Errors
/// [`Error::Invalid`] for a configuration rejected by
/// [`ReadinessConfig::validate`]; [`Error::Io`] when `root` itself does not
/// exist. Use [`ReadinessReport::nothing_readable`] to tell a scan where
/// every file failed from a clean one.
pub fn scan(root: &Path, config: &ReadinessConfig) -> Result<ReadinessReport> {
    config.validate()?;
    std::fs::symlink_metadata(root).map_err(|source| Error::Io {
        path: root.to_owned(),
        source,
    })?;
    let mut issues = Vec::new();
    let mut walker = Walker {
        files: Vec::new(),
        issues: &mut issues,
        seen: std::collections::HashMap::new(),
    };
    walker.walk(root);
    let files = walker.files;
    let mut uses = Vec::new();
    let mut scanned = 0;
    let mut clean_files = 0;
    for f in &files {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if size > config.max_file_bytes {
            issues.push(ScanIssue::skip(
                f,
                format!("{size} bytes > limit {}", config.max_file_bytes),
            ));
            continue;
        }
        match std::fs::read(f) {
            Ok(data) => {
                scanned += 1;
                let before = issues.len();
                scan_bytes(f, &data, &mut uses, &mut issues);
                if issues.len() == before {
                    clean_files += 1;
                }
            }
            Err(e) => issues.push(ScanIssue::problem(f, format!("cannot read: {e}"))),
        }
    }
    tracing::debug!(
        files = scanned,
        uses = uses.len(),
        issues = issues.len(),
        skipped = issues.iter().filter(|i| i.skipped).count(),
        "readiness scan"
    );
    Ok(ReadinessReport {
        files_scanned: scanned,
        roadmap: roadmap(&uses, config),
        uses,
        issues,
        clean_files,
    })
}

/// Order the uses that need migration: Shor-breakable first, then
/// Grover-weakened (and unknown), each by decreasing Mosca margin
/// `x + y - z` (long-lived secrets first), then by path.
#[must_use]
pub fn roadmap(uses: &[CryptoUse], config: &ReadinessConfig) -> Vec<RoadmapItem> {
    let mut items: Vec<RoadmapItem> = uses
        .iter()
        .filter(|u| u.vulnerability != Vulnerability::PostQuantum)
        .map(|u| RoadmapItem {
            rank: 0,
            crypto_use: u.clone(),
            mosca: config.mosca(u),
            action: action(u),
        })
        .collect();
    items.sort_by(|a, b| {
        a.crypto_use
            .vulnerability
            .cmp(&b.crypto_use.vulnerability)
            .then(b.mosca.margin.total_cmp(&a.mosca.margin))
            .then(a.crypto_use.path.cmp(&b.crypto_use.path))
            .then(a.crypto_use.line.cmp(&b.crypto_use.line))
    });
    for (i, it) in items.iter_mut().enumerate() {
        it.rank = i + 1;
    }
    items
}
