"""Helpers for A2A tests: agents with in-process tools, the SDK's own client, raw JSON-RPC."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.client.client import Client
from a2a.helpers.proto_helpers import new_data_part, new_text_part
from a2a.types.a2a_pb2 import AgentCard, Message, Role, SendMessageRequest, StreamResponse

from tests.support.agents import AgentProcess

ECHO = {"name": "echo", "engine": "python",
        "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}}
DESCRIBE = {"name": "describe", "engine": "python",
            "engineSpec": {"entrypoint": "tests.support.echo_tool:describe"}}
SLOW = {"name": "b_slow", "engine": "python",
        "engineSpec": {"entrypoint": "tests.support.p2p_tools:b_slow"}}


def tools_section(*extra: dict[str, Any]) -> dict[str, Any]:
    """An `agent` section: echo, describe and a slow tool, all in-process."""
    return {"tools": [ECHO, DESCRIBE, SLOW, *extra], "tools_dir": ""}


def text_message(text: str, **fields: Any) -> Message:
    return Message(role=Role.ROLE_USER, message_id=uuid.uuid4().hex,
                   parts=[new_text_part(text)], **fields)


def data_message(data: dict[str, Any], **fields: Any) -> Message:
    return Message(role=Role.ROLE_USER, message_id=uuid.uuid4().hex,
                   parts=[new_data_part(data)], **fields)


async def card_of(agent: AgentProcess) -> AgentCard:
    async with httpx.AsyncClient(headers=agent.headers()) as http:
        return await A2ACardResolver(http, agent.url).get_agent_card()


@asynccontextmanager
async def sdk_client(agent: AgentProcess, *, version: str = "1.0", streaming: bool = True,
                     ) -> AsyncIterator[Client]:
    """The SDK's client for `agent`, speaking protocol `version` (1.0 or 0.3)."""
    card = await card_of(agent)
    chosen = [i for i in card.supported_interfaces
              if i.protocol_binding == "JSONRPC" and i.protocol_version == version]
    del card.supported_interfaces[:]
    card.supported_interfaces.extend(chosen)
    async with httpx.AsyncClient(headers=agent.headers(), timeout=60) as http:
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card)
        yield client


async def send(client: Client, message: Message, *, immediately: bool = False
               ) -> list[StreamResponse]:
    request = SendMessageRequest(message=message)
    request.configuration.return_immediately = immediately
    return [event async for event in client.send_message(request)]


def rpc(agent: AgentProcess, method: str, params: Any = None, *, version: str | None = "1.0",
        raw: bytes | None = None, path: str = "/a2a/v1") -> httpx.Response:
    """One raw JSON-RPC POST (for error codes the SDK client would not send)."""
    headers = {**agent.headers(), "content-type": "application/json"}
    if version:
        headers["A2A-Version"] = version
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params or {}}
    if raw is not None:
        return httpx.post(f"{agent.url}{path}", content=raw, headers=headers, timeout=30)
    return httpx.post(f"{agent.url}{path}", json=body, headers=headers, timeout=30)


def replayed_events(agent: AgentProcess, types: str,
                    until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """Bus events from the start (`Last-Event-ID: 0`) until `until(events)` holds."""
    events: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{agent.url}/events", params={"types": types},
                      headers={**agent.headers(), "Last-Event-ID": "0"}, timeout=10) as reply:
        for line in reply.iter_lines():
            if line.startswith("data:"):
                frame = json.loads(line[5:])
                if "payload" in frame:
                    events.append(frame)
                    if until(events):
                        return events
    raise AssertionError(f"the event stream ended before the events came: {events}")
