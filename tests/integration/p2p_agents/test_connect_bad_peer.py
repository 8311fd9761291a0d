"""`POST /p2p/connect` to a peer that answers the card exchange badly: a clear error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.p2p.conftest import BadPeer
from tests.support.agents import AgentProcess
from tests.support.p2p_agents import ENV, agent_section, get, p2p_section, post

Spawn = Callable[..., AgentProcess]
CARD = "/praxis/card/1.0.0"
CASES = [("stall", 504, "timeout"), ("garbage", 503, "unavailable"),
         ("half", 503, "unavailable"), ("reset", 503, "unavailable")]


@pytest.fixture
def bad() -> Iterator[BadPeer]:
    peer = BadPeer()
    yield peer
    peer.stop()


def test_connect_to_a_bad_peer_names_it_and_the_agent_keeps_serving(
        spawn_agent: Spawn, bad: BadPeer) -> None:
    agent = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                        p2p=p2p_section(connection_timeout=1.0))
    for behaviour, status, code in CASES:
        bad.command(op="serve", protocol=CARD, behaviour=behaviour)
        reply = post(agent, "/p2p/connect", {"multiaddr": bad.multiaddr})
        assert reply.status_code == status, (behaviour, reply.text)
        error = reply.json()["error"]
        assert error["code"] == code and bad.peer_id in error["message"], (behaviour, error)
        assert "ExceptionGroup" not in error["message"]
        p2p = get(agent, "/health")["components"]["p2p"]
        assert p2p["status"] == "healthy" and p2p["listening"], p2p
        assert bad.peer_id in p2p["last_failure"], p2p
    assert any(peer["peer_id"] == bad.peer_id and peer["found_by"] == "connect"
               for peer in get(agent, "/peers"))
