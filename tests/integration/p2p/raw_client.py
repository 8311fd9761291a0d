"""A bare libp2p client in its own process, for what a well-behaved node never sends.

Usage: python raw_client.py '<json>' with
  {"mode": "plaintext", "target": "<multiaddr/p2p/id>"}  -> dial with plaintext security only
  {"mode": "raw", "target": ..., "protocol": ..., "payload_b64": ..., "close_write": bool,
   "pad": n, "timeout": s}                                -> write raw bytes (+ n "a"s)
Prints one JSON line: {"connected", "error"} or {"outcome": reset|eof|data|timeout, "data"}.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import multiaddr
import trio
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
from libp2p.network.stream.exceptions import StreamEOF, StreamReset
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.insecure.transport import PLAINTEXT_PROTOCOL_ID, InsecureTransport
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport


def make_host(plaintext: bool) -> Any:
    pair = create_new_key_pair()
    if plaintext:
        security = {PLAINTEXT_PROTOCOL_ID: InsecureTransport(pair)}
    else:
        security = {NOISE_ID: NoiseTransport(pair, noise_privkey=new_x25519_pair().private_key)}
    return new_host(key_pair=pair, sec_opt=security, muxer_opt=create_yamux_muxer_option())


async def plaintext(options: dict[str, Any]) -> dict[str, Any]:
    host = make_host(plaintext=True)
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        info = info_from_p2p_addr(multiaddr.Multiaddr(options["target"]))
        try:
            with trio.fail_after(float(options.get("timeout", 10))):
                await host.connect(info)
                stream = await host.new_stream(info.peer_id, ["/praxis/card/1.0.0"])
                await stream.read(10)
        except BaseException as exc:  # any failure means the node refused us
            if isinstance(exc, KeyboardInterrupt):
                raise
            return {"connected": False, "error": repr(exc)[:300]}
        return {"connected": True, "error": None}


async def raw(options: dict[str, Any]) -> dict[str, Any]:
    host = make_host(plaintext=False)
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        info = info_from_p2p_addr(multiaddr.Multiaddr(options["target"]))
        await host.connect(info)
        stream = await host.new_stream(info.peer_id, [options["protocol"]])
        payload = base64.b64decode(options["payload_b64"]) + b"a" * int(options.get("pad", 0))
        try:
            for start in range(0, len(payload), 65536):
                await stream.write(payload[start:start + 65536])
            if options.get("close_write"):
                await stream.close_write()
        except Exception as exc:  # the node reset the stream while we were still writing
            return {"outcome": "reset", "data": "", "error": repr(exc)}
        data = b""
        with trio.move_on_after(float(options.get("timeout", 10))):
            try:
                while True:
                    chunk = await stream.read(65536)
                    if not chunk:
                        return {"outcome": "eof", "data": data.decode(errors="replace")}
                    data += chunk
            except StreamReset:
                return {"outcome": "reset", "data": data.decode(errors="replace")}
            except StreamEOF:
                return {"outcome": "eof", "data": data.decode(errors="replace")}
            except Exception as exc:
                return {"outcome": "reset", "data": data.decode(errors="replace"),
                        "error": repr(exc)}
        return {"outcome": "timeout", "data": data.decode(errors="replace")}


def main() -> None:
    options = json.loads(sys.argv[1])
    runner = plaintext if options["mode"] == "plaintext" else raw
    print(json.dumps(trio.run(runner, options)), flush=True)


if __name__ == "__main__":
    main()
