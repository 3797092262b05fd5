//! Root-cause ranking over a service dependency graph.
//!
//! # Method
//!
//! 1. **Change-point evidence per service** (the BARO family's robust
//!    scaling): for each metric, fit a robust scale on the baseline before
//!    the incident start (median, and IQR/1.349, falling back to 1.4826·MAD
//!    and then 0.1 % of the median when the baseline is flat) and take the
//!    second largest scaled deviation `z` after the start (the largest when
//!    there is one point: a change lasts more than one sample, and one glitch
//!    must not outrank it). A service's evidence is
//!    its most deviating metric, mapped to an anomaly weight
//!    `a = max(0, z − z_floor) / (max(0, z − z_floor) + z_scale)` in [0, 1)
//!    so ordinary noise (`z ≤ z_floor`) carries none.
//! 2. **Propagation** (MicroRCA's personalised random walk): faults travel
//!    from callee to caller (a caller times out because its callee is slow),
//!    so the walk goes the other way, from symptoms towards causes. From a
//!    caller `u` to its callee `v` the weight is `s_v · |ρ(u, v)|`, where ρ is
//!    the Spearman (rank) correlation of the two services' evidence metrics
//!    over the window (MicroRCA uses Pearson's, which one glitch of 1e300
//!    turns into NaN) and `s_v = x/(x + edge_z_scale)` with `x = max(0, z_v − z_floor)`
//!    says how clearly `v` changed at all (a callee whose change is small in
//!    absolute terms but clearly significant still explains a correlated
//!    caller: that is what lets a quiet callee beat its loud caller); back
//!    from `v` to `u` it is `backward · a_u · |ρ(u, v)|`; and a service keeps
//!    `a_u · (1 − max forward weight)` on itself: anomaly its callees do not
//!    explain. Rows are normalised; the walk restarts with
//!    probability `1 − damping` at a service chosen in proportion to its
//!    anomaly weight.
//! 3. **Score**: the stationary visit probability (power iteration). A quiet
//!    but anomalous callee of a loud caller collects the caller's walk and
//!    ranks first; a healthy callee (a = 0) receives nothing, so a caller
//!    whose callees are healthy keeps its own mass. Ties go to the earlier
//!    change onset, then the name.
//!
//! Rejected: ranking by anomaly alone (the loud caller wins, the classic
//! failure), and a plain PageRank on the call graph (it rewards popular
//! callees whether anomalous or not).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use aiops_core::{TimeSeries, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, config};

/// A service dependency graph: `from → to` means `from` calls `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct DependencyGraph {
    services: Vec<String>,
    index: HashMap<String, usize>,
    edges: Vec<(usize, usize)>,
}

impl DependencyGraph {
    /// Builds a graph from `(caller, callee)` pairs. Self-loops and
    /// duplicate edges are errors naming the 1-based position.
    pub fn from_edges<I, S>(edges: I) -> Result<Self>
    where
        I: IntoIterator<Item = (S, S)>,
        S: Into<String>,
    {
        let mut g = DependencyGraph {
            services: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
        };
        let mut seen = HashSet::new();
        for (i, (f, t)) in edges.into_iter().enumerate() {
            g.add_edge("edges", i as u64 + 1, f.into(), t.into(), &mut seen)?;
        }
        Ok(g)
    }

    fn node(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.services.push(name.to_owned());
        self.index.insert(name.to_owned(), self.services.len() - 1);
        self.services.len() - 1
    }

    fn add_edge(
        &mut self,
        source: &str,
        line: u64,
        from: String,
        to: String,
        seen: &mut HashSet<(usize, usize)>,
    ) -> Result<()> {
        let err = |message: String| Error::Graph {
            source_name: source.to_owned(),
            line,
            message,
        };
        let (from, to) = (from.trim().to_owned(), to.trim().to_owned());
        if from.is_empty() || to.is_empty() {
            return Err(err("empty service name".to_owned()));
        }
        if from == to {
            return Err(err(format!("self-loop on `{from}`")));
        }
        let (f, t) = (self.node(&from), self.node(&to));
        if !seen.insert((f, t)) {
            return Err(err(format!("duplicate edge `{from}` -> `{to}`")));
        }
        self.edges.push((f, t));
        Ok(())
    }

