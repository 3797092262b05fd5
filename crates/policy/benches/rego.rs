//! Rego throughput: Gatekeeper admission reviews per second with the compiled
//! template reused (regorus).
//!
//! `cargo bench -p aiops-policy --features rego --bench rego`

#![allow(
    clippy::expect_used,
    reason = "bench setup on generated data; a failure must abort the bench"
)]

use std::hint::black_box;
use std::path::Path;

use aiops_policy::{Constraint, ConstraintTemplate};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

mod common;

fn load(dir: &str, constraint: &str) -> (ConstraintTemplate, Constraint) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gatekeeper")
        .join(dir);
    let t = std::fs::read_to_string(base.join("template.yaml")).expect("template");
    let c = std::fs::read_to_string(base.join(constraint)).expect("constraint");
    let t = ConstraintTemplate::from_yaml(dir, &t).expect("compile");
    let c = Constraint::from_yaml(dir, &c).expect("constraint");
    c.validate(&t).expect("valid");
    (t, c)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("rego_reviews");
    let objects: Vec<_> = common::manifests(1_000, 11)
        .into_iter()
        .filter(|o| o["kind"] == "Deployment" || o["kind"] == "StatefulSet")
        .collect();
    let empty = json!({});
    for (name, dir, constraint) in [
        (
            "requiredlabels_v0",
            "requiredlabels",
            "samples/constraint.yaml",
        ),
        ("allowedrepos_v0", "allowedrepos", "samples/constraint.yaml"),
        ("privileged_v1", "privileged", "samples/constraint.yaml"),
    ] {
        let (t, mut con) = load(dir, constraint);
        if dir == "allowedrepos" {
            // Review every object, not only the suite's namespaces.
            let text = "kind: K8sAllowedRepos\nmetadata: {name: repos}\nspec:\n  parameters:\n    repos: [\"registry.example.com/\"]\n";
            con = Constraint::from_yaml("c", text).expect("constraint");
        }
        g.throughput(Throughput::Elements(objects.len() as u64));
        g.bench_with_input(
            BenchmarkId::new(name, objects.len()),
            &objects,
            |b, objs| {
                b.iter(|| {
                    let mut n = 0;
                    for o in objs {
                        n += t.review(&con, black_box(o), &empty).expect("review").len();
                    }
                    black_box(n)
                });
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
