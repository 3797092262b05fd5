//! Incident demand: how often the team's incidents need each skill.
//!
//! Each incident of category `c` spreads one unit of demand (times its count
//! or weight `n_c`) over the skills the taxonomy maps `c` to, in proportion
//! to their weights: `d(s) = Σ_c n_c w_{c,s} / Σ_{s'} w_{c,s'}`. A skill's
//! gap multiplier is `1 + α d(s) / max_s' d(s')` with `α` the demand
//! strength, so the most-demanded skill weighs `1 + α` times as much as a
//! skill no incident needed.

use std::collections::BTreeMap;
use std::path::Path;

use aiops_core::{Incident, Severity};
use serde::Serialize;

use crate::error::{Error, MEMORY, Result};
use crate::taxonomy::Taxonomy;

/// Incident counts per category and the resulting demand per skill.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentDemand {
    /// Incident count (or weighted count) per mapped category.
    pub categories: BTreeMap<String, f64>,
    /// Counts of categories the taxonomy does not map (kept, not dropped).
    pub unmapped: BTreeMap<String, f64>,
    /// Demand per skill `d(s)`.
    pub skills: BTreeMap<String, f64>,
}

impl IncidentDemand {
    /// No incident history: every multiplier is 1.
    pub fn none() -> Self {
        IncidentDemand::default()
    }

    /// Demand from `(category, count)` pairs; an unknown category or a
    /// negative or non-finite count is an error.
    pub fn from_counts<S: AsRef<str>>(
        taxonomy: &Taxonomy,
        counts: impl IntoIterator<Item = (S, f64)>,
    ) -> Result<Self> {
        let mut d = IncidentDemand::default();
        for (c, n) in counts {
            d.add(taxonomy, MEMORY, 0, c.as_ref(), n, true)?;
        }
        Ok(d)
    }

    /// Demand from `(category, count)` pairs; unknown categories are kept in
    /// [`IncidentDemand::unmapped`] (with a `tracing` warning) instead of
    /// failing. Negative or non-finite counts are still an error.
    pub fn from_counts_lenient<S: AsRef<str>>(
        taxonomy: &Taxonomy,
        counts: impl IntoIterator<Item = (S, f64)>,
    ) -> Result<Self> {
        let mut d = IncidentDemand::default();
        for (c, n) in counts {
            d.add(taxonomy, MEMORY, 0, c.as_ref(), n, false)?;
        }
        Ok(d)
    }

    /// Demand from an orchestrator run's incidents: each incident counts once
    /// for each distinct signal kind it carries (the kind's name, e.g.
    /// `anomaly`, `failure_probability`, `log_threat`, `policy_violation`, is
    /// the category), weighted by severity (info 1, warning 2, critical 4).
    /// Kinds the taxonomy does not map go to [`IncidentDemand::unmapped`].
    pub fn from_incidents(taxonomy: &Taxonomy, incidents: &[Incident]) -> Self {
        let mut counts: BTreeMap<String, f64> = BTreeMap::new();
        for inc in incidents {
            let w = severity_weight(inc.severity);
            let mut kinds: Vec<String> = inc.signals.iter().map(|s| s.kind.to_string()).collect();
            kinds.sort();
            kinds.dedup();
            for k in kinds {
                *counts.entry(k).or_default() += w;
            }
        }
        let mut d = IncidentDemand::default();
        for (c, n) in counts {
            // Counts are positive and finite by construction.
            if let Err(e) = d.add(taxonomy, MEMORY, 0, &c, n, false) {
                tracing::warn!(error = %e, "incident category skipped");
            }
        }
        d
    }

