"""`Client`: the node's HTTP API for scripts and tests (async, httpx)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from praxis_sdk.errors import PraxisError, from_dict
from praxis_sdk.tools.result import ToolResult


class Client:
    """`async with Client("http://127.0.0.1:8000", token=...) as c: await c.health()`."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; an error body becomes the matching PraxisError."""
        response = await self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise _error(response)
        if not response.content:
            return None
        return response.json()

    async def health(self) -> dict[str, Any]:
        response = await self.http.get("/health")
        return response.json()

    async def card(self) -> dict[str, Any]:
        return await self.request("GET", "/agent/card")

    async def tools(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/tools")

    async def invoke(self, tool: str, arguments: dict[str, Any] | None = None, *,
                     provider: str | None = None, timeout_s: float | None = None) -> ToolResult:
        body = {"arguments": arguments or {}, "provider": provider, "timeout_s": timeout_s}
        return ToolResult(**await self.request("POST", f"/tools/{tool}/invoke", json=body))

    async def execute(self, dsl: str | None = None, *, request: str | None = None,
                      wait: bool = True) -> dict[str, Any]:
        """Run a DSL script (or a plain-language request) as a task."""
        body = {"dsl": dsl} if dsl is not None else {"request": request}
        return await self.request("POST", "/execute", json=body,
                                  params={"wait": str(wait).lower()})

    async def delegate(self, agent: str, message: str, *, wait: bool = True) -> dict[str, Any]:
        """Hand `message` (DSL or plain language) to another agent as an A2A task, through
        this node; the task (kind "delegate") with the other agent's artifacts."""
        return await self.request("POST", "/a2a/delegate", json={"agent": agent,
                                                                  "message": message},
                                  params={"wait": str(wait).lower()})

    async def plan(self, request: str) -> dict[str, Any]:
        """The plan the node's LLM would run for `request` (`{dsl, graph, ...}`); runs nothing."""
        return await self.request("POST", "/plan", json={"request": request})

    async def task(self, task_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/tasks/{task_id}")

    async def peers(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/peers")

    async def events(self, types: list[str] | None = None,
                     last_event_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """Follow `/events` (SSE); yields each event frame as a dict."""
        params = {"types": ",".join(types)} if types else {}
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        async with self.http.stream("GET", "/events", params=params, headers=headers,
                                    timeout=None) as response:
            if response.status_code >= 400:
                await response.aread()
                raise _error(response)
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    frame = json.loads(line[5:])
                    if "type" in frame:
                        yield frame


def _error(response: httpx.Response) -> PraxisError:
    try:
        body = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return PraxisError(f"HTTP {response.status_code}: {response.text[:200]}")
    return from_dict(body)
