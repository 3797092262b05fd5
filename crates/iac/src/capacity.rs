//! Capacity planning from a load forecast with prediction intervals: node
//! counts, step-scaling rules and the scaling-group resources in a plan,
//! with the reasoning recorded.

use std::fmt::Write as _;

use aiops_core::{TimeSeries, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::plan::{Plan, plan};
use crate::resource::{Attributes, Config, Resource, State};

/// A load forecast: one mean and interval per future timestamp. This is
/// plain data so any forecaster (or a plain series) can feed it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadForecast {
    name: String,
    timestamps: Vec<Timestamp>,
    mean: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl LoadForecast {
    /// Validates a forecast.
    ///
    /// # Errors
    /// [`Error::InvalidForecast`] when it is empty, lengths differ,
    /// timestamps are not strictly increasing, a value is not finite or
    /// negative, or `lower <= mean <= upper` fails (naming the index).
    pub fn new(
        name: &str,
        timestamps: Vec<Timestamp>,
        mean: Vec<f64>,
        lower: Vec<f64>,
        upper: Vec<f64>,
    ) -> Result<LoadForecast> {
        let bad = |message: String| Error::InvalidForecast {
            name: name.to_owned(),
            message,
        };
        let n = timestamps.len();
        if n == 0 {
            return Err(bad("no points".to_owned()));
        }
        if mean.len() != n || lower.len() != n || upper.len() != n {
            return Err(bad(format!(
                "{n} timestamps but {} means, {} lower and {} upper bounds",
                mean.len(),
                lower.len(),
                upper.len()
            )));
        }
        for i in 1..n {
            if timestamps[i] <= timestamps[i - 1] {
                return Err(bad(format!(
                    "timestamp at index {i} ({}) is not after the previous one",
                    timestamps[i]
                )));
            }
        }
        for i in 0..n {
            for (col, v) in [("mean", mean[i]), ("lower", lower[i]), ("upper", upper[i])] {
                if !v.is_finite() || v < 0.0 {
                    return Err(bad(format!(
                        "{col} at index {i} ({}) is {}; load must be finite and non-negative",
                        timestamps[i],
                        aiops_core::Num(v)
                    )));
                }
            }
            if !(lower[i] <= mean[i] && mean[i] <= upper[i]) {
                return Err(bad(format!(
                    "index {i} ({}): expected lower <= mean <= upper, got {} / {} / {}",
                    timestamps[i],
                    aiops_core::Num(lower[i]),
                    aiops_core::Num(mean[i]),
                    aiops_core::Num(upper[i])
                )));
            }
        }
        Ok(LoadForecast {
            name: name.to_owned(),
            timestamps,
            mean,
            lower,
            upper,
        })
    }

    /// A forecast without an interval (lower = mean = upper) from a series.
    ///
    /// # Errors
    /// As [`LoadForecast::new`] (a missing point is an error).
    pub fn from_series(series: &TimeSeries) -> Result<LoadForecast> {
        let v = series.values().to_vec();
        LoadForecast::new(
            series.key().name(),
            series.timestamps().to_vec(),
            v.clone(),
            v.clone(),
            v,
        )
    }

    /// Reads a CSV with a `timestamp` column and either `mean`, `lower`,
    /// `upper` columns (also accepted: `value`/`load`/`yhat`,
    /// `yhat_lower`/`lo`, `yhat_upper`/`hi`) or a single value column.
    ///
    /// # Errors
    /// [`Error::Csv`] for malformed CSV (file, line, column);
    /// [`Error::InvalidForecast`] for missing columns or bad values.
    pub fn from_csv_str(name: &str, text: &str) -> Result<LoadForecast> {
        let series = aiops_core::read_wide_csv_str(name, text)?;
        let find = |names: &[&str]| {
            series
                .iter()
                .find(|s| names.contains(&s.key().name().to_ascii_lowercase().as_str()))
        };
        let mean = find(&["mean", "value", "load", "yhat", "forecast"]);
        let mean = match (mean, series.len()) {
            (Some(m), _) => m,
            (None, 1) => &series[0],
            _ => {
                return Err(Error::InvalidForecast {
                    name: name.to_owned(),
                    message: format!(
                        "no `mean` column among {:?}",
                        series.iter().map(|s| s.key().name()).collect::<Vec<_>>()
                    ),
                });
            }
        };
        let lower = find(&["lower", "lo", "yhat_lower"]).unwrap_or(mean);
        let upper = find(&["upper", "hi", "yhat_upper"]).unwrap_or(mean);
        LoadForecast::new(
            name,
            mean.timestamps().to_vec(),
            mean.values().to_vec(),
            lower.values().to_vec(),
            upper.values().to_vec(),
        )
    }

    /// Name (series or file).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Timestamps.
    pub fn timestamps(&self) -> &[Timestamp] {
        &self.timestamps
    }
    /// Means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Lower bounds.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }
    /// Upper bounds.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }
    /// Number of points.
    pub fn len(&self) -> usize {
        self.mean.len()
    }
    /// Always false (a forecast has at least one point).
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }
}