    /// Reads a CSV with a header containing `category` and optionally `count`
    /// (default 1 per row; other columns such as `id`, `date`, `severity` are
    /// ignored), so both per-incident exports and aggregated counts work.
    pub fn from_csv_file(path: impl AsRef<Path>, taxonomy: &Taxonomy) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_csv_str(&path.display().to_string(), &text, taxonomy)
    }

    /// Parses CSV text (see [`IncidentDemand::from_csv_file`]).
    pub fn from_csv_str(file: &str, text: &str, taxonomy: &Taxonomy) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let csv_err = |line: usize, message: String| Error::Csv {
            file: file.to_owned(),
            line,
            message,
        };
        let headers = rdr
            .headers()
            .map_err(|e| csv_err(1, e.to_string()))?
            .clone();
        let find = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
        let ci_cat = find("category")
            .ok_or_else(|| csv_err(1, "missing column `category` in the header".to_owned()))?;
        let ci_count = find("count");
        let width = headers.len();
        let mut d = IncidentDemand::default();
        let mut record = csv::StringRecord::new();
        loop {
            let more = rdr.read_record(&mut record).map_err(|e| {
                csv_err(e.position().map_or(0, |p| p.line() as usize), e.to_string())
            })?;
            if !more {
                break;
            }
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                continue;
            }
            if record.len() != width {
                return Err(csv_err(
                    line,
                    format!("expected {width} fields, found {}", record.len()),
                ));
            }
            let cat = record.get(ci_cat).unwrap_or_default();
            if cat.is_empty() {
                return Err(csv_err(line, "empty `category`".to_owned()));
            }
            let n = match ci_count.and_then(|i| record.get(i)) {
                None => 1.0,
                Some(s) => s.parse::<f64>().map_err(|_| Error::InvalidValue {
                    file: file.to_owned(),
                    line,
                    field: "count".to_owned(),
                    message: format!("{s:?} is not a number"),
                })?,
            };
            d.add(taxonomy, file, line, cat, n, true)?;
        }
        Ok(d)
    }

    fn add(
        &mut self,
        taxonomy: &Taxonomy,
        file: &str,
        line: usize,
        category: &str,
        n: f64,
        strict: bool,
    ) -> Result<()> {
        if !(n.is_finite() && n >= 0.0) {
            return Err(Error::InvalidValue {
                file: file.to_owned(),
                line,
                field: "count".to_owned(),
                message: format!("{n} must be finite and non-negative"),
            });
        }
        let Some(skills) = taxonomy.incident_categories().get(category) else {
            if strict {
                return Err(Error::UnknownReference {
                    file: file.to_owned(),
                    line,
                    what: "incident category",
                    id: category.to_owned(),
                });
            }
            tracing::warn!(category, "incident category not mapped to skills");
            *self.unmapped.entry(category.to_owned()).or_default() += n;
            return Ok(());
        };
        *self.categories.entry(category.to_owned()).or_default() += n;
        let total: f64 = skills.iter().map(|w| w.weight).sum();
        if total > 0.0 {
            for w in skills {
                *self.skills.entry(w.skill.clone()).or_default() += n * w.weight / total;
            }
        }
        Ok(())
    }

    /// Gap multiplier of a skill: `1 + strength · d(s) / max d` (1 without
    /// incident history).
    pub fn multiplier(&self, skill: &str, strength: f64) -> f64 {
        let max = self.skills.values().copied().fold(0.0, f64::max);
        if max <= 0.0 {
            return 1.0;
        }
        1.0 + strength * self.skills.get(skill).copied().unwrap_or(0.0) / max
    }

    /// Total incidents (or weight) counted in mapped categories.
    pub fn total(&self) -> f64 {
        self.categories.values().sum()
    }
}

fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Info => 1.0,
        Severity::Warning => 2.0,
        Severity::Critical => 4.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_spreads_over_mapped_skills() {
        let t = Taxonomy::default_devops().unwrap();
        let d = IncidentDemand::from_counts(&t, [("security", 10.0), ("anomaly", 2.0)]).unwrap();
        assert!((d.total() - 12.0).abs() < 1e-12);
        assert!(d.multiplier("threat-detection", 1.0) > d.multiplier("anomaly-detection", 1.0));
        assert!((d.multiplier("threat-detection", 1.0) - 2.0).abs() < 1e-12);
        assert_eq!(d.multiplier("git", 1.0), 1.0);
        assert!(IncidentDemand::from_counts(&t, [("nope", 1.0)]).is_err());
        let l = IncidentDemand::from_counts_lenient(&t, [("nope", 1.0)]).unwrap();
        assert_eq!(l.unmapped.get("nope"), Some(&1.0));
    }

    #[test]
    fn csv_errors_name_lines() {
        let t = Taxonomy::default_devops().unwrap();
        let d = IncidentDemand::from_csv_str("i.csv", "id,category\n1,security\n2,security\n", &t)
            .unwrap();
        assert_eq!(d.categories.get("security"), Some(&2.0));
        let e = IncidentDemand::from_csv_str("i.csv", "category,count\nsecurity,2\nbogus,1\n", &t)
            .unwrap_err();
        assert!(matches!(&e, Error::UnknownReference { line: 3, .. }), "{e}");
        let e =
            IncidentDemand::from_csv_str("i.csv", "category,count\nsecurity,x\n", &t).unwrap_err();
        assert!(matches!(&e, Error::InvalidValue { line: 2, .. }), "{e}");
    }
}
