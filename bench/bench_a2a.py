"""A2A `SendMessage` (blocking) to completed and persisted: p50 and tasks/s. Prints JSON.

Our agent runs a one-step DSL (`CALL echo ...`) whose in-process tool returns at once;
beside it, in the same run, a bare a2a-sdk echo agent with `InMemoryTaskStore` and with
`DatabaseTaskStore` on SQLite. Each is measured serially (one httpx client: p50) and
with `--clients` concurrent wrk connections (p50, p99, tasks/s); the load average of the
shared machine is reported.
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
from bench.wrk import lua_file, post_lua, require, wrk  # noqa: E402
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


def lua(text: str) -> str:
    """wrk script: a blocking `SendMessage` of `text`, a fresh message id per request."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
        "message": {"messageId": "MID", "role": "ROLE_USER", "parts": [{"text": text}]}}})
    head, tail = body.split("MID")
    mid = "math.random(1, 2^31) .. '-' .. math.random(1, 2^31)"
    return post_lua(f"'{head}' .. {mid} .. '{tail}'", {"A2A-Version": "1.0"})


async def serial(url: str, path: str, text: str, calls: int) -> list[float | None]:
    """Seconds per task, one client, one task after the other (after a warm-up)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(20):
            await one(client, path, text)
        return [await one(client, path, text) for _ in range(calls)]


def measure(url: str, path: str, text: str, clients: int, seconds: float,
            calls: int) -> dict[str, float]:
    """Serial p50 (one httpx client), then p50/p95 and tasks/s with `clients` wrk
    connections (a C client: the figure is the agent's, not a Python load generator's)."""
    alone = asyncio.run(serial(url, path, text, calls))
    ok = [t for t in alone if t is not None]
    with lua_file(lua(text)) as script:
        load = wrk(url + path, clients, seconds, script)
    return {"serial_p50_ms": round(statistics.median(ok) * 1000, 2),
            "p50_ms": load["p50_ms"], "p99_ms": load["p99_ms"],
            "tasks_per_s": load["requests_per_s"],
            "errors": len(alone) - len(ok) + load["non_2xx"]}


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
            rounds[name].append(measure(agent.url, "/a2a/v1", "CALL echo hello",
                                        args.clients, args.seconds, args.serial))
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
    require()
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
                out[f"sdk_echo_{store}"] = measure(url, "/", "hello", args.clients,
                                                   args.seconds, args.serial)
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
    out["targets"] = {"serial_p50_ms_max": 10, "tasks_per_s_min": 300,
                      "serial_p50_met": ours["serial_p50_ms"] <= 10,
                      "tasks_per_s_met": ours["tasks_per_s"] >= 300}
    out["load_avg_before"] = [round(x, 2) for x in load_before]
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
