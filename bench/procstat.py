"""CPU time of another local process, from Linux's /proc: what the benches charge to
each server (all its threads; the kernel counts in 10 ms steps, so take it over many
calls)."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    return sum(cpu_split(pid))
