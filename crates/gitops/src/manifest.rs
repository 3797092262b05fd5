//! Parsing Argo Rollouts (`Rollout`, `AnalysisTemplate`) and Flagger
//! (`Canary`) manifests into [`RolloutSpec`].

use std::collections::BTreeMap;

use yaml_serde::Value;

use crate::analysis::{AnalysisMetric, AnalysisTemplate, Condition};
use crate::error::{Error, Result};
use crate::rollout::{CanaryStep, RolloutSpec, Strategy};

/// Parses a Go-style duration (`30s`, `10m`, `1h30m`, `500ms`) or a bare
/// number of seconds (Argo accepts both) into milliseconds.
///
/// # Errors
/// [`Error::Invalid`] on anything else.
pub fn parse_duration(text: &str) -> Result<i64> {
    let bad = || Error::Invalid {
        what: "duration".into(),
        message: format!("{text:?} is not a duration like 30s, 10m, 1h30m or a number of seconds"),
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<i64>() {
        return secs.checked_mul(1000).filter(|v| *v >= 0).ok_or_else(bad);
    }
    let mut total: i64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1000, 1)
        } else {
            return Err(bad());
        };
        rest = &rest[len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

struct Ctx<'a> {
    source: &'a str,
}

impl Ctx<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> Error {
        Error::Manifest {
            source_name: self.source.to_owned(),
            message: format!("{path}: {}", message.into()),
        }
    }

    fn get<'v>(&self, v: &'v Value, key: &str) -> Option<&'v Value> {
        v.as_mapping().and_then(|m| m.get(key))
    }

    fn u32_field(&self, v: &Value, key: &str, path: &str) -> Result<Option<u32>> {
        match self.get(v, key) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    self.err(&format!("{path}.{key}"), "expected a non-negative integer")
                }),
        }
    }

    fn duration_field(&self, v: &Value, key: &str, path: &str) -> Result<Option<i64>> {
        match self.get(v, key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|s| s.checked_mul(1000))
                .filter(|ms| *ms >= 0)
                .map(Some)
                .ok_or_else(|| self.err(&format!("{path}.{key}"), "expected seconds >= 0")),
            Some(Value::String(s)) => parse_duration(s)
                .map(Some)
                .map_err(|e| self.err(&format!("{path}.{key}"), e.to_string())),
            Some(_) => Err(self.err(&format!("{path}.{key}"), "expected a duration")),
        }
    }

    fn templates(&self, v: Option<&Value>, path: &str) -> Result<Vec<String>> {
        let Some(v) = v else { return Ok(Vec::new()) };
        let Some(list) = self.get(v, "templates").and_then(Value::as_sequence) else {
            return Err(self.err(path, "expected `templates: [{templateName: ...}]`"));
        };
        list.iter()
            .enumerate()
            .map(|(i, t)| {
                self.get(t, "templateName")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        self.err(&format!("{path}.templates[{i}]"), "missing templateName")
                    })
            })
            .collect()
    }
}

