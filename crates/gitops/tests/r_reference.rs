//! The Mann-Whitney test against R's `wilcox.test(x, y, conf.int = TRUE,
//! conf.level = 0.98, exact = FALSE, correct = TRUE)` on the fixtures written
//! by `tests/fixtures/make_fixtures.R` (output in `wilcox_reference.txt`).
//!
//! U (R's W) and the p-value must match within 1e-6. The estimate and the
//! interval ends are roots R finds with `uniroot(..., tol = 1e-4)`, so R's
//! own values are only determined to within that tolerance of the true jump
//! of the step-shaped rank statistic; the target is therefore 1e-4. (Because
//! the crate replays R's zeroin iteration for iteration, the observed
//! differences are far smaller; the test prints the largest.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken fixtures"
)]

use aiops_gitops::mann_whitney;

struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    w: f64,
    p: f64,
    estimate: f64,
    ci: (f64, f64),
}

fn parse_nums(rest: &str) -> Vec<f64> {
    rest.split_whitespace()
        .map(|t| t.parse().expect("number"))
        .collect()
}

fn cases() -> Vec<Case> {
    let text = include_str!("fixtures/wilcox_reference.txt");
    let mut out = Vec::new();
    let mut cur: Option<Case> = None;
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "case" => {
                cur = Some(Case {
                    name: rest.trim().to_owned(),
                    x: vec![],
                    y: vec![],
                    w: f64::NAN,
                    p: f64::NAN,
                    estimate: f64::NAN,
                    ci: (f64::NAN, f64::NAN),
                })
            }
            "x" => cur.as_mut().unwrap().x = parse_nums(rest),
            "y" => cur.as_mut().unwrap().y = parse_nums(rest),
            "w" => cur.as_mut().unwrap().w = parse_nums(rest)[0],
            "p" => cur.as_mut().unwrap().p = parse_nums(rest)[0],
            "estimate" => cur.as_mut().unwrap().estimate = parse_nums(rest)[0],
            "ci" => {
                let v = parse_nums(rest);
                cur.as_mut().unwrap().ci = (v[0], v[1]);
            }
            "end" => out.push(cur.take().unwrap()),
            _ => {}
        }
    }
    out
}

#[test]
fn matches_r_wilcox_test() {
    let cases = cases();
    assert!(cases.len() >= 10, "fixture file has {} cases", cases.len());
    let mut worst_root = 0.0f64;
    for c in &cases {
        let r = mann_whitney(&c.name, &c.x, &c.y, 0.98).unwrap();
        assert!(
            (r.u - c.w).abs() <= 1e-6,
            "{}: U {} vs R {}",
            c.name,
            r.u,
            c.w
        );
        assert!(
            (r.p_value - c.p).abs() <= 1e-6,
            "{}: p {} vs R {}",
            c.name,
            r.p_value,
            c.p
        );
        for (what, ours, theirs) in [
            ("estimate", r.estimate, c.estimate),
            ("ci_low", r.ci_low, c.ci.0),
            ("ci_high", r.ci_high, c.ci.1),
        ] {
            let d = (ours - theirs).abs();
            worst_root = worst_root.max(d);
            assert!(
                d <= 1e-4,
                "{}: {what} {ours} vs R {theirs} (diff {d})",
                c.name
            );
        }
    }
    println!("largest root difference from R: {worst_root:e}");
}
