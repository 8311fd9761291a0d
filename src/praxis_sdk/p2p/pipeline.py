"""`/praxis/tool/2.0.0`: one long-lived stream per peer carrying many tool calls.

The NDJSON shapes are those of `/praxis/tool/1.0.0`; requests and responses are matched
by `id`, so answers may come back in any order. A peer announces the protocol in its
card's `capabilities`; peers that do not (the Go agents, older nodes) keep getting one
`/praxis/tool/1.0.0` stream per call.

Bounds: a caller holds one of `DEPTH` slots per peer while its call is open (more
callers wait: back-pressure); a server answers at most `DEPTH` requests of one stream
at a time and stops reading meanwhile, so yamux's window pushes back on the caller.
Failures stay inside one stream: bad bytes, a reset or a stalled write reset it and
fail the calls waiting on it; a caller's own timeout or cancel drops only its call (a
late answer is discarded). The reader runs in the node's `Supervisor`. Trio thread.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import trio

from praxis_sdk.errors import InvalidInput, PraxisError, Timeout, TooLarge, Unavailable
from praxis_sdk.p2p import protocols, wire
from praxis_sdk.p2p.bridge import DeadlinePassed
from praxis_sdk.p2p.connections import Connections, parse_id
from praxis_sdk.p2p.failures import Supervisor
from praxis_sdk.p2p.peers import PeerTable
from praxis_sdk.p2p.wire import TOOL_PIPELINED

log = logging.getLogger(__name__)

DEPTH = 64  # requests in flight per peer, each way


class Handed(Protocol):
    """A call started with `Pipe.hand`: no task waits for it on this side; the stream's
    reader (or its timer) calls `answer` or `fail` once, in the trio thread."""

    handed: bool

    def answer(self, response: wire.ToolResponse) -> None: ...

    def fail(self, error: PraxisError, record: bool = True) -> None:
        """`record`: a failure to log and count (not when the node stops)."""


class _Call:
    """A call whose task waits in `Pipe.call`."""

    __slots__ = ("done", "response", "error")
    handed = False

    def __init__(self) -> None:
        self.done = trio.Event()
        self.response: wire.ToolResponse | None = None
        self.error: PraxisError | None = None

    def answer(self, response: wire.ToolResponse) -> None:
        self.response = response
        self.done.set()

    def fail(self, error: PraxisError, record: bool = True) -> None:
        if not self.done.is_set():
            self.error = error
            self.done.set()


class _Lines:
    """Lines queued for one write; `written` once a sender has written (or tried) them."""

    __slots__ = ("data", "written", "error")

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.written = False
        self.error: BaseException | None = None


class Outbox:
    """Requests sent on one stream by many callers, written together.

    Senders take turns on a fair lock. The first sender of a batch to get the lock writes
    every line queued in that batch with one `write(b"".join(lines))` (one yamux frame,
    one Noise message, one socket send for up to `DEPTH` requests); lines
    sent while that write runs form the next batch. So a lone sender writes at once, no
    sender writes more than its own batch (none is kept writing for others), and lines
    never interleave. `send` returns once its line was written and raises the error of
    the write that carried it."""

    def __init__(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        self._write = write
        self._lines = _Lines()
        self._lock = trio.Lock()

    async def send(self, data: bytes) -> None:
        lines = self.queue(data)
        await self.flush(lines)
        if lines.error is not None:
            raise lines.error

    def queue(self, data: bytes) -> _Lines:
        """Add a line to the next batch (no waiting); `flush` that batch to write it."""
        lines = self._lines
        lines.data.append(data)
        return lines

    async def flush(self, lines: _Lines) -> None:
        """Return once `lines` were written (by this task or another); `lines.error`
        tells how the write went."""
        await take(self._lock)
        try:
            if not lines.written:
                await self._write_batch(lines)
        finally:
            self._lock.release()

    async def _write_batch(self, lines: _Lines) -> None:
        lines.written = True
        if self._lines is lines:
            self._lines = _Lines()
        try:
            await self._write(b"".join(lines.data))
        except Exception as exc:  # every sender of these lines sees it
            lines.error = exc
        except BaseException:  # cancelled: the others hear it as a failed write
            lines.error = Unavailable(f"a write on {TOOL_PIPELINED} was cancelled")
            raise


class Pipe:
    """The caller's end of one pipelined stream: sends requests, routes answers by id.

    A call either waits in a task of its own (`call`) or is handed over (`hand`): its line
    goes to a writer task shared by the batch and the reader settles it, so a handed call
    costs no trio task, lock or cancel scope; one timer task times handed calls out."""

    def __init__(self, lines: protocols.LineStream, io_timeout: float,
                 spawn: Callable[..., None] | None = None) -> None:
        self.lines = lines
        self.io_timeout = io_timeout
        self.open = True
        self._calls: dict[str, _Call | Handed] = {}
        self._slots = trio.Semaphore(DEPTH)
        self._outbox = Outbox(self._write)
        self._spawn = spawn
        self._deadlines: list[tuple[float, int, str, Handed, float]] = []  # a heap
        self._order = itertools.count()
        self._timer = trio.CancelScope()  # wakes the timer task at the first deadline
        self._timers = trio.CancelScope()  # ends the timer task with the stream
        self._batch: _Lines | None = None  # the batch a writer task is started for
        self._batch_sizes: list[int] = []

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

    def hand(self, call_id: str, data: bytes, call: Handed, timeout: float) -> bool:
        """Start a call with no task of its own (plain trio code): False, with nothing
        done, when the stream cannot take it at once (closed, full, id in flight)."""
        if not self.open or call_id in self._calls or self._spawn is None:
            return False
        try:
            self._slots.acquire_nowait()
        except trio.WouldBlock:
            return False
        self._calls[call_id] = call
        deadline = trio.current_time() + timeout
        heapq.heappush(self._deadlines, (deadline, next(self._order), call_id, call, timeout))
        if deadline < self._timer.deadline:
            self._timer.deadline = deadline
        lines = self._outbox.queue(data)
        if lines is not self._batch:
            self._batch, self._batch_sizes = lines, []
            self._spawn(self._flush, lines, self._batch_sizes)
        self._batch_sizes.append(len(data))
        return True

    def drop(self, call_id: str, call: Handed) -> None:
        """A handed call's caller gave up: its answer, if it comes, is dropped."""
        if self._calls.get(call_id) is call:
            self._settled(call_id)

    def _settled(self, call_id: str) -> None:
        """A handed call leaves the table (answered, failed, timed out or dropped)."""
        del self._calls[call_id]
        self._slots.release()
        heap = self._deadlines
        while heap and self._calls.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)

    async def _flush(self, lines: _Lines, sizes: list[int]) -> None:
        """The writer task of one batch of handed lines (a failed write fails the stream,
        and with it every call on it)."""
        with trio.CancelScope(shield=True):  # never half a line on the shared stream
            await self._outbox.flush(lines)
        if lines.error is None:
            for size in sizes:
                self.lines.metrics.message(TOOL_PIPELINED, "out", size)

    async def time_out_handed(self) -> None:
        """Fail each handed call still open at its deadline (the stream stays open)."""
        with self._timers:
            while True:
                heap = self._deadlines
                with trio.CancelScope(deadline=heap[0][0] if heap else math.inf) as timer:
                    self._timer = timer
                    await trio.sleep_forever()
                now = trio.current_time()
                while heap and heap[0][0] <= now:
                    _, _, call_id, call, timeout = heapq.heappop(heap)
                    if self._calls.get(call_id) is call:
                        self._settled(call_id)
                        call.fail(Timeout(f"no answer within {timeout:.1f}s"))

    async def _send(self, data: bytes) -> None:
        # shielded: a caller's timeout must not leave half a line on the shared stream
        with trio.CancelScope(shield=True):
            await self._outbox.send(data)
        self.lines.metrics.message(TOOL_PIPELINED, "out", len(data))

    async def _write(self, data: bytes) -> None:
        """The outbox's write (one at a time): a failure or stall breaks the stream."""
        if not self.open:
            raise Unavailable("the pipelined tool stream is closed")
        try:
            await self.lines.write_bytes(data, self.io_timeout)
        except PraxisError as exc:
            await self.broken(exc)

    async def broken(self, error: PraxisError) -> None:
        """A write failed: reset the stream (its reader then ends) and raise `error`."""
        self.fail(error)
        await self.lines.reset()
        raise error

    async def read_answers(self) -> None:
        """Route every response to its caller until the stream ends; then fail the rest."""
        error: PraxisError = Unavailable("peer closed the pipelined tool stream")
        try:
            while True:
                value = await self.lines.read_value(math.inf)  # an idle pipe stays open
                if value is None:
                    return
                response = wire.parse(wire.ToolResponse, value, "tool response")
                call = self._calls.get(response.id)
                if call is None:  # its caller gave up (timeout, cancel)
                    log.debug("late tool response %s dropped", response.id)
                    continue
                if call.handed:
                    self._settled(response.id)
                call.answer(response)
        except PraxisError as exc:
            error = exc
            raise
        except trio.Cancelled:  # the node stops: as for a caller whose task is cancelled
            self.fail(Unavailable("P2P call cancelled"), record=False)
            raise
        finally:
            self.fail(error)

    def fail(self, error: PraxisError, record: bool = True) -> None:
        """No more calls on this stream; every waiting caller gets `error`."""
        self.open = False
        self._timers.cancel()
        for call_id, call in list(self._calls.items()):
            if call.handed:
                self._settled(call_id)
            call.fail(error, record)


