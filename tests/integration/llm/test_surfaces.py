"""Plain language through chat over WebSocket and `praxis-agent ask`; a node without an
LLM starts, runs DSL fully and refuses plain language at once, saying how to set one up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.llm.llm_helpers import KEY, llm_tool, start
from tests.integration.workflows.wf_helpers import WS, ws_connect
from tests.support.agents import AgentProcess
from tests.support.llm_server import ScriptedLLM, plan
from tests.support.p2p_agents import ENV, agent_section, post

TOKEN = "s3cret-http-token"
LLM_SETUP = ("llm.enabled", "OPENAI_API_KEY", "llm.base_url")


@dataclass
class Node:
    agent: AgentProcess
    llm: ScriptedLLM


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("llmsurfaces")
    with ScriptedLLM() as llm:
        agent = start(home, "chatty", agent=agent_section(llm_tool("shout")),
                      http={"auth_token": TOKEN}, llm=llm.config(api_key=KEY))
        try:
            yield Node(agent, llm)
        finally:
            agent.stop()


def ask(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "praxis_sdk", "ask", *args, "--url", url],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PRAXIS_TOKEN": TOKEN})


async def test_chat_over_websocket_keeps_the_conversation(node: Node) -> None:
    node.llm.reset()
    node.llm.script(plan("CALL shout --text hi AS loud"), "I shouted HI.",
                    plan("CALL shout --text again"), "Shouted AGAIN.",
                    plan("CALL shout --text fresh"), "Shouted FRESH.")
    async with ws_connect(node.agent) as conn:
        ws = WS(conn)
        await ws.send("CHAT_MESSAGE", {"content": "shout hi"})
        chat = (await ws.until(lambda f: f["type"] == "chatMessage", 60))["payload"]
        assert chat["content"] == "I shouted HI." and chat["success"] is True
        assert chat["plan"] == "CALL shout --text hi AS loud"
        assert chat["result"]["outputs"]["loud"]["shouted"] == "HI"
        run_id = chat["result"]["run_id"]
        stages = [f["payload"]["stage"] for f in ws.frames if f["type"] == "dslProgress"]
        assert stages == ["plan", "validate", "run", "answer"]
        run_events = [f["type"] for f in ws.of(run_id, "workflowStart", "nodeStatusUpdate",
                                               "workflowComplete")]
        assert run_events[0] == "workflowStart" and run_events[-1] == "workflowComplete"
        assert "nodeStatusUpdate" in run_events  # the run's events came before the answer
        published = [f["payload"]["stage"] for f in ws.frames if f["type"] == "requestProgress"]
        assert published == stages  # the same progress, on the bus for every subscriber

        await ws.send("CHAT_MESSAGE", {"content": "and again"})
        chat = (await ws.until(lambda f: f["type"] == "chatMessage", 60))["payload"]
        assert chat["content"] == "Shouted AGAIN."
    second = node.llm.requests[2].messages
    assert second[1:] == [{"role": "user", "content": "shout hi"},
                          {"role": "assistant", "content": "I shouted HI."},
                          {"role": "user", "content": "Request: and again"}]

    async with ws_connect(node.agent) as conn:  # a new connection, a new conversation
        ws = WS(conn)
        await ws.send("CHAT_MESSAGE", {"content": "shout fresh"})
        chat = (await ws.until(lambda f: f["type"] == "chatMessage", 60))["payload"]
        assert chat["content"] == "Shouted FRESH."
    assert node.llm.requests[4].messages[1:] == [
        {"role": "user", "content": "Request: shout fresh"}]


def test_ask_cli_shows_the_plan_progress_and_answer(node: Node, tmp_path: Path) -> None:
    node.llm.reset()
    node.llm.script(plan("CALL shout --text hi"), "I shouted HI.")
    out = ask("shout hi", url=node.agent.url, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "I shouted HI."
    for line in ("[plan] asking scripted-model for a plan (", "[validate] the plan has 1",
                 "    CALL shout --text hi", "[run] running 1 step(s)",
                 "s1 shout: completed", "[answer] asking for the answer"):
        assert line in out.stderr, out.stderr

    node.llm.reset()
    node.llm.script("No plan from me.", "Still no plan.")
    failed = ask("shout hi", url=node.agent.url, cwd=tmp_path)
    assert failed.returncode == 1
    assert "[repair]" in failed.stderr
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the model wrote no plan that can run in 2 attempts")


def test_without_llm_plain_language_fails_fast_and_dsl_works(
        spawn_agent: Callable[..., AgentProcess], tmp_path: Path) -> None:
    agent = spawn_agent("plain", env=ENV, agent=agent_section(llm_tool("shout")))
    started = time.monotonic()
    for path in ("/execute", "/plan"):
        refused = post(agent, path, {"request": "shout hi please"})
        assert refused.status_code == 503, refused.text
        message = refused.json()["error"]["message"]
        assert all(name in message for name in LLM_SETUP), message
    assert time.monotonic() - started < 5

    for body in ({"dsl": "CALL shout --text hi"}, {"request": "CALL shout --text hi"}):
        ran = post(agent, "/execute", body, timeout=60)
        assert ran.status_code == 200 and ran.json()["state"] == "completed", ran.text
        assert ran.json()["result"]["last"]["shouted"] == "HI"

    out = subprocess.run([sys.executable, "-m", "praxis_sdk", "ask", "shout hi", "--url",
                          agent.url], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 1
    assert all(name in out.stderr for name in LLM_SETUP), out.stderr

    keyless = spawn_agent("keyless", env={**ENV, "OPENAI_API_KEY": ""},
                          agent=agent_section(llm_tool("shout")), llm={"enabled": True})
    refused = post(keyless, "/execute", {"request": "shout hi please"})
    assert refused.status_code == 503
    message = refused.json()["error"]["message"]
    assert "llm.enabled is true but no key" in message
    assert all(name in message for name in LLM_SETUP), message
