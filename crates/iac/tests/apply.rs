//! Apply through the in-memory provider: ordering, parallelism, failures,
//! panics, deletes in reverse order, and crash safety of the state file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aiops_iac::{
    ApplyOptions, Attributes, Config, Error, Fault, InMemoryProvider, Provider, ProviderError,
    Resource, ResourceSpec, State, StepStatus, apply, plan,
};
use async_trait::async_trait;
use serde_json::json;

fn r(addr: &str) -> Resource {
    Resource::new(addr).unwrap()
}

/// A network, subnets, instances and a load balancer.
fn config_v1() -> Config {
    Config::new(vec![
        r("aws_vpc.main")
            .attr("cidr_block", json!("10.0.0.0/16"))
            .force_new(["cidr_block"]),
        r("aws_subnet.a")
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("10.0.1.0/24"))
            .force_new(["vpc_id", "cidr_block"]),
        r("aws_subnet.b")
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("10.0.2.0/24"))
            .force_new(["vpc_id", "cidr_block"]),
        r("aws_instance.web")
            .attr("subnet_id", json!("${aws_subnet.a.id}"))
            .attr("instance_type", json!("t3.small"))
            .attr("ami", json!("ami-1"))
            .force_new(["ami", "subnet_id"]),
        r("aws_instance.worker")
            .attr("subnet_id", json!("${aws_subnet.b.id}"))
            .attr("ami", json!("ami-1"))
            .force_new(["ami", "subnet_id"]),
        r("aws_lb.front")
            .attr(
                "subnets",
                json!(["${aws_subnet.a.id}", "${aws_subnet.b.id}"]),
            )
            .attr("name", json!("front")),
        r("aws_s3_bucket.logs").attr("bucket", json!("logs")),
    ])
    .unwrap()
}

/// v2: update, replace (delete before create, cascading), replace (create
/// before destroy), delete, create.
fn config_v2() -> Config {
    Config::new(vec![
        r("aws_vpc.main")
            .attr("cidr_block", json!("10.0.0.0/16"))
            .force_new(["cidr_block"]),
        // force-new change: delete-before-create, and the instance on it
        // gets an unknown subnet_id, so it is replaced too.
        r("aws_subnet.a")
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("10.0.3.0/24"))
            .force_new(["vpc_id", "cidr_block"]),
        r("aws_subnet.b")
            .attr("vpc_id", json!("${aws_vpc.main.id}"))
            .attr("cidr_block", json!("10.0.2.0/24"))
            .force_new(["vpc_id", "cidr_block"]),
        r("aws_instance.web")
            .attr("subnet_id", json!("${aws_subnet.a.id}"))
            .attr("instance_type", json!("t3.small"))
            .attr("ami", json!("ami-1"))
            .force_new(["ami", "subnet_id"]),
        // new image, create before destroy
        r("aws_instance.worker")
            .attr("subnet_id", json!("${aws_subnet.b.id}"))
            .attr("ami", json!("ami-2"))
            .force_new(["ami", "subnet_id"])
            .create_before_destroy(true),
        // in-place update (subnet ids become unknown for a)
        r("aws_lb.front")
            .attr(
                "subnets",
                json!(["${aws_subnet.a.id}", "${aws_subnet.b.id}"]),
            )
            .attr("name", json!("front")),
        // bucket removed; a queue added
        r("aws_sqs_queue.jobs").attr("name", json!("jobs")),
    ])
    .unwrap()
}

/// Objects in the provider as (address, attributes), sorted.
fn provider_view(p: &InMemoryProvider) -> Vec<(String, Attributes)> {
    let mut v: Vec<_> = p
        .objects()
        .into_values()
        .map(|o| (o.address, o.attributes))
        .collect();
    v.sort_by(|a, b| {
        (a.0.as_str(), a.1.get("id").map(ToString::to_string))
            .cmp(&(b.0.as_str(), b.1.get("id").map(ToString::to_string)))
    });
    v
}

/// Objects recorded in a state (current and deposed), sorted.
fn state_view(s: &State) -> Vec<(String, Attributes)> {
    let mut v = Vec::new();
    for r in s.resources.values() {
        if r.mode == aiops_iac::Mode::Data {
            continue;
        }
        v.push((r.address.clone(), r.attributes.clone()));
        for d in &r.deposed {
            v.push((r.address.clone(), d.clone()));
        }
    }
    v.sort_by(|a, b| {
        (a.0.as_str(), a.1.get("id").map(ToString::to_string))
            .cmp(&(b.0.as_str(), b.1.get("id").map(ToString::to_string)))
    });
    v
}

