//! The canary judge: NetflixACAJudge semantics over per-metric samples.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mann_whitney::{MannWhitney, mann_whitney_in_place};

/// Samples per metric name, for the baseline or the canary.
pub type MetricSamples = BTreeMap<String, Vec<f64>>;

/// Which change of a metric is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Only an increase fails (latency, errors).
    Increase,
    /// Only a decrease fails (throughput, success rate).
    Decrease,
    /// Both fail.
    #[default]
    Either,
}

/// Classification of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Classification {
    /// The canary is significantly higher than the baseline.
    High,
    /// The canary is significantly lower than the baseline.
    Low,
    /// No significant difference in the bad direction.
    Pass,
    /// A sample is empty after removing missing (NaN) points.
    NoData,
}

impl std::fmt::Display for Classification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::High => "High",
            Self::Low => "Low",
            Self::Pass => "Pass",
            Self::NoData => "NoData",
        })
    }
}

/// Verdict of a whole canary run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Score at or above the pass threshold and no critical failure.
    Pass,
    /// Score at or above the marginal threshold.
    Marginal,
    /// Score below the marginal threshold, a critical failure, or nothing judged.
    Fail,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pass => "pass",
            Self::Marginal => "marginal",
            Self::Fail => "fail",
        })
    }
}

/// Bounds on the mean ratio canary / baseline (Kayenta's effect size).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectSize {
    /// A `Low` needs the ratio at or below this.
    pub decrease: f64,
    /// A `High` needs the ratio at or above this.
    pub increase: f64,
}

impl Default for EffectSize {
    fn default() -> Self {
        Self {
            decrease: 1.0,
            increase: 1.0,
        }
    }
}

/// Configuration of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// Metric name, as in the samples.
    pub name: String,
    /// Group the metric scores in.
    #[serde(default = "default_group")]
    pub group: String,
    /// Which change is bad.
    #[serde(default)]
    pub direction: Direction,
    /// A critical metric that fails (or has no data) fails the whole run.
    #[serde(default)]
    pub critical: bool,
    /// Effect size a `High`/`Low` needs (default 1.0/1.0: any).
    #[serde(default)]
    pub effect_size: EffectSize,
    /// Effect size at which a critical metric's `High`/`Low` fails the run.
    #[serde(default)]
    pub critical_effect_size: EffectSize,
}

fn default_group() -> String {
    "default".to_owned()
}

impl MetricConfig {
    /// A metric in the `default` group with Kayenta's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            group: default_group(),
            direction: Direction::Either,
            critical: false,
            effect_size: EffectSize::default(),
            critical_effect_size: EffectSize::default(),
        }
    }
}

/// Score thresholds of the request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreThresholds {
    /// Scores at or above pass.
    pub pass: f64,
    /// Scores at or above this (and below `pass`) are marginal.
    pub marginal: f64,
}

