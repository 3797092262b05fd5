"""statsforecast peer for the M4 Hourly harness (aiops-forecast, issue 4).

Runs statsforecast's MSTL([24, 168]) with an AutoETS(ZZN) trend, AutoETS
(season 24, ZZZ) and SeasonalNaive(24) on the 414 M4 Hourly series, 48 steps
ahead, and prints sMAPE, MASE and OWA (organisers' definitions, Naive2 totals
18.383 / 2.395) with the process CPU time and wall time of each model, in the
same table layout as `cargo run --release --example m4`.

    /work/venvs/forecast/bin/python crates/forecast/benches/peer_statsforecast.py \
        --data ../shared/data/m4 [--models mstl,autoets,snaive] [--n-jobs 1]

With --n-jobs 1 (default) everything runs in this process, so CPU time
(time.process_time) covers all the work. A one-series warm-up per model runs
first and is excluded (import and first-call costs are printed separately).
"""

import argparse
import time

import numpy as np
import pandas as pd

HORIZON = 48
PERIOD = 24
NAIVE2 = (18.383, 2.395)


def read_m4(path):
    out = {}
    with open(path) as f:
        next(f)
        for line in f:
            cells = [c.strip().strip('"') for c in line.rstrip("\n").split(",")]
            out[cells[0]] = np.array([float(c) for c in cells[1:] if c != ""])
    return out


def smape(y, f):
    return np.mean(200.0 * np.abs(y - f) / (np.abs(y) + np.abs(f)))


def mase(x, y, f, m=PERIOD):
    scale = np.mean(np.abs(x[m:] - x[:-m]))
    return np.mean(np.abs(y - f)) / scale


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/m4")
    ap.add_argument("--models", default="mstl,autoets,snaive")
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args()

    t0 = time.process_time()
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive
    import_cpu = time.process_time() - t0

    train = read_m4(f"{args.data}/Hourly-train.csv")
    test = read_m4(f"{args.data}/Hourly-test.csv")
    ids = list(train.keys())
    rows = []
    for uid in ids:
        x = train[uid]
        rows.append(pd.DataFrame({"unique_id": uid, "ds": np.arange(len(x)), "y": x}))
    df = pd.concat(rows, ignore_index=True)

    builders = {
        "mstl": lambda: MSTL(season_length=[24, 168], trend_forecaster=AutoETS(model="ZZN"), alias="mstl"),
        "autoets": lambda: AutoETS(season_length=24, alias="autoets"),
        "snaive": lambda: SeasonalNaive(season_length=24, alias="snaive"),
    }
    print(f"statsforecast peer, {len(ids)} series, horizon {HORIZON}, n_jobs {args.n_jobs}, import CPU {import_cpu:.2f}s")
    print(f"{'model':<10} {'sMAPE':>8} {'MASE':>7} {'OWA':>7} {'CPU(s)':>9} {'wall(s)':>9} {'warmup(s)':>9}")
    for name in args.models.split(","):
        model = builders[name]()
        # Warm-up on one series (first-call costs), excluded from the timing.
        w0 = time.process_time()
        StatsForecast(models=[builders[name]()], freq=1, n_jobs=1).forecast(
            df=df[df.unique_id == ids[0]], h=HORIZON
        )
        warm = time.process_time() - w0
        sf = StatsForecast(models=[model], freq=1, n_jobs=args.n_jobs)
        c0, t0 = time.process_time(), time.perf_counter()
        fc = sf.forecast(df=df, h=HORIZON)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        s, q = [], []
        for uid in ids:
            f = fc[fc.unique_id == uid][name].to_numpy()
            s.append(smape(test[uid], f))
            q.append(mase(train[uid], test[uid], f))
        sm, ms = float(np.mean(s)), float(np.mean(q))
        owa = (sm / NAIVE2[0] + ms / NAIVE2[1]) / 2
        print(f"{name:<10} {sm:>8.3f} {ms:>7.3f} {owa:>7.3f} {cpu:>9.2f} {wall:>9.2f} {warm:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
