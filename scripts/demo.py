"""The main job: two agents and the MCP filesystem server on this machine, one workflow.

    .venv/bin/python scripts/demo.py [--keep]

Starts `praxis-mcp-filesystem` on :3002 and two `praxis-agent` processes (HTTP :8000 and
:8001, libp2p :4001 and :4002). Agent 2 joins agent 1 by HTTP bootstrap; agent 1 has the
filesystem server as an MCP server. A DSL workflow then runs on agent 1 and each step runs
where its tool lives: the MCP server writes a file, agent 1 counts its words in its
sandbox, agent 2 analyses it over libp2p, and agent 1 computes with the counts.
Ports can be moved with PRAXIS_DEMO_PORT_BASE (default 8000: 8000, 8001, 3002, 4001, 4002).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from praxis_sdk import Client

REPO = Path(__file__).resolve().parents[1]
HOME = REPO / "demo"
BIN = Path(sys.executable).parent

NOTE = (
    "Praxis agents share tools over libp2p and MCP. Each step of this workflow runs where "
    "its tool lives: the filesystem server wrote this file, agent one counts it, agent two "
    "analyses it."
)
WORKFLOW = f"""\
# Runs on praxis-agent-1; every step goes to the node that owns its tool.
CALL write_file@mcp-filesystem --path notes.txt --content "{NOTE}" AS written
CALL word_counter --file_path notes.txt AS counts
PARALLEL
  CALL text_analyzer@praxis-agent-2 --file_path notes.txt --top 3 AS analysis
  CALL system_info@praxis-agent-2 AS remote_system
END
IF $counts.words > 10
  CALL calculator --expression "${{counts.words}} * 60 / 200" AS reading_seconds
ELSE
  CALL calculator --expression "0" AS reading_seconds
