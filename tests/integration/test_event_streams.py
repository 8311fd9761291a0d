"""Event streams: SSE clients that leave early leave nothing behind, and a WebSocket
session's filter applies at the bus, so unrelated traffic cannot crowd its queue."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from urllib.parse import urlparse

import websockets

from praxis_sdk import Agent, load_config


def config(tmp_path: Path):  # noqa: ANN201
    return load_config(
        None, name="events-agent", port=0, host="127.0.0.1",
        agent={"shared_dir": str(tmp_path / "shared"), "tools_dir": None},
        storage={"data_dir": str(tmp_path / "data")},
        p2p={"enabled": False},
    )


async def wait_for(predicate, timeout: float = 10) -> bool:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def hang_up_sse(url: str, *, read_headers: bool) -> None:
    """Open GET /events on a raw socket and close it before any event is read."""
    where = urlparse(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    writer.write(f"GET /events HTTP/1.1\r\nHost: {where.netloc}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    if read_headers:
        await reader.readuntil(b"\r\n\r\n")
    writer.transport.set_write_buffer_limits(0)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.close()


async def gone_before_streaming(agent: Agent) -> None:
    """GET /events through the agent's ASGI app from a client whose disconnect is already
    queued: the response is torn down before its stream takes a first step."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/events", "raw_path": b"/events",
             "root_path": "", "query_string": b"", "headers": [(b"host", b"127.0.0.1")],
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000)}

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        await asyncio.sleep(0)  # a network write yields to the loop

    await asyncio.wait_for(agent.app(scope, receive, send), 10)


async def test_sse_clients_leaving_before_the_first_event_leave_no_subscription(
    tmp_path: Path,
) -> None:
    async with Agent(config(tmp_path)) as agent:
        before = agent.bus.subscriber_count
        for index in range(30):
            await hang_up_sse(agent.url, read_headers=index % 2 == 0)
        for _ in range(20):
            await gone_before_streaming(agent)
        agent.bus.publish("nudge", {})  # a stream notices a gone client when it next sends
        assert await wait_for(lambda: agent.bus.subscriber_count == before), (
            f"{agent.bus.subscriber_count - before} subscriptions leaked")


async def test_ws_filter_applies_at_the_bus_no_false_drops(tmp_path: Path) -> None:
    agent = Agent(config(tmp_path))

    @agent.tool
    def ping() -> str:
        """Answers pong."""
        return "pong"

    async with agent:
        ws_url = agent.url.replace("http://", "ws://") + "/ws/events"
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps({"type": "SUBSCRIBE_EVENTS",
                                      "payload": {"event_types": ["tool.completed"]}}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            for i in range(5000):  # far more than a subscriber queue holds
                agent.bus.publish("noise", {"i": i})
            await agent.catalog.invoke("ping", {})
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert frame["type"] == "tool.completed", frame
        assert frame["payload"]["tool"] == "ping"
    assert agent.bus.subscriber_count == 0
