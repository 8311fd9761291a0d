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
    wait_until,
)

Spawn = Callable[..., AgentProcess]
ELSEWHERE = "12D3KooWGzXbNBm2ZmV4n3yFpwvyPuVvuKAPRbs7ey9YNbk2RnFk"  # some other node's id


def connected_pair(spawn_agent: Spawn, b_p2p: dict[str, Any] | None = None,
                   a_p2p: dict[str, Any] | None = None) -> tuple[AgentProcess, AgentProcess]:
    b = spawn_agent("agent-b", env=ENV, p2p=p2p_section(**(b_p2p or {})),
                    agent=agent_section(python_tool("b_echo"), python_tool("b_slow"),
                                        python_tool("b_secret", expose=False)))
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url], **(a_p2p or {})))
    wait_until(lambda: peer_tools(a, "agent-b"), 10, "B's tools in A's catalog")
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
        wait_until(lambda: b_tools.find(lambda e: e["payload"]["tool"] == "b_slow"), 10,
                   "B to start the slow tool")
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait(5)
        caller.join(15)
        assert not caller.is_alive(), "A's call did not return after B died"
        reply = outcome["reply"]
        assert outcome["took"] < 4.0 + 1.0, f"A answered after {outcome['took']:.1f}s"
        error = reply.json()
        assert (reply.status_code in (503, 504) and error["error"]["code"] in (
            "unavailable", "timeout")) or (reply.status_code == 200 and not error["ok"]), error

        wait_until(lambda: peer_state(a, b_id) == "gone", 10, "A to mark B gone")
        assert not peer_tools(a, "agent-b")
        assert get(a, "/health")["components"]["p2p"]["peers_connected"] == 0
        wait_until(lambda: tap.find(lambda e: e["payload"].get("peerId") == b_id
                                    and e["payload"].get("state") == "gone"), 10,
                   "a peerUpdate gone event on A's /events")
    finally:
        tap.close()
        b_tools.close()


def test_frozen_peer_is_dropped_and_in_flight_call_ends(spawn_agent: Spawn) -> None:
    """B stops answering (SIGSTOP): A's pings miss, B is marked gone, A's calls end early."""
    a, b = connected_pair(spawn_agent, a_p2p={"request_timeout": 2.0})
    b_id = info(b)["peer_id"]
    try:
        os.kill(b.proc.pid, signal.SIGSTOP)
        began = time.monotonic()
        direct = post(a, "/p2p/tool", {"peer_id": b_id, "tool_name": "b_echo",
                                       "arguments": {"text": "anyone?"}})
        took = time.monotonic() - began
        # a timeout, or `unavailable` when missed pings closed the connection first
        assert direct.status_code in (503, 504), direct.text
        assert direct.json()["error"]["code"] in ("timeout", "unavailable")
        assert took < 3.5, f"request_timeout 2s, answered after {took:.1f}s"

        began = time.monotonic()
        pinned = post(a, "/tools/b_slow@agent-b/invoke",
                      {"arguments": {"seconds": 1}, "timeout_s": 30})
        took = time.monotonic() - began
        body = pinned.json()
        failed = (pinned.status_code >= 400) or not body["ok"]
        assert failed and took < 10, f"{pinned.status_code} {body} after {took:.1f}s"
        wait_until(lambda: peer_state(a, b_id) == "gone", 10, "A to mark the frozen B gone")
    finally:
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait(5)