END
"""


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def ports() -> dict[str, int]:
    base = int(os.environ.get("PRAXIS_DEMO_PORT_BASE", "8000"))
    return {"http1": base, "http2": base + 1, "mcp": base - 8000 + 3002,
            "p2p1": base - 8000 + 4001, "p2p2": base - 8000 + 4002}


def agent_env(name: str, http: int, p2p: int, extra: dict[str, str]) -> dict[str, str]:
    """Each agent is configured from configs/ and environment overrides (section 2)."""
    folder = HOME / name
    return {
        **os.environ,
        "PRAXIS_HTTP__HOST": "127.0.0.1",
        "PRAXIS_HTTP__PORT": str(http),
        "PRAXIS_P2P__HOST": "127.0.0.1",
        "PRAXIS_P2P__PORT": str(p2p),
        "PRAXIS_P2P__ENABLE_MDNS": "false",
        "PRAXIS_P2P__KEYSTORE_PATH": str(HOME / "keys"),
        "PRAXIS_AGENT__URL": f"http://127.0.0.1:{http}",
        "PRAXIS_AGENT__SHARED_DIR": str(HOME / "shared"),
        "PRAXIS_AGENT__TOOLS_DIR": str(REPO / "tools"),
        "PRAXIS_STORAGE__DATA_DIR": str(folder / "data"),
        "PRAXIS_EXECUTION__ENGINES": '["sandbox"]',
        "PRAXIS_EXECUTION__ALLOW_UNSANDBOXED": "false",
        "PRAXIS_LOGGING__FILE": str(folder / "agent.log"),
        "PRAXIS_LOGGING__FORMAT": "json",
        **extra,
    }


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(cmd, env=env, cwd=log.parent, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"[demo] {what} exited ({proc.returncode}); its log:\n"
                     + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    sys.exit(f"[demo] {what} did not become healthy; see {log}")


async def run_workflow(p: dict[str, int]) -> bool:
    url1, url2 = f"http://127.0.0.1:{p['http1']}", f"http://127.0.0.1:{p['http2']}"
    async with Client(url1) as agent1, Client(url2) as agent2:
        say("waiting for the agents to swap cards over libp2p ...")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            tools = await agent1.tools()
            sources = {(t["source"], t["provider"]) for t in tools}
            if ("peer", "praxis-agent-2") in sources and ("mcp", "mcp-filesystem") in sources:
                break
            await asyncio.sleep(0.2)
        else:
            say("agent 1 does not see agent 2's tools and the MCP server's yet")
            return False
        peers = await agent2.peers()
        say(f"agent 2 sees {len(peers)} peer(s): "
            + ", ".join(f"{p.get('name')} ({p.get('state')})" for p in peers))
        by_source: dict[str, int] = {}
        for tool in tools:
            by_source[tool["source"]] = by_source.get(tool["source"], 0) + 1
        say(f"agent 1's catalog: {by_source} tools by source")
        say("running the workflow on agent 1:\n" + WORKFLOW)
        started = time.perf_counter()
        task = await agent1.execute(WORKFLOW)
        elapsed = time.perf_counter() - started
    result = task.get("result") or {}
    for step_id, step in (result.get("steps") or {}).items():
        res = step.get("result") or {}
        if step["status"] == "skipped":
            say(f"{step_id} {step['tool']:<14} skipped    (its IF branch was not taken)")
            continue
        where = f"{res.get('provider', step.get('provider'))} via {res.get('engine', '?')}"
        shown = res.get("structured") if res.get("structured") is not None else \
            " ".join(c.get("text", "") for c in res.get("content") or [])
        text = json.dumps(shown, ensure_ascii=False)
        say(f"{step_id} {step['tool']:<14} {step['status']:<10} on {where}: {text[:160]}")
    say(f"task {task['id']} {task['state']} in {elapsed:.2f}s; outputs: "
        + json.dumps({k: v for k, v in (result.get("outputs") or {}).items()
                      if k in ("counts", "reading_seconds")}))
    return task["state"] == "completed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true",
                        help="leave the network running until Ctrl-C")
    args = parser.parse_args()
    if shutil.which("bwrap") is None:
        sys.exit("[demo] bubblewrap is missing: apt-get install bubblewrap (scripts/setup.sh)")
    p = ports()
    shutil.rmtree(HOME / "shared", ignore_errors=True)
    (HOME / "shared").mkdir(parents=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        say(f"MCP filesystem server on :{p['mcp']} (root demo/shared)")
        log = HOME / "mcp-filesystem" / "server.log"
        procs.append(start([str(BIN / "praxis-mcp-filesystem"), "--root", str(HOME / "shared"),
                            "--host", "127.0.0.1", "--port", str(p["mcp"])], dict(os.environ),
                           log))
        wait_ready(f"http://127.0.0.1:{p['mcp']}/health", procs[-1], "MCP server", log)
        mcp = json.dumps([{"name": "mcp-filesystem", "transport": "streamable-http",
                           "url": f"http://127.0.0.1:{p['mcp']}/mcp"}])
        for name, http, p2p, extra in (
            ("praxis-agent-1", p["http1"], p["p2p1"], {"PRAXIS_MCP__SERVERS": mcp,
                                                       "PRAXIS_P2P__BOOTSTRAP_NODES": "[]"}),
            ("praxis-agent-2", p["http2"], p["p2p2"], {
                "PRAXIS_MCP__SERVERS": "[]",
                "PRAXIS_P2P__BOOTSTRAP_NODES": json.dumps([f"http://127.0.0.1:{p['http1']}"]),
            }),
        ):
            say(f"{name}: HTTP :{http}, libp2p :{p2p}")
            config = REPO / "configs" / ("agent1.yaml" if name.endswith("1") else "agent2.yaml")
            log = HOME / name / "agent.out"
            procs.append(start([str(BIN / "praxis-agent"), "run", "-c", str(config)],
                               agent_env(name, http, p2p, extra), log))
            wait_ready(f"http://127.0.0.1:{http}/health", procs[-1], name, log)
        ok = asyncio.run(run_workflow(p))
        if args.keep and ok:
            say(f"running; try: curl http://127.0.0.1:{p['http1']}/tools  (Ctrl-C stops)")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        say("stopped; logs are in demo/")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
