"""`CoalescingYamux`: py-libp2p's internals it relies on, and the writes it saves."""

from __future__ import annotations

import struct

import pytest
import trio
import trio.testing
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.id import ID
from libp2p.stream_muxer.yamux import yamux

from praxis_sdk.p2p import fastpath

HEADER = struct.Struct(yamux.YAMUX_HEADER_FORMAT)


def test_py_libp2p_internals_are_what_fastpath_was_written_against() -> None:
    # If this fails, py-libp2p changed: re-read Yamux._write_frame before re-pinning.
    assert fastpath.check_internals() == []


def test_install_puts_the_coalescing_muxer_in_a_hosts_upgrader() -> None:
    pair = create_new_key_pair()
    host = new_host(key_pair=pair, muxer_opt=create_yamux_muxer_option())
    network = host.get_network()
    protocols = list(network.upgrader.muxer_multistream.transports)
    assert fastpath.install(network)
    muxers = network.upgrader.muxer_multistream
    assert isinstance(muxers, fastpath.CoalescingMuxerMultistream)
    assert list(muxers.transports) == protocols


def test_adopted_library_yamux_gets_the_coalescing_write_path() -> None:
    peer = ID.from_pubkey(create_new_key_pair().public_key)
    built = yamux.Yamux(Wire(), peer, is_initiator=True)  # type: ignore[arg-type]
    adopted = fastpath.CoalescingYamux.adopt(built)
    assert adopted is built and isinstance(built, fastpath.CoalescingYamux)
    assert built._credit == {} and not built._flushing


class Wire:
    """Stands in for the Noise session under the muxer: records each write."""

    is_initiator = True

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.writes.append(data)
        await trio.lowlevel.checkpoint()

    async def close(self) -> None:
        return None


def frames(data: bytes) -> list[tuple[int, int, int, int]]:
    """(type, flags, stream id, length) of each frame in one write."""
    out = []
    while data:
        _, kind, flags, stream_id, length = HEADER.unpack(data[:HEADER.size])
        size = HEADER.size + (length if kind == yamux.TYPE_DATA else 0)
        out.append((kind, flags, stream_id, length))
        data = data[size:]
    return out


def muxer() -> tuple[fastpath.CoalescingYamux, Wire]:
    wire = Wire()
    peer = ID.from_pubkey(create_new_key_pair().public_key)
    return fastpath.CoalescingYamux(wire, peer, is_initiator=True), wire  # type: ignore[arg-type]


def test_frames_written_in_one_turn_leave_in_one_write() -> None:
    trio.run(frames_written_in_one_turn_leave_in_one_write)


async def frames_written_in_one_turn_leave_in_one_write() -> None:
    mux, wire = muxer()
    streams = [await mux.open_stream() for _ in range(5)]
    assert [frames(data)[0][1] for data in wire.writes] == [yamux.FLAG_SYN] * 5
    wire.writes.clear()

    async with trio.open_nursery() as nursery:
        for stream in streams:
            nursery.start_soon(stream.write, b"hello")
    assert len(wire.writes) == 1
    assert [(f[0], f[3]) for f in frames(wire.writes[0])] == [(yamux.TYPE_DATA, 5)] * 5


def test_window_updates_wait_for_the_next_batch_or_a_full_credit() -> None:
    trio.run(window_updates_wait_for_the_next_batch_or_a_full_credit)


async def window_updates_wait_for_the_next_batch_or_a_full_credit() -> None:
    mux, wire = muxer()
    stream = await mux.open_stream()
    sent = len(wire.writes)
    await stream.send_window_update(100)
    await stream.send_window_update(200)
    assert len(wire.writes) == sent  # held back

    await stream.write(b"x")
    assert len(wire.writes) == sent + 1
    assert frames(wire.writes[-1]) == [(yamux.TYPE_DATA, 0, stream.stream_id, 1),
                                       (yamux.TYPE_WINDOW_UPDATE, 0, stream.stream_id, 300)]

    await stream.send_window_update(fastpath.CREDIT_FLUSH)
    assert frames(wire.writes[-1]) == [
        (yamux.TYPE_WINDOW_UPDATE, 0, stream.stream_id, fastpath.CREDIT_FLUSH)]


def test_a_failed_write_reaches_every_writer_of_the_batch() -> None:
    trio.run(a_failed_write_reaches_every_writer_of_the_batch)


async def a_failed_write_reaches_every_writer_of_the_batch() -> None:
    mux, wire = muxer()

    async def broken(data: bytes) -> None:
        await trio.lowlevel.checkpoint()
        raise OSError("connection reset by peer")

    wire.write = broken  # type: ignore[method-assign]
    failures = []

    async def write_one() -> None:
        try:
            await mux._write_frame(HEADER.pack(0, yamux.TYPE_PING, yamux.FLAG_SYN, 0, 1))
        except OSError as exc:
            failures.append(str(exc))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(write_one)
    assert failures == ["connection reset by peer"] * 3


# ---- QuickLock --------------------------------------------------------------------------


def test_a_free_quick_lock_is_taken_without_a_scheduling_turn() -> None:
    trio.run(a_free_quick_lock_is_taken_without_a_scheduling_turn)


