"""Fewer writes, reads and scheduling turns on a libp2p connection: our subclasses of
py-libp2p's yamux.

py-libp2p's `Yamux` sends every frame on its own: one Noise encryption and one socket
send per 12-byte header or small data frame, and a window update after every read.
`CoalescingYamux` changes `_write_frame`:

- frames written in the same trio scheduling turn leave together, as one Noise message
  and one socket send (the first writer of a turn flushes; the others wait for it);
- plain window updates (no flags) are held back per stream and ride along with the next
  batch; a stream's held credit is sent at once when it reaches `CREDIT_FLUSH`, far
  below the peer's 256 KiB window, so the peer never waits for it.

A serial call spent most of its CPU in trio scheduling turns (about 15 a side a call,
each an `epoll_wait`), not in the bytes. So, on the connections it adopts:

- the locks py-libp2p takes around plain (no-await) bookkeeping on every frame and read
  (the connection's `streams_lock`, each stream's `window_lock` and write lock, the TCP
  stream's read and write locks, `NetStream`'s state lock) become `QuickLock`s: still
  fair mutexes, but taking a free one is no scheduling turn (trio's `Lock.acquire`
  always yields once);
- the raw TCP connection under Noise is read through `ReadAhead`: one `recv` of up to
  64 KiB, from which Noise takes each message's 2-byte length and body, where py-libp2p
  makes two `recv` calls (two turns) per message;
- a DATA frame's body already decrypted in the Noise session is taken without the
  per-frame timeout scope (`_read_data_body`; the timeout only matters while waiting).

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
from libp2p.io import msgio as _msgio
from libp2p.io import trio as _trio_io
from libp2p.io.utils import read_exactly
from libp2p.network.connection import raw_connection as _raw
from libp2p.network.stream import net_stream as _net_stream
from libp2p.security import secure_session as _secure
from libp2p.security.noise import io as _noise_io
from libp2p.stream_muxer import muxer_multistream as _multistream
from libp2p.stream_muxer import rw_lock as _rw_lock
from libp2p.stream_muxer.yamux import yamux as _yamux
from libp2p.transport import upgrader as _upgrader

log = logging.getLogger(__name__)

LIBP2P_VERSION = "0.8.1"
CREDIT_FLUSH = 64 * 1024  # a quarter of yamux's initial 256 KiB window
WRITE_TIMEOUT = 30.0  # a batch the kernel has not taken by then: the connection is dead
_HEADER = struct.Struct(_yamux.YAMUX_HEADER_FORMAT)
READ_AHEAD = 64 * 1024  # bytes asked of the socket at once, under Noise
YIELD_EVERY = 32  # reads served from the read-ahead buffer between two scheduling turns


class QuickLock:
    """A fair mutex for trio code whose free acquire takes no scheduling turn.

    `trio.Lock` (final, so not subclassed) yields once on every acquire, and tracks its
    owner for deadlock reports; py-libp2p takes such locks a dozen times a frame around
    plain bookkeeping. Here a free lock is taken at once; a held one is waited for in a
    `ParkingLot`, and `release` hands it straight to the first waiter (so a lock with
    waiters is never free, and never taken out of turn). A waiter cancelled before it was
    handed the lock leaves the queue; one handed the lock holds it. Non-reentrant."""

    __slots__ = ("_held", "_waiting")

    def __init__(self) -> None:
        self._held = False
        self._waiting = trio.lowlevel.ParkingLot()

    async def acquire(self) -> None:
        if self._held:
            await self._waiting.park()  # woken by `release`, which handed the lock over
        else:
            self._held = True

    def acquire_nowait(self) -> None:
        if self._held:
            raise trio.WouldBlock
        self._held = True

    def release(self) -> None:
        if not self._held:
            raise RuntimeError("release of a QuickLock that is not held")
        if self._waiting:
            self._waiting.unpark(count=1)  # still held: by the first waiter now
        else:
            self._held = False

    def locked(self) -> bool:
        return self._held

    def statistics(self) -> trio.LockStatistics:
        return trio.LockStatistics(locked=self._held, owner=None,
                                   tasks_waiting=len(self._waiting))

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()


class QuickWriteLock:
    """Stands in for a yamux stream's `ReadWriteLock`, of which yamux (0.8.1) takes only
    `write_lock()`: one `QuickLock`, with no generator-based context manager per write."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = QuickLock()

    def write_lock(self) -> QuickLock:
        return self._lock


