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
from tests.support.agents import agent_config, launch_agent, start_agent, started  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def first_200(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def startup_runs(runs: int, *, p2p: bool) -> dict[str, object]:
    """Seconds from process start to the first 200 on /health and to every component
    started (P2P starts last, after HTTP), and the RSS once idle."""
    first, ready, rss = [], [], 0.0
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            config = agent_config(home, f"bench-{i}", p2p={"enabled": p2p})
            client = httpx.Client()  # one client: httpx.get costs ~40 ms of CPU per call
            t0 = time.perf_counter()
            agent = launch_agent(home, config)
            try:
                while not first_200(client, agent.url):
                    if agent.proc.poll() is not None or time.perf_counter() - t0 > 30:
                        raise SystemExit(f"agent did not start:\n{agent.log}")
                    time.sleep(0.01)
                first.append(time.perf_counter() - t0)
                while not started(agent.url, client):
                    time.sleep(0.01)
                ready.append(time.perf_counter() - t0)
                time.sleep(1.0)
                rss = max(rss, rss_mb(agent.proc.pid))
            finally:
                agent.stop()
                client.close()
    return {"first_200_s": round(statistics.median(first), 3),
            "all_started_s": round(statistics.median(ready), 3),
            "first_200_runs": [round(t, 3) for t in first], "idle_rss_mb": round(rss, 1)}


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
    plain = startup_runs(args.runs, p2p=False)
    with_p2p = startup_runs(args.runs, p2p=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        agent = start_agent(home, agent_config(home, "bench-rps"), wait=30)
        try:
            rps = asyncio.run(health_rps(agent.url, args.clients, args.seconds))
        finally:
            agent.stop()
    print(json.dumps({
        "startup_to_health_s": {"target": 1.5, "without_p2p": plain, "with_p2p": with_p2p},
        "idle_rss_mb_target": 100,
        "health": {"clients": args.clients, **rps},
    }, indent=2))


if __name__ == "__main__":
    main()
