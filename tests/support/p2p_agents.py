"""Helpers for tests that run several agents with P2P on: configs, polling, events."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.agents import REPO, AgentProcess

ENV = {"PYTHONPATH": str(REPO)}  # agents import tests.support.p2p_tools as tool entrypoints


def python_tool(name: str, *, expose: bool = True) -> dict[str, Any]:
    """An `agent.tools` entry running `tests.support.p2p_tools:<name>` in the agent."""
    return {"name": name, "engine": "python", "expose": expose,
            "engineSpec": {"entrypoint": f"tests.support.p2p_tools:{name}"}}


def agent_section(*tools: dict[str, Any]) -> dict[str, Any]:
    """An `agent` section override: inline tools and no shipped tools folder."""
    return {"tools": list(tools), "tools_dir": ""}


def p2p_section(**extra: Any) -> dict[str, Any]:
    """P2P on with fast liveness so gone peers show quickly."""
    return {"enabled": True, "ping_interval": 0.5, "ping_misses": 2,
            "connection_timeout": 5.0, "request_timeout": 10.0, **extra}


def get(agent: AgentProcess, path: str, **params: Any) -> Any:
    reply = httpx.get(f"{agent.url}{path}", params=params, headers=agent.headers(), timeout=30)
    assert reply.status_code == 200, f"GET {path} on {agent.name}: {reply.text}"
    return reply.json()


def post(agent: AgentProcess, path: str, body: dict[str, Any],
         timeout: float = 30) -> httpx.Response:
    return httpx.post(f"{agent.url}{path}", json=body, headers=agent.headers(),
                      timeout=timeout)



def peer_tools(agent: AgentProcess, provider: str) -> set[str]:
    """Names of the `peer` tools in the agent's catalog served by `provider`."""
    return {t["name"] for t in get(agent, "/tools")
            if t["source"] == "peer" and t["provider"] == provider}


def peer_state(agent: AgentProcess, peer_id: str) -> str | None:
    return next((p["state"] for p in get(agent, "/peers") if p["peer_id"] == peer_id), None)


def info(agent: AgentProcess) -> dict[str, Any]:
    return get(agent, "/p2p/info")


class EventTap:
    """Collects the agent's `/events` (SSE) of some types in a background thread."""

    def __init__(self, agent: AgentProcess, types: str) -> None:
        self.events: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._url = f"{agent.url}/events"
        self._params = {"types": types}
        self._headers = agent.headers()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the /events stream did not open"

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._url, params=self._params,
                                     headers=self._headers) as reply:
                for line in reply.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event: ready"):
                        self._ready.set()
                    elif line.startswith("data:"):
                        frame = json.loads(line[5:])
                        if "payload" in frame:
                            self.events.append(frame)
        except (httpx.HTTPError, RuntimeError):  # closed by close() or the agent went away
            return

    def find(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        return next((e for e in list(self.events) if check(e)), None)

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self._thread.join(5)
