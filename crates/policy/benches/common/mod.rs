//! Seeded synthetic manifests shared by the benches.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// `n` Kubernetes objects: ~70% Deployments/StatefulSets (with a mix of
/// compliant and non-compliant settings), plus Services, PDBs and
/// NetworkPolicies, spread over 8 namespaces.
pub(crate) fn manifests(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let ns = format!("team-{}", rng.random_range(0..8));
            let app = format!("app-{}", i / 3);
            match rng.random_range(0..10) {
                0 | 1 => json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {"type": if rng.random_bool(0.2) { "NodePort" } else { "ClusterIP" },
                             "selector": {"app": app}, "ports": [{"port": 80}]}}),
                2 => json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}}),
                3 if rng.random_bool(0.3) => {
                    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": format!("np-{i}"), "namespace": ns},
                    "spec": {"podSelector": {"matchLabels": {"app": app}}}})
                }
                _ => workload(&mut rng, &ns, &app),
            }
        })
        .collect()
}

fn workload(rng: &mut ChaCha8Rng, ns: &str, app: &str) -> Value {
    let hardened = rng.random_bool(0.5);
    let kind = ["Deployment", "StatefulSet", "DaemonSet", "Job"][rng.random_range(0..4)];
    let mut c = json!({
        "name": app,
        "image": if rng.random_bool(0.2) { format!("registry.example.com/{app}:latest") } else { format!("registry.example.com/{app}:1.{}.0", rng.random_range(0..30)) },
        "ports": [{"containerPort": 8080}],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "PORT", "value": "8080"}],
    });
    if hardened {
        c["imagePullPolicy"] = json!("IfNotPresent");
        c["securityContext"] = json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]}});
        c["resources"] = json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}});
        c["readinessProbe"] = json!({"httpGet": {"path": "/ready", "port": 8080}});
        c["livenessProbe"] = json!({"httpGet": {"path": "/live", "port": 8080}});
    } else if rng.random_bool(0.2) {
        c["securityContext"] = json!({"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}});
    }
    let mut pod = json!({"containers": [c]});
    if hardened {
        pod["securityContext"] = json!({"runAsNonRoot": true, "runAsUser": 10001});
    }
    if rng.random_bool(0.3) {
        pod["initContainers"] = json!([{"name": "init", "image": "busybox:1.36"}]);
    }
    json!({"apiVersion": if kind == "Job" { "batch/v1" } else { "apps/v1" }, "kind": kind,
        "metadata": {"name": app, "namespace": ns, "labels": if rng.random_bool(0.6) { json!({"app.kubernetes.io/name": app, "owner": "shop", "tier": "web"}) } else { json!({"app": app}) }},
        "spec": {"replicas": rng.random_range(1..4), "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}}, "spec": pod}}})
}
