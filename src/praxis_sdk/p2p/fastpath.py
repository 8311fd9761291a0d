"""Fewer, larger writes on a libp2p connection: our subclasses of py-libp2p's yamux.

py-libp2p's `Yamux` sends every frame on its own: one Noise encryption and one socket
send per 12-byte header or small data frame, and a window update after every read.
`CoalescingYamux` changes only `_write_frame`:

- frames written in the same trio scheduling turn leave together, as one Noise message
  and one socket send (the first writer of a turn flushes; the others wait for it);
- plain window updates (no flags) are held back per stream and ride along with the next
  batch; a stream's held credit is sent at once when it reaches `CREDIT_FLUSH`, far
  below the peer's 256 KiB window, so the peer never waits for it.

py-libp2p 0.8.1 builds `Yamux(...)` by name for `/yamux/1.0.0` (whatever class the
muxer options name), so `install(network)` puts `CoalescingMuxerMultistream` in the
swarm's upgrader: it lets the library negotiate and build the connection, then gives it
`CoalescingYamux`'s write path before the connection starts.

Written against libp2p==0.8.1 (pinned). `check_internals()` fails loudly when the
library's internals this relies on have moved; the node then keeps plain yamux.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import struct
from typing import Any

import trio
from libp2p.stream_muxer import muxer_multistream as _multistream
from libp2p.stream_muxer.yamux import yamux as _yamux
from libp2p.transport import upgrader as _upgrader

log = logging.getLogger(__name__)

LIBP2P_VERSION = "0.8.1"
CREDIT_FLUSH = 64 * 1024  # a quarter of yamux's initial 256 KiB window
WRITE_TIMEOUT = 30.0  # a batch the kernel has not taken by then: the connection is dead
_HEADER = struct.Struct(_yamux.YAMUX_HEADER_FORMAT)


class _Batch:
    """Frames waiting for the next socket send, and the event their writers wait on."""

    __slots__ = ("frames", "sent", "error")

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.sent = trio.Event()
        self.error: BaseException | None = None


class CoalescingYamux(_yamux.Yamux):
    """`Yamux` with batched frame writes and batched window updates (libp2p 0.8.1)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_coalescing()

    @classmethod
    def adopt(cls, conn: _yamux.Yamux) -> CoalescingYamux:
        """Give a `Yamux` built by the library (not started yet) this write path."""
        conn.__class__ = cls
        assert isinstance(conn, CoalescingYamux)
        conn._start_coalescing()
        return conn

    def _start_coalescing(self) -> None:
        self._batch = _Batch()
        self._flushing = False
        self._credit: dict[int, int] = {}

    # Override of Yamux._write_frame(data) (0.8.1: serialises writers on `_write_lock`,
    # then `secured_conn.write(frame)` once per frame). Same contract: returns once the
    # frame was handed to the secure connection, raises what that write raised.
    async def _write_frame(self, data: bytes) -> None:
        frame = self._hold_credit(data)
        if frame is None:
            await trio.lowlevel.checkpoint()
            return
        batch = self._batch
        batch.frames.append(frame)
        if self._flushing:
            await batch.sent.wait()
            if batch.error is not None:
                raise batch.error
            return
        await self._flush()
        if batch.error is not None:
            raise batch.error

    def _hold_credit(self, data: bytes) -> bytes | None:
        """Keep a plain window update back (None); any other frame passes unchanged."""
        if len(data) != _HEADER.size:
            return data
        _, kind, flags, stream_id, increment = _HEADER.unpack(data)
        if kind != _yamux.TYPE_WINDOW_UPDATE or flags or not stream_id:
            if flags & _yamux.FLAG_RST:
                self._credit.pop(stream_id, None)
            return data
        credit = self._credit.pop(stream_id, 0) + increment
        if credit >= CREDIT_FLUSH:
            return _window_update(stream_id, credit)
        self._credit[stream_id] = credit
        return None

    async def _flush(self) -> None:
        """Send every batch queued until none is left; writers of each batch are woken."""
        self._flushing = True
        try:
            await trio.lowlevel.cancel_shielded_checkpoint()  # let this turn's frames join
            while self._batch.frames:
                batch, self._batch = self._batch, _Batch()
                batch.frames.extend(self._take_credit())
                try:
                    # shielded: a cancelled caller must not cut a Noise message in half
                    # (no `_write_lock`: this task is the only writer while `_flushing`)
                    with trio.CancelScope(shield=True), trio.fail_after(WRITE_TIMEOUT):
                        await self.secured_conn.write(b"".join(batch.frames))
                except BaseException as exc:  # every writer of the batch sees it
                    batch.error = exc
                finally:
                    batch.sent.set()
        finally:
            self._flushing = False

    def _take_credit(self) -> list[bytes]:
        credit, self._credit = self._credit, {}
        return [_window_update(stream_id, increment)
                for stream_id, increment in credit.items() if stream_id in self.streams]


def _window_update(stream_id: int, increment: int) -> bytes:
    return _HEADER.pack(0, _yamux.TYPE_WINDOW_UPDATE, 0, stream_id, increment)


class CoalescingMuxerMultistream(_multistream.MuxerMultistream):
    """The upgrader's muxer negotiation, handing out `CoalescingYamux` connections."""

    # Override of MuxerMultistream.new_conn(conn, peer_id) (0.8.1: negotiates the muxer,
    # then builds `Yamux(conn, peer_id, ...)` by name). Same negotiation and connection;
    # a yamux one gets our write path before anything is written on it.
    async def new_conn(self, conn: Any, peer_id: Any) -> Any:
        muxed = await super().new_conn(conn, peer_id)
        if type(muxed) is _yamux.Yamux:
            CoalescingYamux.adopt(muxed)
        return muxed


def check_internals() -> list[str]:
    """What changed in py-libp2p since this module was written (empty: nothing)."""
    problems = []
    version = importlib.metadata.version("libp2p")
    if version != LIBP2P_VERSION:
        problems.append(f"libp2p is {version}, fastpath was written against {LIBP2P_VERSION}")
    base = _yamux.Yamux
    if list(inspect.signature(base._write_frame).parameters) != ["self", "data"]:
        problems.append("Yamux._write_frame(self, data) changed its signature")
    source = inspect.getsource(base)
    for needle in ("self.secured_conn.write(data)", "self.streams",
                   "await self._write_frame(header)"):
        if needle not in source:
            problems.append(f"Yamux no longer uses {needle}")
    if _yamux.YAMUX_HEADER_FORMAT != "!BBHII" or _yamux.TYPE_WINDOW_UPDATE != 1:
        problems.append("the yamux frame header layout changed")
    muxers = _multistream.MuxerMultistream
    if list(inspect.signature(muxers.new_conn).parameters) != ["self", "conn", "peer_id"] \
            or "Yamux(" not in inspect.getsource(muxers.new_conn):
        problems.append("MuxerMultistream.new_conn no longer builds Yamux(conn, peer_id)")
    if "self.muxer_multistream = MuxerMultistream(" not in inspect.getsource(
            _upgrader.TransportUpgrader):
        problems.append("TransportUpgrader no longer holds its MuxerMultistream")
    return problems


def install(network: Any) -> bool:
    """Make the swarm's new connections `CoalescingYamux` (False: internals moved)."""
    problems = check_internals()
    if problems:
        log.warning("plain yamux: py-libp2p internals moved (%s)", "; ".join(problems))
        return False
    upgrader = network.upgrader
    current = upgrader.muxer_multistream
    upgrader.muxer_multistream = CoalescingMuxerMultistream(
        dict(current.transports), current.negotiate_timeout)
    return True
