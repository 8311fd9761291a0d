"""`/praxis/tool/2.0.0`: one long-lived stream per peer carrying many tool calls.

The NDJSON shapes are those of `/praxis/tool/1.0.0`; requests and responses are matched
by `id`, so answers may come back in any order. A peer announces the protocol in its
card's `capabilities`; peers that do not (the Go agents, older nodes) keep getting one
`/praxis/tool/1.0.0` stream per call.

Bounds: a caller holds one of `DEPTH` slots per peer while its call is open (more
callers wait: back-pressure); a server answers at most `DEPTH` requests of one stream
at a time and stops reading meanwhile, so yamux's window pushes back on the caller.
Runs in the trio thread.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

import trio

from praxis_sdk.errors import InvalidInput, PraxisError, Timeout, TooLarge, Unavailable
from praxis_sdk.p2p import protocols, wire
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import PeerTable
from praxis_sdk.p2p.wire import TOOL_PIPELINED

log = logging.getLogger(__name__)

DEPTH = 64  # requests in flight per peer, each way


class Node(Protocol):
    """What the pipeline needs from the node (all trio-side)."""

    host: Any
    peers: PeerTable
    metrics: P2PMetrics
    max_bytes: int
    io_timeout: float
    request_timeout: float

    async def handle_tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse: ...


class _Call:
    __slots__ = ("done", "response", "error")

    def __init__(self) -> None:
        self.done = trio.Event()
        self.response: wire.ToolResponse | None = None
        self.error: PraxisError | None = None


class Pipe:
    """The caller's end of one pipelined stream: sends requests, routes answers by id."""

    def __init__(self, lines: protocols.LineStream, io_timeout: float) -> None:
        self.lines = lines
        self.io_timeout = io_timeout
        self.open = True
        self._calls: dict[str, _Call] = {}
        self._slots = trio.Semaphore(DEPTH)
        self._write_lock = trio.Lock()

    async def call(self, request: wire.ToolRequest, data: bytes) -> wire.ToolResponse:
        """Send `data` (the encoded request) and wait for the answer with its id."""
        if request.id in self._calls:
            raise InvalidInput(f"tool request id {request.id!r} is already in flight")
        await take(self._slots)
        call = self._calls[request.id] = _Call()
        try:
            await self._send(data)
            await call.done.wait()
        finally:
            self._calls.pop(request.id, None)
            self._slots.release()
        if call.error is not None:
            raise call.error
        assert call.response is not None
        return call.response

    async def _send(self, data: bytes) -> None:
        # shielded: a caller's timeout must not leave half a line on the shared stream
        with trio.CancelScope(shield=True):
            await take(self._write_lock)
            try:
                if not self.open:
                    raise Unavailable("the pipelined tool stream is closed")
                with trio.move_on_after(self.io_timeout) as scope:
                    try:
                        await self.lines.stream.write(data)
                    except Exception as exc:
                        self.fail(Unavailable(f"tool stream write failed: {exc!r}"))
                        raise Unavailable(f"tool stream write failed: {exc!r}") from exc
                if scope.cancelled_caught:
                    self.fail(Timeout("writing on the tool stream stalled"))
                    raise Timeout(f"writing on {TOOL_PIPELINED} took over "
                                  f"{self.io_timeout:.1f}s")
            finally:
                self._write_lock.release()
        self.lines.metrics.message(TOOL_PIPELINED, "out", len(data))

    async def read_answers(self) -> None:
        """Route every response to its caller until the stream ends; then fail the rest."""
        error: PraxisError = Unavailable("peer closed the pipelined tool stream")
        try:
            while True:
                value = await self.lines.read_value(math.inf)
                if value is None:
                    break
                response = wire.parse(wire.ToolResponse, value, "tool response")
                call = self._calls.get(response.id)
                if call is None:  # its caller gave up (timeout, cancel)
                    log.debug("late tool response %s dropped", response.id)
                    continue
                call.response = response
                call.done.set()
        except PraxisError as exc:
            error = exc
            await self.lines.reset(exc)
        finally:
            self.fail(error)

    def fail(self, error: PraxisError) -> None:
        """No more calls on this stream; every waiting caller gets `error`."""
        self.open = False
        for call in self._calls.values():
            if not call.done.is_set():
                call.error = error
                call.done.set()


