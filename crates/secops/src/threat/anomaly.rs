//! Log anomalies over template counts: templates first seen after a warm-up, and
//! templates whose count in a time bucket jumps far above their running mean
//! (exponentially weighted mean and variance per template, bounded state).

use std::collections::HashMap;

use aiops_core::{Severity, Timestamp};

use super::{Threat, ThreatKind};
use crate::error::{Error, Result};
use crate::template::TemplateId;

/// Settings of the template anomaly detector.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AnomalyParams {
    /// Lines before a new template counts as an anomaly (default 1000).
    pub warmup_lines: u64,
    /// Bucket length in seconds for frequency counts (default 60).
    pub bucket_secs: i64,
    /// Smoothing factor of the running mean and variance, in (0, 1] (default 0.1).
    pub alpha: f64,
    /// Standard deviations above the mean that make a spike (default 4).
    pub k: f64,
    /// Minimum count in a bucket for a spike (default 20).
    pub min_count: u64,
    /// Buckets of history a template needs before spikes are judged (default 5).
    pub min_history: u64,
}

impl Default for AnomalyParams {
    fn default() -> Self {
        AnomalyParams {
            warmup_lines: 1000,
            bucket_secs: 60,
            alpha: 0.1,
            k: 4.0,
            min_count: 20,
            min_history: 5,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Stat {
    mean: f64,
    var: f64,
    buckets: u64,
    count: u64,
    lines: Vec<u64>,
}

/// Streaming detector of new and suddenly frequent templates.
#[derive(Debug, Default)]
pub struct TemplateAnomalyDetector {
    params: AnomalyParams,
    seen: HashMap<TemplateId, Stat>,
    bucket: Option<i64>,
    lines: u64,
    threats: Vec<Threat>,
    names: HashMap<TemplateId, String>,
}

impl TemplateAnomalyDetector {
    /// A detector with the given settings.
    pub fn new(params: AnomalyParams) -> Result<Self> {
        if !(params.alpha > 0.0 && params.alpha <= 1.0)
            || params.bucket_secs <= 0
            || params.k.is_nan()
            || params.k <= 0.0
        {
            return Err(Error::InvalidParameter {
                name: "anomaly",
                value: format!("{params:?}"),
                reason: "alpha in (0, 1], bucket_secs > 0 and k > 0",
            });
        }
        Ok(TemplateAnomalyDetector {
            params,
            ..TemplateAnomalyDetector::default()
        })
    }

    /// Feeds one mined line.
    pub fn process(&mut self, at: Option<Timestamp>, id: TemplateId, template: &str, line: u64) {
        self.lines += 1;
        if let Some(at) = at {
            let b = at.as_millis().div_euclid(self.params.bucket_secs * 1000);
            match self.bucket {
                Some(cur) if b > cur => {
                    self.close_bucket(Timestamp::from_millis(cur * self.params.bucket_secs * 1000))
                }
                None => self.bucket = Some(b),
                _ => {}
            }
            self.bucket = Some(self.bucket.map_or(b, |c| c.max(b)));
        }
        let new = !self.seen.contains_key(&id);
        let stat = self.seen.entry(id).or_default();
        stat.count += 1;
        stat.lines.push(line);
        self.names.entry(id).or_insert_with(|| template.to_owned());
        if new && self.lines > self.params.warmup_lines {
            self.threats.push(Threat {
                kind: ThreatKind::NewTemplate,
                severity: Severity::Info,
                source: None,
                start: at,
                end: at,
                count: 1,
                lines: vec![line],
                summary: format!(
                    "new template {id} after {} lines: {template}",
                    self.lines - 1
                ),
            });
        }
    }

    fn close_bucket(&mut self, start: Timestamp) {
        let p = self.params.clone();
        for (id, s) in &mut self.seen {
            let x = s.count as f64;
            if s.buckets >= p.min_history
                && s.count >= p.min_count
                && x > s.mean + p.k * s.var.sqrt().max(1.0)
            {
                self.threats.push(Threat {
                    kind: ThreatKind::FrequencySpike,
                    severity: Severity::Warning,
                    source: None,
                    start: Some(start),
                    end: Some(start.add_millis(p.bucket_secs * 1000)),
                    count: s.count,
                    lines: s.lines.clone(),
                    summary: format!(
                        "template {id} seen {} times in {} s (running mean {:.1}): {}",
                        s.count,
                        p.bucket_secs,
                        s.mean,
                        self.names.get(id).map_or("", String::as_str)
                    ),
                });
            }
            if s.buckets == 0 {
                s.mean = x;
            } else {
                let d = x - s.mean;
                s.mean += p.alpha * d;
                s.var = (1.0 - p.alpha) * (s.var + p.alpha * d * d);
            }
            s.buckets += 1;
            s.count = 0;
            s.lines.clear();
        }
    }

    /// Closes the last bucket and returns the threats found.
    pub fn into_threats(mut self) -> Vec<Threat> {
        if let Some(cur) = self.bucket {
            self.close_bucket(Timestamp::from_millis(cur * self.params.bucket_secs * 1000));
        }
        self.threats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_new_templates_after_warmup_and_spikes() {
        let mut d = TemplateAnomalyDetector::new(AnomalyParams {
            warmup_lines: 10,
            ..AnomalyParams::default()
        })
        .unwrap();
        let mut line = 0;
        for minute in 0..20i64 {
            let n = if minute == 15 { 200 } else { 3 };
            for i in 0..n {
                line += 1;
                d.process(
                    Some(Timestamp::from_millis(minute * 60_000 + i)),
                    TemplateId(0),
                    "a <*>",
                    line,
                );
            }
        }
        line += 1;
        d.process(
            Some(Timestamp::from_secs(20 * 60)),
            TemplateId(1),
            "b",
            line,
        );
        let t = d.into_threats();
        assert_eq!(
            t.iter()
                .filter(|x| x.kind == ThreatKind::NewTemplate)
                .count(),
            1
        );
        let spikes: Vec<_> = t
            .iter()
            .filter(|x| x.kind == ThreatKind::FrequencySpike)
            .collect();
        assert_eq!(spikes.len(), 1);
        assert_eq!(spikes[0].count, 200);
    }
}
