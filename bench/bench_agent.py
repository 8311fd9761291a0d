"""Agent start-up, idle memory and /health throughput. Prints one JSON object.

Start-up is measured without and with P2P (libp2p adds its import and a listening host).

    .venv/bin/python bench/bench_agent.py [--runs 5] [--clients 32] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.agents import agent_config, start_agent  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def startup_runs(runs: int, *, p2p: bool) -> tuple[list[float], float]:
    """Seconds from process start to the first 200 on /health, and RSS once idle."""
    times, rss = [], 0.0
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            config = agent_config(home, f"bench-{i}", p2p={"enabled": p2p})
            started = time.perf_counter()
            agent = start_agent(home, config, wait=30)
            times.append(time.perf_counter() - started)
            time.sleep(1.0)
            rss = max(rss, rss_mb(agent.proc.pid))
            agent.stop()
    return times, rss


async def health_rps(url: str, clients: int, seconds: float) -> dict[str, float]:
    done = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            response = await client.get("/health")
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
            done += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"requests_per_s": round(done / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    times, rss = startup_runs(args.runs, p2p=False)
    p2p_times, p2p_rss = startup_runs(args.runs, p2p=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        agent = start_agent(home, agent_config(home, "bench-rps"), wait=30)
        try:
            rps = asyncio.run(health_rps(agent.url, args.clients, args.seconds))
        finally:
            agent.stop()
    print(json.dumps({
        "startup_to_health_s": {"median": round(statistics.median(times), 3),
                                "runs": [round(t, 3) for t in times], "target": 1.5},
        "idle_rss_mb": {"value": round(rss, 1), "target": 100},
        "with_p2p": {"startup_to_health_s": round(statistics.median(p2p_times), 3),
                     "runs": [round(t, 3) for t in p2p_times], "idle_rss_mb": round(p2p_rss, 1)},
        "health": {"clients": args.clients, **rps},
    }, indent=2))


if __name__ == "__main__":
    main()
