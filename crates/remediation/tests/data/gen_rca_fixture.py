"""Generates rca_edges.csv and rca_metrics.csv: a synthetic incident whose
root cause is known (`db` latency shifts by 6 sigma at 2024-05-01T03:00:00Z;
`checkout` inherits it amplified 5x and `web` 15x). Deterministic (seed 42).
Run: python3 gen_rca_fixture.py"""
import random
from datetime import datetime, timedelta, timezone

random.seed(42)
edges = [("web", "checkout"), ("web", "search"), ("checkout", "db"), ("checkout", "cache"), ("search", "cache")]
services = ["web", "checkout", "search", "db", "cache"]
order = ["db", "cache", "search", "checkout", "web"]  # callees first
amp = {"checkout": 5.0, "web": 3.0, "search": 1.0}
t0 = datetime(2024, 5, 1, 1, 0, tzinfo=timezone.utc)
start = datetime(2024, 5, 1, 3, 0, tzinfo=timezone.utc)
with open("rca_edges.csv", "w") as f:
    f.write("from,to\n")
    for a, b in edges:
        f.write(f"{a},{b}\n")
with open("rca_metrics.csv", "w") as f:
    f.write("timestamp," + ",".join(f"{s}:latency_ms,{s}:error_rate" for s in services) + "\n")
    for i in range(180):
        t = t0 + timedelta(minutes=i)
        lat, noise, shift = {}, {}, {}
        for s in order:
            n = random.gauss(0, 1)
            sh = 6.0 if (s == "db" and t >= start) else 0.0
            for a, b in edges:
                if a == s:
                    # Shifts propagate amplified (timeouts, retries); noise damped.
                    n += 0.3 * noise[b]
                    sh += amp.get(s, 1.0) * shift[b]
            noise[s], shift[s] = n, sh
            lat[s] = 20.0 + n + sh
        cells = []
        for s in services:
            err = max(0.0, 0.01 + random.gauss(0, 0.002))
            lat_cell = "" if (s == "search" and i % 41 == 7) else f"{lat[s]:.3f}"
            cells.append(f"{lat_cell},{err:.4f}")
        f.write(t.strftime("%Y-%m-%dT%H:%M:%SZ") + "," + ",".join(cells) + "\n")
