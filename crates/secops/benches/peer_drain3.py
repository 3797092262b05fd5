#!/usr/bin/env python3
"""drain3 peer for benches/matching.rs: the same OpenSSH_2k contents, the same
masking (IPv4, dotted host names, numbers) and Drain settings (st 0.6, depth 5).

Run (virtualenv outside the repo):
  python3 -m venv /work/venvs/secops && /work/venvs/secops/bin/pip install drain3
  /work/venvs/secops/bin/python crates/secops/benches/peer_drain3.py
Prints lines/s for `add` (add_log_message: mask + mine) and `match` (inference
against the warmed-up miner), best of 5 runs over 20,000 lines, by wall time and by
the thread's CPU time (time.thread_time), like the criterion bench's wall/ and cpu/.
"""
import os
import re
import time

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "..", "examples", "data", "logs", "OpenSSH_2k.log")
header = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+sshd\[(\S+)\]:\s+(.*?)$")
contents = []
for line in open(path, encoding="utf-8").read().split("\n"):
    m = header.match(line)
    contents.append(m.group(6) if m else line)

def miner():
    cfg = TemplateMinerConfig()
    cfg.drain_sim_th = 0.6
    cfg.drain_depth = 5
    cfg.profiling_enabled = False
    cfg.masking_instructions = [
        MaskingInstruction(r"(\d+\.){3}\d+", "*"),
        MaskingInstruction(r"([\w-]+\.){2,}[\w-]+", "*"),
        MaskingInstruction(r"\b\d+\b", "*"),
    ]
    return TemplateMiner(config=cfg)

n = 20_000
lines = (contents * (n // len(contents) + 1))[:n]
best = {}
for _ in range(5):
    tm = miner()
    for l in contents:
        tm.add_log_message(l)
    for name, fn in (("add", tm.add_log_message), ("match", tm.match)):
        w, c = time.perf_counter(), time.thread_time()
        for l in lines:
            fn(l)
        w, c = time.perf_counter() - w, time.thread_time() - c
        best[("wall", name)] = max(best.get(("wall", name), 0.0), n / w)
        best[("cpu", name)] = max(best.get(("cpu", name), 0.0), n / c)
for (clock, name), v in sorted(best.items()):
    print(f"drain3 {clock}/{name:<5} {v:12.0f} lines/s")
