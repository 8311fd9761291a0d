"""HTTP throughput of an agent beside a bare FastAPI + uvicorn app, measured with wrk.

Per round, interleaved so that both see the same machine load:
- `GET /health` of the bare app (FastAPI + uvicorn defaults, serving the agent's JSON),
- `GET /health` of the agent,
- `POST /tools/echo/invoke` of the agent (an in-process `engine: python` tool).
Prints one JSON object: the median of the rounds for each, the ratio agent/bare, and the
load average before and after.

    .venv/bin/python bench/bench_http.py [--rounds 3] [--connections 32] [--seconds 5]
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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.wrk import post_lua, require, wrk  # noqa: E402
from tests.support.agents import REPO, agent_config, free_port, start_agent  # noqa: E402

ECHO = {"name": "echo", "engine": "python",
        "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}}
INVOKE_LUA = post_lua("""'{"arguments": {"text": "hello"}}'""")


def bare_app(port: int, body_file: str) -> None:
    """The baseline: a bare FastAPI app on uvicorn's defaults answering the same JSON."""
    import uvicorn
    from fastapi import FastAPI

    body = json.loads(Path(body_file).read_text())
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return body

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


def median_of(runs: list[dict[str, float]]) -> dict[str, object]:
    keys = runs[0].keys()
    return {**{k: round(statistics.median(r[k] for r in runs), 2) for k in keys},
            "runs_requests_per_s": [r["requests_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return bare_app(int(args.bare[0]), args.bare[1])
    require()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        agent = start_agent(home, agent_config(home, "bench-http", agent={"tools": [ECHO]}),
                            wait=30, env={"PYTHONPATH": str(REPO)})
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
            runs: dict[str, list[dict[str, float]]] = {"bare": [], "agent": [], "invoke": []}
            for _ in range(args.rounds):
                n, secs = args.connections, args.seconds
                runs["bare"].append(measured(f"{bare_url}/health", n, secs))
                runs["agent"].append(measured(f"{agent.url}/health", n, secs))
                runs["invoke"].append(measured(f"{agent.url}/tools/echo/invoke", n, secs, lua))
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
        "invoke_local_echo": median_of(runs["invoke"]),
    }, indent=2))


if __name__ == "__main__":
    main()
