#!/usr/bin/env python3
"""Peer for the native checks: Checkov's Kubernetes framework on the same manifests.

Writes N seeded Kubernetes manifests (the shape of benches/common/mod.rs:
Deployments/StatefulSets/DaemonSets/Jobs, some hardened, some not, plus
Services, PDBs and NetworkPolicies) to one multi-document YAML file, then times
`checkov -f FILE --framework kubernetes` on it (best of --repeat runs).
Our side: `AIOPS_POLICY_PEER_FILE=FILE cargo bench -p aiops-policy --bench native -- peer_file`.

Usage: python benches/peer_checkov.py --n 1000 --out /tmp/policy_peer/manifests.yaml
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

import yaml  # installed with checkov


def workload(rng, ns, app):
    hardened = rng.random() < 0.5
    kind = rng.choice(["Deployment", "StatefulSet", "DaemonSet", "Job"])
    c = {
        "name": app,
        "image": f"registry.example.com/{app}:latest" if rng.random() < 0.2 else f"registry.example.com/{app}:1.{rng.randrange(30)}.0",
        "ports": [{"containerPort": 8080}],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "PORT", "value": "8080"}],
    }
    if hardened:
        c["imagePullPolicy"] = "IfNotPresent"
        c["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
        c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
        c["livenessProbe"] = {"httpGet": {"path": "/live", "port": 8080}}
    elif rng.random() < 0.2:
        c["securityContext"] = {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}}
    pod = {"containers": [c]}
    if hardened:
        pod["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001}
    if rng.random() < 0.3:
        pod["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
    labels = {"app.kubernetes.io/name": app, "owner": "shop", "tier": "web"} if rng.random() < 0.6 else {"app": app}
    return {
        "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
        "kind": kind,
        "metadata": {"name": app, "namespace": ns, "labels": labels},
        "spec": {"replicas": rng.randrange(1, 4), "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}}, "spec": pod}},
    }


def manifests(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ns = f"team-{rng.randrange(8)}"
        app = f"app-{i // 3}"
        r = rng.randrange(10)
        if r in (0, 1):
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                        "spec": {"type": "NodePort" if rng.random() < 0.2 else "ClusterIP", "selector": {"app": app}, "ports": [{"port": 80}]}})
        elif r == 2:
            out.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": app, "namespace": ns},
                        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}})
        elif r == 3 and rng.random() < 0.3:
            out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": f"np-{i}", "namespace": ns},
                        "spec": {"podSelector": {"matchLabels": {"app": app}}}})
        else:
            out.append(workload(rng, ns, app))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="/tmp/policy_peer/manifests.yaml")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    docs = manifests(a.n, a.seed)
    with open(a.out, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)
    checkov = os.path.join(os.path.dirname(sys.executable), "checkov")
    best = None
    failed = passed = 0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        p = subprocess.run([checkov, "-f", a.out, "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"],
                           capture_output=True, text=True, env={**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"})
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
        try:
            rep = json.loads(p.stdout)
            rep = rep[0] if isinstance(rep, list) else rep
            s = rep.get("summary", {})
            failed, passed = s.get("failed", 0), s.get("passed", 0)
        except (json.JSONDecodeError, IndexError):
            print("checkov output not JSON:", p.stdout[:300], p.stderr[-500:], file=sys.stderr)
    print(f"checkov {subprocess.run([checkov, '--version'], capture_output=True, text=True).stdout.strip()}: "
          f"{a.n} manifests in {best:.2f} s (best of {a.repeat}, process start included) = {a.n / best:.0f} manifests/s; "
          f"{failed} failed / {passed} passed checks")
    print(f"file: {a.out}")


if __name__ == "__main__":
    main()
