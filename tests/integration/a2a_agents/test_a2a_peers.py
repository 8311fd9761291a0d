"""Two agent processes: the card follows a peer's tools; delegation over HTTP and libp2p."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from a2a.types.a2a_pb2 import TaskState

from praxis_sdk.client import Client
from tests.integration.a2a_agents.a2a_helpers import (
    card_of,
    sdk_client,
    send,
    text_message,
    tools_section,
)
from tests.support.agents import AgentProcess
from tests.support.p2p_agents import ENV, agent_section, p2p_section, python_tool
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]


async def test_card_lists_a_peer_tool_once_it_joins_and_drops_it_when_it_goes(
        spawn_agent: Spawn) -> None:
    a = spawn_agent("card-a", env=ENV, agent=tools_section(), p2p=p2p_section())
    assert "b_echo" not in {s.id for s in (await card_of(a)).skills}
    b = spawn_agent("card-b", env=ENV, agent=agent_section(python_tool("b_echo")),
                    p2p=p2p_section(bootstrap_nodes=[a.url]))

    def skills() -> set[str]:
        return {s["id"] for s in httpx.get(
            f"{a.url}/.well-known/agent-card.json").json()["skills"]}

    wait_until(lambda: "b_echo" in skills(), 20, "B's tool on A's card")
    b.stop()
    wait_until(lambda: "b_echo" not in skills(), 20, "B's tool gone from A's card")


def test_delegation_over_http_through_the_api_and_the_python_client(
        spawn_agent: Spawn) -> None:
    b = spawn_agent("del-b", env=ENV, agent=tools_section())
    a = spawn_agent("del-a", env=ENV, agent=tools_section())
    reply = httpx.post(f"{a.url}/a2a/delegate", json={"agent": b.url,
                                                      "message": "CALL echo from-a"},
                       timeout=60)
    assert reply.status_code == 200, reply.text
    task = reply.json()
    assert task["kind"] == "delegate" and task["state"] == "completed", task
    outcome = task["result"]["steps"]["call"]["result"]["structured"]
    assert outcome["transport"] == "http" and outcome["state"] == "completed"
    assert outcome["artifacts"][0]["text"] == "from-a"
    remote = httpx.get(f"{b.url}/tasks/{outcome['taskId']}").json()
    assert remote["kind"] == "a2a" and remote["state"] == "completed"

    async def through_client() -> dict:
        async with Client(a.url) as client:
            return await client.delegate(b.url, "CALL describe xy 3")

    again = asyncio.run(through_client())
    structured = again["result"]["steps"]["call"]["result"]["structured"]
    assert structured["artifacts"][0]["data"]["structured"]["text"] == "xyxyxy"

    bad = httpx.post(f"{a.url}/a2a/delegate", json={"agent": "nobody", "message": "CALL x"},
                     timeout=30)
    assert bad.status_code == 200 and bad.json()["state"] == "failed"
    assert "unknown agent 'nobody'" in bad.json()["error"]["message"]


def test_delegation_over_libp2p_when_http_a2a_is_closed_and_cancel_follows(
        spawn_agent: Spawn) -> None:
    b = spawn_agent("p2p-b", env=ENV, agent=tools_section(), p2p=p2p_section(),
                    a2a={"serve_http": False})
    assert httpx.post(f"{b.url}/a2a/v1", json={}).status_code == 404
    closed = httpx.post(f"{b.url}/execute", json={"jsonrpc": "2.0", "id": 1,
                                                  "method": "GetTask", "params": {"id": "x"}})
    assert closed.status_code == 503 and "a2a.serve_http" in closed.text, closed.text
    a = spawn_agent("p2p-a", env=ENV, agent=tools_section(),
                    p2p=p2p_section(bootstrap_nodes=[b.url]))
    wait_until(lambda: any(c.get("name") == "p2p-b" for c in httpx.get(
        f"{a.url}/p2p/cards").json().values()), 20, "B's card at A")

    done = httpx.post(f"{a.url}/execute", json={
        "dsl": 'DELEGATE p2p-b "CALL echo over-libp2p" AS remote\nCALL echo $remote.text'},
        timeout=60).json()
    assert done["state"] == "completed", done
    steps = done["result"]["steps"]
    outcome = steps["s1"]["result"]["structured"]
    assert outcome["transport"] == "p2p" and outcome["artifacts"][0]["text"] == "over-libp2p"
    assert steps["s2"]["result"]["content"][0]["text"] == "over-libp2p"

    started = httpx.post(f"{a.url}/execute", params={"wait": "false"}, json={
        "dsl": 'DELEGATE p2p-b "CALL b_slow 60"'}, timeout=30).json()

    def remote_working() -> list:
        return httpx.get(f"{b.url}/tasks", params={"kind": "a2a", "state": "working"}
                         ).json()["items"]

    [remote] = wait_until(remote_working, 30, "the delegated task working on B")
    run_id = started["meta"]["run_id"]
    assert httpx.post(f"{a.url}/workflows/{run_id}/cancel", timeout=30).status_code == 200
    wait_until(lambda: httpx.get(f"{b.url}/tasks/{remote['id']}").json()["state"]
               == "canceled", 30, "the delegated task canceled on B")
    assert httpx.get(f"{a.url}/tasks/{started['id']}").json()["state"] == "canceled"


async def test_a_delegation_loop_is_cut_by_the_hop_count(spawn_agent: Spawn) -> None:
    a = spawn_agent("loop-a", env=ENV, agent=tools_section())
    b = spawn_agent("loop-b", env=ENV, agent=tools_section())
    message = text_message(f'DELEGATE {b.url} "DELEGATE {a.url} \\"CALL echo x\\""')
    message.metadata.update({"praxisHops": 3})
    async with sdk_client(a, streaming=False) as client:
        [reply] = await send(client, message)
    assert reply.task.status.state == TaskState.TASK_STATE_FAILED
    assert "delegation loop" in reply.task.status.message.parts[0].text