async fn apply_all(cfg: &Config, state: State, p: &Arc<InMemoryProvider>) -> State {
    let pl = plan(cfg, &state).unwrap();
    let rep = apply(&pl, state, p.clone(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(rep.is_success(), "{:?}", rep.failures());
    rep.state
}

#[tokio::test]
async fn apply_converges_and_replans_to_no_op() {
    let p = Arc::new(InMemoryProvider::new());
    let s1 = apply_all(&config_v1(), State::new(), &p).await;
    assert_eq!(state_view(&s1), provider_view(&p));
    assert_eq!(s1.resources.len(), 7);
    // references were resolved to real ids
    let web = &s1.resources["aws_instance.web"].attributes;
    assert_eq!(
        web["subnet_id"],
        s1.resources["aws_subnet.a"].attributes["id"]
    );
    assert!(plan(&config_v1(), &s1).unwrap().is_empty());

    let pl = plan(&config_v2(), &s1).unwrap();
    let c = pl.counts();
    assert_eq!(
        (c.create, c.update, c.replace, c.delete, c.no_op),
        (1, 1, 3, 1, 2),
        "{}",
        pl.to_text()
    );
    let s2 = apply_all(&config_v2(), s1, &p).await;
    assert_eq!(state_view(&s2), provider_view(&p));
    assert!(plan(&config_v2(), &s2).unwrap().is_empty());
    let lb = &s2.resources["aws_lb.front"].attributes;
    assert_eq!(
        lb["subnets"][0],
        s2.resources["aws_subnet.a"].attributes["id"]
    );

    // The log shows the replacement orders: the web instance (on subnet a)
    // is destroyed before subnet a, and created after the new subnet a;
    // the worker's new object exists before its old one is destroyed.
    let log = p.log();
    let at = |e: &str| {
        log.iter()
            .rposition(|l| l == e)
            .unwrap_or_else(|| panic!("{e} not in {log:?}"))
    };
    assert!(at("delete aws_instance.web") < at("delete aws_subnet.a"));
    assert!(at("delete aws_subnet.a") < at("create aws_subnet.a"));
    assert!(at("create aws_subnet.a") < at("create aws_instance.web"));
    assert!(at("create aws_instance.worker") < at("delete aws_instance.worker"));
    assert!(at("create aws_subnet.a") < at("update aws_lb.front"));
}

#[tokio::test]
async fn deletes_run_in_reverse_dependency_order() {
    let p = Arc::new(InMemoryProvider::new());
    let chain = Config::new(vec![
        r("null_resource.a").attr("x", json!(1)),
        r("null_resource.b").attr("a", json!("${null_resource.a.id}")),
        r("null_resource.c").attr("b", json!("${null_resource.b.id}")),
        r("null_resource.d").attr("a", json!("${null_resource.a.id}")),
    ])
    .unwrap();
    let s = apply_all(&chain, State::new(), &p).await;
    let empty = Config::new(vec![]).unwrap();
    let pl = plan(&empty, &s).unwrap();
    assert_eq!(pl.counts().delete, 4);
    let s2 = apply_all(&empty, s, &p).await;
    assert!(s2.resources.is_empty());
    assert!(p.objects().is_empty());
    let log = p.log();
    let at = |e: &str| log.iter().position(|l| l == e).unwrap();
    assert!(at("delete null_resource.c") < at("delete null_resource.b"));
    assert!(at("delete null_resource.b") < at("delete null_resource.a"));
    assert!(at("delete null_resource.d") < at("delete null_resource.a"));
}

/// Wraps a provider and records the largest number of calls in flight.
#[derive(Debug)]
struct Concurrency {
    inner: InMemoryProvider,
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Concurrency {
    async fn track<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let out = f.await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

#[async_trait]
impl Provider for Concurrency {
    async fn create(&self, spec: &ResourceSpec) -> Result<Attributes, ProviderError> {
        self.track(self.inner.create(spec)).await
    }
    async fn update(
        &self,
        spec: &ResourceSpec,
        prior: &Attributes,
    ) -> Result<Attributes, ProviderError> {
        self.track(self.inner.update(spec, prior)).await
    }
    async fn delete(&self, a: &str, t: &str, prior: &Attributes) -> Result<(), ProviderError> {
        self.track(self.inner.delete(a, t, prior)).await
    }
    async fn read(&self, spec: &ResourceSpec) -> Result<Attributes, ProviderError> {
        self.track(self.inner.read(spec)).await
    }
}

#[tokio::test(start_paused = true)]
async fn parallelism_is_bounded_and_used() {
    let many: Vec<Resource> = (0..40)
        .map(|i| r(&format!("null_resource.n{i}")).attr("i", json!(i)))
        .collect();
    let cfg = Config::new(many).unwrap();
    for limit in [1usize, 3, 10] {
        let p = Arc::new(Concurrency {
            inner: InMemoryProvider::new(),
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
        });
        let pl = plan(&cfg, &State::new()).unwrap();
        let opts = ApplyOptions {
            parallelism: limit,
            ..ApplyOptions::default()
        };
        let rep = apply(&pl, State::new(), p.clone(), &opts).await.unwrap();
        assert_eq!(rep.applied(), 40);
        assert_eq!(p.max.load(Ordering::SeqCst), limit);
    }
    assert_eq!(ApplyOptions::default().parallelism, 10);
    let pl = plan(&cfg, &State::new()).unwrap();
    let bad = ApplyOptions {
        parallelism: 0,
        ..ApplyOptions::default()
    };
    assert!(
        apply(&pl, State::new(), Arc::new(InMemoryProvider::new()), &bad)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn failure_skips_dependents_and_independent_work_finishes() {
    for fault in [Fault::Error, Fault::Panic] {
        let p = Arc::new(InMemoryProvider::new());
        p.inject("aws_subnet.a", fault);
        let pl = plan(&config_v1(), &State::new()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let opts = ApplyOptions {
            state_path: Some(path.clone()),
            ..ApplyOptions::default()
        };
        let rep = apply(&pl, State::new(), p.clone(), &opts).await.unwrap();
        let failures = rep.failures();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, "aws_subnet.a");
        match (fault, failures[0].1) {
            (Fault::Error, Error::Provider { address, .. })
            | (Fault::Panic, Error::ProviderPanic { address, .. }) => {
                assert_eq!(address, "aws_subnet.a")
            }
            (_, e) => panic!("unexpected {e}"),
        }
        let mut skipped = rep.skipped();
        skipped.sort_unstable();
        assert_eq!(skipped, ["aws_instance.web", "aws_lb.front"]);
        for o in &rep.outcomes {
            if let StepStatus::Skipped { because } = &o.status {
                assert_eq!(because, "aws_subnet.a");
            }
        }
        // independent work: vpc, subnet b, worker, bucket
        assert_eq!(rep.applied(), 4);
        let on_disk = State::load(&path).unwrap();
        assert_eq!(on_disk, rep.state);
        assert_eq!(state_view(&on_disk), provider_view(&p));
    }
}

/// The crash-safety target: interrupt the apply at every provider call and
/// check the state file on disk parses and matches exactly what the
/// provider applied; then resume from it and converge.
#[tokio::test(start_paused = true)]
async fn crash_at_every_step_leaves_a_consistent_state_file() {
    // Total calls of the v1 -> v2 apply.
    let base = Arc::new(InMemoryProvider::new());
    let s1 = apply_all(&config_v1(), State::new(), &base).await;
    let before = base.calls();
    let _ = apply_all(&config_v2(), s1.clone(), &base).await;
    let total = base.calls() - before;
    assert_eq!(
        total, 9,
        "1 create + 1 update + 3 replacements x 2 + 1 delete"
    );

    for parallelism in [1usize, 4] {
        for n in 0..=total {
            let p = Arc::new(InMemoryProvider::new());
            let s1 = apply_all(&config_v1(), State::new(), &p).await;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("terraform.tfstate");
            s1.save_atomic(&path).unwrap();
            p.halt_after(p.calls() + n);
            let pl = plan(&config_v2(), &s1).unwrap();
            let opts = ApplyOptions {
                parallelism,
                state_path: Some(path.clone()),
            };
            let run = apply(&pl, s1.clone(), p.clone(), &opts);
            let finished = tokio::time::timeout(Duration::from_secs(5), run).await;
            assert_eq!(
                finished.is_ok(),
                n == total,
                "n={n} parallelism={parallelism}"
            );
            // Only the state file and nothing else (no temp file left).
            let files: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(files.len(), 1, "{files:?}");
            let text = std::fs::read_to_string(&path).unwrap();
            let on_disk = State::from_json_str(&path, &text).unwrap();
            assert_eq!(
                state_view(&on_disk),
                provider_view(&p),
                "n={n} parallelism={parallelism}"
            );
            // Resume from the file: the rest converges.
            p.resume();
            let resumed = apply_all(&config_v2(), on_disk, &p).await;
            assert_eq!(state_view(&resumed), provider_view(&p), "resume n={n}");
            assert!(plan(&config_v2(), &resumed).unwrap().is_empty(), "n={n}");
            let addrs: BTreeMap<_, _> = resumed.resources.keys().map(|k| (k.clone(), ())).collect();
            assert_eq!(addrs.len(), 7);
        }
    }
}

#[tokio::test]
async fn data_sources_are_read() {
    let cfg = Config::new(vec![
        r("data.aws_ami.ubuntu").attr("name_regex", json!("ubuntu")),
        r("aws_instance.x").attr("ami", json!("${data.aws_ami.ubuntu.id}")),
    ])
    .unwrap();
    let pl = plan(&cfg, &State::new()).unwrap();
    assert_eq!(pl.counts().read, 1);
    assert_eq!(pl.change("aws_instance.x").unwrap().after_unknown, ["ami"]);
    let p = Arc::new(InMemoryProvider::new());
    let s = apply_all(&cfg, State::new(), &p).await;
    assert_eq!(
        s.resources["aws_instance.x"].attributes["ami"],
        json!("aws_ami-data")
    );
    assert!(plan(&cfg, &s).unwrap().is_empty());
}

#[tokio::test]
async fn state_write_failure_is_an_error() {
    let p = Arc::new(InMemoryProvider::new());
    let pl = plan(&config_v1(), &State::new()).unwrap();
    let opts = ApplyOptions {
        parallelism: 2,
        state_path: Some("/nonexistent-dir-aiops-iac/state.json".into()),
    };
    let e = apply(&pl, State::new(), p.clone(), &opts)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::State { .. }), "{e}");
    // No new step started after the failed write: at most the two in flight.
    assert!(p.log().len() <= 2, "{:?}", p.log());
}
