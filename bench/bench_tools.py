"""Tool engine overhead, printed as JSON.

    python bench/bench_tools.py [--runs 30] [--docker-host unix:///...] [--agent-url URL]

- sandbox: p50 of a trivial Python tool through the sandbox engine vs the same command
  run directly with the same interpreter (ratio; target <= 1.5);
- docker: p50 of the same tool through the docker engine (target <= 800 ms), when a
  daemon answers at --docker-host / DOCKER_HOST;
- http: p50 of `POST /tools/{name}/invoke` (sandbox engine) on an agent process this
  script starts (or on --agent-url, an agent that serves `bench_echo`), compared with the
  same direct run (target ratio <= 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from praxis_sdk.config import ExecutionConfig  # noqa: E402
from praxis_sdk.tools.contract import parse_contract  # noqa: E402
from praxis_sdk.tools.engines import DockerEngine, Engine, SandboxEngine  # noqa: E402
from praxis_sdk.tools.engines.sandbox import system_python  # noqa: E402
from tests.support.agents import agent_config, start_agent  # noqa: E402

TOOL = 'import json, os\nprint(json.dumps({"echo": os.environ.get("TEXT", "")}))\n'
NAME = "bench_echo"


def workspace() -> Path:
    root = Path(tempfile.mkdtemp(prefix="praxis-bench-"))
    (root / "tools" / NAME).mkdir(parents=True)
    (root / "tools" / NAME / "main.py").write_text(TOOL)
    (root / "shared").mkdir()
    (root / "shared").chmod(0o777)
    return root


def contract():
    return parse_contract({
        "name": NAME, "engine": "docker",
        "params": [{"name": "text", "type": "string"}],
        "engineSpec": {
            "image": "python:3.11-slim",
            "command": ["python", f"/tools/{NAME}/main.py"],
            "mounts": {"./shared": "/shared", "./tools": "/tools"},
            "working_dir": "/shared",
        },
    }, "bench")


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> dict[str, float]:
    await fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2),
            "p90_ms": round(samples[int(len(samples) * 0.9) - 1], 2), "runs": runs}


async def direct(root: Path) -> None:
    python = system_python()[0]
    env = {"TEXT": "hi", "PATH": "/usr/bin:/bin"}
    proc = await asyncio.create_subprocess_exec(
        python, str(root / "tools" / NAME / "main.py"), env=env, cwd=root / "shared",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    await proc.communicate()


async def through(engine: Engine) -> None:
    result = await engine.run(contract(), {"text": "hi"}, timeout=60)
    if not result.ok:
        raise SystemExit(f"{engine.name} run failed: {result.error}")


async def over_http(url: str, root: Path, runs: int) -> dict[str, float]:
    """HTTP invokes and direct runs taken in turn, so machine load drifts on both alike."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def call() -> None:
            response = await client.post(f"/tools/{NAME}/invoke",
                                         json={"arguments": {"text": "hi"}})
            response.raise_for_status()
            if not response.json()["ok"]:
                raise SystemExit(f"http invoke failed: {response.text}")

        http, direct_ms = [], []
        await call()
        for _ in range(runs):
            for fn, samples in ((call, http), (lambda: direct(root), direct_ms)):
                started = time.perf_counter()
                await fn()
                samples.append((time.perf_counter() - started) * 1000)
    p50, base = statistics.median(http), statistics.median(direct_ms)
    return {"p50_ms": round(p50, 2), "direct_p50_ms": round(base, 2),
            "ratio_vs_direct": round(p50 / base, 2), "runs": runs}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST"))
    parser.add_argument("--agent-url", help="a running agent that serves the bench tool")
    args = parser.parse_args()
    root = workspace()
    report: dict[str, object] = {}
    base = await timed(lambda: direct(root), args.runs)
    report["direct"] = base
    sandbox = SandboxEngine(ExecutionConfig(), root)
    report["sandbox"] = await timed(lambda: through(sandbox), args.runs)
    report["sandbox"]["ratio_vs_direct"] = round(
        report["sandbox"]["p50_ms"] / base["p50_ms"], 2)
    report["sandbox"]["target_ratio"] = 1.5
    docker = DockerEngine(ExecutionConfig(docker_host=args.docker_host), root)
    if await docker.available():
        report["docker"] = await timed(lambda: through(docker), max(5, args.runs // 3))
        report["docker"]["target_p50_ms"] = 800
    else:
        report["docker"] = {"skipped": docker.reason}
    agent = None
    url = args.agent_url
    if url is None:
        bench_contract = contract().model_dump(by_alias=True, exclude_none=True)
        bench_contract["engine"] = "sandbox"
        bench_contract["engineSpec"]["mounts"] = {str(root / "shared"): "/shared",
                                                  str(root / "tools"): "/tools"}
        home = root / "agent"
        agent = start_agent(home, agent_config(home, "bench", agent={"tools": [bench_contract],
                                                                     "tools_dir": None}))
        url = agent.url
    try:
        http = await over_http(url, root, args.runs * 2)
    finally:
        if agent is not None:
            agent.stop()
    http["target_ratio"] = 1.5
    report["http_invoke_sandbox"] = http
    shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
