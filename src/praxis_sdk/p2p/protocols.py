"""The Praxis stream protocols (INTERFACES 5), run inside the trio thread.

Every stream carries newline-delimited JSON. Each read and write has a deadline; a line
over the limit, invalid JSON, a wrong shape or a half-written line resets that stream
(the node keeps serving others).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import trio
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.protocol_muxer.multiselect import MULTISELECT_PROTOCOL_ID
from libp2p.utils.varint import encode_delim

from praxis_sdk.errors import InvalidInput, Timeout, Unavailable
from praxis_sdk.p2p import fastpath, wire
from praxis_sdk.p2p.failures import Supervisor, unwrapped
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.wire import A2A as A2A
from praxis_sdk.p2p.wire import CARD as CARD
from praxis_sdk.p2p.wire import PROTOCOLS as PROTOCOLS
from praxis_sdk.p2p.wire import TOOL as TOOL
from praxis_sdk.p2p.wire import TOOL_PIPELINED as TOOL_PIPELINED
from praxis_sdk.p2p.wire import jsonrpc_error as jsonrpc_error

READ_CHUNK = 65536


class LineStream:
    """A libp2p stream seen as JSON lines, with a byte limit per line and deadlines."""

    def __init__(self, stream: Any, protocol: str, max_bytes: int, metrics: P2PMetrics) -> None:
        fastpath.quicken_stream(stream)
        self.stream = stream
        self.protocol = protocol
        self.max_bytes = max_bytes
        self.metrics = metrics
        self._buf = wire.LineBuffer(max_bytes)
        self._eof = False

    def prefill(self, data: bytes) -> None:
        """Bytes already read from the stream (after protocol negotiation)."""
        if data:
            self._buf.feed(data)

    @property
    def peer_id(self) -> str:
        return str(self.stream.muxed_conn.peer_id)

    async def read_value(self, timeout: float) -> Any:
        """The next JSON value, or None on a clean end of stream before any byte of it."""
        if timeout == math.inf:  # an idle pipelined stream: no cancel scope to pay for
            line = await self._read_line()
        else:
            with trio.move_on_after(timeout) as scope:
                line = await self._read_line()
            if scope.cancelled_caught:
                raise Timeout(f"no complete message on {self.protocol} within {timeout:.1f}s")
        if line is None:
            return None
        self.metrics.message(self.protocol, "in", len(line) + 1)
        return wire.decode_line(line)

    async def _read_line(self) -> bytes | None:
        while True:
            line = self._buf.next_line()
            if line is not None:
                return line
            if self._eof:
                if self._buf.pending:
                    raise InvalidInput(
                        f"stream on {self.protocol} ended inside a message "
                        f"({self._buf.pending} bytes without a newline)"
                    )
                return None
            try:
                data = await self.stream.read(READ_CHUNK)
            except StreamEOF:
                data = b""
            except Exception as exc:  # reset or broken connection, named for the caller
                raise Unavailable(f"peer stream on {self.protocol} failed: {exc!r}") from exc
            if data:
                self._buf.feed(data)
            else:
                self._eof = True

    async def write_value(self, value: Any, timeout: float) -> None:
        data = wire.encode_line(value, self.max_bytes)
        await self.write_bytes(data, timeout)
        self.metrics.message(self.protocol, "out", len(data))

    async def write_bytes(self, data: bytes, timeout: float) -> None:
        """Write encoded lines (`wire.encode_line`) as they are; not counted as messages."""
        with trio.move_on_after(timeout) as scope:
            try:
                await self.stream.write(data)
            except Exception as exc:
                raise Unavailable(f"cannot write on {self.protocol}: {exc!r}") from exc
        if scope.cancelled_caught:
            raise Timeout(f"writing on {self.protocol} took over {timeout:.1f}s")

    async def __aenter__(self) -> LineStream:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: Any) -> None:
        """A clean exit closes the stream; an error, timeout or cancel resets it."""
        if exc is None:
            await self.close()
        else:
            await self.reset()

    async def close(self) -> None:
        with trio.CancelScope(shield=True), trio.move_on_after(1.0), \
                contextlib.suppress(Exception):
            await self.stream.close()

    async def reset(self) -> None:
        """Abort the stream (also when the caller is being cancelled)."""
        with trio.CancelScope(shield=True), trio.move_on_after(1.0), \
                contextlib.suppress(Exception):
            await self.stream.reset()

    def peer_safe(self) -> str:
        """The remote peer id, or "?" when the stream no longer knows it."""
        try:
            return self.peer_id
        except Exception:
            return "?"


class Handlers(Protocol):
    """What the protocol handlers need from the node."""

    metrics: P2PMetrics
    supervisor: Supervisor
    max_bytes: int
    io_timeout: float
    request_timeout: float

    async def own_card(self) -> dict[str, Any]: ...

    async def on_card(self, peer_id: str, card: wire.Card) -> None: ...

    async def handle_tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse: ...

    def start_tool(self, peer_id: str, request: wire.ToolRequest, deadline: float,
                   on_done: Callable[[Any, BaseException | None], None]) -> Any: ...

    def stop_tool(self, reply: Any) -> None: ...

    async def handle_a2a(self, peer_id: str, message: dict[str, Any]) -> dict[str, Any] | None: ...


ServeFn = Callable[[Handlers, LineStream], Awaitable[None]]


def handler(node: Handlers, protocol: str, serve: ServeFn) -> Callable[[Any], Awaitable[None]]:
    """A libp2p stream handler: any failure resets this stream only and is recorded."""
    async def handle(stream: Any) -> None:
        lines = LineStream(stream, protocol, node.max_bytes, node.metrics)
        node.metrics.streams.labels(protocol).inc()
        try:
            async with lines:
                await serve(node, lines)
        except* Exception as group:
            error = node.supervisor.record(f"serving {protocol}", lines.peer_safe(), group)
            node.metrics.error(protocol, error.code)
        finally:
            node.metrics.streams.labels(protocol).dec()
    return handle


# ---- card ------------------------------------------------------------------------------


async def exchange_cards(lines: LineStream, own: dict[str, Any], timeout: float) -> wire.Card:
    """Write our card and read theirs at the same time (either side may write first)."""
    received: list[Any] = []

    async def read() -> None:
        received.append(await lines.read_value(timeout))

    with unwrapped("card exchange"):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read)
            await lines.write_value(own, timeout)
    if not received or received[0] is None:
        raise InvalidInput("peer closed the card stream without sending its card")
    return wire.parse(wire.Card, received[0], "card")


async def serve_card(node: Handlers, lines: LineStream) -> None:
    card = await exchange_cards(lines, await node.own_card(), node.io_timeout)
    await node.on_card(lines.peer_id, card)


# ---- tool ------------------------------------------------------------------------------


async def serve_tool(node: Handlers, lines: LineStream) -> None:
    value = await lines.read_value(node.io_timeout)
    if value is None:
        raise InvalidInput("tool stream closed before a request")
    request = wire.parse(wire.ToolRequest, value, "tool request")
    await lines.write_value(await answer_tool(node, lines.peer_id, request), node.io_timeout)


async def answer_tool(node: Handlers, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse:
    """Our answer to one tool request; a tool running over the request timeout is an error."""
    with trio.move_on_after(node.request_timeout):
        return await node.handle_tool(peer_id, request)
    return wire.response_from_error(
        request.id, Timeout(f"tool {request.name} ran over {node.request_timeout:.1f}s"))


async def open_with_request(
    network: Any, peer_id: Any, protocol: str, first: bytes, timeout: float
) -> tuple[Any, bytes]:
    """Open a stream and send the multistream header, protocol and first message at once.

    Plain multistream-select costs two round trips before the first byte of data; this
    optimistic form (what go-libp2p calls lazy negotiation) sends everything in one
    write, then checks both echoes. A peer without the protocol answers "na". Returns
    the stream and any bytes read past the echoes (the start of the answer).
    """
    try:
        stream = await network.new_stream(peer_id)
    except Exception as exc:  # the swarm raises its own types: no connection, muxer closed
        raise Unavailable(f"cannot open {protocol} to {peer_id}: {exc!r}") from exc
    try:
        await stream.write(encode_delim(MULTISELECT_PROTOCOL_ID.encode())
                           + encode_delim(protocol.encode()) + first)
        with trio.fail_after(timeout):
            header, chosen, rest = await _read_echoes(stream)
    except BaseException as exc:  # error, timeout or cancel: the stream is reset
        with trio.CancelScope(shield=True), trio.move_on_after(1.0), \
                contextlib.suppress(Exception):
            await stream.reset()
        if not isinstance(exc, Exception):
            raise
        if isinstance(exc, trio.TooSlowError):
            raise Timeout(f"peer did not accept {protocol} within {timeout:.1f}s") from exc
        raise Unavailable(f"cannot open {protocol}: {exc!r}") from exc
    if header != MULTISELECT_PROTOCOL_ID or chosen != protocol:
        with trio.move_on_after(1.0), contextlib.suppress(Exception):
            await stream.reset()
        raise Unavailable(f"peer does not speak {protocol} (answered {chosen!r})")
    stream.set_protocol(protocol)
    return stream, rest


async def _read_echoes(stream: Any) -> tuple[str, str, bytes]:
    """Read the two varint-delimited multistream echoes with as few reads as possible."""
    buf = b""
    messages: list[str] = []
    while len(messages) < 2:
        taken = _take_delimited(buf)
        if taken is None:
            data = await stream.read(READ_CHUNK)
            if not data:
                raise Unavailable("stream closed during protocol negotiation")
            buf += data
            continue
        message, buf = taken
        messages.append(message.decode(errors="replace").rstrip("\n"))
    return messages[0], messages[1], buf


def _take_delimited(buf: bytes) -> tuple[bytes, bytes] | None:
    """One uvarint-length-prefixed message from the front of `buf`, or None if incomplete."""
    length, shift = 0, 0
    for index, byte in enumerate(buf[:10]):
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            end = index + 1 + length
            if len(buf) < end or length > 1024:
                if length > 1024:
                    raise InvalidInput("multistream message too long")
                return None
            return buf[index + 1:end], buf[end:]
    return None


async def read_response(
    lines: LineStream, request: wire.ToolRequest, timeout: float
) -> wire.ToolResponse:
    """Client side of one tool call once the request is written: read and check the answer."""
    value = await lines.read_value(timeout)
    if value is None:
        raise Unavailable("peer closed the tool stream without a response")
    response = wire.parse(wire.ToolResponse, value, "tool response")
    if response.id != request.id:
        raise InvalidInput(f"tool response id {response.id!r} does not match {request.id!r}")
    return response


# ---- a2a -------------------------------------------------------------------------------


async def serve_a2a(node: Handlers, lines: LineStream) -> None:
    served = 0
    while True:
        value = await lines.read_value(node.request_timeout)
        if value is None:
            if not served:
                raise InvalidInput("A2A stream closed before a request")
            break
        served += 1
        if not isinstance(value, dict):
            raise InvalidInput("A2A message must be a JSON-RPC object")
        with trio.move_on_after(node.request_timeout) as scope:
            answer = await node.handle_a2a(lines.peer_id, value)
        if scope.cancelled_caught:
            answer = jsonrpc_error(value.get("id"), wire.INTERNAL_ERROR, "A2A handler timed out")
        if answer is not None and "id" in value:
            await lines.write_value(answer, node.io_timeout)