/// Capacity parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityParams {
    /// Load one node serves at 100 % utilisation (same unit as the forecast).
    pub per_node_capacity: f64,
    /// Utilisation to run at, in (0, 1], e.g. 0.7.
    pub target_utilisation: f64,
    /// Never fewer nodes than this (default 1).
    pub min_nodes_floor: u32,
    /// Never more nodes than this (default none).
    pub max_nodes_cap: Option<u32>,
    /// Scale in when utilisation falls this fraction below the target
    /// (default 0.2: at 70 % target, scale in below 56 %).
    pub scale_in_margin: f64,
}

impl CapacityParams {
    /// Parameters with the defaults for everything but capacity and target.
    pub fn new(per_node_capacity: f64, target_utilisation: f64) -> CapacityParams {
        CapacityParams {
            per_node_capacity,
            target_utilisation,
            min_nodes_floor: 1,
            max_nodes_cap: None,
            scale_in_margin: 0.2,
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter.
    pub fn check(&self) -> Result<()> {
        let ctx = "capacity parameters";
        if !(self.per_node_capacity.is_finite() && self.per_node_capacity > 0.0) {
            return Err(Error::field(
                ctx,
                "per_node_capacity",
                format!(
                    "must be finite and > 0, got {}",
                    aiops_core::Num(self.per_node_capacity)
                ),
            ));
        }
        if !(self.target_utilisation > 0.0 && self.target_utilisation <= 1.0) {
            return Err(Error::field(
                ctx,
                "target_utilisation",
                format!(
                    "must be in (0, 1], got {}",
                    aiops_core::Num(self.target_utilisation)
                ),
            ));
        }
        if !(self.scale_in_margin >= 0.0 && self.scale_in_margin < 1.0) {
            return Err(Error::field(
                ctx,
                "scale_in_margin",
                format!(
                    "must be in [0, 1), got {}",
                    aiops_core::Num(self.scale_in_margin)
                ),
            ));
        }
        if let Some(cap) = self.max_nodes_cap
            && cap < self.min_nodes_floor.max(1)
        {
            return Err(Error::field(
                ctx,
                "max_nodes_cap",
                format!("{cap} is below the floor {}", self.min_nodes_floor.max(1)),
            ));
        }
        Ok(())
    }
}

/// One step of a step-scaling policy, with bounds relative to the alarm
/// threshold in utilisation percentage points (AWS
/// `metric_interval_lower_bound` / `metric_interval_upper_bound`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRule {
    /// Lower bound (inclusive); `None` is minus infinity.
    pub lower_bound: Option<f64>,
    /// Upper bound (exclusive); `None` is plus infinity.
    pub upper_bound: Option<f64>,
    /// Nodes to add (positive) or remove (negative).
    pub adjustment: i64,
}

/// A step-scaling policy: an alarm threshold and its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPolicy {
    /// `scale_out` or `scale_in`.
    pub name: String,
    /// Alarm threshold, average utilisation in percent.
    pub threshold_percent: f64,
    /// `GreaterThanOrEqualToThreshold` or `LessThanOrEqualToThreshold`.
    pub comparison: String,
    /// Steps, ordered by bound.
    pub steps: Vec<StepRule>,
}

/// The sizing of a scaling group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sizing {
    /// Smallest group size.
    pub min_nodes: u32,
    /// Largest group size.
    pub max_nodes: u32,
    /// Size to start at.
    pub desired_nodes: u32,
    /// Largest forecast mean.
    pub peak_mean: f64,
    /// Largest upper bound.
    pub peak_upper: f64,
    /// Smallest lower bound.
    pub trough_lower: f64,
    /// Utilisation at the peak upper bound with `max_nodes` (0 to 1+).
    pub peak_utilisation: f64,
    /// Scale-out policy.
    pub scale_out: StepPolicy,
    /// Scale-in policy.
    pub scale_in: StepPolicy,
    /// How each number was reached, one sentence each.
    pub reasoning: Vec<String>,
    /// The parameters used.
    pub params: CapacityParams,
}

