"""`fastpath` on real connections: two libp2p hosts over TCP on loopback (Noise, yamux), with
`fastpath` (coalesced writes, `ReadAhead` under Noise, `QuickLock`s) on both sides or on one
side only (the other plain py-libp2p yamux, as a peer without our module): every byte comes
back as sent, small and large messages (several Noise messages, window updates past the
first 256 KiB), many streams at once, and a clean close still ends the reader's stream."""

from __future__ import annotations

import os
from typing import Any

import multiaddr
import pytest
import trio
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID

from praxis_sdk.p2p import fastpath
from praxis_sdk.p2p.host import build_host
from praxis_sdk.p2p.noise_nacl import Transport as NoiseTransport
from praxis_sdk.p2p.x25519 import create_new_key_pair as new_x25519_pair

ECHO = "/praxis-test/echo/1.0.0"
LOOPBACK = multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")


def host(fast: bool) -> Any:
    if fast:
        return build_host(create_new_key_pair(), [LOOPBACK], [])
    key_pair = create_new_key_pair()  # the same host without fastpath.install
    noise = NoiseTransport(key_pair, noise_privkey=new_x25519_pair().private_key)
    return new_host(key_pair=key_pair, sec_opt={NOISE_ID: noise},
                    muxer_opt=create_yamux_muxer_option(), listen_addrs=[LOOPBACK])


async def echo(stream: Any) -> None:
    fastpath.quicken_stream(stream)
    try:
        while data := await stream.read(65536):
            await stream.write(data)
    except StreamEOF:
        pass
    await stream.close()


async def round_trip(stream: Any, data: bytes) -> bytes:
    await stream.write(data)
    got = bytearray()
    while len(got) < len(data):
        got += await stream.read(65536)
    return bytes(got)


def muxer_of(stream: Any) -> Any:
    return stream.muxed_stream.conn


@pytest.mark.parametrize(("dialer_fast", "listener_fast"),
                         [(True, True), (True, False), (False, True)])
def test_bytes_come_back_as_sent_with_fastpath_on_either_side(dialer_fast: bool,
                                                              listener_fast: bool) -> None:
    trio.run(bytes_come_back_as_sent, dialer_fast, listener_fast)


async def bytes_come_back_as_sent(dialer_fast: bool, listener_fast: bool) -> None:
    listener, dialer = host(listener_fast), host(dialer_fast)
    with trio.fail_after(60):
        async with listener.run(listen_addrs=[LOOPBACK]), dialer.run(listen_addrs=[LOOPBACK]):
            listener.set_stream_handler(ECHO, echo)
            address = multiaddr.Multiaddr(f"{listener.get_addrs()[0]}")
            if "/p2p/" not in str(address):
                address = multiaddr.Multiaddr(f"{address}/p2p/{listener.get_id()}")
            info = info_from_p2p_addr(address)
            await dialer.connect(info)
            stream = await dialer.new_stream(info.peer_id, [ECHO])
            fastpath.quicken_stream(stream)
            muxer = muxer_of(stream)
            assert isinstance(muxer, fastpath.CoalescingYamux) is dialer_fast
            if dialer_fast:
                packets = muxer.secured_conn.conn.read_writer
                assert isinstance(packets.read_write_closer, fastpath.ReadAhead)
                assert isinstance(stream._state_lock, fastpath.QuickLock)

            for size in (1, 200, 65_535, 65_536, 70_000, 300_000, 1_000_000):
                data = os.urandom(size)
                assert await round_trip(stream, data) == data, size

            async def many(index: int) -> None:
                other = await dialer.new_stream(info.peer_id, [ECHO])
                fastpath.quicken_stream(other)
                for turn in range(3):
                    data = os.urandom(100 + 997 * index + turn)
                    assert await round_trip(other, data) == data
                await other.close()

            async with trio.open_nursery() as nursery:
                for index in range(40):
                    nursery.start_soon(many, index)

            await stream.close()  # the echo sees the end, closes its side: we see EOF
            with pytest.raises(StreamEOF):
                while await stream.read(65536):
                    pass