impl Default for ScoreThresholds {
    fn default() -> Self {
        Self {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

/// Configuration of a canary judgement (YAML/JSON via serde).
///
/// Metrics present in the samples but not listed in `metrics` are judged in
/// the `default` group with direction `either`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeConfig {
    /// Confidence level of the interval (Kayenta's NetflixACAJudge: 0.98).
    pub confidence: f64,
    /// Tolerance band: a shift must exceed `tolerance * |estimate|`.
    pub tolerance: f64,
    /// Pass and marginal score thresholds.
    pub thresholds: ScoreThresholds,
    /// Group weights; empty means equal weights. Normalised over the groups
    /// that have judged metrics.
    pub groups: BTreeMap<String, f64>,
    /// Per-metric settings.
    pub metrics: Vec<MetricConfig>,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        Self {
            confidence: 0.98,
            tolerance: 0.25,
            thresholds: ScoreThresholds::default(),
            groups: BTreeMap::new(),
            metrics: Vec::new(),
        }
    }
}

impl JudgeConfig {
    /// Parses a YAML (or JSON) configuration.
    ///
    /// # Errors
    /// [`Error::Manifest`] when it does not parse.
    pub fn from_yaml_str(source_name: &str, text: &str) -> Result<Self> {
        yaml_serde::from_str(text).map_err(|e| Error::Manifest {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::Config`] on a confidence outside (0, 1), a negative
    /// tolerance, thresholds out of order, effect sizes out of order, a
    /// duplicate metric, or weights that are negative, not finite, all zero
    /// or missing for a group a metric names.
    pub fn check(&self) -> Result<()> {
        let bad = |field: &str, message: String| Error::Config {
            field: field.to_owned(),
            message,
        };
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(bad(
                "confidence",
                format!("{} is not in (0, 1)", aiops_core::Num(self.confidence)),
            ));
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(bad(
                "tolerance",
                format!(
                    "{} is not a finite value >= 0",
                    aiops_core::Num(self.tolerance)
                ),
            ));
        }
        let t = self.thresholds;
        if !(0.0 <= t.marginal && t.marginal <= t.pass && t.pass <= 100.0) {
            return Err(bad(
                "thresholds",
                format!(
                    "need 0 <= marginal ({}) <= pass ({}) <= 100",
                    aiops_core::Num(t.marginal),
                    aiops_core::Num(t.pass)
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for m in &self.metrics {
            if !seen.insert(m.name.as_str()) {
                return Err(bad(
                    "metrics",
                    format!("metric `{}` is listed twice", m.name),
                ));
            }
            for (what, e) in [
                ("effect_size", m.effect_size),
                ("critical_effect_size", m.critical_effect_size),
            ] {
                if !(e.decrease > 0.0 && e.decrease <= e.increase && e.increase.is_finite()) {
                    return Err(bad(
                        &format!("metrics.{}.{what}", m.name),
                        format!(
                            "need 0 < decrease ({}) <= increase ({})",
                            e.decrease, e.increase
                        ),
                    ));
                }
            }
            if !self.groups.is_empty() && !self.groups.contains_key(&m.group) {
                return Err(bad(
                    &format!("metrics.{}.group", m.name),
                    format!("group `{}` has no weight in `groups`", m.group),
                ));
            }
        }
        for (g, &w) in &self.groups {
            if !(w >= 0.0 && w.is_finite()) {
                return Err(bad(
                    &format!("groups.{g}"),
                    format!("weight {} is not a finite value >= 0", aiops_core::Num(w)),
                ));
            }
        }
        if !self.groups.is_empty() && self.groups.values().sum::<f64>() <= 0.0 {
            return Err(bad("groups", "weights sum to zero".to_owned()));
        }
        Ok(())
    }
}

/// Result for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// Metric name.
    pub name: String,
    /// Group it scored in.
    pub group: String,
    /// Its classification.
    pub classification: Classification,
    /// Whether this metric failed the whole run (critical High/Low/NoData).
    pub critical_failure: bool,
    /// The Mann-Whitney test, when one was defined (both samples non-empty
    /// and not all observations tied).
    pub test: Option<MannWhitney>,
    /// Mean ratio canary / baseline (1.0 when the baseline mean is 0).
    pub effect_size: Option<f64>,
    /// Baseline points used (after removing NaN).
    pub baseline_count: usize,
    /// Canary points used (after removing NaN).
    pub canary_count: usize,
    /// NaN (missing) points removed from both samples.
    pub missing_removed: usize,
    /// Why it was classified so.
    pub reason: String,
}

/// Score of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// Group name.
    pub name: String,
    /// Normalised weight (0 when nothing in the group was judged).
    pub weight: f64,
    /// Metrics classified Pass.
    pub passed: usize,
    /// Metrics judged (not NoData).
    pub judged: usize,
    /// 100 x passed / judged (None when nothing was judged).
    pub score: Option<f64>,
}

/// Result of a canary judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// Weighted score in [0, 100]; 0 on a critical failure or when nothing was judged.
    pub score: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Per-metric results, in metric-name order.
    pub metrics: Vec<MetricResult>,
    /// Per-group scores, in group-name order.
    pub groups: Vec<GroupScore>,
    /// Metrics that failed the run on their own.
    pub critical_failures: Vec<String>,
}

/// Judges a canary against its baseline (NetflixACAJudge semantics).
#[derive(Debug, Clone)]
pub struct CanaryJudge {
    config: JudgeConfig,
    by_name: BTreeMap<String, usize>,
}

/// The mean ratio for a reason text.
fn fmt_ratio(effect: Option<f64>) -> String {
    effect.map_or_else(
        || "undefined (baseline mean 0)".to_owned(),
        |e| format!("{e:.4}"),
    )
}

impl CanaryJudge {
    /// Builds a judge from a configuration after [`JudgeConfig::check`].
    ///
    /// # Errors
    /// As [`JudgeConfig::check`].
    pub fn new(config: JudgeConfig) -> Result<Self> {
        config.check()?;
        let by_name = config
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        Ok(Self { config, by_name })
    }

    /// The configuration.
    pub fn config(&self) -> &JudgeConfig {
        &self.config
    }

    /// Judges every metric named in the configuration or in either sample
    /// map and combines the results into a score and verdict.
    ///
    /// A metric with only NaN points on a side, or a configured metric in
    /// neither map, is `NoData` (its `reason` says which). With the
    /// `parallel` feature, metrics are judged on rayon's pool; the result is
    /// the same.
    ///
    /// # Errors
    /// [`Error::MetricMissing`] when a metric is in one map but not the other
    /// (a renamed column must not pass as `NoData`);
    /// [`Error::NonFiniteSample`] when a sample holds an infinite value;
    /// [`Error::SampleOutOfRange`] when one exceeds [`crate::MAX_SAMPLE_MAGNITUDE`].
    pub fn judge(&self, baseline: &MetricSamples, canary: &MetricSamples) -> Result<Judgement> {
        for (have, other, present_in, missing_from) in [
            (baseline, canary, "baseline", "canary"),
            (canary, baseline, "canary", "baseline"),
        ] {
            if let Some(metric) = have.keys().find(|k| !other.contains_key(*k)) {
                return Err(Error::MetricMissing {
                    metric: metric.clone(),
                    missing_from,
                    present_in,
                });
            }
        }
        let mut names: BTreeSet<&str> = self
            .config
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        names.extend(baseline.keys().map(String::as_str));
        names.extend(canary.keys().map(String::as_str));
        let empty: Vec<f64> = Vec::new();
        let one = |name: &str, bufs: &mut (Vec<f64>, Vec<f64>)| {
            let b = baseline.get(name).unwrap_or(&empty);
            let c = canary.get(name).unwrap_or(&empty);
            let mut r = self.judge_metric_with(name, b, c, bufs)?;
            if !baseline.contains_key(name) && !canary.contains_key(name) {
                r.reason =
                    "no data: configured metric is in neither the baseline nor the canary samples"
                        .to_owned();
            }
            Ok(r)
        };
        #[cfg(feature = "parallel")]
        let metrics = {
            use rayon::prelude::*;
            let names: Vec<&str> = names.into_iter().collect();
            names
                .par_iter()
                .map_init(|| (Vec::new(), Vec::new()), |bufs, name| one(name, bufs))
                .collect::<Result<Vec<_>>>()?
        };
        #[cfg(not(feature = "parallel"))]
        let metrics = {
            let mut bufs = (Vec::new(), Vec::new());
            names
                .into_iter()
                .map(|name| one(name, &mut bufs))
                .collect::<Result<Vec<_>>>()?
        };
        Ok(self.combine(metrics))
    }

    /// Judges one metric (configured or not) from its two samples.
    ///
    /// # Errors
    /// [`Error::NonFiniteSample`] when a sample holds an infinite value;
    /// [`Error::SampleOutOfRange`] when one exceeds [`crate::MAX_SAMPLE_MAGNITUDE`].
    pub fn judge_metric(
        &self,
        name: &str,
        baseline: &[f64],
        canary: &[f64],
    ) -> Result<MetricResult> {
        self.judge_metric_with(name, baseline, canary, &mut (Vec::new(), Vec::new()))
    }

    fn metric_config(&self, name: &str) -> MetricConfig {
        self.by_name.get(name).map_or_else(
            || MetricConfig::new(name),
            |&i| self.config.metrics[i].clone(),
        )
    }

    fn judge_metric_with(
        &self,
        name: &str,
        baseline: &[f64],
        canary: &[f64],
        (bbuf, cbuf): &mut (Vec<f64>, Vec<f64>),
    ) -> Result<MetricResult> {
        let cfg = self.metric_config(name);
        let mut missing = 0;
        for (side, src, dst) in [
            ("baseline", baseline, &mut *bbuf),
            ("canary", canary, &mut *cbuf),
        ] {
            dst.clear();
            for (index, &v) in src.iter().enumerate() {
                if v.is_nan() {
                    missing += 1;
                } else if v.is_infinite() {
                    return Err(Error::NonFiniteSample {
                        metric: name.to_owned(),
                        side,
                        index,
                        value: v,
                    });
                } else if v.abs() > crate::mann_whitney::MAX_SAMPLE_MAGNITUDE {
                    return Err(Error::SampleOutOfRange {
                        metric: name.to_owned(),
                        side,
                        index,
                        value: v,
                    });
                } else {
                    dst.push(v);
                }
            }
        }
        let mut result = MetricResult {
            name: name.to_owned(),
            group: cfg.group.clone(),
            classification: Classification::NoData,
            critical_failure: false,
            test: None,
            effect_size: None,
            baseline_count: bbuf.len(),
            canary_count: cbuf.len(),
            missing_removed: missing,
            reason: String::new(),
        };
        if bbuf.is_empty() || cbuf.is_empty() {
            result.critical_failure = cfg.critical;
            result.reason = format!(
                "no data: {} baseline and {} canary points after removing {missing} missing",
                bbuf.len(),
                cbuf.len()
            );
            return Ok(result);
        }
        // The plain sum overflows only past ~1.8e8 points at the magnitude
        // bound; then the pre-scaled sum keeps the mean finite.
        let mean = |v: &[f64]| {
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            if m.is_finite() {
                m
            } else {
                v.iter().map(|x| x / n).sum::<f64>()
            }
        };
        let (mb, mc) = (mean(bbuf), mean(cbuf));
        // The mean ratio is undefined for a zero baseline mean: no effect
        // size then, and effect-size thresholds do not apply.
        let effect = (mb != 0.0).then(|| mc / mb);
        result.effect_size = effect;
        // Sorting happens inside the test; the identical check needs it too.
        let test = match mann_whitney_in_place(name, cbuf, bbuf, self.config.confidence) {
            Ok(t) => Some(t),
            Err(Error::DegenerateSample { .. }) => None,
            Err(e) => return Err(e),
        };
        result.test = test;
        if cbuf == bbuf {
            result.classification = Classification::Pass;
            result.reason = "baseline and canary data are identical".to_owned();
            return Ok(result);
        }
        let Some(t) = test else {
            result.classification = Classification::Pass;
            result.reason = "all observations are equal".to_owned();
            return Ok(result);
        };
        let confidence = self.config.confidence;
        if !t.can_reach(confidence) {
            // With so few points no shift can be significant; R's interval is
            // then the whole range of differences and would read as a change.
            result.classification = Classification::NoData;
            result.critical_failure = cfg.critical;
            result.reason = format!(
                "too few points to judge: {} baseline and {} canary cannot reach {}% confidence \
                 (largest possible |z| {:.3})",
                bbuf.len(),
                cbuf.len(),
                confidence * 100.0,
                t.max_abs_z
            );
            return Ok(result);
        }
        // The interval and the p-value come from the same statistic; where
        // they disagree at the edge (root-finding tolerance, ties that change
        // with the shift), a change must also be significant.
        let significant = t.p_value < 1.0 - confidence;
        let bound = self.config.tolerance * t.estimate.abs();
        let high = matches!(cfg.direction, Direction::Increase | Direction::Either)
            && significant
            && t.ci_low > bound
            && effect.is_none_or(|e| e >= cfg.effect_size.increase);
        let low = matches!(cfg.direction, Direction::Decrease | Direction::Either)
            && significant
            && t.ci_high < -bound
            && effect.is_none_or(|e| e <= cfg.effect_size.decrease);
        if high {
            result.classification = Classification::High;
            result.critical_failure =
                cfg.critical && effect.is_none_or(|e| e >= cfg.critical_effect_size.increase);
            result.reason = format!(
                "canary higher: interval [{:.6}, {:.6}] above the tolerance band +-{bound:.6}, mean ratio {}",
                t.ci_low,
                t.ci_high,
                fmt_ratio(effect)
            );
        } else if low {
            result.classification = Classification::Low;
            result.critical_failure =
                cfg.critical && effect.is_none_or(|e| e <= cfg.critical_effect_size.decrease);
            result.reason = format!(
                "canary lower: interval [{:.6}, {:.6}] below the tolerance band +-{bound:.6}, mean ratio {}",
                t.ci_low,
                t.ci_high,
                fmt_ratio(effect)
            );
        } else {
            result.classification = Classification::Pass;
            result.reason = format!(
                "no significant change in the bad direction: interval [{:.6}, {:.6}], tolerance band +-{bound:.6}, mean ratio {}",
                t.ci_low,
                t.ci_high,
                fmt_ratio(effect)
            );
        }
        Ok(result)
    }

    fn combine(&self, metrics: Vec<MetricResult>) -> Judgement {
        let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for g in self.config.groups.keys() {
            groups.entry(g.as_str()).or_default();
        }
        for m in &metrics {
            let e = groups.entry(m.group.as_str()).or_default();
            if m.classification != Classification::NoData {
                e.1 += 1;
                if m.classification == Classification::Pass {
                    e.0 += 1;
                }
            }
        }
        let raw_weight = |g: &str| -> f64 {
            if self.config.groups.is_empty() {
                1.0
            } else {
                // Metrics not in the config land in `default`; without a weight it counts 0.
                self.config.groups.get(g).copied().unwrap_or(0.0)
            }
        };
        let total: f64 = groups
            .iter()
            .filter(|(_, (_, judged))| *judged > 0)
            .map(|(g, _)| raw_weight(g))
            .sum();
        let mut score = 0.0;
        let mut out = Vec::with_capacity(groups.len());
        for (g, (passed, judged)) in groups {
            let s = (judged > 0).then(|| 100.0 * passed as f64 / judged as f64);
            let weight = if judged > 0 && total > 0.0 {
                raw_weight(g) / total
            } else {
                0.0
            };
            if let Some(s) = s {
                score += weight * s;
            }
            out.push(GroupScore {
                name: g.to_owned(),
                weight,
                passed,
                judged,
                score: s,
            });
        }
        let critical_failures: Vec<String> = metrics
            .iter()
            .filter(|m| m.critical_failure)
            .map(|m| m.name.clone())
            .collect();
        if total <= 0.0 || !critical_failures.is_empty() {
            score = 0.0;
        }
        let t = self.config.thresholds;
        let verdict = if total <= 0.0 || !critical_failures.is_empty() {
            Verdict::Fail
        } else if score >= t.pass {
            Verdict::Pass
        } else if score >= t.marginal {
            Verdict::Marginal
        } else {
            Verdict::Fail
        };
        Judgement {
            score,
            verdict,
            metrics,
            groups: out,
            critical_failures,
        }
    }
}
