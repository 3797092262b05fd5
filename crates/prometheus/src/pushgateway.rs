//! Pushgateway client: `PUT`/`POST`/`DELETE /metrics/job/<job>{/<label>/<value>}`.

use reqwest::{Method, Url};

use crate::error::{Error, Result};
use crate::http::{HttpConfig, Request, Transport, parse_base, shown_url, snippet};

/// How a push treats metrics already in the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// `PUT`: replace every metric of the group.
    Replace,
    /// `POST`: replace only metrics with the same names.
    Merge,
}

/// A Pushgateway grouping key: the job plus optional grouping labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    job: String,
    labels: Vec<(String, String)>,
}

impl Grouping {
    /// A grouping key with only the job (must not be empty).
    pub fn new(job: impl Into<String>) -> Result<Self> {
        let job = job.into();
        if job.is_empty() {
            return Err(Error::Label {
                name: "job".to_owned(),
                message: "the job must not be empty".to_owned(),
            });
        }
        Ok(Grouping {
            job,
            labels: Vec::new(),
        })
    }

    /// Adds a grouping label (Prometheus label name; any value, empty included).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if !valid_label_name(&name) || name.starts_with("__") {
            return Err(Error::Label {
                name,
                message: "not a label name of the form [a-zA-Z_][a-zA-Z0-9_]* (and not reserved)"
                    .to_owned(),
            });
        }
        if name == "job" || self.labels.iter().any(|(n, _)| *n == name) {
            return Err(Error::Label {
                name,
                message: "appears twice in the grouping key".to_owned(),
            });
        }
        self.labels.push((name, value.into()));
        Ok(self)
    }

    /// The job.
    pub fn job(&self) -> &str {
        &self.job
    }

    /// The grouping labels, in the order given.
    pub fn labels(&self) -> &[(String, String)] {
        &self.labels
    }

    /// The URL path `metrics/job/<job>/<name>/<value>...`, each value
    /// percent-encoded as a path segment, or base64url-encoded with the
    /// `@base64` suffix when it contains `/` or is empty (the Pushgateway's
    /// own rule).
    pub fn path(&self) -> String {
        let mut p = String::from("metrics");
        push_pair(&mut p, "job", &self.job);
        for (n, v) in &self.labels {
            push_pair(&mut p, n, v);
        }
        p
    }
}

fn push_pair(p: &mut String, name: &str, value: &str) {
    p.push('/');
    p.push_str(name);
    if value.is_empty() || value.contains('/') {
        p.push_str("@base64/");
        p.push_str(&base64url(value.as_bytes()));
        if value.is_empty() {
            p.push('=');
        }
    } else {
        p.push('/');
        percent_encode_segment(p, value);
    }
}

pub(crate) fn valid_label_name(name: &str) -> bool {
    let mut b = name.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_segment(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 4648 base64url with padding.
fn base64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let idx = |shift: u32| char::from(A[((n >> shift) & 63) as usize]);
        out.push(idx(18));
        out.push(idx(12));
        out.push(if c.len() > 1 { idx(6) } else { '=' });
        out.push(if c.len() > 2 { idx(0) } else { '=' });
    }
    out
}

/// A Pushgateway client. Failed pushes (transport errors, 5xx) are retried
/// per [`HttpConfig`] and then returned as errors, never dropped.
#[derive(Debug, Clone)]
pub struct Pushgateway {
    base: Url,
    http: Transport,
}

/// Content type of the text exposition format the Pushgateway parses.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

impl Pushgateway {
    /// A client for the Pushgateway at `url` (`http://host:9091`).
    pub fn new(url: &str) -> Result<Self> {
        Self::with_config(url, HttpConfig::default())
    }

    /// A client with explicit HTTP settings.
    pub fn with_config(url: &str, config: HttpConfig) -> Result<Self> {
        Ok(Pushgateway {
            base: parse_base(url)?,
            http: Transport::new(config)?,
        })
    }

    /// Pushes metrics in the text exposition format to a group.
    pub async fn push(&self, grouping: &Grouping, text: &str, mode: PushMode) -> Result<()> {
        let method = match mode {
            PushMode::Replace => Method::PUT,
            PushMode::Merge => Method::POST,
        };
        self.send(method, grouping, Some(text.as_bytes().to_vec()))
            .await
    }

    /// Deletes every metric of a group.
    pub async fn delete(&self, grouping: &Grouping) -> Result<()> {
        self.send(Method::DELETE, grouping, None).await
    }

    async fn send(&self, method: Method, grouping: &Grouping, body: Option<Vec<u8>>) -> Result<()> {
        let url = self.url_for(grouping)?;
        let shown = shown_url(&url);
        let answer = self
            .http
            .send(&Request {
                method,
                url,
                body: body.map(|b| (TEXT_FORMAT, b)),
            })
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(Error::Http {
                url: shown,
                status: answer.status,
                attempts: answer.attempts,
                body: snippet(&answer.body),
            })
        }
    }

    /// The full URL of a group.
    pub fn url_for(&self, grouping: &Grouping) -> Result<Url> {
        // The path is already escaped; `Url::join` keeps percent escapes.
        self.base
            .join(&grouping.path())
            .map_err(|e| Error::InvalidUrl {
                url: format!("{}{}", self.base, grouping.path()),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_escape_values() {
        let g = Grouping::new("aiops")
            .and_then(|g| g.with("instance", "host:9100"))
            .and_then(|g| g.with("path", "/var/tmp"))
            .and_then(|g| g.with("empty", ""))
            .and_then(|g| g.with("space", "a b%"))
            .unwrap();
        assert_eq!(
            g.path(),
            "metrics/job/aiops/instance/host%3A9100/path@base64/L3Zhci90bXA=/empty@base64/=/space/a%20b%25"
        );
        assert!(Grouping::new("").is_err());
        assert!(Grouping::new("j").unwrap().with("1bad", "x").is_err());
        assert!(Grouping::new("j").unwrap().with("job", "x").is_err());
        let pg = Pushgateway::new("http://127.0.0.1:9091/prefix").unwrap();
        assert_eq!(
            pg.url_for(&g).unwrap().as_str(),
            "http://127.0.0.1:9091/prefix/metrics/job/aiops/instance/host%3A9100/path@base64/L3Zhci90bXA=/empty@base64/=/space/a%20b%25"
        );
    }

    #[test]
    fn base64url_matches_rfc4648() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg==");
        assert_eq!(base64url(b"fo"), "Zm8=");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8=");
    }
}
