"""The card we send (asyncio side): exposed tools cached, endpoints and peer id read fresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from praxis_sdk.p2p import wire
from praxis_sdk.tools.spec import ToolSpec

Endpoints = dict[str, str] | Callable[[], dict[str, str]] | None


class OwnCard:
    def __init__(self, *, name: str, version: str, local_tools: Callable[[], list[ToolSpec]],
                 endpoints: Endpoints, http_base_url: str | None) -> None:
        self.name = name
        self.version = version
        self._local_tools = local_tools
        self._endpoints = endpoints
        self._http_base_url = http_base_url
        self._card: dict[str, Any] = {}
        self.peer_id = ""

    @property
    def endpoints(self) -> dict[str, str]:
        """Our HTTP, A2A and MCP URLs (asked for each time: the HTTP port may be known late)."""
        found = self._endpoints() if callable(self._endpoints) else self._endpoints
        out = dict(found or {})
        if self._http_base_url and "http" not in out:
            out["http"] = self._http_base_url
        return out

    def rebuild(self) -> bool:
        """Re-read our exposed tools; True when the tool list changed."""
        before = self._card.get("tools")
        tools = [spec for spec in self._local_tools() if spec.expose]
        self._card = wire.build_card(name=self.name, version=self.version, peer_id=self.peer_id,
                                     tools=tools, endpoints=self.endpoints).dump()
        return self._card.get("tools") != before

    def current(self) -> dict[str, Any]:
        """The card to send now."""
        card = dict(self._card)
        card["peerId"] = self.peer_id
        endpoints = self.endpoints
        if endpoints:
            card["endpoints"] = endpoints
        return card

    async def fetch(self) -> dict[str, Any]:
        """`current()` for the trio side, which asks through the bridge."""
        return self.current()
