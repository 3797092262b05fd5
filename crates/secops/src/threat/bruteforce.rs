//! Brute-force detection with fail2ban's sshd jail semantics.
//!
//! Failures are the `filter.d/sshd.conf` (mode `normal`) lines that fail2ban counts;
//! its `NOFAIL` lines (PAM `authentication failure` notes, pre-auth `Received
//! disconnect ... 11:` and `Connection closed` lines, `Failed publickey`) are not
//! failures. `Disconnecting: Too many authentication failures` carries no address:
//! as fail2ban's multi-line id does, it takes the address last seen on the same
//! connection (process id). Only literal IP addresses count (fail2ban with
//! `usedns = no`). Counting follows fail2ban's `FailManager`: per address, a retry
//! count whose window is re-estimated by rate when the first failure falls out of
//! `find_time`; entries idle for `find_time` are cleaned up (every 100 lines, at most
//! every 5 s); an address reaching `max_retry` is banned for `ban_time`, and reaching
//! it again while banned prolongs the ban (fail2ban's `BanManager`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::LazyLock;

use aiops_core::Timestamp;
use regex::Regex;

use crate::error::{Error, Result};

/// fail2ban jail settings (defaults of `jail.conf`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JailParams {
    /// Failures that trigger a ban (`maxretry`, default 5).
    pub max_retry: u32,
    /// Window in seconds (`findtime`, default 600).
    pub find_time_secs: i64,
    /// Ban duration in seconds (`bantime`, default 600).
    pub ban_time_secs: i64,
}

impl Default for JailParams {
    fn default() -> Self {
        JailParams {
            max_retry: 5,
            find_time_secs: 600,
            ban_time_secs: 600,
        }
    }
}

impl JailParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.max_retry == 0 {
            return Err(Error::InvalidParameter {
                name: "max_retry",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if self.find_time_secs <= 0 || self.ban_time_secs <= 0 {
            return Err(Error::InvalidParameter {
                name: "find_time_secs/ban_time_secs",
                value: format!("{}/{}", self.find_time_secs, self.ban_time_secs),
                reason: "must be positive",
            });
        }
        Ok(())
    }
}

/// A ban of one address.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ban {
    /// The banned address.
    pub address: IpAddr,
    /// Time of the failure that triggered the ban.
    pub start: Timestamp,
    /// End of the ban (after any prolongation).
    pub end: Timestamp,
    /// Retry count at the ban (fail2ban's `failures` of the ticket).
    pub failures: u32,
    /// Line numbers of this address's failures counted up to the ban.
    pub lines: Vec<u64>,
}

/// A ban or unban, in time order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BanEvent {
    /// An address was banned.
    Ban {
        /// The address.
        address: IpAddr,
        /// When.
        at: Timestamp,
        /// Retry count.
        failures: u32,
    },
    /// A ban expired.
    Unban {
        /// The address.
        address: IpAddr,
        /// When.
        at: Timestamp,
    },
}

/// What one sshd line means to the jail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshdLine {
    /// A counted failure from an address.
    Failure(IpAddr),
    /// A counted failure whose address comes from the connection (multi-line id).
    FailureOnConnection,
    /// A line that names an address on a connection but is not a failure.
    Note(IpAddr),
    /// Nothing relevant.
    Other,
}

struct Patterns {
    failures: Vec<Regex>,
    notes: Vec<Regex>,
    conn_failure: Regex,
}

const PORT: &str = r"(?: (?:port \d+|on \S+)){0,2}";
const SUFF: &str = r"(?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*$";

#[allow(
    clippy::expect_used,
    reason = "constant patterns, checked by the unit tests"
)]
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let host = r"(?P<host>[0-9a-fA-F:.]+)";
    let fail = [
        format!(
            r"^[aA]uthentication (?:failure|error|failed) for .* from {host}(?: via \S+)?{SUFF}"
        ),
        format!(
            r"^User not known to the underlying authentication module for .* from {host}{SUFF}"
        ),
        format!(r"^Failed (?:\S+) for (?:invalid user )?.*? from {host}{PORT}(?: ssh\d*)?"),
        format!(r"^ROOT LOGIN REFUSED FROM {host}"),
        format!(r"^[iI](?:llegal|nvalid) user .*? from {host}{SUFF}"),
        format!(
            r"^User \S+|.*? from {host} not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|none of user's groups are listed in AllowGroups|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups){SUFF}"
        ),
        format!(
            r"^maximum authentication attempts exceeded for .* from {host}{PORT}(?: ssh\d*)?{SUFF}"
        ),
        format!(r"^Received disconnect from {host}{PORT}:\s*3: .*: Auth fail{SUFF}"),
    ];
    let notes = [
        format!(
            r"^pam_[a-z]+\(sshd:auth\):\s+authentication failure;(?:\s+(?:(?:logname|e?uid|tty)=\S*)){{0,4}}\s+ruser=\S*\s+rhost={host}(?:\s+user=\S*)?{SUFF}"
        ),
        format!(r"^Received disconnect from {host}{PORT}:\s*11:"),
        format!(
            r"^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:invalid|authenticating) user \S+)? {host}"
        ),
        format!(r"^Accepted \w+ for \S+ from {host}(?:\s|$)"),
        format!(r"^Connection from {host} port \d+"),
        format!(r"^reverse mapping checking getaddrinfo for \S+ \[{host}\]"),
    ];
    let c = |p: &String| Regex::new(p).expect("sshd pattern");
    Patterns {
        failures: fail.iter().map(c).collect(),
        notes: notes.iter().map(c).collect(),
        conn_failure: c(&format!(
            r"^Disconnecting: Too many authentication failures(?: for \S+|.*?)?{SUFF}"
        )),
    }
});

