"""Our calls to a peer (trio thread): one tool call or A2A request per stream.

Every failure, timeout or cancel resets the stream; a failure leaves as a `Timeout`
or `Unavailable` naming the peer, and is logged and counted.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.errors import InvalidInput, Unavailable
from praxis_sdk.p2p import protocols, wire
from praxis_sdk.p2p.connections import Connections, parse_id
from praxis_sdk.p2p.failures import Supervisor

OpenStream = Callable[[str, str], Awaitable[Any]]


class Calls:
    def __init__(self, *, connections: Connections, supervisor: Supervisor,
                 open_stream: OpenStream, max_bytes: int) -> None:
        self.connections = connections
        self.supervisor = supervisor
        self.metrics = supervisor.metrics
        self.open_stream = open_stream
        self.max_bytes = max_bytes

    async def call_tool(self, peer_id: str, request: wire.ToolRequest,
                        timeout: float) -> wire.ToolResponse:
        """One remote tool call on a new stream over the open connection."""
        self._require_connected(peer_id)
        started = time.perf_counter()
        data = wire.encode_line(request, self.max_bytes)
        what = f"tool {request.name} on {peer_id}"
        with self.supervisor.bounded(what, peer_id, timeout, protocols.TOOL):
            stream, rest = await protocols.open_with_request(
                self.connections.host.get_network(), parse_id(peer_id), protocols.TOOL, data,
                timeout)
            self.metrics.message(protocols.TOOL, "out", len(data))
            lines = protocols.LineStream(stream, protocols.TOOL, self.max_bytes, self.metrics)
            lines.prefill(rest)
            async with lines:
                response = await protocols.read_response(lines, request, timeout)
            self.metrics.call_latency.observe(time.perf_counter() - started)
            return response

    async def send_a2a(self, peer_id: str, message: dict[str, Any],
                       timeout: float) -> dict[str, Any]:
        """One JSON-RPC request over `/praxis/a2a/1.0.0`; returns the response object."""
        self._require_connected(peer_id)
        what = f"A2A request to {peer_id}"
        with self.supervisor.bounded(what, peer_id, timeout, protocols.A2A):
            stream = await self.open_stream(peer_id, protocols.A2A)
            lines = protocols.LineStream(stream, protocols.A2A, self.max_bytes, self.metrics)
            async with lines:
                await lines.write_value(message, timeout)
                answer = await lines.read_value(timeout)
                if not isinstance(answer, dict):
                    raise InvalidInput("peer answered A2A with no JSON-RPC object")
            return answer

    def _require_connected(self, peer_id: str) -> None:
        if not self.connections.is_connected(peer_id):
            raise Unavailable(f"peer {peer_id} is not connected")
