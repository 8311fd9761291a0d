"""Helpers for workflow tests: the extra tools and a WebSocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.support.agents import AgentProcess

# Inline contracts run by the sandbox: a slow step and a step that fails N times first.
SLEEPER = {
    "name": "sleeper", "description": "Sleeps for the given seconds", "engine": "dagger",
    "params": [{"name": "seconds", "type": "string", "required": True}],
    "engineSpec": {"image": "python:3.11-slim", "timeout": 60,
                   "command": ["sh", "-c", 'sleep "$seconds"; echo slept $seconds']},
}
FLAKY = {
    "name": "flaky", "description": "Fails until called more than `failures` times for `key`",
    "engine": "dagger",
    "params": [{"name": "key", "type": "string", "required": True},
               {"name": "failures", "type": "string", "required": True}],
    "engineSpec": {
        "image": "python:3.11-slim", "timeout": 30, "mounts": {"./shared": "/shared"},
        "command": ["sh", "-c", "f=/shared/flaky-$key; n=$(( $(cat $f 2>/dev/null || echo 0)"
                    " + 1 )); echo $n > $f; if [ $n -le $failures ]; then echo attempt $n"
                    " fails >&2; exit 1; fi; echo ok after $n"],
    },
}
SANDBOX_ONLY = {"engines": ["sandbox"]}


def sections(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Config sections for a fast agent with the shipped tools plus sleeper and flaky."""
    out: dict[str, dict[str, Any]] = {"agent": {"tools": [SLEEPER, FLAKY]},
                                      "execution": dict(SANDBOX_ONLY)}
    for name, values in extra.items():
        out.setdefault(name, {}).update(values)
    return out


def ws_url(agent: AgentProcess, path: str = "/ws/workflow") -> str:
    return agent.url.replace("http://", "ws://") + path


class WS:
    """A `/ws/workflow` client that keeps every frame it received."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.frames: list[dict[str, Any]] = []

    async def send(self, type_: str, payload: dict[str, Any] | None = None) -> None:
        await self.conn.send(json.dumps({"type": type_, "payload": payload or {}}))

    async def until(self, done: Callable[[dict[str, Any]], bool], timeout: float = 30
                    ) -> dict[str, Any]:
        """Read frames until one satisfies `done`; return it."""
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.conn.recv())
                self.frames.append(frame)
                if done(frame):
                    return frame

    def of(self, workflow_id: str, *types: str) -> list[dict[str, Any]]:
        """Bus events of one workflow (optionally of some types), in arrival order."""
        return [f for f in self.frames if f["payload"].get("workflowId") == workflow_id
                and not f["type"].startswith("dsl") and (not types or f["type"] in types)]


def ws_connect(agent: AgentProcess) -> Any:
    return connect(ws_url(agent), additional_headers=agent.headers(), open_timeout=10)


def node_events(frames: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["payload"]["nodeId"], f["payload"]["status"]) for f in frames
            if f["type"] == "nodeStatusUpdate"]



def post(agent: AgentProcess, path: str, body: dict[str, Any], **params: Any) -> httpx.Response:
    return httpx.post(agent.url + path, json=body, params=params, headers=agent.headers(),
                      timeout=60)


def get(agent: AgentProcess, path: str, **params: Any) -> httpx.Response:
    return httpx.get(agent.url + path, params=params, headers=agent.headers(), timeout=30)
