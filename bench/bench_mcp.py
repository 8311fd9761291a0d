"""MCP `tools/call` throughput: a full agent's `/mcp` vs a bare `mcp` SDK server.

Both serve the same trivial tool (`echo`, the function `tests.support.echo_tool:echo`) over
Streamable HTTP, each in its own process: ours is a whole `praxis-agent run` node (store,
catalog, events, metrics, auth middleware) with the function as an `engine: python`
contract; the bare one is an `MCPServer` under uvicorn. One official `mcp` client drives
both with the same concurrency. Prints JSON with requests/s of each and the ratio
ours / bare (target >= 0.8).

    python bench/bench_mcp.py [--ours-url URL] [--bare-url URL] [--seconds 3] [--concurrency 8]

Without `--ours-url` an agent is started here (in a temporary folder); without
`--bare-url` so is the bare SDK server.
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
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.procstat import cpu_seconds  # noqa: E402
from tests.support.agents import free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOOL = "echo"
ENTRYPOINT = "tests.support.echo_tool:echo"
ARGS = {"text": "ping"}


# Servers (run in child processes)


def agent_config(home: Path, port: int, token: str | None) -> dict[str, Any]:
    """A node with one python tool, no P2P, quiet logs; everything else as deployed."""
    return {
        "agent": {"name": "bench-agent", "shared_dir": str(home / "shared"),
                  "tools": [{"name": TOOL, "engine": "python",
                             "engineSpec": {"entrypoint": ENTRYPOINT}}]},
        "http": {"host": "127.0.0.1", "port": port,
                 **({"auth_token": token} if token else {})},
        "p2p": {"enabled": False},
        "storage": {"data_dir": str(home / "data")},
        "logging": {"level": "warning", "format": "json"},
    }


def bare_app() -> Any:
    from mcp.server.mcpserver import MCPServer
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from tests.support.echo_tool import echo

    server = MCPServer("bare")
    server.tool(name=TOOL, structured_output=False)(echo)

    @server.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return server.streamable_http_app(json_response=True, host="0.0.0.0")


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds of the local server process, or None (no pid, or it is gone)."""
    try:
        return None if pid is None else cpu_seconds(pid)
    except OSError:
        return None



def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "src"), str(REPO), env.get("PYTHONPATH")]))
    return env


@contextmanager
def spawn(kind: str, token: str | None = None, timeout: float = 30.0) -> Any:
    """Start `ours` (an agent process) or `bare`; yields (MCP URL, pid)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as tmp:
        home = Path(tmp)
        if kind == "ours":
            config = home / "agent.yaml"
            config.write_text(yaml.safe_dump(agent_config(home, port, token)))
            cmd = [sys.executable, "-m", "praxis_sdk", "run", "-c", str(config)]
        else:
            cmd = [sys.executable, __file__, "--serve", "bare", "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=home, env=child_env(), stdout=subprocess.DEVNULL)
        try:
            wait_healthy(proc, kind, port, timeout)
            yield f"http://127.0.0.1:{port}/mcp", proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_healthy(proc: subprocess.Popen[bytes], kind: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} server did not start within {timeout}s")
        time.sleep(0.1)


# Client


async def measure(url: str, seconds: float, concurrency: int, mode: str,
                  headers: dict[str, str], tool: str = TOOL,
                  arguments: dict[str, Any] | None = None,
                  server_pid: int | None = None) -> dict[str, Any]:
    """Calls of `tool` from `concurrency` tasks over one session for `seconds`."""
    arguments = ARGS if arguments is None else arguments
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = create_mcp_http_client(headers=headers or None)
    latencies: list[float] = []
    errors = 0
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode,
                            cache=None) as client:
        for _ in range(20):
            warm = await client.call_tool(tool, arguments)
            if warm.is_error:
                raise RuntimeError(f"{tool} failed at {url}: {warm.content}")
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                result = await client.call_tool(tool, arguments)
                latencies.append(time.perf_counter() - began)
                if result.is_error:
                    errors += 1

        began, cpu_before = time.perf_counter(), server_cpu(server_pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu_after = time.perf_counter() - began, server_cpu(server_pid)
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "errors": errors,
        "server_cpu_ms_per_call": round((cpu_after - cpu_before) * 1000 / len(latencies), 3)
        if cpu_before is not None and cpu_after is not None else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        token = args.token or ("bench-token" if not args.ours_url else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        ours_url, ours_pid = (args.ours_url, None) if args.ours_url else stack.enter_context(
            spawn("ours", token))
        bare_url, bare_pid = (args.bare_url, None) if args.bare_url else stack.enter_context(
            spawn("bare"))
        rounds: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
        targets = [("ours", ours_url, headers, args.tool, json.loads(args.arguments), ours_pid),
                   ("bare", bare_url, {}, TOOL, ARGS, bare_pid)]
        for _ in range(args.rounds):
            targets.reverse()  # alternate who goes first: load drifts on a shared machine
            for name, url, hdrs, tool, arguments, pid in targets:
                rounds[name].append(await measure(
                    url, args.seconds, args.concurrency, args.mode, hdrs, tool, arguments, pid))
    summary = {name: {"url": url, "rps": round(statistics.median(r["rps"] for r in runs), 1),
                      "server_cpu_ms_per_call": _median_cpu(runs), "rounds": runs}
               for (name, runs), url in zip(rounds.items(), (ours_url, bare_url), strict=True)}
    ratio = summary["ours"]["rps"] / summary["bare"]["rps"] if summary["bare"]["rps"] else 0.0
    return {
        "benchmark": "mcp tools/call",
        "tool": {"ours": args.tool, "bare": TOOL},
        "client": f"mcp.Client mode={args.mode}",
        "concurrency": args.concurrency,
        "seconds_per_round": args.seconds,
        "rps_is": "median of rounds",
        "ours": summary["ours"],
        "bare": summary["bare"],
        "ratio": round(ratio, 3),
        # Load-independent view: bare's server CPU per call / ours (1.0 = same cost).
        "cpu_ratio": _cpu_ratio(summary),
        "target_ratio": 0.8,
        "meets_target": ratio >= 0.8,
    }


def _cpu_ratio(summary: dict[str, dict[str, Any]]) -> float | None:
    ours, bare = (summary[k]["server_cpu_ms_per_call"] for k in ("ours", "bare"))
    return round(bare / ours, 3) if ours and bare else None


def _median_cpu(runs: list[dict[str, Any]]) -> float | None:
    values = [r["server_cpu_ms_per_call"] for r in runs if r["server_cpu_ms_per_call"] is not None]
    return round(statistics.median(values), 3) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours-url", help="MCP URL of the node (e.g. http://127.0.0.1:8000/mcp)")
    parser.add_argument("--bare-url", help="MCP URL of a bare SDK server serving `echo`")
    parser.add_argument("--token", help="bearer token for --ours-url")
    parser.add_argument("--tool", default=TOOL, help="tool called on ours (bare: echo)")
    parser.add_argument("--arguments", default=json.dumps(ARGS), help="JSON arguments for --tool")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (median)")
    parser.add_argument("--mode", default="auto", help="mcp.Client mode: auto or legacy")
    parser.add_argument("--serve", choices=["bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_bare(args.port)
        return
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