class Pipelines:
    """One `Pipe` per peer that announced `/praxis/tool/2.0.0`, opened on first use."""

    def __init__(self, *, peers: PeerTable, connections: Connections, supervisor: Supervisor,
                 max_bytes: int, io_timeout: float) -> None:
        self.peers = peers
        self.connections = connections
        self.supervisor = supervisor
        self.metrics = supervisor.metrics
        self.max_bytes = max_bytes
        self.io_timeout = io_timeout
        self._pipes: dict[str, Pipe] = {}
        self._opening: dict[str, trio.Lock] = {}
        self._refused: set[tuple[str, int]] = set()  # (peer, card timestamp) that said "na"

    def speaks(self, peer_id: str) -> bool:
        record = self.peers.get(peer_id)
        card = record.card if record is not None else None
        return (card is not None and TOOL_PIPELINED in card.capabilities
                and (peer_id, card.timestamp) not in self._refused)

    async def call(self, peer_id: str, request: wire.ToolRequest, data: bytes,
                   timeout: float) -> wire.ToolResponse | None:
        """The peer's answer, or None when the peer turned out to speak only 1.0.0.

        The caller bounds the call in time (`Supervisor.bounded`)."""
        pipe = await self._pipe(peer_id, timeout)
        if pipe is None:
            return None
        return await pipe.call(request, data)

    def open_pipe(self, peer_id: str) -> Pipe | None:
        """The peer's pipelined stream when it is open now (no waiting), else None."""
        pipe = self._pipes.get(peer_id)
        return pipe if pipe is not None and pipe.open and self.speaks(peer_id) else None

    async def _pipe(self, peer_id: str, timeout: float) -> Pipe | None:
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
                    self.connections.host.get_network(), parse_id(peer_id), TOOL_PIPELINED,
                    b"", timeout)
            except Unavailable as exc:
                if "does not speak" not in exc.message:
                    raise
                self._refuse(peer_id)
                return None
            lines = protocols.LineStream(stream, TOOL_PIPELINED, self.max_bytes, self.metrics)
            lines.prefill(rest)
            def spawn(fn: Callable[..., Awaitable[None]], *args: object) -> None:
                self.supervisor.spawn(f"writing {TOOL_PIPELINED}", peer_id, fn, *args)

            pipe = self._pipes[peer_id] = Pipe(lines, self.io_timeout, spawn)
            self.metrics.streams.labels(TOOL_PIPELINED).inc()
            self.supervisor.spawn(f"reading {TOOL_PIPELINED}", peer_id, self._read, peer_id,
                                  pipe)
            self.supervisor.spawn(f"timing {TOOL_PIPELINED}", peer_id, pipe.time_out_handed)
            return pipe

    def _refuse(self, peer_id: str) -> None:
        log.info("peer %s refused %s: one stream per call", peer_id, TOOL_PIPELINED)
        record = self.peers.get(peer_id)  # a new card (restart) tries again
        if record is not None and record.card is not None:
            self._refused.add((peer_id, record.card.timestamp))

    async def _read(self, peer_id: str, pipe: Pipe) -> None:
        try:
            async with pipe.lines:  # an error, or the node stopping, resets the stream
                await pipe.read_answers()
        finally:
            self.metrics.streams.labels(TOOL_PIPELINED).dec()
            if self._pipes.get(peer_id) is pipe:
                del self._pipes[peer_id]


