"""`praxis-agent demo`: one workflow across the local network, printed for people.

Each step runs where its tool lives: the MCP filesystem server writes a file, agent 1
counts its words, agent 2 analyses it over libp2p, and agent 1 computes with the counts.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from praxis_sdk.localnet import Emit, LocalNet, NetworkError
from praxis_sdk.runner.remote import failure_message, run_remote

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


def tool_sources(url: str) -> list[tuple[str, str]]:
    """`(source, provider)` of every tool in the agent's catalog."""
    try:
        tools = httpx.get(f"{url}/tools", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return []
    return [(t.get("source"), t.get("provider")) for t in tools]


def wait_linked(net: LocalNet, timeout: float = 30) -> None:
    """Until agent 1 lists agent 2's tools (libp2p) and the MCP server's."""
    url1 = net.services[1].url
    needed = {("peer", "praxis-agent-2"), ("mcp", "mcp-filesystem")}
    deadline = time.monotonic() + timeout
    while not needed <= set(tool_sources(url1)):
        if time.monotonic() > deadline:
            raise NetworkError(f"agent 1 does not list agent 2's tools and the MCP server's "
                               f"after {timeout:g}s; logs under {net.home}")
        net.pause(0.1)


def step_line(step_id: str, step: dict[str, Any]) -> str:
    """`s3 text_analyzer  completed  on praxis-agent-2 via sandbox: {...}`."""
    if step.get("status") == "skipped":
        return f"{step_id} {step.get('tool', ''):<14} skipped    (its branch was not taken)"
    res = step.get("result") or {}
    where = f"{res.get('provider', step.get('provider'))} via {res.get('engine', '?')}"
    if res.get("structured") is not None:
        shown = json.dumps(res["structured"], ensure_ascii=False)
    elif step.get("error"):
        shown = f"error: {step['error'].get('message')}"
    else:
        shown = " ".join(str(c.get("text", "")) for c in res.get("content") or [])
    return f"{step_id} {step.get('tool', ''):<14} {step.get('status', ''):<10} on {where}: " \
           f"{clip(shown)}"


def clip(text: str, width: int = 160) -> str:
    """`text` as it fits in `width` characters, ending in `…` when it was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"


def run_demo(net: LocalNet, emit: Emit = print) -> dict[str, Any]:
    """Run the workflow on agent 1 and print where each step ran; the `dslResult`."""
    url1, url2 = net.services[1].url, net.services[2].url
    emit("waiting for the agents to swap cards over libp2p ...")
    wait_linked(net)
    peers = httpx.get(f"{url2}/peers", timeout=5).json()
    emit(f"agent 2 sees {len(peers)} peer(s): "
         + ", ".join(f"{p.get('name')} ({p.get('state')})" for p in peers))
    by_source: dict[str, int] = {}
    for source, _ in tool_sources(url1):
        by_source[source] = by_source.get(source, 0) + 1
    emit(f"agent 1's catalog: {by_source} tools by source")
    emit("running the workflow on agent 1:\n" + WORKFLOW)
    started = time.perf_counter()
    outcome = run_remote(url1, WORKFLOW, timeout=120, emit=lambda line: emit("  " + line))
    elapsed = time.perf_counter() - started
    result = outcome.get("result") or {}
    for step_id, step in (result.get("steps") or {}).items():
        emit(step_line(step_id, step))
    outputs = {k: v for k, v in (result.get("outputs") or {}).items()
               if k in ("counts", "reading_seconds")}
    if outcome.get("success"):
        emit(f"workflow completed in {elapsed:.2f}s; outputs: {json.dumps(outputs)}")
        emit(f"the file is {net.home / 'shared' / 'notes.txt'}")
    else:
        emit(f"workflow failed: {failure_message(outcome)}")
    return outcome
