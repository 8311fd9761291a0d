"""A peer that speaks only what the Go agents speak: `/praxis/card/1.0.0` and `/praxis/tool/1.0.0`.

Usage: python go_peer.py '<json>' with {"card": <Go card>, "response": <Go tool response
for any request, its id replaced>, "log": <file>}. A bare py-libp2p host (Noise, yamux)
on a free loopback port; prints `{"peer_id", "address"}` once listening, appends one
line per stream it accepts (the protocol) to `log`, and serves until killed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import multiaddr
import trio
from bad_peer import read_line  # run as a script: its own folder is on sys.path
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport

CARD, TOOL = "/praxis/card/1.0.0", "/praxis/tool/1.0.0"


async def main(options: dict[str, Any]) -> None:
    pair = create_new_key_pair()
    host = new_host(key_pair=pair, sec_opt={NOISE_ID: NoiseTransport(
        pair, noise_privkey=new_x25519_pair().private_key)},
        muxer_opt=create_yamux_muxer_option())
    peer_id = host.get_id().to_base58()

    def logged(protocol: str) -> None:
        with open(options["log"], "a") as handle:
            handle.write(protocol + "\n")

    async def card(stream: Any) -> None:
        logged(CARD)
        own = {**options["card"], "peerId": peer_id}
        await stream.write(json.dumps(own).encode() + b"\n")
        await read_line(stream)
        await stream.close()

    async def tool(stream: Any) -> None:
        logged(TOOL)
        request = json.loads(await read_line(stream))
        answer = {**options["response"], "id": request["id"]}
        await stream.write(json.dumps(answer).encode() + b"\n")
        await stream.close()

    listen = multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")
    async with host.run([listen]):
        host.set_stream_handler(CARD, card)
        host.set_stream_handler(TOOL, tool)
        address = f"{host.get_addrs()[0]}"
        if "/p2p/" not in address:
            address = f"{address}/p2p/{peer_id}"
        print(json.dumps({"peer_id": peer_id, "address": address}), flush=True)
        await trio.sleep_forever()


if __name__ == "__main__":
    trio.run(main, json.loads(sys.argv[1]))
