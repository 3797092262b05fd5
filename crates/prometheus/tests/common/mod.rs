//! A tiny HTTP/1.1 mock server on a tokio listener, for error paths.

#![allow(dead_code, unreachable_pub, reason = "shared by several test binaries")]
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
}

impl Req {
    /// A query parameter, percent-decoded (`+` as space).
    pub fn param(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| decode(v))
        })
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// What to answer.
#[derive(Debug, Clone)]
pub enum Resp {
    /// Status and body, with Content-Length.
    Body(u16, Vec<u8>),
    /// Status and body without Content-Length (ends at connection close).
    Unsized(u16, Vec<u8>),
    /// Never answer.
    Hang,
}

pub fn json(status: u16, body: &str) -> Resp {
    Resp::Body(status, body.as_bytes().to_vec())
}

pub struct Mock {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Req>>>,
}

impl Mock {
    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }
}

/// Serves `handler(request, index)` for every request (one per connection).
pub async fn mock<F>(handler: F) -> Mock
where
    F: Fn(&Req, usize) -> Resp + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let seen = Arc::clone(&seen);
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let head_end = loop {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let mut lines = head.lines();
                let mut first = lines.next().unwrap_or("").split(' ');
                let method = first.next().unwrap_or("").to_owned();
                let target = first.next().unwrap_or("").to_owned();
                let len: usize = lines
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.trim().parse().unwrap())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                }
                let req = Req {
                    method,
                    target,
                    body: buf[head_end..].to_vec(),
                };
                let index = {
                    let mut s = seen.lock().unwrap();
                    s.push(req.clone());
                    s.len() - 1
                };
                let (status, body, sized) = match handler(&req, index) {
                    Resp::Body(s, b) => (s, b, true),
                    Resp::Unsized(s, b) => (s, b, false),
                    Resp::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                };
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                );
                if sized {
                    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                }
                head.push_str("\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    Mock { url, requests }
}

/// A recorded response body from `tests/data`.
pub fn recorded(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A matrix body for `series` series over `[start, end]` at `step` seconds
/// (value = series index + time).
pub fn matrix_body(series: usize, start: f64, end: f64, step: f64) -> String {
    let mut s = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for i in 0..series {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"metric":{{"__name__":"m","i":"{i}"}},"values":["#
        ));
        let mut t = start;
        let mut first = true;
        while t <= end + 1e-9 {
            if !first {
                s.push(',');
            }
            first = false;
            s.push_str(&format!(r#"[{t},"{}"]"#, i as f64 + t));
            t += step;
        }
        s.push_str("]}");
    }
    s.push_str("]}}");
    s
}
