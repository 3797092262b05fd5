//! Invariants over random resource graphs: steps are ordered after what
//! they wait for, apply converges (re-planning gives no change), and the
//! state matches the provider's objects exactly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use std::sync::Arc;

use aiops_iac::{ApplyOptions, Config, InMemoryProvider, Resource, State, apply, plan};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;

/// One resource spec: value, force-new flag, cbd flag, references (as
/// fractions of the earlier resources), and whether it exists in each of
/// the two generations.
type Spec = (u8, bool, bool, Vec<u8>, bool, bool);

fn build(specs: &[Spec], gen_b: bool) -> Config {
    let present: Vec<bool> = specs
        .iter()
        .map(|s| if gen_b { s.5 } else { s.4 })
        .collect();
    let mut out = Vec::new();
    for (i, (v, fnew, cbd, refs, _, _)) in specs.iter().enumerate() {
        if !present[i] {
            continue;
        }
        let value = if gen_b { *v / 2 } else { *v / 3 };
        let mut r = Resource::new(&format!("null_resource.r{i}"))
            .unwrap()
            .attr("v", json!(value));
        if *fnew {
            r = r.force_new(["v", "dep0", "dep1"]);
        }
        r = r.create_before_destroy(*cbd && gen_b);
        let earlier: Vec<usize> = (0..i).filter(|&j| present[j]).collect();
        for (k, f) in refs.iter().take(2).enumerate() {
            if earlier.is_empty() {
                break;
            }
            let j = earlier[usize::from(*f) % earlier.len()];
            r = r.attr(
                &format!("dep{k}"),
                json!(format!("${{null_resource.r{j}.id}}")),
            );
        }
        out.push(r);
    }
    Config::new(out).unwrap()
}

fn objects_match(state: &State, p: &InMemoryProvider) {
    let mut from_state: Vec<String> = Vec::new();
    for r in state.resources.values() {
        from_state.push(format!(
            "{} {}",
            r.address,
            serde_json::Value::Object(r.attributes.clone())
        ));
        for d in &r.deposed {
            from_state.push(format!(
                "{} {}",
                r.address,
                serde_json::Value::Object(d.clone())
            ));
        }
    }
    let mut from_provider: Vec<String> = p
        .objects()
        .into_values()
        .map(|o| format!("{} {}", o.address, serde_json::Value::Object(o.attributes)))
        .collect();
    from_state.sort();
    from_provider.sort();
    assert_eq!(from_state, from_provider);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/proptest_plan.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn plan_apply_converges(
        specs in prop::collection::vec(
            (any::<u8>(), any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..3), any::<bool>(), any::<bool>()),
            1..14,
        ),
        parallelism in 1usize..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let a = build(&specs, false);
        let b = build(&specs, true);
        let p = Arc::new(InMemoryProvider::new());
        let opts = ApplyOptions { parallelism, state_path: None };
        let s1 = rt.block_on(async {
            let pl = plan(&a, &State::new()).unwrap();
            apply(&pl, State::new(), p.clone(), &opts).await.unwrap()
        });
        prop_assert!(s1.is_success());
        objects_match(&s1.state, &p);
        let pl = plan(&b, &s1.state).unwrap();
        // every step comes after the steps it waits for
        let mut seen = vec![false; pl.steps().len()];
        for &s in pl.step_order() {
            for &w in &pl.steps()[s].after {
                prop_assert!(seen[w], "step {s} before {w}");
            }
            seen[s] = true;
        }
        prop_assert!(seen.iter().all(|x| *x));
        let s2 = rt.block_on(apply(&pl, s1.state, p.clone(), &opts)).unwrap();
        prop_assert!(s2.is_success(), "{:?}", s2.failures());
        objects_match(&s2.state, &p);
        prop_assert!(plan(&b, &s2.state).unwrap().is_empty(), "{}", plan(&b, &s2.state).unwrap().to_text());
    }
}