fn nodes_for(load: f64, per_node_at_target: f64) -> u64 {
    // A tiny tolerance keeps exact multiples from rounding up.
    let x = load / per_node_at_target;
    (x - 1e-9).ceil().max(0.0) as u64
}

fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Sizes a scaling group for `forecast`.
///
/// * `min_nodes` serves the smallest lower bound at the target utilisation
///   (never below the floor);
/// * `max_nodes` serves the largest upper bound at the target utilisation
///   (never above the cap; the reasoning says what utilisation a cap
///   implies at the peak);
/// * `desired_nodes` serves the first step's mean, within `[min, max]`;
/// * scale-out adds nodes when utilisation reaches the target, in two
///   steps sized from the steepest rise of the upper bound between
///   consecutive forecast points; scale-in removes nodes below
///   `target × (1 − margin)`, sized from the steepest fall of the lower
///   bound.
///
/// # Errors
/// [`Error::InvalidField`] for invalid parameters.
pub fn size(forecast: &LoadForecast, params: &CapacityParams) -> Result<Sizing> {
    params.check()?;
    let eff = params.per_node_capacity * params.target_utilisation;
    let tpct = params.target_utilisation * 100.0;
    let mut reasoning = Vec::new();
    let fold = |v: &[f64], init: f64, f: fn(f64, f64) -> f64| v.iter().copied().fold(init, f);
    let peak_mean = fold(&forecast.mean, 0.0, f64::max);
    let peak_upper = fold(&forecast.upper, 0.0, f64::max);
    let trough_lower = fold(&forecast.lower, f64::INFINITY, f64::min);
    let peak_at = forecast
        .upper
        .iter()
        .position(|&u| u == peak_upper)
        .unwrap_or(0);
    reasoning.push(format!(
        "one node serves {} at {:.0}% target utilisation ({} × {})",
        fmt_num(eff),
        tpct,
        fmt_num(params.per_node_capacity),
        params.target_utilisation
    ));
    // Node counts are u32: a sizing that needs more is a unit mistake
    // (capacity in the wrong unit), not a plan; say so instead of saturating.
    let needed = peak_upper / eff;
    if !(needed.is_finite() && needed <= f64::from(u32::MAX)) {
        return Err(Error::InvalidForecast {
            name: forecast.name.clone(),
            message: format!(
                "the highest upper bound {} needs {needed:e} nodes of {} each: check the units of the load and of the per-node capacity",
                fmt_num(peak_upper),
                fmt_num(eff)
            ),
        });
    }
    let floor = params.min_nodes_floor.max(1);
    let min_raw = to_u32(nodes_for(trough_lower, eff));
    let mut min_nodes = min_raw.max(floor);
    reasoning.push(format!(
        "min {min_nodes}: the lowest lower bound {} needs {min_raw} node(s) at target{}",
        fmt_num(trough_lower),
        if min_raw < floor {
            format!(", raised to the floor {floor}")
        } else {
            String::new()
        }
    ));
    let max_raw = to_u32(nodes_for(peak_upper, eff)).max(min_nodes);
    let mut max_nodes = max_raw;
    reasoning.push(format!(
        "max {max_raw}: the highest upper bound {} (at {}) needs {max_raw} node(s) at target",
        fmt_num(peak_upper),
        forecast.timestamps[peak_at]
    ));
    if let Some(cap) = params.max_nodes_cap
        && max_nodes > cap
    {
        max_nodes = cap;
        min_nodes = min_nodes.min(cap);
        reasoning.push(format!(
            "max capped at {cap}: the peak upper bound would run at {:.0}% utilisation",
            100.0 * peak_upper / (f64::from(cap) * params.per_node_capacity)
        ));
    }
    let first = to_u32(nodes_for(forecast.mean[0], eff));
    let desired_nodes = first.clamp(min_nodes, max_nodes);
    reasoning.push(format!(
        "desired {desired_nodes}: the first forecast mean {} needs {first} node(s) at target{}",
        fmt_num(forecast.mean[0]),
        if desired_nodes != first {
            format!(", clamped to [{min_nodes}, {max_nodes}]")
        } else {
            String::new()
        }
    ));
    let peak_mean_nodes = nodes_for(peak_mean, eff);
    reasoning.push(format!(
        "the peak mean {} needs {peak_mean_nodes} node(s); scaling covers the rest of the range",
        fmt_num(peak_mean)
    ));
    let peak_utilisation = peak_upper / (f64::from(max_nodes) * params.per_node_capacity);
    // Steepest rise of the upper bound and fall of the lower bound between
    // consecutive points, in nodes.
    let rise = forecast
        .upper
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0, f64::max);
    let fall = forecast
        .lower
        .windows(2)
        .map(|w| w[0] - w[1])
        .fold(0.0, f64::max);
    let span = u64::from(max_nodes.saturating_sub(min_nodes)).max(1);
    let k_out = i64::try_from(nodes_for(rise, eff).clamp(1, span)).unwrap_or(1);
    let k_in = i64::try_from(((fall / eff).floor() as u64).clamp(1, span)).unwrap_or(1);
    let headroom = 100.0 - tpct;
    let out_steps = if k_out > 1 && headroom > 0.0 {
        vec![
            StepRule {
                lower_bound: Some(0.0),
                upper_bound: Some(headroom / 2.0),
                adjustment: (k_out + 1) / 2,
            },
            StepRule {
                lower_bound: Some(headroom / 2.0),
                upper_bound: None,
                adjustment: k_out,
            },
        ]
    } else {
        vec![StepRule {
            lower_bound: Some(0.0),
            upper_bound: None,
            adjustment: k_out,
        }]
    };
    reasoning.push(format!(
        "scale out at {:.0}% utilisation by up to {k_out} node(s): the upper bound rises by at most {} per step",
        tpct,
        fmt_num(rise)
    ));
    let in_threshold = tpct * (1.0 - params.scale_in_margin);
    let in_steps = if k_in > 1 {
        vec![
            StepRule {
                lower_bound: Some(-in_threshold / 2.0),
                upper_bound: Some(0.0),
                adjustment: -1,
            },
            StepRule {
                lower_bound: None,
                upper_bound: Some(-in_threshold / 2.0),
                adjustment: -k_in,
            },
        ]
    } else {
        vec![StepRule {
            lower_bound: None,
            upper_bound: Some(0.0),
            adjustment: -1,
        }]
    };
    reasoning.push(format!(
        "scale in below {:.0}% utilisation by up to {k_in} node(s): the lower bound falls by at most {} per step",
        in_threshold,
        fmt_num(fall)
    ));
    Ok(Sizing {
        min_nodes,
        max_nodes,
        desired_nodes,
        peak_mean,
        peak_upper,
        trough_lower,
        peak_utilisation,
        scale_out: StepPolicy {
            name: "scale_out".to_owned(),
            threshold_percent: tpct,
            comparison: "GreaterThanOrEqualToThreshold".to_owned(),
            steps: out_steps,
        },
        scale_in: StepPolicy {
            name: "scale_in".to_owned(),
            threshold_percent: in_threshold,
            comparison: "LessThanOrEqualToThreshold".to_owned(),
            steps: in_steps,
        },
        reasoning,
        params: params.clone(),
    })
}