/// Classifies one sshd message content (without the syslog header).
pub fn classify_sshd(content: &str) -> SshdLine {
    let p = &*PATTERNS;
    // fail2ban's prefregex drops `error: ` / `fatal: ` and an optional `PAM: `.
    let content = content
        .strip_prefix("error: ")
        .or_else(|| content.strip_prefix("fatal: "))
        .unwrap_or(content);
    let content = content.strip_prefix("PAM: ").unwrap_or(content);
    // fail2ban's `Failed publickey` is NOFAIL.
    if content.starts_with("Failed publickey ") {
        return host_of(&p.failures[2], content).map_or(SshdLine::Other, SshdLine::Note);
    }
    for re in &p.failures {
        if let Some(ip) = re
            .captures(content)
            .and_then(|caps| caps.name("host")?.as_str().parse::<IpAddr>().ok())
        {
            return SshdLine::Failure(ip);
        }
    }
    if p.conn_failure.is_match(content) {
        return SshdLine::FailureOnConnection;
    }
    for re in &p.notes {
        if let Some(ip) = host_of(re, content) {
            return SshdLine::Note(ip);
        }
    }
    SshdLine::Other
}

fn host_of(re: &Regex, content: &str) -> Option<IpAddr> {
    re.captures(content)?.name("host")?.as_str().parse().ok()
}

#[derive(Debug, Clone)]
struct FailEntry {
    first: f64,
    last: f64,
    retry: f64,
    lines: Vec<u64>,
}

#[derive(Debug, Clone)]
struct Banned {
    index: usize,
    time: f64,
    ban_time: f64,
}

/// Streaming fail2ban jail over sshd lines: feed lines in time order, read bans and events.
#[derive(Debug, Clone)]
pub struct SshJail {
    params: JailParams,
    fails: HashMap<IpAddr, FailEntry>,
    banned: HashMap<IpAddr, Banned>,
    connections: HashMap<String, IpAddr>,
    bans: Vec<Ban>,
    events: Vec<BanEvent>,
    processed: u64,
    next_service: f64,
    failures_seen: u64,
}

fn ts(secs: f64) -> Timestamp {
    Timestamp::from_millis((secs * 1000.0).round() as i64)
}

impl SshJail {
    /// A jail with the given settings.
    pub fn new(params: JailParams) -> Result<Self> {
        params.check()?;
        Ok(SshJail {
            params,
            fails: HashMap::new(),
            banned: HashMap::new(),
            connections: HashMap::new(),
            bans: Vec::new(),
            events: Vec::new(),
            processed: 0,
            next_service: f64::NEG_INFINITY,
            failures_seen: 0,
        })
    }

    /// Feeds one line: its time, its connection id (sshd process id), its content and
    /// its line number. Lines without a time are ignored, as fail2ban does.
    pub fn process(
        &mut self,
        at: Option<Timestamp>,
        connection: Option<&str>,
        content: &str,
        line: u64,
    ) {
        let Some(at) = at else { return };
        let t = at.as_millis() as f64 / 1000.0;
        self.expire(t);
        let ip = match classify_sshd(content) {
            SshdLine::Failure(ip) => {
                if let Some(c) = connection {
                    self.connections.insert(c.to_owned(), ip);
                }
                Some(ip)
            }
            SshdLine::FailureOnConnection => {
                connection.and_then(|c| self.connections.get(c).copied())
            }
            SshdLine::Note(ip) => {
                if let Some(c) = connection {
                    self.connections.insert(c.to_owned(), ip);
                }
                None
            }
            SshdLine::Other => None,
        };
        if let Some(ip) = ip {
            self.failure(ip, t, line);
        }
        self.processed += 1;
        if self.processed.is_multiple_of(100) {
            self.service(t);
        }
    }

    fn service(&mut self, t: f64) {
        if t >= self.next_service {
            self.next_service = t + 5.0;
            let limit = t - self.params.find_time_secs as f64;
            self.fails.retain(|_, e| e.last > limit);
        }
    }