    /// Reads a `from,to` CSV (header required); `name` labels errors.
    pub fn from_csv_reader<R: Read>(name: &str, reader: R) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let mut g = DependencyGraph {
            services: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
        };
        let mut seen = HashSet::new();
        let mut header_done = false;
        for rec in rdr.records() {
            let rec = rec.map_err(|e| Error::Graph {
                source_name: name.to_owned(),
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(str::is_empty) {
                continue;
            }
            if !header_done {
                header_done = true;
                let h: Vec<String> = rec
                    .iter()
                    .map(|s| s.trim_start_matches('\u{feff}').to_ascii_lowercase())
                    .collect();
                if h != ["from", "to"] {
                    return Err(Error::Graph {
                        source_name: name.to_owned(),
                        line,
                        message: format!("header is {h:?}; expected `from,to`"),
                    });
                }
                continue;
            }
            if rec.len() != 2 {
                return Err(Error::Graph {
                    source_name: name.to_owned(),
                    line,
                    message: format!("row has {} column(s); expected 2 (from,to)", rec.len()),
                });
            }
            g.add_edge(name, line, rec[0].to_owned(), rec[1].to_owned(), &mut seen)?;
        }
        if !header_done {
            return Err(Error::Graph {
                source_name: name.to_owned(),
                line: 1,
                message: "empty input: expected a `from,to` header".to_owned(),
            });
        }
        Ok(g)
    }

    /// Reads a `from,to` CSV held in memory.
    pub fn from_csv_str(name: &str, text: &str) -> Result<Self> {
        Self::from_csv_reader(name, text.as_bytes())
    }

    /// Reads a `from,to` CSV file.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_csv_reader(&path.display().to_string(), f)
    }

    /// Services, in first-seen order.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// Edges as (caller index, callee index).
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }
}

/// Metric series grouped by service: a column `svc:metric` belongs to `svc`
/// (split on the last colon, so service names may contain colons).
#[derive(Debug, Clone, Default)]
pub struct ServiceMetrics {
    by_service: BTreeMap<String, Vec<(String, TimeSeries)>>,
}

impl ServiceMetrics {
    /// Groups series named `<service>:<metric>`.
    pub fn from_series(series: Vec<TimeSeries>) -> Result<Self> {
        let mut m = ServiceMetrics::default();
        for s in series {
            let name = s.key().name().to_owned();
            let (svc, metric) = name
                .rsplit_once(':')
                .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
                .ok_or_else(|| Error::MetricColumn {
                    column: name.clone(),
                })?;
            m.by_service
                .entry(svc.trim().to_owned())
                .or_default()
                .push((metric.trim().to_owned(), s));
        }
        Ok(m)
    }

    /// Reads a wide CSV (`timestamp,<service>:<metric>,...`).
    pub fn from_wide_csv(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_series(aiops_core::read_wide_csv(path)?)
    }

    /// Reads a wide CSV held in memory.
    pub fn from_wide_csv_str(name: &str, text: &str) -> Result<Self> {
        Self::from_series(aiops_core::read_wide_csv_str(name, text)?)
    }

    /// Service names, sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.by_service.keys().map(String::as_str)
    }
}

/// Parameters of the ranking. `Default` gives the documented method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RcaParams {
    /// Probability of following an edge rather than restarting (0, 1).
    pub damping: f64,
    /// Weight of callee → caller moves relative to caller → callee, [0, 1].
    pub backward: f64,
    /// Scaled deviation treated as noise.
    pub z_floor: f64,
    /// Scaled deviation above the floor at which the anomaly weight is 0.5.
    pub z_scale: f64,
    /// Scaled deviation above the floor at which a callee explains half of
    /// a correlated caller's anomaly (forward edge weight 0.5·|ρ|).
    pub edge_z_scale: f64,
    /// Baseline length before the start in ms; `None` = everything before.
    pub baseline_ms: Option<i64>,
    /// Analysis window after the start in ms; `None` = everything after.
    pub window_ms: Option<i64>,
    /// Power-iteration limit.
    pub max_iter: usize,
    /// Convergence tolerance (L1).
    pub tol: f64,
}