fn fmt_num(x: f64) -> String {
    let places = if (x - x.round()).abs() < 1e-9 { 0 } else { 2 };
    aiops_core::Fixed(x, places).to_string()
}

/// The scaling group to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingGroup {
    /// Address of the group, e.g. `aws_autoscaling_group.app`.
    pub address: String,
    /// Attributes besides the sizes (name, launch template, subnets, ...).
    pub attributes: Attributes,
}

impl Default for ScalingGroup {
    fn default() -> Self {
        let mut attributes = Attributes::new();
        attributes.insert("name".to_owned(), json!("app"));
        ScalingGroup {
            address: "aws_autoscaling_group.app".to_owned(),
            attributes,
        }
    }
}

impl Sizing {
    /// The group resource (`min_size`, `max_size`, `desired_capacity` set)
    /// and, per policy, an `aws_autoscaling_policy` (`StepScaling`) and the
    /// `aws_cloudwatch_metric_alarm` that triggers it.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for a bad group address.
    pub fn resources(&self, group: &ScalingGroup) -> Result<Vec<Resource>> {
        let mut g = Resource::new(&group.address)?;
        g.attributes = group.attributes.clone();
        g.attributes
            .insert("min_size".to_owned(), json!(self.min_nodes));
        g.attributes
            .insert("max_size".to_owned(), json!(self.max_nodes));
        g.attributes
            .insert("desired_capacity".to_owned(), json!(self.desired_nodes));
        g = g.force_new(["name"]);
        let parts = crate::resource::parse_address(&group.address)?;
        let base = parts.name.replace(['[', ']', '"'], "_");
        let group_ref = if group.attributes.contains_key("name") {
            format!("${{{}.name}}", group.address)
        } else {
            format!("${{{}.id}}", group.address)
        };
        let mut out = vec![g];
        for p in [&self.scale_out, &self.scale_in] {
            let pol_addr = format!("aws_autoscaling_policy.{base}_{}", p.name);
            let steps: Vec<Value> = p
                .steps
                .iter()
                .map(|s| {
                    let mut m = serde_json::Map::new();
                    m.insert("scaling_adjustment".to_owned(), json!(s.adjustment));
                    if let Some(l) = s.lower_bound {
                        m.insert("metric_interval_lower_bound".to_owned(), json!(l));
                    }
                    if let Some(u) = s.upper_bound {
                        m.insert("metric_interval_upper_bound".to_owned(), json!(u));
                    }
                    Value::Object(m)
                })
                .collect();
            out.push(
                Resource::new(&pol_addr)?
                    .attr(
                        "name",
                        json!(format!("{base}-{}", p.name.replace('_', "-"))),
                    )
                    .attr("autoscaling_group_name", json!(group_ref))
                    .attr("policy_type", json!("StepScaling"))
                    .attr("adjustment_type", json!("ChangeInCapacity"))
                    .attr("metric_aggregation_type", json!("Average"))
                    .attr("step_adjustment", Value::Array(steps)),
            );
            out.push(
                Resource::new(&format!("aws_cloudwatch_metric_alarm.{base}_{}", p.name))?
                    .attr(
                        "alarm_name",
                        json!(format!("{base}-{}", p.name.replace('_', "-"))),
                    )
                    .attr("namespace", json!("AWS/EC2"))
                    .attr("metric_name", json!("CPUUtilization"))
                    .attr("statistic", json!("Average"))
                    .attr("period", json!(60))
                    .attr("evaluation_periods", json!(2))
                    .attr(
                        "threshold",
                        json!((p.threshold_percent * 100.0).round() / 100.0),
                    )
                    .attr("comparison_operator", json!(p.comparison))
                    .attr("dimensions", json!({"AutoScalingGroupName": group_ref}))
                    .attr("alarm_actions", json!([format!("${{{pol_addr}.arn}}")])),
            );
        }
        Ok(out)
    }

