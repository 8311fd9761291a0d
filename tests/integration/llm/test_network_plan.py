"""A plain-language request planned by the model as one PARALLEL plan over a local tool
and a tool only a second agent process has (P2P), run across both, then answered. The
prompt lists local, peer and MCP tools (a real MCP server from npm over stdio)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.llm.llm_helpers import KEY, llm_tool, start, task_total, tool_calls
from tests.integration.mcp_agents.helpers import npm_fs_entry
from tests.support.agents import AgentProcess
from tests.support.llm_server import ScriptedLLM, plan
from tests.support.p2p_agents import (
    agent_section,
    get,
    p2p_section,
    peer_tools,
    post,
    python_tool,
)
from tests.support.waiting import wait_until

PARALLEL_PLAN = """
PARALLEL
  CALL shout --text hello AS loud
  CALL b_echo --text "from the peer" AS echoed
END
"""
REQUEST = "Shout hello here and have agent-b echo 'from the peer'"


@dataclass
class Net:
    a: AgentProcess
    b: AgentProcess
    llm: ScriptedLLM


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    home = tmp_path_factory.mktemp("llmnet")
    (home / "npm-root").mkdir()
    npmfs = {"name": "npmfs", "transport": "stdio", "command": "node",
             "args": [str(npm_fs_entry()), str(home / "npm-root")]}
    with ScriptedLLM() as llm:
        b = start(home, "agent-b", agent=agent_section(python_tool("b_echo")),
                  p2p=p2p_section())
        try:
            a = start(home, "agent-a", agent=agent_section(llm_tool("shout")),
                      p2p=p2p_section(bootstrap_nodes=[b.url]), llm=llm.config(api_key=KEY),
                      mcp={"servers": [npmfs]},
                      logging={"level": "debug", "format": "json"})
        except BaseException:
            b.stop()
            raise
        try:
            wait_until(lambda: peer_tools(a, "agent-b"), 20, "agent-b's tools at agent-a")
            wait_until(lambda: any(t["provider"] == "npmfs" for t in get(a, "/tools")), 30,
                       "the npm MCP server's tools at agent-a")
            yield Net(a, b, llm)
        finally:
            a.stop()
            b.stop()


def test_parallel_plan_runs_local_and_peer_tools_and_answers(net: Net) -> None:
    net.llm.reset()
    net.llm.script(plan(PARALLEL_PLAN), "agent-a shouted HELLO and agent-b echoed it.")
    reply = post(net.a, "/execute", {"request": REQUEST}, timeout=60)
    assert reply.status_code == 200, reply.text
    task = reply.json()
    assert task["kind"] == "request" and task["state"] == "completed", task
    result = task["result"]
    assert result["request"] == REQUEST
    assert result["plan"] == PARALLEL_PLAN.strip()
    assert result["answer"] == "agent-a shouted HELLO and agent-b echoed it."
    by_tool = {step["tool"]: step for step in result["steps"].values()}
    assert by_tool["shout"]["status"] == by_tool["b_echo"]["status"] == "completed"
    assert by_tool["shout"]["result"]["structured"] == {"shouted": "HELLO",
                                                        "pid": str(net.a.proc.pid)}
    assert by_tool["b_echo"]["result"]["structured"] == {"echo": "from the peer",
                                                         "pid": str(net.b.proc.pid)}
    assert result["outputs"]["loud"]["shouted"] == "HELLO"
    assert result["outputs"]["echoed"]["echo"] == "from the peer"

    run = httpx.get(f"{net.a.url}/workflows/{result['run_id']}", timeout=10).json()
    assert [node["depends_on"] for node in run["nodes"]] == [[], []]  # both at once

    planning, answering = net.llm.requests
    system = planning.messages[0]["content"]
    assert "- b_echo (on agent-b, peer): Echoes a text" in system
    assert "    --text string, required: What to echo." in system
    assert "- shout (on agent-a, local): Upper-cases a text" in system
    assert "- read_text_file (on npmfs, mcp): " in system
    mcp_entry = system.split("- read_text_file (on npmfs, mcp): ")[1].split("\n- ")[0]
    assert "    --path string, required" in mcp_entry
    assert planning.last == f"Request: {REQUEST}"
    assert "HELLO" in answering.last and "from the peer" in answering.last
    assert "PARALLEL" in answering.last


def test_plan_is_a_dry_run(net: Net) -> None:
    net.llm.reset()
    net.llm.script(plan(PARALLEL_PLAN))
    tasks, shouts, echoes = task_total(net.a), tool_calls(net.a, "shout"), tool_calls(
        net.b, "b_echo")
    reply = post(net.a, "/plan", {"request": REQUEST})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["dsl"] == PARALLEL_PLAN.strip()
    assert [(n["tool"], n["output"]) for n in body["graph"]["nodes"]] == [
        ("shout", "loud"), ("b_echo", "echoed")]
    assert body["graph"]["edges"] == []
    assert body["attempts"] == [] and body["usage"]["calls"] == 1
    assert len(net.llm.requests) == 1
    assert task_total(net.a) == tasks
    assert tool_calls(net.a, "shout") == shouts and tool_calls(net.b, "b_echo") == echoes


def test_key_is_only_the_bearer_token(net: Net, tmp_path: Path) -> None:
    net.llm.reset()
    net.llm.script(plan("CALL shout --text secretless"), "Shouted.")
    reply = post(net.a, "/execute", {"request": "shout secretless"}, timeout=60)
    assert reply.json()["state"] == "completed", reply.text
    assert net.llm.requests
    for sent in net.llm.requests:
        assert sent.headers["authorization"] == f"Bearer {KEY}"
        assert KEY not in sent.prompt
    assert KEY not in net.a.log and KEY not in net.b.log
    for file in (net.a.home / "data").rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file
    for path in ("/tasks", "/metrics", "/health"):
        assert KEY not in httpx.get(f"{net.a.url}{path}", timeout=10).text
    metrics = httpx.get(f"{net.a.url}/metrics", timeout=10).text
    assert 'praxis_llm_tokens_total{kind="prompt",model="scripted-model"}' in metrics

    shown = subprocess.run(
        [sys.executable, "-m", "praxis_sdk", "validate-config", "-c", str(net.a.config_path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert KEY not in shown.stdout + shown.stderr
    assert "api_key: '**********'" in shown.stdout
