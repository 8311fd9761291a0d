"""Two agents call each other over libp2p (Noise) and load none of the optional extras,
nor the parts of libp2p a node does not use (p2p/slim.py).

What an agent imported is its `sys.modules` at exit, written by
tests/support/modules_at_exit/sitecustomize.py (on the agent's PYTHONPATH).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from praxis_sdk.lean import DATABASE_STORES
from praxis_sdk.p2p.slim import STAND_INS
from tests.support.agents import REPO, AgentProcess
from tests.support.p2p_agents import (
    ENV,
    agent_section,
    get,
    p2p_section,
    peer_tools,
    post,
    python_tool,
)
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]
NOT_LOADED = {"rich", "pygments", "grpc", "watchfiles", "docker",
              # libp2p's QUIC, mDNS (off here), RSA and secp256k1 keys, AutoTLS
              "aioquic", "zeroconf", "Crypto", "coincurve", "requests"}


def recording(out: Path) -> dict[str, str]:
    """The env of an agent that writes its module names to `out` at exit."""
    probe = REPO / "tests" / "support" / "modules_at_exit"
    return {**ENV, "PYTHONPATH": f"{probe}:{ENV['PYTHONPATH']}",
            "PRAXIS_TEST_MODULES_OUT": str(out)}


def test_remote_call_over_noise_loads_no_optional_extras(spawn_agent: Spawn,
                                                         tmp_path: Path) -> None:
    b = spawn_agent("agent-b", env=recording(tmp_path / "b.txt"), p2p=p2p_section(),
                    agent=agent_section(python_tool("b_echo")))
    a = spawn_agent("agent-a", env=recording(tmp_path / "a.txt"), agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url]))
    wait_until(lambda: peer_tools(a, "agent-b"), 30, "B's tools in A's catalog")
    reply = post(a, "/tools/b_echo@agent-b/invoke", {"arguments": {"text": "lean"}})
    assert reply.status_code == 200, reply.text
    assert reply.json()["structured"] == {"echo": "lean", "pid": str(b.proc.pid)}
    # A2A loads a2a-sdk's server at the first request, as lean as the rest
    assert get(a, "/.well-known/agent-card.json")["name"] == "agent-a"
    rpc = post(b, "/a2a/v1", {"jsonrpc": "2.0", "id": 1, "method": "tasks/get",
                              "params": {"id": "none"}})
    assert rpc.status_code == 200 and rpc.json()["error"], rpc.text
    for agent in (a, b):
        assert "docker" in get(agent, "/health")["components"]["tools"]["engines"]
        assert agent.stop() == 0
    for name in ("a", "b"):
        modules = set((tmp_path / f"{name}.txt").read_text().split())
        loaded = {m.split(".")[0] for m in modules}
        assert {"libp2p", "noise", "praxis_sdk"} <= loaded  # the list is the agent's
        assert loaded.isdisjoint(NOT_LOADED), (name, loaded & NOT_LOADED)
        assert modules.isdisjoint(STAND_INS), (name, modules & set(STAND_INS))
        unused = {"sqlalchemy.orm", "sqlalchemy.ext.asyncio", *DATABASE_STORES}
        assert {"a2a.server.request_handlers"} <= modules and modules.isdisjoint(unused), (
            name, modules & unused)
