"""The `remote-mcp` engine: a tool contract run as one tool of an MCP server.

A contract names the server with `engineSpec.address` (a Streamable HTTP URL, or an SSE
URL ending in `/sse`) and the server's tool with `engineSpec.tool` (default: the
contract's name). The engine keeps one supervised session per address (the same
`MCPToolProvider` the client manager uses), opened at the first call and reconnected
with backoff; `stop()` closes them. It is also a node component, so `/health` shows
each address's state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from praxis_sdk.config import MCPLimits, MCPServerConfig
from praxis_sdk.errors import InvalidInput, Unavailable
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import Engine
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

if TYPE_CHECKING:  # the MCP SDK loads with the first remote-mcp call
    from praxis_sdk.mcp.client import CallCallback, MCPToolProvider

ENGINE = "remote-mcp"


def address_of(contract: ToolContract) -> str:
    """The contract's MCP URL; a missing or non-HTTP address is a clear error."""
    address = (contract.engine_spec.address or "").strip()
    if not address.startswith(("http://", "https://")):
        raise InvalidInput(
            f"tool {contract.name!r}: engineSpec.address must be the MCP server's http(s) URL, "
            f"got {address!r}",
            details={"tool": contract.name, "address": address},
        )
    return address


class RemoteMCPEngine(Engine):
    """Runs `remote-mcp` contracts over pooled MCP client sessions."""

    name = ENGINE
    probe_ttl = float("inf")

    def __init__(self, limits: MCPLimits | None = None, *,
                 on_call: CallCallback | None = None) -> None:
        super().__init__()
        self.limits = limits or MCPLimits()
        self.on_call = on_call
        self._sessions: dict[str, MCPToolProvider] = {}
        self._stopped = False

    async def _probe(self) -> tuple[bool, str]:
        return True, "connects to each contract's engineSpec.address on demand"

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        address = address_of(contract)
        remote_tool = contract.engine_spec.tool or contract.name
        session = self._session(address)
        connect_wait = min(timeout, self.limits.connect_timeout)
        if not await session.wait_connected(connect_wait):
            raise Unavailable(
                f"tool {contract.name!r}: MCP server {address} did not connect within "
                f"{connect_wait:g}s ({session.last_error or session.state})",
                details={"tool": contract.name, "address": address},
            )
        spec = ToolSpec(name=remote_tool, source="mcp", provider=address, engine=ENGINE)
        result = await session.call(spec, dict(arguments), timeout)
        return result.model_copy(update={"tool": contract.name, "engine": ENGINE})

    def _session(self, address: str) -> MCPToolProvider:
        if self._stopped:
            raise Unavailable("the remote-mcp engine is stopped")
        session = self._sessions.get(address)
        if session is None:
            parts = urlsplit(address)
            transport = "sse" if parts.path.rstrip("/").endswith("/sse") else "streamable-http"
            params = MCPServerConfig(name=address, transport=transport, url=address)
            from praxis_sdk.mcp.client import MCPToolProvider

            session = MCPToolProvider(params, self.limits, on_call=self.on_call)
            self._sessions[address] = session
            session.start()
        return session

    # Node component: stopped with the agent, reported in /health.

    async def start(self) -> None:
        self._stopped = False

    async def stop(self) -> None:
        self._stopped = True
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(session.stop() for session in sessions))

    def health(self) -> dict[str, Any]:
        servers = {address: s.health() for address, s in self._sessions.items()}
        down = [a for a, s in servers.items() if s["state"] != "connected"]
        return {"status": "degraded" if down else "healthy", "servers": servers}
