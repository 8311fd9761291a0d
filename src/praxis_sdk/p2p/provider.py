"""A connected peer's tools as a catalog provider (source `peer`, named after the agent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.p2p.wire import Card, card_to_specs
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import Source, ToolSpec

CallFn = Callable[[str, str, dict[str, Any], float | None], Awaitable[ToolResult]]


class PeerToolProvider:
    """Tools from a peer's card; `call` goes over `/praxis/tool/1.0.0` on the open connection.

    Raises `Unavailable` (peer gone, stream failed) or `Timeout` (no answer in time);
    a tool that ran and failed on the peer is a result with `ok=False`.
    """

    source: Source = "peer"

    def __init__(self, peer_id: str, card: Card, call: CallFn) -> None:
        self.peer_id = peer_id
        self._call = call
        self.card = card
        self.name = card.name
        self._specs = card_to_specs(card, self.name)

    def update(self, card: Card) -> None:
        """A refreshed card from the same peer: the tool list follows it."""
        self.card = card
        self._specs = card_to_specs(card, self.name)

    def tools(self) -> list[ToolSpec]:
        return list(self._specs)

    async def call(
        self, spec: ToolSpec, arguments: dict[str, Any], timeout: float | None
    ) -> ToolResult:
        return await self._call(self.peer_id, spec.name, arguments, timeout)

    def __repr__(self) -> str:
        return f"PeerToolProvider({self.name!r}, {self.peer_id}, {len(self._specs)} tools)"
