"""Refusals and failures between full agents: unexposed tools, allowed_peers, a dying peer."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.support.agents import AgentProcess
from tests.support.p2p_agents import (
    ENV,
    EventTap,
    agent_section,
    get,
    info,
    p2p_section,
    peer_state,
    peer_tools,
    post,
    python_tool,
)
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]
ELSEWHERE = "12D3KooWGzXbNBm2ZmV4n3yFpwvyPuVvuKAPRbs7ey9YNbk2RnFk"  # some other node's id


def connected_pair(spawn_agent: Spawn, b_p2p: dict[str, Any] | None = None,
                   a_p2p: dict[str, Any] | None = None) -> tuple[AgentProcess, AgentProcess]:
    b = spawn_agent("agent-b", env=ENV, p2p=p2p_section(**(b_p2p or {})),
                    agent=agent_section(python_tool("b_echo"), python_tool("b_slow"),
                                        python_tool("b_secret", expose=False)))
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url], **(a_p2p or {})))
    wait_until(lambda: peer_tools(a, "agent-b"), 30, "B's tools in A's catalog")
    return a, b


def test_unexposed_tool_is_refused_to_peers(spawn_agent: Spawn) -> None:
    a, b = connected_pair(spawn_agent)
    assert "b_secret" not in peer_tools(a, "agent-b")
    pinned = post(a, "/tools/b_secret@agent-b/invoke", {"arguments": {}})
    assert pinned.status_code == 404 and "b_secret" in pinned.json()["error"]["message"]

    direct = post(a, "/p2p/tool", {"peer_id": "agent-b", "tool_name": "b_secret"})
    assert direct.status_code == 200, direct.text
    body = direct.json()
    assert not body["ok"] and body["error"]["code"] == "not_found"
    assert "not exposed" in body["error"]["message"]
    local = post(b, "/tools/b_secret/invoke", {"arguments": {}})
    assert local.json()["ok"] and local.json()["content"][0]["text"] == "classified"


def test_peer_not_in_allowed_peers_is_refused(spawn_agent: Spawn) -> None:
    a, b = connected_pair(spawn_agent, b_p2p={"allowed_peers": [ELSEWHERE]})
    reply = post(a, "/tools/b_echo@agent-b/invoke", {"arguments": {"text": "let me in"}})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert not body["ok"] and body["error"]["code"] == "not_allowed"
    assert info(a)["peer_id"] in body["error"]["message"]
    assert not peer_tools(b, "agent-a"), "B took tools from a peer it does not allow"


def test_killed_peer_mid_call_gives_error_within_deadline_and_goes(spawn_agent: Spawn) -> None:
    a, b = connected_pair(spawn_agent, a_p2p={"request_timeout": 4.0})
    b_id = info(b)["peer_id"]
    tap = EventTap(a, "peerUpdate")
    b_tools = EventTap(b, "tool.started")
    try:
        outcome: dict[str, Any] = {}

        def call() -> None:
            began = time.monotonic()
            outcome["reply"] = post(a, "/p2p/tool", {"peer_id": "agent-b", "tool_name": "b_slow",
                                                     "arguments": {"seconds": 30}})
            outcome["took"] = time.monotonic() - began

        caller = threading.Thread(target=call)
        caller.start()
        wait_until(lambda: b_tools.find(lambda e: e["payload"]["tool"] == "b_slow"), 30,
                   "B to start the slow tool")
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait(5)
        caller.join(15)
        assert not caller.is_alive(), "A's call did not return after B died"
        reply = outcome["reply"]
        # the connection closes with B: A fails at once, well within request_timeout (4 s)
        assert outcome["took"] < 4.0, f"A answered after {outcome['took']:.1f}s"
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"]["code"] == "unavailable"

        wait_until(lambda: peer_state(a, b_id) == "gone", 30, "A to mark B gone")
        assert not peer_tools(a, "agent-b")
        assert get(a, "/health")["components"]["p2p"]["peers_connected"] == 0
        wait_until(lambda: tap.find(lambda e: e["payload"].get("peerId") == b_id
                                    and e["payload"].get("state") == "gone"), 30,
                   "a peerUpdate gone event on A's /events")
    finally:
        tap.close()
        b_tools.close()


def test_frozen_peer_is_dropped_and_in_flight_call_ends(spawn_agent: Spawn) -> None:
    """B stops answering (SIGSTOP) mid-call: A's pings miss, B is marked gone, the call ends
    long before its own 30 s deadline."""
    a, b = connected_pair(spawn_agent)
    b_id = info(b)["peer_id"]
    b_tools = EventTap(b, "tool.started")
    outcome: dict[str, Any] = {}

    def call() -> None:
        outcome["reply"] = post(a, "/tools/b_slow@agent-b/invoke",
                                {"arguments": {"seconds": 20}, "timeout_s": 30})
        outcome["ended"] = time.monotonic()

    caller = threading.Thread(target=call)
    try:
        caller.start()
        wait_until(lambda: b_tools.find(lambda e: e["payload"]["tool"] == "b_slow"), 30,
                   "B to start the slow tool")
        b_tools.close()
        os.kill(b.proc.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        caller.join(15)
        assert not caller.is_alive(), "A's call to the frozen B did not end"
        took = outcome["ended"] - frozen
        reply = outcome["reply"]
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "unavailable", (
            reply.text)
        assert took < 5, f"pings every 0.5 s, 2 misses: the call ended {took:.1f}s after freezing"
        assert peer_state(a, b_id) == "gone"
        direct = post(a, "/p2p/tool", {"peer_id": b_id, "tool_name": "b_echo",
                                       "arguments": {"text": "anyone?"}})
        assert direct.status_code == 503, direct.text
    finally:
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait(5)
        caller.join(5)