class ReadAhead:
    """The raw connection under Noise, read up to `READ_AHEAD` bytes at a time.

    Noise (0.8.1: `NoisePacketReadWriter.read_msg`) reads each message as `read(2)` then
    `read(length)` on the raw connection: two `recv` calls and two scheduling turns. Here
    both come out of one `recv`, and so do the messages that arrived with them. Reads go
    to the raw connection as before (its errors and end of stream unchanged); every
    other attribute is the raw connection's."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._data = b""
        self._pos = 0
        self._served = 0
        self.write = raw.write
        self.close = raw.close

    async def read(self, n: int | None = None) -> bytes:
        data, pos = self._data, self._pos
        if pos >= len(data):
            data = await self._raw.read(READ_AHEAD)
            if n is None or len(data) <= n:
                return data
            self._data, pos, self._served = data, 0, 0
        else:
            self._served += 1
            if self._served % YIELD_EVERY == 0:  # a burst of messages: let others run
                await trio.lowlevel.checkpoint()
        end = len(data) if n is None else min(pos + n, len(data))
        self._pos = end
        return data[pos:end]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _read_ahead(secured_conn: Any) -> None:
    """Put `ReadAhead` under a Noise session over TCP (anything else is left as it is)."""
    packets = getattr(getattr(secured_conn, "conn", None), "read_writer", None)
    if type(packets) is not _noise_io.NoisePacketReadWriter:
        return
    raw = packets.read_write_closer
    if type(raw) is not _raw.RawConnection or type(raw.stream) is not _trio_io.TrioTCPStream:
        return
    raw.stream.read_lock = QuickLock()
    raw.stream.write_lock = QuickLock()
    packets.read_write_closer = ReadAhead(raw)


def quicken_stream(stream: Any) -> None:
    """Give a `NetStream` (or a yamux stream) of a `CoalescingYamux` connection
    `QuickLock`s; any other stream is left as it is."""
    muxed = getattr(stream, "muxed_stream", stream)
    if type(muxed) is not _yamux.YamuxStream or not isinstance(muxed.conn, CoalescingYamux):
        return
    if type(stream) is _net_stream.NetStream and type(stream._state_lock) is trio.Lock:
        stream._state_lock = QuickLock()
    if type(muxed.window_lock) is trio.Lock:
        muxed.window_lock = QuickLock()
        muxed.rw_lock = QuickWriteLock()


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
        self.streams_lock = QuickLock()  # type: ignore[assignment]
        self._write_lock = QuickLock()  # type: ignore[assignment]
        self._buffered = isinstance(self.secured_conn, _secure.SecureSession)
        _read_ahead(self.secured_conn)

    # Overrides of Yamux.open_stream() / accept_stream() (0.8.1: build `YamuxStream`s by
    # name). Same streams, with `QuickLock`s.
    async def open_stream(self) -> _yamux.YamuxStream:
        stream = await super().open_stream()
        quicken_stream(stream)
        return stream

    async def accept_stream(self) -> Any:
        stream = await super().accept_stream()
        quicken_stream(stream)
        return stream

    # Override of Yamux._read_data_body(length) (0.8.1: `read_exactly(secured_conn,
    # length)` inside a `fail_after` of PY_YAMUX_DATA_READ_TIMEOUT, read from the env each
    # frame). A body the Noise session already holds is read without waiting, so it
    # skips the timeout scope; any other goes through the library's own.
    async def _read_data_body(self, length: int) -> bytes:
        conn = self.secured_conn
        if self._buffered and conn.high_watermark - conn.low_watermark >= length:
            return await read_exactly(conn, length)
        return await super()._read_data_body(length)

    # Override of Yamux._write_frame(data) (0.8.1: serialises writers on `_write_lock`,
    # then `secured_conn.write(frame)` once per frame). Same contract: returns once the
    # frame was handed to the secure connection, raises what that write raised. A window
    # update held back returns at once: no I/O, so no scheduling turn (one per read).
    async def _write_frame(self, data: bytes) -> None:
        frame = self._hold_credit(data)
        if frame is None:
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
                    # (no `_write_lock`: this task is the only writer while `_flushing`);
                    # one scope for the shield and the deadline (as `fail_after` inside)
                    deadline = trio.current_time() + WRITE_TIMEOUT
                    with trio.CancelScope(shield=True, deadline=deadline) as scope:
                        await self.secured_conn.write(b"".join(batch.frames))
                    if scope.cancelled_caught:
                        raise trio.TooSlowError
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
    problems.extend(_check_read_path())
    return problems


def _check_read_path() -> list[str]:
    """The parts of the read path and the locks that `QuickLock`/`ReadAhead` rely on."""
    problems = []
    sources = {name: inspect.getsource(obj) for name, obj in (
        ("Yamux", _yamux.Yamux), ("YamuxStream", _yamux.YamuxStream),
        ("NetStream", _net_stream.NetStream), ("TrioTCPStream", _trio_io.TrioTCPStream),
        ("msgio", _msgio),
        ("BaseNoiseMsgReadWriter", _noise_io.BaseNoiseMsgReadWriter),
        ("SecureSession", _secure.SecureSession))}
    needles = {
        "Yamux": ("self.streams_lock = trio.Lock()", "async with self.streams_lock:",
                  "await read_exactly(self.secured_conn, length)",
                  "YamuxStream(stream_id, self, True)", "YamuxStream(stream_id, self, False)",
                  "async def _read_data_body(self, length: int) -> bytes:"),
        "YamuxStream": ("self.window_lock = trio.Lock()", "self.rw_lock = ReadWriteLock()",
                        "async with self.rw_lock.write_lock():",
                        "async with self.window_lock:"),
        "NetStream": ("self._state_lock = trio.Lock()", "async with self._state_lock:"),
        "TrioTCPStream": ("self.read_lock = trio.Lock()", "async with self.read_lock:",
                          "async with self.write_lock:", "self.stream.receive_some(n)"),
        "msgio": ("return await read_exactly(self.read_write_closer, length)",
                  "return await read_length(self.read_write_closer, self.size_len_bytes)",
                  "await self.read_write_closer.write(encoded_msg)"),
        "BaseNoiseMsgReadWriter": ("self.read_writer = NoisePacketReadWriter(",),
        "SecureSession": ("self.low_watermark += len(result)", "self.high_watermark = len(msg)"),
    }
    if _noise_io.NoisePacketReadWriter.read_msg is not _msgio.BaseMsgReadWriter.read_msg:
        problems.append("NoisePacketReadWriter reads its messages in a new way")
    for name, wanted in needles.items():
        for needle in wanted:
            if needle not in sources[name]:
                problems.append(f"{name} no longer has {needle!r}")
    uses = inspect.getsource(_yamux).count("rw_lock.")
    if uses != inspect.getsource(_yamux).count("rw_lock.write_lock()"):
        problems.append("yamux takes a ReadWriteLock's read lock (QuickWriteLock has none)")
    if not hasattr(_rw_lock.ReadWriteLock, "write_lock"):
        problems.append("ReadWriteLock.write_lock() is gone")
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
