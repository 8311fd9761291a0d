"""`p2p.allowed_peers: []` means no peer may call our tools (unset/null means any)."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.agents import AgentProcess
from tests.support.p2p_agents import (
    ENV,
    agent_section,
    info,
    p2p_section,
    peer_tools,
    post,
    python_tool,
)
from tests.support.waiting import wait_until


def test_empty_allow_list_refuses_every_peer(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    b = spawn_agent("agent-b", env=ENV, p2p=p2p_section(allowed_peers=[]),
                    agent=agent_section(python_tool("b_echo")))
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url]))
    wait_until(lambda: peer_tools(a, "agent-b"), 20, "B's card on A")
    reply = post(a, "/tools/b_echo@agent-b/invoke", {"arguments": {"text": "let me in"}})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert not body["ok"] and body["error"]["code"] == "not_allowed", body
    assert info(a)["peer_id"] in body["error"]["message"]
    assert not peer_tools(b, "agent-a"), "B took tools from a peer it does not allow"
