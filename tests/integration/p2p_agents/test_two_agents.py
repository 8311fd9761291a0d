"""Two and three full agent processes on loopback: bootstrap by URL, cards, remote tools."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.agents import AgentProcess
from tests.support.p2p_agents import (
    ENV,
    agent_section,
    get,
    info,
    p2p_section,
    peer_tools,
    post,
    python_tool,
)
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]


def start_b(spawn_agent: Spawn, name: str = "agent-b") -> AgentProcess:
    return spawn_agent(name, env=ENV, p2p=p2p_section(),
                       agent=agent_section(python_tool("b_echo"),
                                           python_tool("b_secret", expose=False)))


def test_two_agents_bootstrap_by_url_swap_cards_and_call_tools(spawn_agent: Spawn) -> None:
    b = start_b(spawn_agent)
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url]))
    a_id, b_id = info(a)["peer_id"], info(b)["peer_id"]
    assert a_id and b_id and a_id != b_id

    cards = wait_until(lambda: get(a, "/p2p/cards").get(b_id), 30, "A to receive B's card")
    assert cards["name"] == "agent-b"
    assert [t["name"] for t in cards["tools"]] == ["b_echo"]  # b_secret is not exposed
    wait_until(lambda: a_id in get(b, "/p2p/cards"), 30, "B to receive A's card")
    assert get(b, "/p2p/cards")[a_id]["name"] == "agent-a"

    peers_a = {p["peer_id"]: p for p in get(a, "/peers")}
    assert peers_a[b_id]["state"] == "connected" and peers_a[b_id]["name"] == "agent-b"
    assert "b_echo" in peers_a[b_id]["tools"]
    assert any(p["peer_id"] == a_id and p["state"] == "connected" for p in get(b, "/peers"))

    assert wait_until(lambda: peer_tools(a, "agent-b"), 30, "B's tools in A's catalog") == {
        "b_echo"}
    entry = get(a, "/tools/b_echo")
    assert entry["source"] == "peer" and entry["provider"] == "agent-b"
    assert entry["input_schema"]["properties"]["text"]["type"] == "string"
    assert not peer_tools(b, "agent-a") & {"b_echo", "b_secret"}

    by_name = post(a, "/tools/b_echo/invoke", {"arguments": {"text": "hi"}})
    assert by_name.status_code == 200, by_name.text
    result = by_name.json()
    assert result["ok"] and result["provider"] == "agent-b"
    assert result["structured"]["echo"] == "hi"
    assert result["structured"]["pid"] == str(b.proc.pid)

    pinned = post(a, "/tools/b_echo@agent-b/invoke", {"arguments": {"text": "pinned"}})
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["structured"] == {"echo": "pinned", "pid": str(b.proc.pid)}

    wrong_pin = post(a, "/tools/b_echo@agent-a/invoke", {"arguments": {"text": "x"}})
    assert wrong_pin.status_code == 404

    for peer in (b_id, "agent-b"):
        direct = post(a, "/p2p/tool", {"peer_id": peer, "tool_name": "b_echo",
                                       "arguments": {"text": peer}})
        assert direct.status_code == 200, direct.text
        assert direct.json()["ok"] and direct.json()["structured"]["echo"] == peer

    task = post(a, "/execute", {"dsl": "CALL b_echo 'from a script' AS said\n"
                                       "CALL b_echo@agent-b $said.echo"}, timeout=60)
    assert task.status_code == 200, task.text
    assert task.json()["state"] == "completed", task.json()
    assert task.json()["result"]["last"] == {"echo": "from a script", "pid": str(b.proc.pid)}

    health_a, health_b = get(a, "/health"), get(b, "/health")
    assert health_a["peer_id"] == a_id and health_b["peer_id"] == b_id
    for health in (health_a, health_b):
        p2p = health["components"]["p2p"]
        assert p2p["status"] == "healthy" and p2p["listening"]
        assert p2p["peers_connected"] == 1


def test_three_agents_see_each_other_and_pin_providers(spawn_agent: Spawn) -> None:
    b = start_b(spawn_agent)
    c = spawn_agent("agent-c", env=ENV, p2p=p2p_section(bootstrap_nodes=[b.url]),
                    agent=agent_section(python_tool("b_echo")))
    a = spawn_agent("agent-a", env=ENV, agent=agent_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url, c.url]))
    ids = {x.name: info(x)["peer_id"] for x in (a, b, c)}

    def all_cards() -> bool:
        return (set(get(a, "/p2p/cards")) == {ids["agent-b"], ids["agent-c"]}
                and set(get(b, "/p2p/cards")) == {ids["agent-a"], ids["agent-c"]}
                and set(get(c, "/p2p/cards")) == {ids["agent-a"], ids["agent-b"]})

    wait_until(all_cards, 30, "every agent to hold the other two cards")
    wait_until(lambda: peer_tools(a, "agent-b") and peer_tools(a, "agent-c"), 30,
               "both peers' tools in A's catalog")
    providers = {t["provider"] for t in get(a, "/tools") if t["name"] == "b_echo"}
    assert providers == {"agent-b", "agent-c"}

    for name in ("agent-b", "agent-c"):
        reply = post(a, f"/tools/b_echo@{name}/invoke", {"arguments": {"text": name}})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        agent = b if name == "agent-b" else c
        assert body["provider"] == name and body["structured"]["pid"] == str(agent.proc.pid)
    via_provider = post(a, "/tools/b_echo/invoke",
                        {"arguments": {"text": "x"}, "provider": "agent-c"})
    assert via_provider.json()["structured"]["pid"] == str(c.proc.pid)
    for agent in (a, b, c):
        assert get(agent, "/health")["components"]["p2p"]["peers_connected"] == 2

    script = "\n".join([
        "PARALLEL",
        '  CALL b_echo@agent-b "to b" AS from_b',
        "  CALL b_echo@agent-c --text 'to c' AS from_c",
        "END",
        "CALL b_echo $from_b.echo",
    ])
    task = post(a, "/execute", {"dsl": script}, timeout=60)
    assert task.status_code == 200, task.text
    body = task.json()
    assert body["state"] == "completed", body
    outputs = body["result"]["outputs"]
    assert outputs["from_b"] == {"echo": "to b", "pid": str(b.proc.pid)}
    assert outputs["from_c"] == {"echo": "to c", "pid": str(c.proc.pid)}
    assert body["result"]["last"]["echo"] == "to b"