class Pipelines:
    """One `Pipe` per peer that announced `/praxis/tool/2.0.0`, opened on first use."""

    def __init__(self, node: Node, nursery: trio.Nursery) -> None:
        self.node = node
        self.nursery = nursery
        self._pipes: dict[str, Pipe] = {}
        self._opening: dict[str, trio.Lock] = {}
        self._refused: set[tuple[str, int]] = set()  # (peer, card timestamp) that said "na"

    def speaks(self, peer_id: str) -> bool:
        record = self.node.peers.get(peer_id)
        card = record.card if record is not None else None
        return (card is not None and TOOL_PIPELINED in card.capabilities
                and (peer_id, card.timestamp) not in self._refused)

    async def call(self, peer_id: str, pid: Any, request: wire.ToolRequest,
                   timeout: float) -> wire.ToolResponse | None:
        """The peer's answer, or None when the peer speaks only `/praxis/tool/1.0.0`."""
        if not self.speaks(peer_id):
            return None
        data = wire.encode_line(request, self.node.max_bytes)
        with trio.move_on_after(timeout):
            pipe = await self._pipe(peer_id, pid, timeout)
            if pipe is None:
                return None
            return await pipe.call(request, data)
        self.node.metrics.error(TOOL_PIPELINED, "timeout")
        raise Timeout(f"tool {request.name} on {peer_id} gave no answer within {timeout:.1f}s")

    async def _pipe(self, peer_id: str, pid: Any, timeout: float) -> Pipe | None:
        pipe = self._pipes.get(peer_id)
        if pipe is not None and pipe.open:
            return pipe
        lock = self._opening.setdefault(peer_id, trio.Lock())
        async with lock:
            pipe = self._pipes.get(peer_id)
            if pipe is not None and pipe.open:
                return pipe
            try:
                stream, rest = await protocols.open_with_request(
                    self.node.host.get_network(), pid, TOOL_PIPELINED, b"", timeout)
            except Unavailable as exc:
                if "does not speak" not in exc.message:
                    raise
                log.info("peer %s refused %s: one stream per call", peer_id, TOOL_PIPELINED)
                record = self.node.peers.get(peer_id)  # a new card (restart) tries again
                if record is not None and record.card is not None:
                    self._refused.add((peer_id, record.card.timestamp))
                return None
            lines = protocols.LineStream(stream, TOOL_PIPELINED, self.node.max_bytes,
                                         self.node.metrics)
            lines.prefill(rest)
            pipe = self._pipes[peer_id] = Pipe(lines, self.node.io_timeout)
            self.nursery.start_soon(self._read, peer_id, pipe)
            return pipe

    async def _read(self, peer_id: str, pipe: Pipe) -> None:
        self.node.metrics.streams.labels(TOOL_PIPELINED).inc()
        try:
            await pipe.read_answers()
        finally:
            self.node.metrics.streams.labels(TOOL_PIPELINED).dec()
            if self._pipes.get(peer_id) is pipe:
                del self._pipes[peer_id]
            await pipe.lines.close()


# ---- the answering side -------------------------------------------------------------------


def tool_handler(node: Node) -> Any:
    """The stream handler for `/praxis/tool/2.0.0`."""
    async def handle(stream: Any) -> None:
        lines = protocols.LineStream(stream, TOOL_PIPELINED, node.max_bytes, node.metrics)
        node.metrics.streams.labels(TOOL_PIPELINED).inc()
        try:
            await _serve(node, lines)
        except PraxisError as exc:
            await lines.reset(exc)
        except Exception as exc:  # a handler bug must not take the node down
            log.exception("unexpected error on %s", TOOL_PIPELINED)
            await lines.reset(exc)
        finally:
            node.metrics.streams.labels(TOOL_PIPELINED).dec()
    return handle


async def _serve(node: Node, lines: protocols.LineStream) -> None:
    slots, write_lock = trio.Semaphore(DEPTH), trio.Lock()
    async with trio.open_nursery() as nursery:
        while True:
            await take(slots)  # full: stop reading, the peer's window fills up
            value = await lines.read_value(math.inf)  # an idle pipeline stays open
            if value is None:
                break
            request = wire.parse(wire.ToolRequest, value, "tool request")
            nursery.start_soon(_answer, node, lines, request, slots, write_lock)
    await lines.close()


async def _answer(node: Node, lines: protocols.LineStream, request: wire.ToolRequest,
                  slots: trio.Semaphore, write_lock: trio.Lock) -> None:
    try:
        with trio.move_on_after(node.request_timeout) as scope:
            response = await node.handle_tool(lines.peer_id, request)
        if scope.cancelled_caught:
            response = wire.response_from_error(request.id, Timeout(
                f"tool {request.name} ran over {node.request_timeout:.1f}s"))
        await take(write_lock)
        try:
            await lines.write_value(response, node.io_timeout)
        except TooLarge as exc:  # an answer over the line limit: its caller hears why
            await lines.write_value(wire.response_from_error(request.id, exc), node.io_timeout)
        finally:
            write_lock.release()
    finally:
        slots.release()


async def take(sync: trio.Lock | trio.Semaphore) -> None:
    """Acquire `sync`, without trio's scheduling turn when it is free (still fair: trio
    hands a released lock or slot straight to its first waiter)."""
    try:
        sync.acquire_nowait()
    except trio.WouldBlock:
        await sync.acquire()