impl Default for RcaParams {
    fn default() -> Self {
        RcaParams {
            damping: 0.85,
            backward: 0.3,
            z_floor: 3.0,
            z_scale: 6.0,
            edge_z_scale: 1.0,
            baseline_ms: None,
            window_ms: None,
            max_iter: 500,
            tol: 1e-12,
        }
    }
}

impl RcaParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        if !(self.damping > 0.0 && self.damping < 1.0) {
            return Err(config("rca.damping", "must be in (0, 1)"));
        }
        if !(0.0..=1.0).contains(&self.backward) {
            return Err(config("rca.backward", "must be in [0, 1]"));
        }
        if !(self.z_floor.is_finite() && self.z_floor >= 0.0) {
            return Err(config("rca.z_floor", "must be finite and non-negative"));
        }
        if !(self.z_scale.is_finite() && self.z_scale > 0.0) {
            return Err(config("rca.z_scale", "must be positive"));
        }
        if !(self.edge_z_scale.is_finite() && self.edge_z_scale > 0.0) {
            return Err(config("rca.edge_z_scale", "must be positive"));
        }
        if self.baseline_ms.is_some_and(|b| b <= 0) {
            return Err(config("rca.baseline_ms", "must be positive"));
        }
        if self.window_ms.is_some_and(|b| b <= 0) {
            return Err(config("rca.window_ms", "must be positive"));
        }
        if self.max_iter == 0 || self.tol.is_nan() || self.tol <= 0.0 {
            return Err(config("rca.max_iter", "max_iter and tol must be positive"));
        }
        Ok(self)
    }
}

/// One ranked service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedService {
    /// Service name.
    pub service: String,
    /// Stationary probability of the walk (scores sum to 1).
    pub score: f64,
    /// Anomaly weight in [0, 1) from its own metrics.
    pub anomaly: f64,
    /// Second largest scaled deviation after the start (the largest when
    /// there is a single point after it).
    pub z: f64,
    /// The metric with that deviation.
    pub metric: String,
    /// First time after the start the deviation exceeded `z_floor`.
    pub onset: Option<Timestamp>,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Robust centre and scale of a baseline (finite values, at least 3).
fn robust_fit(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let med = median(values);
    let iqr = quantile(values, 0.75) - quantile(values, 0.25);
    let mut dev: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = median(&dev);
    let scale = (iqr / 1.349)
        .max(1.4826 * mad)
        .max(1e-3 * med.abs())
        .max(1e-9);
    (med, scale)
}

struct Evidence {
    z: f64,
    metric: String,
    onset: Option<Timestamp>,
    series: usize,
}

/// Spearman's rank correlation of `a` and `b` over `[lo, hi]` (timestamps
/// joined, pairs with a missing value skipped): Pearson's on average ranks, so
/// one absurd sample (a 1e300 glitch) moves it by one rank, not to NaN.
fn spearman(a: &TimeSeries, b: &TimeSeries, lo: Timestamp, hi: Timestamp) -> f64 {
    // Merge-join on timestamps; NaN pairs skipped.
    let (ta, va, tb, vb) = (a.timestamps(), a.values(), b.timestamps(), b.values());
    let (mut i, mut j) = (0, 0);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    while i < ta.len() && j < tb.len() {
        match ta[i].cmp(&tb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (x, y) = (va[i], vb[j]);
                if ta[i] >= lo && ta[i] <= hi && x.is_finite() && y.is_finite() {
                    xs.push(x);
                    ys.push(y);
                }
                i += 1;
                j += 1;
            }
        }
    }
    if xs.len() < 3 {
        return 0.0;
    }
    let (rx, ry) = (average_ranks(&xs), average_ranks(&ys));
    let n = rx.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut cov, mut vx, mut vy) = (0.0, 0.0, 0.0);
    for (x, y) in rx.iter().zip(&ry) {
        let (dx, dy) = (x - mean, y - mean);
        cov += dx * dy;
        vx += dx * dx;
        vy += dy * dy;
    }
    if vx <= 0.0 || vy <= 0.0 {
        return 0.0;
    }
    (cov / (vx * vy).sqrt()).clamp(-1.0, 1.0)
}

