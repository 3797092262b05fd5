//! Root-cause ranking on seeded synthetic fixtures where the answer is known,
//! including a quiet callee of a loud caller, plus the bad-input errors.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly"
)]

use aiops_core::Timestamp;
use aiops_remediation::{DependencyGraph, Error, RcaParams, ServiceMetrics, rank_root_causes};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 240;
const START: usize = 180;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Latency of each service = own base + noise + (for callers) a share of each
/// callee's latency; `fault` adds `size` to one service's own latency after
/// START. `amplify` multiplies what callers inherit (timeouts and retries
/// make a caller's symptom louder than its callee's).
struct Fixture {
    edges: Vec<(&'static str, &'static str)>,
    services: Vec<&'static str>,
}

impl Fixture {
    fn shop() -> Self {
        Fixture {
            edges: vec![
                ("frontend", "api"),
                ("frontend", "auth"),
                ("api", "db"),
                ("api", "cache"),
                ("auth", "db:replica"),
            ],
            services: vec!["frontend", "api", "auth", "db", "cache", "db:replica"],
        }
    }

    fn metrics_csv(&self, seed: u64, fault: &str, size: f64, amplify: f64) -> String {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = String::from("timestamp");
        for s in &self.services {
            out.push_str(&format!(",{s}:latency_ms,{s}:cpu"));
        }
        out.push('\n');
        // Topological order: callees before callers (reverse of listing).
        for t in 0..N {
            // Shifts propagate amplified (timeouts, retries); noise only damped.
            let mut noise: std::collections::HashMap<&str, f64> = Default::default();
            let mut shift: std::collections::HashMap<&str, f64> = Default::default();
            let mut lat: std::collections::HashMap<&str, f64> = Default::default();
            for s in self.services.iter().rev() {
                let mut n = normal(&mut rng);
                let mut sh = if *s == fault && t >= START { size } else { 0.0 };
                for (from, to) in &self.edges {
                    if from == s {
                        n += 0.3 * noise.get(to).copied().unwrap_or(0.0);
                        sh += amplify * shift.get(to).copied().unwrap_or(0.0);
                    }
                }
                noise.insert(s, n);
                shift.insert(s, sh);
                lat.insert(s, 20.0 + n + sh);
            }
            out.push_str(&format!("{}", 1_700_000_000 + 60 * t as i64));
            for s in &self.services {
                let cpu = 0.4 + 0.02 * normal(&mut rng);
                // A missing cell now and then: kept as NaN, never fatal.
                if t % 37 == 5 && *s == "auth" {
                    out.push_str(&format!(",,{cpu:.4}"));
                } else {
                    out.push_str(&format!(",{:.4},{cpu:.4}", lat[s]));
                }
            }
            out.push('\n');
        }
        out
    }

    fn graph(&self) -> DependencyGraph {
        DependencyGraph::from_edges(self.edges.iter().copied()).expect("graph")
    }
}

fn start() -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + 60 * START as i64)
}

fn top(fx: &Fixture, csv: &str) -> Vec<(String, f64)> {
    let m = ServiceMetrics::from_wide_csv_str("fixture", csv).expect("metrics");
    rank_root_causes(&fx.graph(), &m, start(), &RcaParams::default())
        .expect("rank")
        .into_iter()
        .map(|r| (r.service, r.score))
        .collect()
}

#[test]
fn quiet_callee_of_a_loud_caller_ranks_first() {
    let fx = Fixture::shop();
    for seed in 0..20 {
        // db shifts by 8 ms (8 sigma); api inherits it amplified 6x, frontend 36x.
        let csv = fx.metrics_csv(seed, "db", 8.0, 6.0);
        let ranking = top(&fx, &csv);
        assert_eq!(ranking[0].0, "db", "seed {seed}: {ranking:?}");
        // Scores are a distribution.
        let sum: f64 = ranking.iter().map(|r| r.1).sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }
    // Ranking by anomaly alone would have picked the loud caller.
    let m = ServiceMetrics::from_wide_csv_str("f", &fx.metrics_csv(0, "db", 8.0, 6.0)).expect("m");
    let r = rank_root_causes(&fx.graph(), &m, start(), &RcaParams::default()).expect("rank");
    let loudest = r
        .iter()
        .max_by(|a, b| a.z.total_cmp(&b.z))
        .map(|x| x.service.clone());
    assert_eq!(loudest.as_deref(), Some("frontend"));
}

#[test]
fn a_caller_with_healthy_callees_is_its_own_root_cause() {
    let fx = Fixture::shop();
    for seed in 0..20 {
        let csv = fx.metrics_csv(100 + seed, "api", 30.0, 1.0);
        let ranking = top(&fx, &csv);
        assert_eq!(ranking[0].0, "api", "seed {seed}: {ranking:?}");
    }
}

