"""`CoalescingYamux`: py-libp2p's internals it relies on, and the writes it saves."""

from __future__ import annotations

import struct

import trio
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