/// 1-based ranks of `v` (finite values), ties sharing their average rank.
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut k = 0;
    while k < order.len() {
        let mut e = k + 1;
        while e < order.len() && v[order[e]] == v[order[k]] {
            e += 1;
        }
        // Positions k..e (0-based) share the rank (k + 1 + e) / 2.
        let r = (k + 1 + e) as f64 / 2.0;
        for &o in &order[k..e] {
            ranks[o] = r;
        }
        k = e;
    }
    ranks
}

/// Ranks the services of `graph` (plus services that only have metrics) as
/// likely root causes of an incident starting at `start`, best first.
///
/// Errors: a graph service without metrics ([`Error::MissingService`]), a
/// metric without enough baseline (3 finite points) before `start` or no
/// point at or after it ([`Error::MetricWindow`]).
pub fn rank_root_causes(
    graph: &DependencyGraph,
    metrics: &ServiceMetrics,
    start: Timestamp,
    params: &RcaParams,
) -> Result<Vec<RankedService>> {
    let params = params.clone().check()?;
    for s in graph.services() {
        if !metrics.by_service.contains_key(s) {
            return Err(Error::MissingService { service: s.clone() });
        }
    }
    // Nodes: graph services, then metric-only services (isolated).
    let mut names: Vec<&str> = graph.services().iter().map(String::as_str).collect();
    for s in metrics.services() {
        if !graph.index.contains_key(s) {
            names.push(s);
        }
    }
    let n = names.len();
    if n == 0 {
        return Err(Error::MetricWindow {
            message: "no services to rank".to_owned(),
        });
    }
    let lo = params
        .baseline_ms
        .map_or(Timestamp::from_millis(i64::MIN), |b| start.add_millis(-b));
    let hi = params
        .window_ms
        .map_or(Timestamp::from_millis(i64::MAX), |w| start.add_millis(w));

    // 1. Evidence.
    let mut evidence = Vec::with_capacity(n);
    let mut buf = Vec::new();
    for name in &names {
        let list = &metrics.by_service[*name];
        let mut best: Option<Evidence> = None;
        for (k, (metric, s)) in list.iter().enumerate() {
            buf.clear();
            let mut post = 0usize;
            for (&at, &value) in s.timestamps().iter().zip(s.values()) {
                if value.is_finite() && at >= lo && at < start {
                    buf.push(value);
                } else if value.is_finite() && at >= start && at <= hi {
                    post += 1;
                }
            }
            let column = format!("{name}:{metric}");
            if buf.len() < 3 {
                return Err(Error::MetricWindow {
                    message: format!(
                        "`{column}` has {} finite point(s) before the start {start}; at least 3 are needed for a baseline",
                        buf.len()
                    ),
                });
            }
            if post == 0 {
                return Err(Error::MetricWindow {
                    message: format!(
                        "`{column}` has no finite point at or after the start {start}"
                    ),
                });
            }
            let (med, scale) = robust_fit(&mut buf);
            // The second largest deviation after the start (the largest when
            // there is one point): a change shows in more than one sample,
            // and one glitch must not outrank it.
            let (mut top, mut second) = (0.0f64, 0.0f64);
            let mut onset = None;
            for (&at, &value) in s.timestamps().iter().zip(s.values()) {
                if value.is_finite() && at >= start && at <= hi {
                    let d = (value - med).abs() / scale;
                    if d > params.z_floor && onset.is_none() {
                        onset = Some(at);
                    }
                    if d > top {
                        second = top;
                        top = d;
                    } else {
                        second = second.max(d);
                    }
                }
            }
            let z = if post >= 2 { second } else { top };
            if best.as_ref().is_none_or(|b| z > b.z) {
                best = Some(Evidence {
                    z,
                    metric: metric.clone(),
                    onset,
                    series: k,
                });
            }
        }
        match best {
            Some(b) => evidence.push(b),
            None => {
                return Err(Error::MissingService {
                    service: (*name).to_owned(),
                });
            }
        }
    }
    let anomaly: Vec<f64> = evidence
        .iter()
        .map(|e| {
            let x = (e.z - params.z_floor).max(0.0);
            x / (x + params.z_scale)
        })
        .collect();

    // 2. Transition weights.
    let series_of = |i: usize| &metrics.by_service[names[i]][evidence[i].series].1;
    let mut out_edges: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut max_forward = vec![0.0f64; n];
    // How far a callee's change is significant, however small in absolute
    // terms: the same shape as the anomaly weight with a scale of 1.
    let significant: Vec<f64> = evidence
        .iter()
        .map(|e| {
            let x = (e.z - params.z_floor).max(0.0);
            x / (x + params.edge_z_scale)
        })
        .collect();
    for &(u, v) in graph.edges() {
        let corr = spearman(series_of(u), series_of(v), lo, hi).abs();
        let fw = significant[v] * corr;
        let bw = params.backward * anomaly[u] * corr;
        out_edges[u].push((v, fw));
        out_edges[v].push((u, bw));
        max_forward[u] = max_forward[u].max(fw);
    }
    for u in 0..n {
        let self_w = anomaly[u] * (1.0 - max_forward[u]);
        out_edges[u].push((u, self_w));
        let total: f64 = out_edges[u].iter().map(|e| e.1).sum();
        if total > 0.0 {
            for e in &mut out_edges[u] {
                e.1 /= total;
            }
        } else {
            out_edges[u].clear(); // dangling: restarts
        }
    }
    let eps = 1e-6;
    let psum: f64 = anomaly.iter().map(|a| a + eps).sum();
    let p: Vec<f64> = anomaly.iter().map(|a| (a + eps) / psum).collect();

    // 3. Power iteration.
    let mut pi = p.clone();
    let mut next = vec![0.0; n];
    for _ in 0..params.max_iter {
        let mut dangling = 0.0;
        next.iter_mut().for_each(|x| *x = 0.0);
        for u in 0..n {
            if out_edges[u].is_empty() {
                dangling += pi[u];
            } else {
                for &(v, w) in &out_edges[u] {
                    next[v] += params.damping * pi[u] * w;
                }
            }
        }
        let restart = 1.0 - params.damping + params.damping * dangling;
        let mut diff = 0.0;
        for v in 0..n {
            next[v] += restart * p[v];
            diff += (next[v] - pi[v]).abs();
        }
        std::mem::swap(&mut pi, &mut next);
        if diff < params.tol {
            break;
        }
    }
    let total: f64 = pi.iter().sum();
    let mut ranked: Vec<RankedService> = (0..n)
        .map(|i| RankedService {
            service: names[i].to_owned(),
            score: if total > 0.0 { pi[i] / total } else { 0.0 },
            anomaly: anomaly[i],
            z: evidence[i].z,
            metric: evidence[i].metric.clone(),
            onset: evidence[i].onset,
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| match (a.onset, b.onset) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.service.cmp(&b.service))
    });
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_errors_name_the_line() {
        let e = DependencyGraph::from_csv_str("g", "from,to\na,b\nb,b\n");
        assert!(matches!(e, Err(Error::Graph { line: 3, .. })), "{e:?}");
        let e = DependencyGraph::from_csv_str("g", "from,to\na,b\na,b\n");
        assert!(matches!(e, Err(Error::Graph { line: 3, .. })));
        let e = DependencyGraph::from_csv_str("g", "src,dst\na,b\n");
        assert!(matches!(e, Err(Error::Graph { line: 1, .. })));
        let e = DependencyGraph::from_csv_str("g", "from,to\na,b,c\n");
        assert!(matches!(e, Err(Error::Graph { line: 2, .. })));
        let e = DependencyGraph::from_csv_str("g", "");
        assert!(matches!(e, Err(Error::Graph { .. })));
        assert!(DependencyGraph::from_edges([("x", "x")]).is_err());
    }

    #[test]
    fn robust_fit_handles_flat_baselines() {
        let mut flat = vec![5.0; 10];
        let (m, s) = robust_fit(&mut flat);
        assert_eq!(m, 5.0);
        assert!(s > 0.0);
    }

    #[test]
    fn columns_split_on_the_last_colon() -> Result<()> {
        let m = ServiceMetrics::from_wide_csv_str(
            "m",
            "timestamp,ns:svc:latency,b:cpu\n1,1,2\n2,1,2\n",
        )?;
        let s: Vec<&str> = m.services().collect();
        assert_eq!(s, ["b", "ns:svc"]);
        assert!(matches!(
            ServiceMetrics::from_wide_csv_str("m", "timestamp,nocolon\n1,1\n"),
            Err(Error::MetricColumn { .. })
        ));
        Ok(())
    }
}