#[test]
fn leaf_and_colon_named_services_are_found() {
    let fx = Fixture::shop();
    for (seed, fault) in [(7, "cache"), (8, "db:replica"), (9, "auth")] {
        let csv = fx.metrics_csv(seed, fault, 10.0, 3.0);
        let ranking = top(&fx, &csv);
        assert_eq!(ranking[0].0, fault, "{ranking:?}");
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let fx = Fixture::shop();
    let csv = fx.metrics_csv(1, "db", 8.0, 2.0);
    let m = ServiceMetrics::from_wide_csv_str("f", &csv).expect("m");
    // A graph node without metrics.
    let g = DependencyGraph::from_edges([("frontend", "payments")]).expect("graph");
    match rank_root_causes(&g, &m, start(), &RcaParams::default()) {
        Err(Error::MissingService { service }) => assert_eq!(service, "payments"),
        other => panic!("{other:?}"),
    }
    // A start before any baseline.
    let early = Timestamp::from_secs(1_700_000_000 + 60);
    assert!(matches!(
        rank_root_causes(&fx.graph(), &m, early, &RcaParams::default()),
        Err(Error::MetricWindow { .. })
    ));
    // A start after the data.
    let late = Timestamp::from_secs(1_800_000_000);
    assert!(matches!(
        rank_root_causes(&fx.graph(), &m, late, &RcaParams::default()),
        Err(Error::MetricWindow { .. })
    ));
    // Bad parameters.
    let p = RcaParams {
        damping: 1.5,
        ..RcaParams::default()
    };
    assert!(matches!(
        rank_root_causes(&fx.graph(), &m, start(), &p),
        Err(Error::Config { .. })
    ));
}

#[test]
fn shipped_fixture_files_rank_the_known_root_cause() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let g = DependencyGraph::from_csv_path(dir.join("rca_edges.csv")).expect("edges");
    let m = ServiceMetrics::from_wide_csv(dir.join("rca_metrics.csv")).expect("metrics");
    let start = Timestamp::parse("2024-05-01T03:00:00Z").expect("ts");
    let r = rank_root_causes(&g, &m, start, &RcaParams::default()).expect("rank");
    assert_eq!(r[0].service, "db", "{r:?}");
}

/// The shipped fixture: graph, metrics CSV text and incident start.
fn shipped_fixture() -> (DependencyGraph, String, Timestamp) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let g = DependencyGraph::from_csv_path(dir.join("rca_edges.csv")).expect("edges");
    let text = std::fs::read_to_string(dir.join("rca_metrics.csv")).expect("metrics");
    let start = Timestamp::parse("2024-05-01T03:00:00Z").expect("ts");
    (g, text, start)
}

/// `text` with `column` set to `value` on the data row whose timestamp is
/// `at`; panics when the row or column is missing.
fn with_cell(text: &str, column: &str, at: &str, value: &str) -> String {
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == column).expect("column");
    let mut found = false;
    let out = text
        .lines()
        .map(|l| {
            if l.starts_with(at) {
                found = true;
                let mut f: Vec<&str> = l.split(',').collect();
                f[col] = value;
                f.join(",") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(found, "no row at {at}");
    out
}

#[test]
fn one_absurd_baseline_sample_does_not_change_the_ranking() {
    // The shipped fixture with db:latency_ms set to 1e300 on its tenth data
    // row, long before the incident: Pearson's correlation turned NaN and db
    // fell from first to third; ranks move by one sample.
    let (g, text, start) = shipped_fixture();
    let glitched = with_cell(&text, "db:latency_ms", "2024-05-01T01:09:00Z", "1e300");
    let clean = ServiceMetrics::from_wide_csv_str("clean", &text).expect("metrics");
    let dirty = ServiceMetrics::from_wide_csv_str("glitch", &glitched).expect("metrics");
    let a = rank_root_causes(&g, &clean, start, &RcaParams::default()).expect("rank");
    let b = rank_root_causes(&g, &dirty, start, &RcaParams::default()).expect("rank");
    let names = |r: &[aiops_remediation::RankedService]| -> Vec<String> {
        r.iter().map(|c| c.service.clone()).collect()
    };
    assert_eq!(names(&a), names(&b), "{a:?}\n{b:?}");
    assert_eq!(b[0].service, "db");
    assert!(b.iter().all(|c| c.score.is_finite()), "{b:?}");
}

#[test]
fn one_sample_after_the_start_does_not_take_first_place() {
    // search:latency_ms at 10x normal (and at 1e300) for one sample at
    // 03:09: it ranked first; evidence is now the second largest deviation.
    let (g, text, start) = shipped_fixture();
    for glitch in ["200", "1e300"] {
        let glitched = with_cell(&text, "search:latency_ms", "2024-05-01T03:09:00Z", glitch);
        let m = ServiceMetrics::from_wide_csv_str("glitch", &glitched).expect("metrics");
        let r = rank_root_causes(&g, &m, start, &RcaParams::default()).expect("rank");
        assert_eq!(r[0].service, "db", "{glitch}: {r:?}");
    }
}