/// The two shapes proptest found that used to make cyclic step graphs.
#[test]
fn former_cycles_now_order() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // r1 replaced (delete first), r2 -> r1 and r3 -> r2 deleted, r5 moves
    // from r3 to r1.
    let a = Config::new(vec![
        Resource::new("null_resource.r1")
            .unwrap()
            .attr("v", json!(1))
            .force_new(["v"]),
        Resource::new("null_resource.r2")
            .unwrap()
            .attr("d", json!("${null_resource.r1.id}")),
        Resource::new("null_resource.r3")
            .unwrap()
            .attr("d", json!("${null_resource.r2.id}")),
        Resource::new("null_resource.r5")
            .unwrap()
            .attr("d", json!("${null_resource.r3.id}")),
    ])
    .unwrap();
    let b = Config::new(vec![
        Resource::new("null_resource.r1")
            .unwrap()
            .attr("v", json!(2))
            .force_new(["v"]),
        Resource::new("null_resource.r5")
            .unwrap()
            .attr("d", json!("${null_resource.r1.id}")),
    ])
    .unwrap();
    // r5 create-before-destroy and recorded on r1, while r6 now needs r1
    // and r5.
    let c = Config::new(vec![
        Resource::new("null_resource.r1")
            .unwrap()
            .attr("v", json!(1))
            .force_new(["v"]),
        Resource::new("null_resource.r5")
            .unwrap()
            .attr("d", json!("${null_resource.r1.id}"))
            .attr("w", json!(1))
            .force_new(["w"]),
        Resource::new("null_resource.r6")
            .unwrap()
            .attr("x", json!(0)),
    ])
    .unwrap();
    let d = Config::new(vec![
        Resource::new("null_resource.r1")
            .unwrap()
            .attr("v", json!(2))
            .force_new(["v"]),
        Resource::new("null_resource.r5")
            .unwrap()
            .attr("w", json!(2))
            .force_new(["w"])
            .create_before_destroy(true),
        Resource::new("null_resource.r6")
            .unwrap()
            .attr("a", json!("${null_resource.r1.id}"))
            .attr("b", json!("${null_resource.r5.id}")),
    ])
    .unwrap();
    for (from, to) in [(a, b), (c, d)] {
        let p = Arc::new(InMemoryProvider::new());
        let opts = ApplyOptions::default();
        let s1 = rt
            .block_on(apply(
                &plan(&from, &State::new()).unwrap(),
                State::new(),
                p.clone(),
                &opts,
            ))
            .unwrap();
        let pl = plan(&to, &s1.state).unwrap();
        let s2 = rt.block_on(apply(&pl, s1.state, p.clone(), &opts)).unwrap();
        assert!(s2.is_success());
        objects_match(&s2.state, &p);
        assert!(plan(&to, &s2.state).unwrap().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/proptest_plan.txt"))),
        ..ProptestConfig::default()
    })]

    /// Crash anywhere in a random apply: the state file always parses and
    /// matches the provider, and resuming from it converges.
    #[test]
    fn crash_anywhere_then_resume(
        specs in prop::collection::vec(
            (any::<u8>(), any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..3), any::<bool>(), any::<bool>()),
            1..10,
        ),
        crash_at in 0u64..12,
        parallelism in 1usize..4,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let a = build(&specs, false);
        let b = build(&specs, true);
        let p = Arc::new(InMemoryProvider::new());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let opts = ApplyOptions { parallelism, state_path: Some(path.clone()) };
        let s1 = rt.block_on(apply(&plan(&a, &State::new()).unwrap(), State::new(), p.clone(), &opts)).unwrap();
        prop_assert!(s1.is_success());
        p.halt_after(p.calls() + crash_at);
        let pl = plan(&b, &s1.state).unwrap();
        let _ = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(5), apply(&pl, s1.state, p.clone(), &opts)).await
        });
        let on_disk = State::load(&path).unwrap();
        objects_match(&on_disk, &p);
        p.resume();
        let pl2 = plan(&b, &on_disk).unwrap();
        let s3 = rt.block_on(apply(&pl2, on_disk, p.clone(), &opts)).unwrap();
        prop_assert!(s3.is_success());
        objects_match(&s3.state, &p);
        prop_assert!(plan(&b, &s3.state).unwrap().is_empty());
    }
}
