"""How steady this machine's CPU is right now: one fixed pure-Python loop, timed N times.

    python bench/cpu_drift.py [--rounds 12]

Prints JSON: the CPU ms of each round, their min, median and max, and max / min. On a
shared virtual machine the same work can take twice as long from one second to the next
with nothing else running (no load, no steal time shown): compare figures taken in the
same minute, side by side (`--baseline-src`), or by instruction counts, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def loop() -> float:
    started = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return (time.process_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    runs = [round(loop(), 1) for _ in range(args.rounds)]
    print(json.dumps({"loop_cpu_ms": runs, "min": min(runs), "median": statistics.median(runs),
                      "max": max(runs), "max_over_min": round(max(runs) / min(runs), 2),
                      "load": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
