//! The shared HTTP layer: timeouts, retries with backoff, bounded bodies.

use std::time::Duration;

use reqwest::{Client, Method, Url};

use crate::error::{Error, Result};

/// HTTP settings shared by every client of this crate.
///
/// Transport errors (refused, reset, timed out) and HTTP 5xx answers are
/// retried `retries` times with exponential backoff (`backoff`, doubled each
/// time, capped at `max_backoff`); 4xx answers are not retried. A response
/// body larger than `max_body_bytes` is an [`Error::TooLarge`]: reading stops
/// at the cap, so memory stays bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Timeout of one attempt, connection included.
    pub timeout: Duration,
    /// Timeout of establishing the connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry.
    pub backoff: Duration,
    /// Longest wait between retries.
    pub max_backoff: Duration,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    /// 30 s per attempt (5 s to connect), 3 retries from 200 ms up to 5 s,
    /// bodies up to 256 MiB.
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_body_bytes: 256 << 20,
        }
    }
}

impl HttpConfig {
    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be positive"));
        }
        if self.connect_timeout.is_zero() {
            return Err(invalid("connect_timeout", "must be positive"));
        }
        if self.max_body_bytes == 0 {
            return Err(invalid("max_body_bytes", "must be positive"));
        }
        if self.max_backoff < self.backoff {
            return Err(invalid("max_backoff", "must not be below backoff"));
        }
        Ok(())
    }

    fn backoff_for(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

fn invalid(what: &str, message: &str) -> Error {
    Error::Invalid {
        what: what.to_owned(),
        message: message.to_owned(),
    }
}

/// One answer: status and the (bounded) body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) attempts: u32,
}

/// A request to send, rebuilt for each attempt.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<(&'static str, Vec<u8>)>,
}

/// reqwest client plus our settings.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: Client,
    config: HttpConfig,
}

impl Transport {
    pub(crate) fn new(config: HttpConfig) -> Result<Self> {
        config.check()?;
        #[cfg(feature = "rustls")]
        {
            // reqwest is built without a crypto provider: use ring. An
            // already installed process-wide provider is kept.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("aiops-prometheus/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Invalid {
                what: "http client".to_owned(),
                message: e.to_string(),
            })?;
        Ok(Transport { client, config })
    }

    pub(crate) fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Sends with retries. Returns the last answer for any status (the
    /// caller decides what a 4xx/5xx body means); errors only when no
    /// answer came, or the body is too large.
    pub(crate) async fn send(&self, req: &Request) -> Result<Answer> {
        let shown = shown_url(&req.url);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.attempt(req, &shown).await;
            let retryable = match &outcome {
                Ok(a) => a.status >= 500,
                Err(Attempt::Transport(_)) | Err(Attempt::Timeout) => true,
                Err(Attempt::Fatal(_)) => false,
            };
            if retryable && attempt <= self.config.retries {
                let wait = self.config.backoff_for(attempt - 1);
                match &outcome {
                    Ok(a) => {
                        tracing::warn!(url = %shown, status = a.status, attempt, ?wait, "HTTP 5xx; retrying")
                    }
                    Err(e) => {
                        tracing::warn!(url = %shown, error = ?e, attempt, ?wait, "request failed; retrying")
                    }
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            return match outcome {
                Ok(mut a) => {
                    a.attempts = attempt;
                    Ok(a)
                }
                Err(Attempt::Transport(message)) => Err(Error::Unreachable {
                    url: shown,
                    attempts: attempt,
                    message,
                }),
                Err(Attempt::Timeout) => Err(Error::Timeout {
                    url: shown,
                    timeout_ms: u64::try_from(self.config.timeout.as_millis()).unwrap_or(u64::MAX),
                    attempts: attempt,
                }),
                Err(Attempt::Fatal(e)) => Err(e),
            };
        }
    }

    async fn attempt(&self, req: &Request, shown: &str) -> std::result::Result<Answer, Attempt> {
        let mut rb = self.client.request(req.method.clone(), req.url.clone());
        if let Some((content_type, body)) = &req.body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let mut resp = rb.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let limit = self.config.max_body_bytes;
        let too_large = || {
            Attempt::Fatal(Error::TooLarge {
                url: shown.to_owned(),
                limit_bytes: limit,
            })
        };
        if resp
            .content_length()
            .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit))
        {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(
            resp.content_length()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0)
                .min(limit),
        );
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            body,
            attempts: 0,
        })
    }
}

#[derive(Debug)]
enum Attempt {
    Transport(String),
    Timeout,
    Fatal(Error),
}

fn classify(e: reqwest::Error) -> Attempt {
    if e.is_timeout() {
        return Attempt::Timeout;
    }
    // The full source chain says why (`Connection refused`, ...).
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    Attempt::Transport(message)
}

/// The URL without its query string (queries can be long).
pub(crate) fn shown_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// Parses a base URL (`http://host:port[/prefix]`), keeping a path prefix.
pub(crate) fn parse_base(url: &str) -> Result<Url> {
    let bad = |message: &str| Error::InvalidUrl {
        url: url.to_owned(),
        message: message.to_owned(),
    };
    let mut u = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    match u.scheme() {
        "http" => {}
        "https" if cfg!(feature = "rustls") => {}
        "https" => return Err(bad("https needs the `rustls` feature of aiops-prometheus")),
        other => return Err(bad(&format!("unsupported scheme `{other}`"))),
    }
    if u.host_str().is_none() {
        return Err(bad("no host"));
    }
    u.set_query(None);
    u.set_fragment(None);
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

/// `base` joined with a relative path (`api/v1/query`).
pub(crate) fn join(base: &Url, path: &str) -> Result<Url> {
    base.join(path).map_err(|e| Error::InvalidUrl {
        url: format!("{base}{path}"),
        message: e.to_string(),
    })
}

/// The first 512 bytes of a body, lossily as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let end = body.len().min(512);
    let mut s = String::from_utf8_lossy(&body[..end]).into_owned();
    if body.len() > end {
        s.push_str("...");
    }
    s.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let c = HttpConfig {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..HttpConfig::default()
        };
        assert_eq!(c.backoff_for(0), Duration::from_millis(100));
        assert_eq!(c.backoff_for(1), Duration::from_millis(200));
        assert_eq!(c.backoff_for(2), Duration::from_millis(350));
        assert_eq!(c.backoff_for(40), Duration::from_millis(350));
    }

    #[test]
    fn https_needs_the_rustls_feature() {
        assert_eq!(
            parse_base("https://x:9090").is_ok(),
            cfg!(feature = "rustls")
        );
        if cfg!(feature = "rustls") {
            assert!(Transport::new(HttpConfig::default()).is_ok());
        }
    }

    #[test]
    fn base_urls_keep_prefix_and_reject_garbage() {
        let u = parse_base("http://127.0.0.1:9090/prom").unwrap();
        assert_eq!(
            join(&u, "api/v1/query").unwrap().as_str(),
            "http://127.0.0.1:9090/prom/api/v1/query"
        );
        assert!(parse_base("ftp://x").is_err());
        assert!(parse_base("not a url").is_err());
        assert!(
            HttpConfig {
                max_body_bytes: 0,
                ..HttpConfig::default()
            }
            .check()
            .is_err()
        );
    }
}