/// Parses a YAML stream holding one Argo `Rollout` (canary or blue-green
/// strategy) or one Flagger `Canary`, plus any `AnalysisTemplate` /
/// `ClusterAnalysisTemplate` documents it references.
///
/// Argo conditions (`successCondition`, `failureCondition`) are parsed once
/// into typed [`Condition`]s; Flagger `thresholdRange` becomes a success
/// range. Other kinds in the stream are ignored (logged at debug level).
///
/// # Errors
/// [`Error::Manifest`] when a document does not parse, a field has the
/// wrong type, no Rollout/Canary is present or two are; then
/// [`RolloutSpec::check`]'s errors (for example a strategy with no steps).
pub fn parse_rollout_yaml(source_name: &str, text: &str) -> Result<RolloutSpec> {
    let cx = Ctx {
        source: source_name,
    };
    let mut templates = BTreeMap::new();
    let mut rollout: Option<(String, Strategy)> = None;
    let mut flagger_template: Option<AnalysisTemplate> = None;
    for (doc_index, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let doc: Value = serde::Deserialize::deserialize(de).map_err(|e| Error::Manifest {
            source_name: source_name.to_owned(),
            message: format!("document {}: {e}", doc_index + 1),
        })?;
        if doc.is_null() {
            continue;
        }
        let kind = cx.get(&doc, "kind").and_then(Value::as_str).unwrap_or("");
        let name = cx
            .get(&doc, "metadata")
            .and_then(|m| cx.get(m, "name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let spec = cx.get(&doc, "spec");
        match kind {
            "AnalysisTemplate" | "ClusterAnalysisTemplate" => {
                let spec = spec.ok_or_else(|| cx.err(&format!("{kind} {name}"), "missing spec"))?;
                let t = parse_template(&cx, &name, spec)?;
                templates.insert(name, t);
            }
            "Rollout" | "Canary" => {
                if rollout.is_some() {
                    return Err(cx.err(
                        &format!("document {}", doc_index + 1),
                        "a second Rollout/Canary",
                    ));
                }
                let spec = spec.ok_or_else(|| cx.err(&format!("{kind} {name}"), "missing spec"))?;
                let strategy = if kind == "Rollout" {
                    parse_argo_strategy(&cx, spec)?
                } else {
                    let (s, t) = parse_flagger(&cx, &name, spec)?;
                    flagger_template = t;
                    s
                };
                rollout = Some((name, strategy));
            }
            other => tracing::debug!(kind = other, "ignoring a document that is not a rollout"),
        }
    }
    let (name, strategy) =
        rollout.ok_or_else(|| cx.err("stream", "no Rollout or Canary document"))?;
    let mut spec = RolloutSpec {
        name,
        strategy,
        templates,
    };
    if let Some(t) = flagger_template {
        spec.templates.insert(t.name.clone(), t);
    }
    spec.check()?;
    Ok(spec)
}

fn parse_argo_strategy(cx: &Ctx<'_>, spec: &Value) -> Result<Strategy> {
    let strategy = cx
        .get(spec, "strategy")
        .ok_or_else(|| cx.err("spec", "missing strategy"))?;
    if let Some(canary) = cx.get(strategy, "canary") {
        let steps = cx
            .get(canary, "steps")
            .and_then(Value::as_sequence)
            .ok_or_else(|| cx.err("spec.strategy.canary", "a canary strategy needs `steps`"))?;
        let mut out = Vec::with_capacity(steps.len());
        for (i, step) in steps.iter().enumerate() {
            let path = format!("spec.strategy.canary.steps[{i}]");
            if let Some(w) = cx.u32_field(step, "setWeight", &path)? {
                out.push(CanaryStep::SetWeight(w));
            } else if let Some(p) = cx.get(step, "pause") {
                let d = if p.is_null() {
                    None
                } else {
                    cx.duration_field(p, "duration", &format!("{path}.pause"))?
                };
                out.push(CanaryStep::Pause(d));
            } else if let Some(a) = cx.get(step, "analysis") {
                out.push(CanaryStep::Analysis(
                    cx.templates(Some(a), &format!("{path}.analysis"))?,
                ));
            } else {
                return Err(cx.err(
                    &path,
                    "unsupported step (expected setWeight, pause or analysis)",
                ));
            }
        }
        return Ok(Strategy::Canary { steps: out });
    }
    if let Some(bg) = cx.get(strategy, "blueGreen") {
        let path = "spec.strategy.blueGreen";
        let auto_promotion = match cx.get(bg, "autoPromotionEnabled") {
            None => true,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| cx.err(path, "autoPromotionEnabled must be a boolean"))?,
        };
        let auto_promotion_ms = cx
            .u32_field(bg, "autoPromotionSeconds", path)?
            .map(|s| i64::from(s) * 1000);
        return Ok(Strategy::BlueGreen {
            auto_promotion,
            auto_promotion_ms,
            pre_promotion_analysis: cx.templates(
                cx.get(bg, "prePromotionAnalysis"),
                &format!("{path}.prePromotionAnalysis"),
            )?,
            post_promotion_analysis: cx.templates(
                cx.get(bg, "postPromotionAnalysis"),
                &format!("{path}.postPromotionAnalysis"),
            )?,
        });
    }
    Err(cx.err("spec.strategy", "expected `canary` or `blueGreen`"))
}

fn parse_template(cx: &Ctx<'_>, name: &str, spec: &Value) -> Result<AnalysisTemplate> {
    let metrics = cx
        .get(spec, "metrics")
        .and_then(Value::as_sequence)
        .ok_or_else(|| cx.err(&format!("AnalysisTemplate {name}"), "missing spec.metrics"))?;
    let mut out = Vec::with_capacity(metrics.len());
    for (i, m) in metrics.iter().enumerate() {
        let path = format!("AnalysisTemplate {name}: metrics[{i}]");
        let mname = cx
            .get(m, "name")
            .and_then(Value::as_str)
            .ok_or_else(|| cx.err(&path, "missing name"))?;
        let mut metric = AnalysisMetric::new(mname);
        let cond = |key: &str| -> Result<Option<Condition>> {
            match cx.get(m, key) {
                None => Ok(None),
                Some(v) => {
                    let s = v
                        .as_str()
                        .ok_or_else(|| cx.err(&format!("{path}.{key}"), "expected a string"))?;
                    Condition::parse_argo(s)
                        .map(Some)
                        .map_err(|e| cx.err(&format!("{path}.{key}"), e.to_string()))
                }
            }
        };
        metric.success = cond("successCondition")?;
        metric.failure = cond("failureCondition")?;
        if let Some(c) = cx.u32_field(m, "count", &path)? {
            metric.count = c;
        }
        if let Some(d) = cx.duration_field(m, "interval", &path)? {
            metric.interval_ms = d;
        }
        if let Some(v) = cx.u32_field(m, "failureLimit", &path)? {
            metric.failure_limit = v;
        }
        if let Some(v) = cx.u32_field(m, "inconclusiveLimit", &path)? {
            metric.inconclusive_limit = v;
        }
        if let Some(v) = cx.u32_field(m, "consecutiveErrorLimit", &path)? {
            metric.consecutive_error_limit = v;
        }
        out.push(metric);
    }
    Ok(AnalysisTemplate {
        name: name.to_owned(),
        metrics: out,
    })
}

fn parse_flagger(
    cx: &Ctx<'_>,
    name: &str,
    spec: &Value,
) -> Result<(Strategy, Option<AnalysisTemplate>)> {
    let path = "spec.analysis";
    let a = cx
        .get(spec, "analysis")
        .ok_or_else(|| cx.err(path, "missing"))?;
    let interval_ms = cx
        .duration_field(a, "interval", path)?
        .ok_or_else(|| cx.err(path, "missing interval"))?;
    let threshold = cx
        .u32_field(a, "threshold", path)?
        .ok_or_else(|| cx.err(path, "missing threshold"))?;
    let step_weight = cx
        .u32_field(a, "stepWeight", path)?
        .ok_or_else(|| cx.err(path, "missing stepWeight"))?;
    let max_weight = cx.u32_field(a, "maxWeight", path)?.unwrap_or(100);
    let mut metrics = Vec::new();
    if let Some(list) = cx.get(a, "metrics").and_then(Value::as_sequence) {
        for (i, m) in list.iter().enumerate() {
            let mpath = format!("{path}.metrics[{i}]");
            let mname = cx
                .get(m, "name")
                .and_then(Value::as_str)
                .ok_or_else(|| cx.err(&mpath, "missing name"))?;
            let range = cx
                .get(m, "thresholdRange")
                .ok_or_else(|| cx.err(&mpath, "missing thresholdRange"))?;
            let num = |k: &str| -> Result<Option<f64>> {
                match cx.get(range, k) {
                    None => Ok(None),
                    Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                        cx.err(&format!("{mpath}.thresholdRange.{k}"), "expected a number")
                    }),
                }
            };
            let success = match (num("min")?, num("max")?) {
                (Some(low), Some(high)) => Condition::Between { low, high },
                (Some(low), None) => Condition::AtLeast(low),
                (None, Some(high)) => Condition::AtMost(high),
                (None, None) => return Err(cx.err(&mpath, "thresholdRange needs min or max")),
            };
            let mut metric = AnalysisMetric::new(mname);
            metric.success = Some(success);
            metrics.push(metric);
        }
    }
    let template = (!metrics.is_empty()).then(|| AnalysisTemplate {
        name: format!("{name}-checks"),
        metrics,
    });
    let strategy = Strategy::Linear {
        step_weight,
        max_weight,
        interval_ms,
        threshold,
        analysis: template.iter().map(|t| t.name.clone()).collect(),
    };
    Ok((strategy, template))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), 30_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert_eq!(parse_duration("45").unwrap(), 45_000);
        for bad in ["", "m", "10x", "-5", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
