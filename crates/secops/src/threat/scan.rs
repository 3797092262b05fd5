//! Port scans and connection floods from connection logs: per source, the distinct
//! destination ports and hosts and the connection count within a sliding window.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::LazyLock;

use aiops_core::{Severity, Timestamp};
use regex::Regex;

use super::{Threat, ThreatKind};
use crate::error::{Error, Result};

/// Window and thresholds.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScanParams {
    /// Sliding window in seconds (default 60).
    pub window_secs: i64,
    /// Distinct destination ports from one source that make a port scan (default 15).
    pub distinct_ports: usize,
    /// Distinct destination hosts from one source that make a host sweep (default 15).
    pub distinct_hosts: usize,
    /// Connections from one source that make a flood (default 100).
    pub connections: usize,
}

impl Default for ScanParams {
    fn default() -> Self {
        ScanParams {
            window_secs: 60,
            distinct_ports: 15,
            distinct_hosts: 15,
            connections: 100,
        }
    }
}

/// Connection-log patterns with named groups `src`, and optionally `dst` and `dport`:
/// iptables/netfilter, sshd/ftpd `connection from`, and generic `src=... dst=... dport=...`.
#[allow(
    clippy::expect_used,
    reason = "constant patterns, checked by the unit tests"
)]
static CONN: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"SRC=(?P<src>[0-9a-fA-F:.]+) DST=(?P<dst>[0-9a-fA-F:.]+).*? DPT=(?P<dport>\d+)",
        r"(?i)\bsrc(?:_ip)?=(?P<src>[0-9a-fA-F:.]+)\b.*?\bdst(?:_ip)?=(?P<dst>[0-9a-fA-F:.]+)\b(?:.*?\b(?:dport|dst_port|dpt)=(?P<dport>\d+))?",
        r"^Connection from (?P<src>[0-9a-fA-F:.]+) port \d+(?: on (?P<dst>[0-9a-fA-F:.]+) port (?P<dport>\d+))?",
        r"^connection from (?P<src>\d+\.\d+\.\d+\.\d+)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("connection pattern"))
    .collect()
});

#[derive(Debug, Default)]
struct Source {
    window: VecDeque<(i64, Option<String>, Option<u16>, u64)>,
    scan_open: bool,
    sweep_open: bool,
    flood_open: bool,
}

/// Streaming scan and flood detector.
#[derive(Debug, Default)]
pub struct ScanDetector {
    params: ScanParams,
    sources: HashMap<String, Source>,
    threats: Vec<Threat>,
}

impl ScanDetector {
    /// A detector with the given thresholds.
    pub fn new(params: ScanParams) -> Result<Self> {
        if params.window_secs <= 0
            || params.distinct_ports < 2
            || params.distinct_hosts < 2
            || params.connections < 2
        {
            return Err(Error::InvalidParameter {
                name: "scan",
                value: format!("{params:?}"),
                reason: "window must be positive and thresholds at least 2",
            });
        }
        Ok(ScanDetector {
            params,
            ..ScanDetector::default()
        })
    }

    /// Feeds one line; connection lines without a time are ignored.
    pub fn process(&mut self, at: Option<Timestamp>, content: &str, line: u64) {
        let Some(at) = at else { return };
        let Some(caps) = CONN.iter().find_map(|re| re.captures(content)) else {
            return;
        };
        let Some(src) = caps.name("src").map(|m| m.as_str().to_owned()) else {
            return;
        };
        let dst = caps.name("dst").map(|m| m.as_str().to_owned());
        let dport = caps
            .name("dport")
            .and_then(|m| m.as_str().parse::<u16>().ok());
        let t = at.as_millis();
        let p = self.params.clone();
        let s = self.sources.entry(src.clone()).or_default();
        s.window.push_back((t, dst, dport, line));
        while s
            .window
            .front()
            .is_some_and(|w| w.0 <= t - p.window_secs * 1000)
        {
            s.window.pop_front();
        }
        let ports: HashSet<u16> = s.window.iter().filter_map(|w| w.2).collect();
        let hosts: HashSet<&str> = s.window.iter().filter_map(|w| w.1.as_deref()).collect();
        let n = s.window.len();
        let start = s.window.front().map(|w| Timestamp::from_millis(w.0));
        let lines: Vec<u64> = s.window.iter().map(|w| w.3).collect();
        let emit = |kind: ThreatKind, severity, count: usize, what: &str| Threat {
            kind,
            severity,
            source: Some(src.clone()),
            start,
            end: Some(at),
            count: count as u64,
            lines: lines.clone(),
            summary: format!("{src}: {count} {what} within {} s", p.window_secs),
        };
        let mut found = Vec::new();
        if ports.len() >= p.distinct_ports && !s.scan_open {
            s.scan_open = true;
            found.push(emit(
                ThreatKind::PortScan,
                Severity::Warning,
                ports.len(),
                "distinct destination ports",
            ));
        } else if ports.len() < p.distinct_ports {
            s.scan_open = false;
        }
        if hosts.len() >= p.distinct_hosts && !s.sweep_open {
            s.sweep_open = true;
            found.push(emit(
                ThreatKind::PortScan,
                Severity::Warning,
                hosts.len(),
                "distinct destination hosts",
            ));
        } else if hosts.len() < p.distinct_hosts {
            s.sweep_open = false;
        }
        if n >= p.connections && !s.flood_open {
            s.flood_open = true;
            found.push(emit(
                ThreatKind::ConnectionFlood,
                Severity::Warning,
                n,
                "connections",
            ));
        } else if n < p.connections {
            s.flood_open = false;
        }
        self.threats.extend(found);
    }

    /// The threats found.
    pub fn into_threats(self) -> Vec<Threat> {
        self.threats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_a_port_scan_and_a_flood_once() {
        let mut d = ScanDetector::new(ScanParams::default()).unwrap();
        for port in 0..30u16 {
            let l = format!(
                "kernel: IN=eth0 SRC=6.6.6.6 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=4444 DPT={}",
                1000 + port
            );
            d.process(
                Some(Timestamp::from_millis(i64::from(port) * 100)),
                &l,
                u64::from(port),
            );
        }
        for i in 0..150 {
            d.process(
                Some(Timestamp::from_millis(10_000 + i * 10)),
                "connection from 7.7.7.7 (x) at now",
                i as u64,
            );
        }
        // Slow traffic from another source stays quiet.
        for i in 0..20 {
            d.process(
                Some(Timestamp::from_secs(i * 120)),
                "SRC=5.5.5.5 DST=10.0.0.1 PROTO=TCP DPT=22",
                i as u64,
            );
        }
        let t = d.into_threats();
        assert_eq!(
            t.iter().filter(|x| x.kind == ThreatKind::PortScan).count(),
            1
        );
        assert_eq!(
            t.iter()
                .filter(|x| x.kind == ThreatKind::ConnectionFlood)
                .count(),
            1
        );
        assert!(t.iter().all(|x| x.source.as_deref() != Some("5.5.5.5")));
    }
}