class Turns(trio.abc.Instrument):
    """Counts the scheduling turns (steps) of one task."""

    def __init__(self, task: trio.lowlevel.Task) -> None:
        self.task, self.count = task, 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.count += task is self.task


async def a_free_quick_lock_is_taken_without_a_scheduling_turn() -> None:
    lock = fastpath.QuickLock()
    turns = Turns(trio.lowlevel.current_task())
    trio.lowlevel.add_instrument(turns)
    for _ in range(10):
        async with lock:
            assert lock.locked()
    trio.lowlevel.remove_instrument(turns)
    assert turns.count == 0 and not lock.locked()  # a trio.Lock takes 10 turns here


def test_a_held_quick_lock_goes_to_its_waiters_in_turn() -> None:
    trio.run(a_held_quick_lock_goes_to_its_waiters_in_turn)


async def a_held_quick_lock_goes_to_its_waiters_in_turn() -> None:
    lock, order, inside = fastpath.QuickLock(), [], []

    async def take(name: str) -> None:
        async with lock:
            inside.append(name)
            assert len(inside) == 1  # never two holders
            order.append(name)
            await trio.sleep(0.01)
            inside.remove(name)

    async with trio.open_nursery() as nursery:
        await lock.acquire()
        for name in "abc":
            nursery.start_soon(take, name)
            await trio.testing.wait_all_tasks_blocked()
        assert lock.statistics().tasks_waiting == 3
        with pytest.raises(trio.WouldBlock):
            lock.acquire_nowait()
        lock.release()  # handed to "a", not made free
        assert lock.locked()
    assert order == ["a", "b", "c"] and not lock.locked()


def test_a_waiter_cancelled_before_its_turn_leaves_the_queue() -> None:
    trio.run(a_waiter_cancelled_before_its_turn_leaves_the_queue)


async def a_waiter_cancelled_before_its_turn_leaves_the_queue() -> None:
    lock, got = fastpath.QuickLock(), []

    async def take(name: str, scope: trio.CancelScope) -> None:
        with scope:
            async with lock:
                got.append(name)

    first, second = trio.CancelScope(), trio.CancelScope()
    async with trio.open_nursery() as nursery:
        await lock.acquire()
        nursery.start_soon(take, "first", first)
        nursery.start_soon(take, "second", second)
        await trio.testing.wait_all_tasks_blocked()
        first.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert lock.statistics().tasks_waiting == 1
        lock.release()
    assert got == ["second"] and not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()


# ---- ReadAhead ---------------------------------------------------------------------------


class Raw:
    """Stands in for the raw TCP connection under Noise: hands out chunks as they came."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.reads = chunks, []
        self.written: list[bytes] = []

    async def read(self, n: int | None = None) -> bytes:
        self.reads.append(n)
        await trio.lowlevel.checkpoint()
        return self.chunks.pop(0) if self.chunks else b""

    async def write(self, data: bytes) -> None:
        self.written.append(data)

    async def close(self) -> None:
        return None

    def get_remote_address(self) -> tuple[str, int]:
        return ("127.0.0.1", 4001)


def test_read_ahead_serves_length_and_body_of_several_messages_from_one_read() -> None:
    trio.run(read_ahead_serves_length_and_body_of_several_messages_from_one_read)


async def read_ahead_serves_length_and_body_of_several_messages_from_one_read() -> None:
    from libp2p.security.noise.io import NoisePacketReadWriter

    raw = Raw([b"\x00\x03abc\x00\x02de", b"\x00\x04fg", b"hi"])
    ahead = fastpath.ReadAhead(raw)
    packets = NoisePacketReadWriter(ahead)  # type: ignore[arg-type]
    assert await packets.read_msg() == b"abc"
    assert await packets.read_msg() == b"de"
    assert raw.reads == [fastpath.READ_AHEAD]  # both messages came out of one read
    assert await packets.read_msg() == b"fghi"  # a body split over two reads
    assert raw.reads == [fastpath.READ_AHEAD] * 3
    await packets.write_msg(b"xyz")
    assert raw.written == [b"\x00\x03xyz"]
    assert ahead.get_remote_address() == ("127.0.0.1", 4001)
    assert await ahead.read(2) == b""  # the end of the connection, as the raw one says


def test_a_write_the_kernel_never_takes_fails_after_the_write_timeout() -> None:
    trio.run(a_write_the_kernel_never_takes_fails_after_the_write_timeout,
             clock=trio.testing.MockClock(autojump_threshold=0))


async def a_write_the_kernel_never_takes_fails_after_the_write_timeout() -> None:
    mux, wire = muxer()

    async def stalled(data: bytes) -> None:
        await trio.sleep_forever()

    wire.write = stalled  # type: ignore[method-assign]
    started = trio.current_time()
    with trio.CancelScope() as caller:  # a cancelled caller does not cut the write short
        caller.cancel()
        with pytest.raises(trio.TooSlowError):
            await mux._write_frame(HEADER.pack(0, yamux.TYPE_PING, yamux.FLAG_SYN, 0, 1))
    assert trio.current_time() - started == pytest.approx(fastpath.WRITE_TIMEOUT)
