"""A2A `SendMessage` (blocking) to completed and persisted: p50 and tasks/s. Prints JSON.

Our agent runs a one-step DSL (`CALL echo ...`) whose in-process tool returns at once;
beside it, in the same run, a bare a2a-sdk echo agent with `InMemoryTaskStore` and with
`DatabaseTaskStore` on SQLite. Each is measured serially (one client) and with
`--clients` concurrent clients; the load average of the shared machine is reported.
With `--baseline-src DIR`, `baseline` is the same measurement for an agent running the
`praxis_sdk` in DIR (e.g. `git archive <rev> src | tar -x -C DIR`; DIR or DIR/src holds
`praxis_sdk`); both agents run at once and take turns, `--rounds` times each, and each
figure is the median round (a shared machine's load moves less between turns).

    .venv/bin/python bench/bench_a2a.py [--clients 16] [--seconds 8] [--serial 300]
                                        [--baseline-src DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.agents import (  # noqa: E402
    AgentProcess,
    agent_config,
    free_port,
    start_agent,
)

ECHO_TOOL = {"name": "echo", "engine": "python",
             "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}}
HEADERS = {"A2A-Version": "1.0", "content-type": "application/json"}


def body(text: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
        "message": {"messageId": uuid.uuid4().hex, "role": "ROLE_USER",
                    "parts": [{"text": text}]}}}).encode()


async def one(client: httpx.AsyncClient, path: str, text: str) -> float | None:
    """Seconds to a completed task; None when the agent answered with an error."""
    t0 = time.perf_counter()
    reply = await client.post(path, content=body(text), headers=HEADERS)
    elapsed = time.perf_counter() - t0
    task = reply.json().get("result", {}).get("task", {})
    return elapsed if task.get("status", {}).get("state") == "TASK_STATE_COMPLETED" else None


async def measure(url: str, path: str, text: str, clients: int, seconds: float,
                  serial: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        for _ in range(20):  # warm up
            await one(client, path, text)
        alone = [await one(client, path, text) for _ in range(serial)]
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                elapsed = await one(client, path, text)
                if elapsed is None:
                    errors += 1
                else:
                    latencies.append(elapsed)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    ok_alone = [t for t in alone if t is not None]
    return {"serial_p50_ms": round(statistics.median(ok_alone) * 1000, 2),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p95_ms": round(statistics.quantiles(latencies, n=20)[18] * 1000, 2),
            "tasks_per_s": round(len(latencies) / wall, 1), "tasks": len(latencies),
            "errors": errors + len(alone) - len(ok_alone)}


def echo_agent(store: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "a2a_echo_agent.py"), "--port", str(port),
         "--store", store, "--db", str(home / f"echo-{store}.db")], cwd=home)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/.well-known/agent-card.json", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"echo agent ({store}) did not start")


def source(path: Path) -> Path:
    """The folder holding `praxis_sdk`: `path` itself or its `src`."""
    return path / "src" if (path / "src" / "praxis_sdk").is_dir() else path


def praxis_agent(home: Path, src: Path) -> AgentProcess:
    """Our agent, running the `praxis_sdk` in `src`."""
    config = agent_config(home, "bench-a2a", agent={"tools": [ECHO_TOOL], "tools_dir": ""},
                          logging={"level": "warning", "format": "json"},
                          mcp={"enabled": False})
    path = os.pathsep.join([str(src), str(ROOT)])
    return start_agent(home, config, env={"PYTHONPATH": path}, wait=60)


def praxis(agents: dict[str, AgentProcess], args: argparse.Namespace
           ) -> dict[str, dict[str, float]]:
    """Each agent measured `--rounds` times, taking turns; per figure the median round."""
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in agents}
    for _ in range(args.rounds):
        for name, agent in agents.items():
            rounds[name].append(asyncio.run(measure(
                agent.url, "/a2a/v1", "CALL echo hello", args.clients, args.seconds,
                args.serial)))
    out = {}
    for name, agent in agents.items():
        figures = {key: statistics.median(r[key] for r in rounds[name])
                   for key in rounds[name][0]}
        stored = httpx.get(f"{agent.url}/tasks", params={"kind": "a2a",
                                                         "state": "completed"}).json()
        out[name] = figures | {"rounds": args.rounds, "persisted_completed": stored["total"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--serial", type=int, default=300)
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds per agent (ours and the baseline take turns)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    out: dict[str, object] = {"clients": args.clients, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        agents = {"praxis_sqlite": praxis_agent(home / "praxis", ROOT / "src")}
        try:
            if args.baseline_src:
                agents["baseline"] = praxis_agent(home / "baseline",
                                                  source(args.baseline_src))
            out |= praxis(agents, args)
        finally:
            for agent in agents.values():
                agent.stop()
        for store in ("memory", "sqlite"):
            proc, url = echo_agent(store, home)
            try:
                out[f"sdk_echo_{store}"] = asyncio.run(measure(
                    url, "/", "hello", args.clients, args.seconds, args.serial))
            finally:
                proc.terminate()
                proc.wait(10)
    ours = out["praxis_sqlite"]
    for store in ("memory", "sqlite"):
        echo = out[f"sdk_echo_{store}"]
        out[f"ratio_vs_sdk_echo_{store}"] = {
            "tasks_per_s": round(ours["tasks_per_s"] / echo["tasks_per_s"], 2),
            "p50": round(ours["p50_ms"] / echo["p50_ms"], 2),
            "serial_p50": round(ours["serial_p50_ms"] / echo["serial_p50_ms"], 2)}
    if "baseline" in out:
        base = out["baseline"]
        out["ratio_vs_baseline"] = {
            "tasks_per_s": round(ours["tasks_per_s"] / base["tasks_per_s"], 2),
            "p50": round(ours["p50_ms"] / base["p50_ms"], 2),
            "serial_p50": round(ours["serial_p50_ms"] / base["serial_p50_ms"], 2)}
    out["targets"] = {"p50_ms_max": 10, "tasks_per_s_min": 300,
                      "p50_met": ours["p50_ms"] <= 10, "tasks_per_s_met":
                      ours["tasks_per_s"] >= 300}
    out["load_avg_before"] = [round(x, 2) for x in load_before]
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
