"""scikit-learn peer of the aiops-anomaly Isolation Forest.

Generates the data sets (numpy, seeded), writes them as CSV for the Rust side
(`examples/forest_compare.rs`), and measures scikit-learn's
IsolationForest(n_estimators=100, max_samples=256, n_jobs=1): ROC AUC per seed
on an easy and a hard labelled family, and fit + score time of 1,000,000 x 8 rows.

    python3 benches/peer_sklearn.py /tmp/forest_data
"""
import os
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/forest_data"
os.makedirs(out, exist_ok=True)


def labelled(seed, kind, n=20000, d=8, frac=0.02):
    rng = np.random.default_rng(seed)
    k = int(n * frac)
    normal = rng.normal(0.0, 1.0, size=(n - k, d))
    # Cluster structure: two Gaussian blobs.
    normal[: (n - k) // 2] += 3.0
    if kind == "easy":
        outl = rng.uniform(-6.0, 9.0, size=(k, d))
    else:
        # Hard: outliers from a wider Gaussian centred between the blobs.
        outl = rng.normal(1.5, 2.0, size=(k, d))
    x = np.vstack([normal, outl])
    y = np.r_[np.zeros(n - k), np.ones(k)]
    return x, y


FOREST_SEEDS = int(os.environ.get("FOREST_SEEDS", "4"))
for kind in ["easy", "hard"]:
    aucs = []
    for seed in range(5):
        x, y = labelled(seed, kind)
        np.savetxt(os.path.join(out, f"{kind}_{seed}.csv"), np.c_[x, y], delimiter=",", fmt="%.17g",
                   header=",".join([f"f{i}" for i in range(x.shape[1])] + ["label"]), comments="")
        for fseed in range(FOREST_SEEDS):
            f = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=fseed).fit(x)
            aucs.append(roc_auc_score(y, -f.score_samples(x)))
    print(f"sklearn {kind} AUC mean over 5 data seeds x {FOREST_SEEDS} forest seeds: {np.mean(aucs):.5f} (min {np.min(aucs):.5f}, max {np.max(aucs):.5f})")

if os.environ.get("SKIP_TIMING"):
    sys.exit(0)
rng = np.random.default_rng(123)
big = rng.normal(size=(1_000_000, 8))
np.save(os.path.join(out, "big.npy"), big)
times = []
cpus = []
for rep in range(3):
    c0 = time.thread_time()
    t0 = time.perf_counter()
    f = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=rep).fit(big)
    s = f.score_samples(big)
    times.append(time.perf_counter() - t0)
    cpus.append(time.thread_time() - c0)
print(f"sklearn fit+score 1,000,000 x 8, n_jobs=1: best {min(times):.3f} s, runs {['%.3f' % t for t in times]}; "
      f"thread CPU best {min(cpus):.3f} s, runs {['%.3f' % t for t in cpus]}; loadavg {open('/proc/loadavg').read().split()[:3]}")