# ---- the answering side -------------------------------------------------------------------


async def serve(node: protocols.Handlers, lines: protocols.LineStream) -> None:
    """Serve one pipelined stream (run by `protocols.handler`, which resets it on error).

    The first request must come within the I/O timeout (a peer opening the stream and
    sending nothing, or closing it at once, misbehaves); later, an idle stream stays open.
    When the peer stops sending, the answers still running are written, then the stream
    closes; when it goes away (reset, bad bytes) or the node stops, they are cancelled."""
    answers = _Answers(node, lines)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(answers.write)
            await answers.read()
    finally:
        answers.abandon()


class _Answers:
    """The answering end of one pipelined stream.

    Each request starts its tool on the asyncio side (`node.start_tool`: no trio task, no
    cancel scope, no event per call; its deadline is a timer there) and its answer comes
    back as a callback. One writer task writes every answer ready at that moment with one
    `write` (one cancel scope per batch), then frees their slots."""

    def __init__(self, node: protocols.Handlers, lines: protocols.LineStream) -> None:
        self.node = node
        self.lines = lines
        self.peer_id = lines.peer_id
        self.slots = trio.Semaphore(DEPTH)
        self.running: dict[int, Any] = {}  # id(request) -> the node's handle of its answer
        self.ready: list[bytes] = []
        self.failed: BaseException | None = None
        self.reading = True
        self.wake = trio.Event()

    async def read(self) -> None:
        timeout = self.node.io_timeout
        try:
            while True:
                await take(self.slots)  # full: stop reading, the peer's window fills up
                value = await self.lines.read_value(timeout)
                if value is None and timeout != math.inf:
                    raise InvalidInput(f"{TOOL_PIPELINED} stream closed before a request")
                if value is None:
                    return
                timeout = math.inf
                self.start(wire.parse(wire.ToolRequest, value, "tool request"))
        finally:
            self.reading = False
            self.wake.set()

    def start(self, request: wire.ToolRequest) -> None:
        deadline = time.monotonic() + self.node.request_timeout
        self.running[id(request)] = self.node.start_tool(
            self.peer_id, request, deadline, functools.partial(self.done, request))

    def done(self, request: wire.ToolRequest, response: Any,
             error: BaseException | None) -> None:  # trio, called by the bridge
        self.running.pop(id(request), None)
        if isinstance(error, DeadlinePassed):
            response = wire.response_from_error(request.id, Timeout(
                f"tool {request.name} ran over {self.node.request_timeout:.1f}s"))
        elif error is not None:  # the agent's handler failed: the stream is reset
            self.failed = self.failed or error
            self.wake.set()
            return
        try:
            self.ready.append(self.encode(request, response))
        except Exception as exc:  # an answer that cannot be encoded: the stream is reset
            self.failed = self.failed or exc
        self.wake.set()

    def encode(self, request: wire.ToolRequest, response: wire.ToolResponse) -> bytes:
        max_bytes = self.lines.max_bytes
        try:
            return wire.encode_line(response, max_bytes)
        except TooLarge as exc:  # an answer over the line limit: its caller hears why
            return wire.encode_line(wire.response_from_error(request.id, exc), max_bytes)

    async def write(self) -> None:
        """Write the answers as they come, until the reading has ended and all are written."""
        while True:
            if self.failed is not None:
                raise self.failed
            if self.ready:
                batch, self.ready = self.ready, []
                await self.lines.write_bytes(b"".join(batch), self.node.io_timeout)
                for data in batch:
                    self.lines.metrics.message(TOOL_PIPELINED, "out", len(data))
                    self.slots.release()
            elif self.reading or self.running:
                self.wake = trio.Event()
                await self.wake.wait()
            else:
                return

    def abandon(self) -> None:
        """Cancel the answers still running (the caller went away, or the node stops)."""
        running, self.running = self.running, {}
        for reply in running.values():
            self.node.stop_tool(reply)


async def take(sync: trio.Lock | trio.Semaphore) -> None:
    """Acquire `sync`, without trio's scheduling turn when it is free (still fair: trio
    hands a released lock or slot straight to its first waiter)."""
    try:
        sync.acquire_nowait()
    except trio.WouldBlock:
        await sync.acquire()
