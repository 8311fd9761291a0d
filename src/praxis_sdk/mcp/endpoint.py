"""`/mcp` on the agent's app, with the MCP SDK loaded on the first request.

Importing the SDK costs about half a second and tens of MB, so a node that nobody asks
over MCP never pays it. The first request builds the server and starts its session
manager in a task this endpoint owns; `aclose()` stops it with the node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from praxis_sdk.mcp.server import MCPHttpMount

PATH = "/mcp"
METHODS = ["GET", "POST", "DELETE"]


class LazyMCPEndpoint:
    """An ASGI app for `/mcp` that builds the real one (via `factory`) when first called."""

    def __init__(self, factory: Callable[[], MCPHttpMount]) -> None:
        self._factory = factory
        self._mount: MCPHttpMount | None = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def routes(self) -> list[Route]:
        """`/mcp` and `/mcp/`, both served directly (no redirect between them)."""
        return [Route(p, endpoint=self, methods=METHODS, include_in_schema=False)
                for p in (PATH, PATH + "/")]

    @property
    def loaded(self) -> bool:
        return self._mount is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mount = self._mount or await self._load()
        await mount.app(scope, receive, send)

    async def _load(self) -> MCPHttpMount:
        async with self._lock:
            if self._mount is None:
                mount = self._factory()
                ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._task = asyncio.create_task(self._serve(mount, ready))
                await ready
                self._mount = mount
        return self._mount

    async def _serve(self, mount: MCPHttpMount, ready: asyncio.Future[None]) -> None:
        try:
            async with mount.lifespan():
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    async def aclose(self) -> None:
        """Stop the session manager (open MCP sessions end) if it was ever started."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5)
