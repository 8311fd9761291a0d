"""Our calls to a peer (trio thread): tool calls (pipelined when the peer speaks
`/praxis/tool/2.0.0`, else one stream per call) and A2A requests (one stream each).

Every failure, timeout or cancel resets the stream; a failure leaves as a `Timeout`
or `Unavailable` naming the peer, and is logged and counted.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.errors import InvalidInput, PraxisError, Unavailable
from praxis_sdk.p2p import protocols, wire
from praxis_sdk.p2p.bridge import Handoff
from praxis_sdk.p2p.connections import Connections, parse_id
from praxis_sdk.p2p.failures import Supervisor
from praxis_sdk.p2p.pipeline import Pipelines

OpenStream = Callable[[str, str], Awaitable[Any]]


class Calls:
    def __init__(self, *, connections: Connections, supervisor: Supervisor,
                 pipelines: Pipelines, open_stream: OpenStream, max_bytes: int) -> None:
        self.connections = connections
        self.pipelines = pipelines
        self.supervisor = supervisor
        self.metrics = supervisor.metrics
        self.open_stream = open_stream
        self.max_bytes = max_bytes

    def hand_tool(self, handoff: Handoff[wire.ToolResponse], peer_id: str,
                  request: wire.ToolRequest, data: bytes, timeout: float) -> bool:
        """Start a tool call on the peer's open pipelined stream with no trio task of its
        own: the stream's reader (or its timer) settles `handoff`, with what `call_tool`
        would return or raise. False, with nothing done, when the call must go
        `call_tool`'s way (no open stream yet, stream full, a 1.0.0 peer, not connected)."""
        pipe = self.pipelines.open_pipe(peer_id)
        if pipe is None or not self.connections.is_connected(peer_id):
            return False
        call = _Handed(self, handoff, f"tool {request.name} on {peer_id}", peer_id)
        if not pipe.hand(request.id, data, call, timeout):
            return False
        handoff.on_cancel = lambda: pipe.drop(request.id, call)
        return True

    async def call_tool(self, peer_id: str, request: wire.ToolRequest, timeout: float,
                        data: bytes | None = None) -> wire.ToolResponse:
        """One remote tool call: on the peer's pipelined stream when its card announces
        `/praxis/tool/2.0.0`, else on a new `/praxis/tool/1.0.0` stream. `data` is the
        request already encoded."""
        self._require_connected(peer_id)
        started = time.perf_counter()
        if data is None:
            data = wire.encode_line(request, self.max_bytes)
        what = f"tool {request.name} on {peer_id}"
        pipelined = self.pipelines.speaks(peer_id)
        protocol = protocols.TOOL_PIPELINED if pipelined else protocols.TOOL
        with self.supervisor.bounded(what, peer_id, timeout, protocol):
            response = None
            if pipelined:
                response = await self.pipelines.call(peer_id, request, data, timeout)
            if response is None:
                response = await self._one_stream(peer_id, request, data, timeout)
            self.metrics.call_latency.observe(time.perf_counter() - started)
            return response

    async def _one_stream(self, peer_id: str, request: wire.ToolRequest, data: bytes,
                          timeout: float) -> wire.ToolResponse:
        stream, rest = await protocols.open_with_request(
            self.connections.host.get_network(), parse_id(peer_id), protocols.TOOL, data,
            timeout)
        self.metrics.message(protocols.TOOL, "out", len(data))
        lines = protocols.LineStream(stream, protocols.TOOL, self.max_bytes, self.metrics)
        lines.prefill(rest)
        async with lines:
            return await protocols.read_response(lines, request, timeout)

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


class _Handed:
    """A tool call handed to a pipelined stream (`Calls.hand_tool`): settled from trio."""

    __slots__ = ("calls", "handoff", "what", "peer_id", "started")
    handed = True

    def __init__(self, calls: Calls, handoff: Handoff[wire.ToolResponse], what: str,
                 peer_id: str) -> None:
        self.calls, self.handoff, self.what, self.peer_id = calls, handoff, what, peer_id
        self.started = time.perf_counter()

    def answer(self, response: wire.ToolResponse) -> None:
        self.calls.metrics.call_latency.observe(time.perf_counter() - self.started)
        self.handoff.resolve(response)

    def fail(self, error: PraxisError, record: bool = True) -> None:
        if record:
            error = self.calls.supervisor.failed(self.what, self.peer_id, error,
                                                 protocols.TOOL_PIPELINED)
        self.handoff.fail(error)
