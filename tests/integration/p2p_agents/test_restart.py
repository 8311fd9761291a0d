"""Restarting an agent: same peer id, peers reconnect and see its new tool set."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from tests.support.agents import AgentProcess, start_agent
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


def test_identity_persists_and_peers_see_new_tools_after_restart(spawn_agent: Spawn) -> None:
    b = spawn_agent("agent-b", env=ENV, p2p=p2p_section(),
                    agent=agent_section(python_tool("b_echo")))
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url]))
    b_id = info(b)["peer_id"]
    assert get(b, "/health")["peer_id"] == b_id
    key_dir = b.home / "keys" / "agent-b"
    assert key_dir.is_dir() and all(
        (f.stat().st_mode & 0o777) == 0o600 for f in key_dir.iterdir() if f.is_file())
    assert wait_until(lambda: peer_tools(a, "agent-b"), 30, "B's tools on A") == {"b_echo"}

    tap = EventTap(a, "peerUpdate")
    try:
        assert b.stop() == 0
        wait_until(lambda: peer_state(a, b_id) == "gone", 30, "A to mark B gone")
        assert not peer_tools(a, "agent-b")

        config = copy.deepcopy(b.config)  # same ports and keystore, another tool set
        config["agent"] = {**config["agent"], **agent_section(python_tool("b_fresh"))}
        again = start_agent(b.home, config, env=ENV)
        healthy = time.monotonic()
        try:
            assert info(again)["peer_id"] == b_id
            assert get(again, "/health")["peer_id"] == b_id
            assert wait_until(lambda: peer_tools(a, "agent-b"), 30,
                              "A to reconnect and see B's new tools") == {"b_fresh"}
            print(f"\nA saw the restarted B's tools {time.monotonic() - healthy:.2f}s after "
                  "B was healthy")
            reply = post(a, "/tools/b_fresh@agent-b/invoke", {"arguments": {}})
            assert reply.json()["ok"] and reply.json()["content"][0]["text"] == "fresh"
            assert post(a, "/tools/b_echo/invoke", {"arguments": {"text": "x"}}
                        ).status_code == 404
            states = [e["payload"].get("state") for e in tap.events
                      if e["payload"].get("peerId") == b_id]
            assert "gone" in states and states[-1] == "connected", states
        finally:
            again.stop()
    finally:
        tap.close()


def test_enable_dht_warns_that_it_is_not_supported(spawn_agent: Spawn) -> None:
    agent = spawn_agent("agent-d", agent=agent_section(),
                        p2p=p2p_section(enable_dht=True, rendezvous="team-x"))
    assert get(agent, "/health")["components"]["p2p"]["status"] == "healthy"
    assert "Kademlia DHT is not supported yet" in agent.log
    assert "team-x" in agent.log
