"""HTTP throughput of an agent beside a bare FastAPI + uvicorn app, measured with wrk.

Per round, interleaved so that both see the same machine load:
- `GET /health` of the bare app (FastAPI + uvicorn defaults, serving the agent's JSON),
- `GET /health` of the agent,
- `POST /tools/echo/invoke` of the agent (an in-process `engine: python` tool, `async`)
  and of the bare app (the same body model, the same function, the result's JSON: the
  least work an HTTP tool call does, without the catalog, events, metrics or records);
- the same for `echo_sync`, a plain function: the agent runs it in a worker thread, the
  bare app in FastAPI's own (a `def` endpoint).
Then `--serial N` calls of each invoke, one at a time on one keep-alive h11 connection
(`BareClient` of `bench_p2p_agents.py`): p50 and the server's CPU time per call.
Prints one JSON object: the median of the rounds for each, the ratios agent/bare, and the
load average before and after.

    .venv/bin/python bench/bench_http.py [--rounds 3] [--connections 32] [--seconds 5]
                                         [--serial 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.responses import Response
from pydantic import BaseModel, Field

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_p2p_agents import BareClient  # noqa: E402
from bench.procstat import cpu_seconds  # noqa: E402
from bench.wrk import post_lua, require, wrk  # noqa: E402
from tests.support.agents import REPO, agent_config, free_port, start_agent  # noqa: E402

ECHO = {"name": "echo", "engine": "python",
        "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}}
ECHO_SYNC = {"name": "echo_sync", "engine": "python",
             "engineSpec": {"entrypoint": "tests.support.p2p_tools:b_echo"}}
INVOKE_BODY = b'{"arguments": {"text": "hello"}}'
INVOKE_LUA = post_lua(f"'{INVOKE_BODY.decode()}'")
INVOKES = ("echo", "echo_sync")


class InvokeRequest(BaseModel):
    """The agent's invoke body (`praxis_sdk.api.tools.InvokeRequest`), for the bare app."""

    arguments: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0)
    provider: str | None = None


def result(tool: str, value: Any) -> Response:
    """A `ToolResult`'s JSON for what the function returned, as the bare app answers."""
    text = value if isinstance(value, str) else json.dumps(value)
    return Response(json.dumps({
        "tool": tool, "provider": "bare", "engine": "python", "ok": True,
        "content": [{"type": "text", "text": text}],
        "structured": None if isinstance(value, str) else value, "error": None,
        "duration_ms": 0.0}), media_type="application/json")


def bare_app(port: int, body_file: str) -> None:
    """The baseline: a bare FastAPI app on uvicorn's defaults answering the same JSON, and
    the two tool calls with no more work than parsing the body, calling the function and
    writing the result."""
    import uvicorn
    from fastapi import FastAPI

    from tests.support.echo_tool import echo
    from tests.support.p2p_tools import b_echo

    body = json.loads(Path(body_file).read_text())
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return body

    @app.post("/tools/echo/invoke")
    async def invoke_echo(request: InvokeRequest) -> Response:
        return result("echo", await echo(**request.arguments))

    @app.post("/tools/echo_sync/invoke")
    def invoke_echo_sync(request: InvokeRequest) -> Response:
        return result("echo_sync", b_echo(**request.arguments))

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measured(url: str, connections: int, seconds: float, script: Path | None = None
             ) -> dict[str, float]:
    """One wrk run; any non-2xx answer or socket error ends the benchmark."""
    result = wrk(url, connections, seconds, script)
    if result["non_2xx"] or result["socket_errors"]:
        raise SystemExit(f"wrk saw errors against {url}: {result}")
    return {k: result[k] for k in ("requests_per_s", "p50_ms", "p99_ms")}


def wait_up(url: str, deadline: float = 20) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def serial(url: str, pid: int, tool: str, calls: int) -> dict[str, float]:
    """p50 of `calls` invocations one at a time, and the server's CPU time per call."""
    client = BareClient(url)
    path = f"/tools/{tool}/invoke"
    try:
        for _ in range(50):
            client.post(path, INVOKE_BODY)
        times = []
        cpu = cpu_seconds(pid)
        for _ in range(calls):
            started = time.perf_counter()
            status, data = client.post(path, INVOKE_BODY)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200 or not json.loads(data)["ok"]:
                raise SystemExit(f"{url}{path} answered {status}: {data[:200]!r}")
        cpu = cpu_seconds(pid) - cpu
    finally:
        client.close()
    return {"p50_ms": round(statistics.median(times), 3),
            "cpu_us_per_call": round(cpu / calls * 1e6)}


def median_of(runs: list[dict[str, float]]) -> dict[str, object]:
    keys = runs[0].keys()
    return {**{k: round(statistics.median(r[k] for r in runs), 2) for k in keys},
            "runs_requests_per_s": [r["requests_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--serial", type=int, default=500, metavar="N")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return bare_app(int(args.bare[0]), args.bare[1])
    require()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        agent = start_agent(home, agent_config(home, "bench-http", agent={
            "tools": [ECHO, ECHO_SYNC]}), wait=30, env={"PYTHONPATH": str(REPO)})
        bare = None
        try:
            body_file = home / "health.json"
            body_file.write_text(httpx.get(f"{agent.url}/health").text)
            lua = home / "invoke.lua"
            lua.write_text(INVOKE_LUA)
            port = free_port()
            bare = subprocess.Popen([sys.executable, __file__, "--bare", str(port),
                                     str(body_file)], cwd=REPO)
            bare_url = f"http://127.0.0.1:{port}"
            wait_up(f"{bare_url}/health")
            runs: dict[str, list[dict[str, float]]] = {
                "bare": [], "agent": [],
                **{f"{who}_{tool}": [] for tool in INVOKES for who in ("agent", "bare")}}
            for _ in range(args.rounds):
                n, secs = args.connections, args.seconds
                runs["bare"].append(measured(f"{bare_url}/health", n, secs))
                runs["agent"].append(measured(f"{agent.url}/health", n, secs))
                for tool in INVOKES:
                    for who, url in (("agent", agent.url), ("bare", bare_url)):
                        runs[f"{who}_{tool}"].append(
                            measured(f"{url}/tools/{tool}/invoke", n, secs, lua))
            one_by_one = {"load_average": [round(x, 2) for x in os.getloadavg()]}
            if args.serial:
                for tool in INVOKES:
                    for who, url, pid in (("agent", agent.url, agent.proc.pid),
                                          ("bare", bare_url, bare.pid)):
                        one_by_one[f"{who}_{tool}"] = serial(url, pid, tool, args.serial)
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(10)
            agent.stop()
    health, baseline = median_of(runs["agent"]), median_of(runs["bare"])
    print(json.dumps({
        "connections": args.connections, "seconds": args.seconds, "rounds": args.rounds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "health": {**health, "target_requests_per_s": 3000},
        "bare_fastapi_health": baseline,
        "ratio": round(health["requests_per_s"] / baseline["requests_per_s"], 2),
        "ratio_target": 0.8,
        "invoke": {key: median_of(runs[key]) for key in runs if key.endswith(INVOKES)},
        "invoke_ratio": {tool: round(median_of(runs[f"agent_{tool}"])["requests_per_s"]
                                     / median_of(runs[f"bare_{tool}"])["requests_per_s"], 2)
                         for tool in INVOKES},
        "serial": one_by_one,
    }, indent=2))


if __name__ == "__main__":
    main()
