"""Peer: pyBKT fitting the same CSVs as `examples/bkt_recovery.rs --write-csv DIR`.

Run (venv outside the repo):
    python3 -m venv /work/venvs/skills && /work/venvs/skills/bin/pip install pyBKT pandas
    cargo run --release -p aiops-skills --example bkt_recovery -- --write-csv /tmp/bkt_data
    (pyBKT 1.4.3 needs numpy<2 and scikit-learn<1.5: pip install "numpy<2" "pandas<2.3" "scikit-learn<1.5")
    /work/venvs/skills/bin/python crates/skills/benches/peer_pybkt.py /tmp/bkt_data

pyBKT fits by EM with random restarts (num_fits); forgetting is off (standard BKT),
like aiops-skills. Times include reading the CSV.
"""
import sys
import time

import pandas as pd
from pyBKT.models import Model

DIR = sys.argv[1]
CASES = {1: (0.3, 0.15, 0.2, 0.1), 2: (0.1, 0.08, 0.25, 0.05), 3: (0.6, 0.3, 0.15, 0.15),
         10: (0.4, 0.2, 0.1, 0.2), 11: (0.4, 0.2, 0.1, 0.2), 12: (0.4, 0.2, 0.1, 0.2)}
DEFAULTS = {"user_id": "student", "skill_name": "skill", "correct": "correct"}


def fit(path, num_fits):
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    df["order_id"] = range(len(df))
    model = Model(seed=42, num_fits=num_fits)
    model.fit(data=df, defaults=dict(DEFAULTS, order_id="order_id"))
    dt = time.perf_counter() - t0
    p = model.params()
    skill = df["skill"].iloc[0]
    get = lambda name: float(p.loc[(skill, name, "default"), "value"])
    return (get("prior"), get("learns"), get("guesses"), get("slips")), dt


print(f"{'seed':<6} {'truth':<26} {'pyBKT fitted':<26} {'max |err|':>9} {'s':>7}")
for seed, truth in CASES.items():
    est, dt = fit(f"{DIR}/case_{seed}.csv", 5)
    err = max(abs(a - b) for a, b in zip(est, truth))
    print(f"{seed:<6} {' '.join(f'{x:.3f}' for x in truth):<26} {' '.join(f'{x:.3f}' for x in est):<26} {err:>9.4f} {dt:>7.2f}")
for nf in (1, 5):
    est, dt = fit(f"{DIR}/big.csv", nf)
    print(f"big.csv (1,000,000 answers), num_fits={nf}: read + fit {dt:.3f} s, fitted {' '.join(f'{x:.3f}' for x in est)}")