    /// The sizing as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The sizing as readable text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "nodes: min {}  desired {}  max {}   (peak mean {}, peak upper {}, trough lower {}; peak utilisation at max {:.0}%)\n",
            self.min_nodes,
            self.desired_nodes,
            self.max_nodes,
            fmt_num(self.peak_mean),
            fmt_num(self.peak_upper),
            fmt_num(self.trough_lower),
            self.peak_utilisation * 100.0
        );
        for p in [&self.scale_out, &self.scale_in] {
            let op = if p.comparison.starts_with("Greater") {
                ">="
            } else {
                "<="
            };
            let _ = writeln!(
                s,
                "{}: when utilisation {op} {:.0}%",
                p.name, p.threshold_percent
            );
            for st in &p.steps {
                let lo = st
                    .lower_bound
                    .map_or("-inf".to_owned(), |x| format!("{:+.1}", x));
                let hi = st
                    .upper_bound
                    .map_or("+inf".to_owned(), |x| format!("{:+.1}", x));
                let _ = writeln!(s, "  [{lo}, {hi}) points -> {:+} node(s)", st.adjustment);
            }
        }
        s.push_str("reasoning:\n");
        for r in &self.reasoning {
            let _ = writeln!(s, "  - {r}");
        }
        s
    }
}

/// A sizing and the plan that applies it.
#[derive(Debug, Clone)]
pub struct CapacityPlan {
    /// The sizing.
    pub sizing: Sizing,
    /// The configuration of the group, policies and alarms.
    pub config: Config,
    /// The plan against the given state.
    pub plan: Plan,
}

