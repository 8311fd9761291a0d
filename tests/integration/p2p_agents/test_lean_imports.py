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
              "aioquic", "zeroconf", "Crypto", "coincurve", "requests",
              # Noise runs on PyNaCl and hashlib (p2p/noise_nacl.py)
              "cryptography"}


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


# loaded at the first use of what needs them, not by an idle agent: the DSL parser, schema
# checks of arguments, the HTTP client, multiaddr's DNS resolver, the command-line library
ON_FIRST_USE = {"lark", "jsonschema", "httpx", "dns.resolver", "typer"}


def test_an_idle_agent_loads_the_parser_schema_checks_and_http_client_at_first_use(
        spawn_agent: Spawn, tmp_path: Path) -> None:
    idle = spawn_agent("agent-idle", env=recording(tmp_path / "idle.txt"), p2p=p2p_section(),
                       agent=agent_section(python_tool("b_echo")))
    used = spawn_agent("agent-used", env=recording(tmp_path / "used.txt"), p2p=p2p_section(),
                       agent=agent_section(python_tool("b_echo")))
    assert get(idle, "/health")["components"]["p2p"]["status"] == "healthy"
    script = "\n".join(["CALL b_echo --text lazy AS e", 'IF $e.echo == "lazy"',
                        '  CALL b_echo --text "then $e.echo"', "END"])
    task = post(used, "/execute", {"dsl": script}).json()  # lark, jsonschema
    assert task["state"] == "completed", task
    assert task["result"]["steps"]["s2"]["result"]["structured"]["echo"] == "then lazy"
    bad = post(used, "/tools/b_echo/invoke", {"arguments": {"text": 1}})
    assert bad.status_code == 400 and "text" in bad.text, bad.text
    connected = post(used, "/p2p/connect", {"url": idle.url})  # httpx: a URL target
    assert connected.status_code == 200, connected.text
    wait_until(lambda: peer_tools(used, "agent-idle"), 30, "the idle agent's tools")
    for agent in (idle, used):
        assert agent.stop() == 0

    def loaded(name: str) -> set[str]:
        modules = set((tmp_path / f"{name}.txt").read_text().split())
        return {m for m in ON_FIRST_USE if m in modules or m in {n.split(".")[0] for n in modules}}

    assert loaded("idle") == set()
    assert loaded("used") == {"lark", "jsonschema", "httpx"}
    for name in ("idle", "used"):  # connected to each other over Noise (PyNaCl, hashlib)
        packages = {m.split(".")[0] for m in (tmp_path / f"{name}.txt").read_text().split()}
        assert "noise" in packages and "cryptography" not in packages, name