    fn expire(&mut self, t: f64) {
        let mut ended: Vec<(IpAddr, f64)> = self
            .banned
            .iter()
            .filter(|(_, b)| t > b.time + b.ban_time)
            .map(|(ip, b)| (*ip, b.time + b.ban_time))
            .collect();
        ended.sort_by(|a, b| a.1.total_cmp(&b.1));
        for (ip, end) in ended {
            self.banned.remove(&ip);
            self.events.push(BanEvent::Unban {
                address: ip,
                at: ts(end),
            });
        }
    }

    fn failure(&mut self, ip: IpAddr, t: f64, line: u64) {
        self.failures_seen += 1;
        let find = self.params.find_time_secs as f64;
        let e = self.fails.entry(ip).or_insert(FailEntry {
            first: t,
            last: t,
            retry: 0.0,
            lines: Vec::new(),
        });
        // FailTicket.adjustTime: re-estimate the count by rate over the window.
        if t > e.last {
            if e.first < t - find {
                e.retry = (e.retry / (t - e.first) * find).round_ties_even();
                e.first = t - find;
            }
            e.last = t;
        }
        e.retry += 1.0;
        e.lines.push(line);
        if e.retry >= f64::from(self.params.max_retry) {
            if let Some(entry) = self.fails.remove(&ip) {
                self.ban(ip, entry);
            }
            self.service(t);
        }
    }

    fn ban(&mut self, ip: IpAddr, entry: FailEntry) {
        let bt = self.params.ban_time_secs as f64;
        if let Some(old) = self.banned.get_mut(&ip) {
            // BanManager.addBanTicket: already banned; prolong when the new end is later.
            if entry.last + bt > old.time + old.ban_time {
                old.ban_time = bt + (entry.last - old.time).max(0.0);
                let end = ts(old.time + old.ban_time);
                self.bans[old.index].end = end;
            }
            return;
        }
        let failures = entry.retry as u32;
        self.bans.push(Ban {
            address: ip,
            start: ts(entry.last),
            end: ts(entry.last + bt),
            failures,
            lines: entry.lines,
        });
        self.banned.insert(
            ip,
            Banned {
                index: self.bans.len() - 1,
                time: entry.last,
                ban_time: bt,
            },
        );
        self.events.push(BanEvent::Ban {
            address: ip,
            at: ts(entry.last),
            failures,
        });
    }

    /// Closes the stream: bans still active get their unban event at their end.
    pub fn finish(&mut self) {
        self.expire(f64::INFINITY);
    }

    /// Bans so far, in order.
    pub fn bans(&self) -> &[Ban] {
        &self.bans
    }

    /// Ban and unban events so far, in order.
    pub fn events(&self) -> &[BanEvent] {
        &self.events
    }

    /// Failures counted so far.
    pub fn failures_seen(&self) -> u64 {
        self.failures_seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sshd_lines_like_fail2ban() {
        let f = |s| classify_sshd(s);
        let ip: IpAddr = "1.2.3.4".parse().unwrap();
        assert_eq!(
            f("Failed password for root from 1.2.3.4 port 22 ssh2"),
            SshdLine::Failure(ip)
        );
        assert_eq!(
            f("Failed password for invalid user x from 1.2.3.4 port 22 ssh2"),
            SshdLine::Failure(ip)
        );
        assert_eq!(f("Invalid user admin from 1.2.3.4"), SshdLine::Failure(ip));
        assert_eq!(
            f("Failed publickey for root from 1.2.3.4 port 22 ssh2"),
            SshdLine::Note(ip)
        );
        assert_eq!(
            f(
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
            ),
            SshdLine::Note(ip)
        );
        assert_eq!(
            f("Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]"),
            SshdLine::Note(ip)
        );
        assert_eq!(
            f("Disconnecting: Too many authentication failures for root [preauth]"),
            SshdLine::FailureOnConnection
        );
        assert_eq!(
            f("Invalid user admin from host.example.com"),
            SshdLine::Other
        );
        assert_eq!(f("Server listening on 0.0.0.0 port 22."), SshdLine::Other);
    }

    #[test]
    fn five_failures_in_ten_minutes_ban_for_ten_minutes() {
        let mut j = SshJail::new(JailParams::default()).unwrap();
        for i in 0..5 {
            j.process(
                Some(Timestamp::from_secs(i * 60)),
                Some("1"),
                "Failed password for root from 9.9.9.9 port 1 ssh2",
                i as u64 + 1,
            );
        }
        assert_eq!(j.bans().len(), 1);
        assert_eq!(j.bans()[0].start, Timestamp::from_secs(240));
        assert_eq!(j.bans()[0].end, Timestamp::from_secs(840));
        // Four failures spread over an hour never ban.
        let mut k = SshJail::new(JailParams::default()).unwrap();
        for i in 0..6 {
            k.process(
                Some(Timestamp::from_secs(i * 900)),
                None,
                "Invalid user a from 8.8.8.8",
                i as u64,
            );
        }
        assert!(k.bans().is_empty());
        j.finish();
        assert!(matches!(j.events().last(), Some(BanEvent::Unban { .. })));
        assert!(
            SshJail::new(JailParams {
                max_retry: 0,
                ..JailParams::default()
            })
            .is_err()
        );
    }
}