impl CapacityPlan {
    /// Sizing and plan as text.
    pub fn to_text(&self) -> String {
        format!("{}\n{}", self.sizing.to_text(), self.plan.to_text())
    }
    /// `{"sizing": ..., "plan": ...}`.
    pub fn to_json(&self) -> Value {
        json!({"sizing": self.sizing.to_json(), "plan": self.plan.to_json()})
    }
}

/// Sizes a group from `forecast` and plans its resources against `state`.
///
/// # Errors
/// As [`size`], [`Sizing::resources`], [`Config::new`] and [`plan`].
pub fn plan_capacity(
    forecast: &LoadForecast,
    params: &CapacityParams,
    group: &ScalingGroup,
    state: &State,
) -> Result<CapacityPlan> {
    let sizing = size(forecast, params)?;
    let config = Config::new(sizing.resources(group)?)?;
    let plan = plan(&config, state)?;
    Ok(CapacityPlan {
        sizing,
        config,
        plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(mean: &[f64], half: f64) -> LoadForecast {
        let ts = (0..mean.len() as i64)
            .map(|i| Timestamp::from_millis(i * 3_600_000))
            .collect();
        LoadForecast::new(
            "t",
            ts,
            mean.to_vec(),
            mean.iter().map(|m| (m - half).max(0.0)).collect(),
            mean.iter().map(|m| m + half).collect(),
        )
        .unwrap()
    }

    #[test]
    fn sizes_from_interval() {
        // per node 100 at 0.5 -> 50 per node
        let f = fc(&[200.0, 400.0, 1000.0, 600.0, 100.0], 100.0);
        let s = size(&f, &CapacityParams::new(100.0, 0.5)).unwrap();
        assert_eq!(s.min_nodes, 1); // lowest lower 0
        assert_eq!(s.max_nodes, 22); // 1100 / 50
        assert_eq!(s.desired_nodes, 4); // 200 / 50
        // steepest rise of upper: 600 per step -> 12 nodes
        assert_eq!(s.scale_out.steps.last().unwrap().adjustment, 12);
        // steepest fall of lower: 500 -> 10 nodes
        assert_eq!(s.scale_in.steps.last().unwrap().adjustment, -10);
        assert!(s.reasoning.len() >= 6);
        assert!((s.peak_utilisation - 0.5).abs() < 1e-9);
    }

    #[test]
    fn cap_and_bad_input() {
        let f = fc(&[1000.0], 0.0);
        let mut p = CapacityParams::new(100.0, 0.8);
        p.max_nodes_cap = Some(5);
        let s = size(&f, &p).unwrap();
        assert_eq!((s.min_nodes, s.max_nodes, s.desired_nodes), (5, 5, 5));
        assert!(s.reasoning.iter().any(|r| r.contains("200%")));
        assert!(size(&f, &CapacityParams::new(0.0, 0.5)).is_err());
        assert!(size(&f, &CapacityParams::new(1.0, 1.5)).is_err());
        let ts = vec![Timestamp::from_millis(0)];
        assert!(LoadForecast::new("x", ts.clone(), vec![1.0], vec![2.0], vec![3.0]).is_err());
        assert!(LoadForecast::new("x", ts, vec![f64::NAN], vec![0.0], vec![3.0]).is_err());
    }

    #[test]
    fn reads_csv_and_plans_group() {
        let csv = "timestamp,mean,lower,upper\n2024-01-01 00:00:00,100,80,120\n2024-01-01 01:00:00,300,250,350\n";
        let f = LoadForecast::from_csv_str("load.csv", csv).unwrap();
        assert_eq!(f.len(), 2);
        let cp = plan_capacity(
            &f,
            &CapacityParams::new(50.0, 0.5),
            &ScalingGroup::default(),
            &State::new(),
        )
        .unwrap();
        assert_eq!(cp.plan.counts().create, 5);
        let g = cp.plan.change("aws_autoscaling_group.app").unwrap();
        assert_eq!(g.after.as_ref().unwrap()["max_size"], json!(14));
        let a = cp
            .plan
            .change("aws_cloudwatch_metric_alarm.app_scale_out")
            .unwrap();
        assert_eq!(a.after_unknown, vec!["alarm_actions"]);
        let bad = "timestamp,mean\n2024-01-01 00:00:00,\n";
        assert!(LoadForecast::from_csv_str("b.csv", bad).is_err());
    }
}
