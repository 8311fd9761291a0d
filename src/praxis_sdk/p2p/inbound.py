"""What peers ask of us (asyncio side): our exposed tools and A2A, for allowed peers only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.errors import NotAllowed, NotFound, PraxisError
from praxis_sdk.p2p import wire
from praxis_sdk.p2p.allowlist import AllowList
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

log = logging.getLogger(__name__)

InvokeLocal = Callable[[str, dict[str, Any]], Awaitable[ToolResult]]
A2AHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


def exposed_in(local_tools: Callable[[], list[ToolSpec]]) -> Callable[[str], bool]:
    """`exposed` for a node given only its list of exposed tools."""
    return lambda name: any(spec.name == name and spec.expose for spec in local_tools())


class InboundHandlers:
    """`exposed(name)`: whether peers may call the tool `name` (an agent's
    `ToolCatalog.exposed`)."""

    def __init__(self, *, allow: AllowList, exposed: Callable[[str], bool],
                 invoke_local: InvokeLocal, a2a_handler: A2AHandler | None) -> None:
        self.allow = allow
        self.exposed = exposed
        self.invoke_local = invoke_local
        self.a2a_handler = a2a_handler

    async def tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse:
        try:
            if not self.allow.permits(peer_id):
                raise NotAllowed(f"peer {peer_id} is not in p2p.allowed_peers")
            if not self.exposed(request.name):
                raise NotFound(f"tool not found or not exposed to peers: {request.name}")
            result = await self.invoke_local(request.name, request.flat_arguments())
        except PraxisError as exc:
            return wire.response_from_error(request.id, exc)
        except Exception as exc:  # a tool bug is the caller's error response, not our crash
            log.exception("local tool %s failed for peer %s", request.name, peer_id)
            return wire.response_from_error(request.id, PraxisError(f"internal error: {exc}"))
        return wire.response_from_result(request.id, result)

    async def a2a(self, peer_id: str, message: dict[str, Any]) -> dict[str, Any] | None:
        request_id = message.get("id")
        if not self.allow.permits(peer_id):
            return wire.jsonrpc_error(request_id, -32003, f"peer {peer_id} not allowed")
        if self.a2a_handler is None:
            return wire.jsonrpc_error(request_id, wire.METHOD_NOT_FOUND,
                                      f"method not found: {message.get('method')}")
        try:
            return await self.a2a_handler(message)
        except PraxisError as exc:
            return wire.jsonrpc_error(request_id, wire.INTERNAL_ERROR, exc.message)
