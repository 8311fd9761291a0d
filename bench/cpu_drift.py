"""How steady this machine's CPU is right now: one fixed pure-Python loop, timed N times,
and a small piece of work timed right after idle gaps of different lengths.

    python bench/cpu_drift.py [--rounds 12]

Prints JSON: the CPU ms of each round, their min, median and max, and max / min. On a
shared virtual machine the same work can take twice as long from one second to the next
with nothing else running (no load, no steal time shown): compare figures taken in the
same minute, side by side (`--baseline-src`), or by instruction counts, not across runs.

`after_idle_us`: the CPU time of one small burst (about 40 us of dict and JSON work when
run back to back) after sleeping 0 to 10 ms, the median of 5 rounds of 300 bursts. A
serial call between two agents is a chain of such bursts, each on a thread that was idle
since its part of the previous call (a few ms): what each costs there, against back to
back, is how much slower than under load a serial call runs on this machine.
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


def burst() -> str:
    table = {}
    for i in range(100):
        table[i] = str(i)
    return json.dumps(table)


def after_idle(gap_s: float, bursts: int = 300) -> float:
    """Mean thread CPU us of one `burst()` run right after sleeping `gap_s`."""
    total = 0.0
    for _ in range(bursts):
        if gap_s:
            time.sleep(gap_s)
        started = time.thread_time()
        burst()
        total += time.thread_time() - started
    return total / bursts * 1e6


def idle_figures(rounds: int = 5) -> dict[str, float]:
    gaps = (0.0, 0.001, 0.003, 0.01)
    runs: dict[float, list[float]] = {gap: [] for gap in gaps}
    for _ in range(rounds):  # interleaved: each gap sees the same drift
        for gap in gaps:
            runs[gap].append(after_idle(gap))
    return {f"{gap * 1000:g}ms": round(statistics.median(values), 1)
            for gap, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    runs = [round(loop(), 1) for _ in range(args.rounds)]
    print(json.dumps({"loop_cpu_ms": runs, "min": min(runs), "median": statistics.median(runs),
                      "max": max(runs), "max_over_min": round(max(runs) / min(runs), 2),
                      "after_idle_us": idle_figures(),
                      "load": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
