//! Planning and ordering large resource graphs.
//!
//! Each resource `r_i` references three distinct earlier resources (seeded
//! random), so `n` resources carry `3n` edges: 10,000 resources have
//! 30,000 edges. The "create" case plans against an empty state; the
//! "change" case plans against a state where every resource exists and one
//! in ten has a changed force-new attribute (replacements propagate
//! unknown ids to dependents).

#![allow(clippy::expect_used, reason = "a benchmark on generated, valid data")]

use std::hint::black_box;

use aiops_iac::{Config, Mode, Resource, ResourceState, State, plan};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// `n` resources with `3n` reference edges, and a state where they all exist.
pub fn graph(n: usize) -> (Vec<Resource>, State) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut resources = Vec::with_capacity(n);
    let mut state = State::new();
    for i in 0..n {
        let mut r = Resource::new(&format!("null_resource.r{i}"))
            .expect("valid address")
            .attr("size", json!(i % 17))
            .force_new(["zone"]);
        let mut picked = Vec::new();
        if i >= 3 {
            while picked.len() < 3 {
                let j = rng.random_range(0..i);
                if !picked.contains(&j) {
                    picked.push(j);
                }
            }
        }
        for (k, j) in picked.iter().enumerate() {
            r = r.attr(
                &format!("dep{k}"),
                json!(format!("${{null_resource.r{j}.id}}")),
            );
        }
        let zone = if i % 10 == 0 { "b" } else { "a" };
        r = r.attr("zone", json!(zone));
        let mut attrs = serde_json::Map::new();
        attrs.insert("id".into(), json!(format!("id-{i}")));
        attrs.insert("size".into(), json!(i % 17));
        attrs.insert("zone".into(), json!("a"));
        for (k, j) in picked.iter().enumerate() {
            attrs.insert(format!("dep{k}"), json!(format!("id-{j}")));
        }
        state.resources.insert(
            r.address.clone(),
            ResourceState {
                address: r.address.clone(),
                mode: Mode::Managed,
                resource_type: "null_resource".into(),
                provider: "null".into(),
                attributes: attrs,
                depends_on: picked
                    .iter()
                    .map(|j| format!("null_resource.r{j}"))
                    .collect(),
                create_before_destroy: false,
                deposed: Vec::new(),
            },
        );
        resources.push(r);
    }
    (resources, state)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("plan_and_order");
    g.sample_size(20);
    for &n in &[1_000usize, 10_000] {
        let (resources, state) = graph(n);
        let empty = State::new();
        g.bench_with_input(BenchmarkId::new("create", n), &n, |b, _| {
            // The input vector is cloned outside the timed region.
            b.iter_batched(
                || resources.clone(),
                |rs| {
                    let cfg = Config::new(black_box(rs)).expect("valid");
                    let p = plan(&cfg, black_box(&empty)).expect("plans");
                    black_box(p.step_order().len())
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("change", n), &n, |b, _| {
            // The input vector is cloned outside the timed region.
            b.iter_batched(
                || resources.clone(),
                |rs| {
                    let cfg = Config::new(black_box(rs)).expect("valid");
                    let p = plan(&cfg, black_box(&state)).expect("plans");
                    black_box(p.step_order().len())
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
