"""A misbehaving libp2p peer in its own process, driven by JSON lines on stdin.

Usage: python bad_peer.py. It listens on 127.0.0.1, prints `{"peer_id", "addresses"}`,
then answers each command line with one JSON line:
  {"op": "serve", "protocol": P, "behaviour": B}  how to answer streams the node opens
  {"op": "dial", "target": "<multiaddr/p2p/id>"}  connect and send no card
  {"op": "card", "target": ..., "capabilities": [...]}
                                                   connect and swap cards properly
  {"op": "open", "target": ..., "protocol": P, "behaviour": B}
                                                   open a stream and misbehave on it;
                                                   answers {"outcome": reset|eof|data|timeout}
Behaviours: good, stall, reset, garbage, huge (a 2 MiB line), half (half a line, then
end of stream), die (half a line, then the process exits at once).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import multiaddr
import trio
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
from libp2p.network.stream.exceptions import StreamEOF, StreamReset
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport

CARD, TOOL, A2A = "/praxis/card/1.0.0", "/praxis/tool/1.0.0", "/praxis/a2a/1.0.0"
TOOL_V2 = "/praxis/tool/2.0.0"
HALF = {CARD: b'{"name":"bad-pe', TOOL: b'{"id":"1","name":"ec', TOOL_V2: b'{"id":"1","na',
        A2A: b'{"jsonrpc":"2.0","id'}
GARBAGE = b"\x00\xff this is } not { json\n"
HUGE = b'{"name":"' + b"a" * (2 * 1024 * 1024) + b'"}\n'
WAIT = 8.0


class BadPeer:
    def __init__(self) -> None:
        pair = create_new_key_pair()
        noise = NoiseTransport(pair, noise_privkey=new_x25519_pair().private_key)
        self.host = new_host(key_pair=pair, sec_opt={NOISE_ID: noise},
                             muxer_opt=create_yamux_muxer_option())
        self.peer_id = ID.from_pubkey(pair.public_key).to_base58()
        self.serving = {CARD: "good", TOOL: "good", TOOL_V2: "good", A2A: "good"}
        self.capabilities: list[str] = []

    def card(self) -> bytes:
        return json.dumps({"name": "bad-peer", "version": "1.0.0", "peerId": self.peer_id,
                           "capabilities": self.capabilities,
                           "tools": [{"name": "bad_tool", "description": "x",
                                      "parameters": []}]}).encode() + b"\n"

    # ---- as the answering side ---------------------------------------------------------

    def handler(self, protocol: str) -> Any:
        async def handle(stream: Any) -> None:
            behaviour = self.serving[protocol]
            try:
                if behaviour == "good":
                    await self.answer_well(protocol, stream)
                else:
                    if protocol != CARD:
                        await stream.read(65536)  # the request, then misbehave
                    await misbehave(stream, protocol, behaviour)
            except Exception:  # the node may reset first; that is its job
                return
        return handle

    async def answer_well(self, protocol: str, stream: Any) -> None:
        if protocol == CARD:
            await stream.write(self.card())
            await read_line(stream)
        else:
            request = json.loads(await read_line(stream))
            if protocol != A2A:
                answer = {"id": request["id"], "result": {"ok": True}}
            else:
                answer = {"jsonrpc": "2.0", "id": request.get("id"), "result": {}}
            await stream.write(json.dumps(answer).encode() + b"\n")
        await stream.close()

    # ---- commands ------------------------------------------------------------------------

    async def command(self, options: dict[str, Any]) -> dict[str, Any]:
        op = options["op"]
        if op == "serve":
            self.serving[options["protocol"]] = options["behaviour"]
            return {"ok": True}
        info = info_from_p2p_addr(multiaddr.Multiaddr(options["target"]))
        await self.host.connect(info)
        if op == "dial":
            return {"ok": True}
        if op == "card":
            self.capabilities = options.get("capabilities", [])
            stream = await self.host.new_stream(info.peer_id, [CARD])
            await stream.write(self.card())
            return {"ok": True, "card": json.loads(await read_line(stream))}
        stream = await self.host.new_stream(info.peer_id, [options["protocol"]])
        try:
            await misbehave(stream, options["protocol"], options["behaviour"])
        except Exception as exc:  # the node reset the stream while we were still writing
            return {"outcome": "reset", "error": repr(exc)[:200]}
        return await outcome(stream)


async def misbehave(stream: Any, protocol: str, behaviour: str) -> None:
    if behaviour == "stall":
        return
    if behaviour == "reset":
        await stream.reset()
    elif behaviour == "garbage":
        await stream.write(GARBAGE)
    elif behaviour == "huge":
        for start in range(0, len(HUGE), 65536):
            await stream.write(HUGE[start:start + 65536])
    elif behaviour == "half":
        await stream.write(HALF[protocol])
        await stream.close_write()
    elif behaviour == "die":
        await stream.write(HALF[protocol])
        os._exit(17)
    else:
        raise ValueError(f"unknown behaviour {behaviour!r}")


async def outcome(stream: Any) -> dict[str, Any]:
    """How the node reacted on the stream: reset, end of stream, data, or nothing in time."""
    data = b""
    with trio.move_on_after(WAIT):
        try:
            while True:
                chunk = await stream.read(65536)
                if not chunk:
                    return {"outcome": "eof", "data": data.decode(errors="replace")[:500]}
                data += chunk
        except StreamReset:
            return {"outcome": "reset", "data": data.decode(errors="replace")[:500]}
        except StreamEOF:
            return {"outcome": "eof", "data": data.decode(errors="replace")[:500]}
        except Exception as exc:
            return {"outcome": "reset", "error": repr(exc)[:200]}
    return {"outcome": "timeout", "data": data.decode(errors="replace")[:500]}


async def read_line(stream: Any) -> bytes:
    data = b""
    with trio.fail_after(WAIT):
        while not data.endswith(b"\n"):
            chunk = await stream.read(65536)
            if not chunk:
                break
            data += chunk
    return data


async def main() -> None:
    peer = BadPeer()
    async with peer.host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        for protocol in (CARD, TOOL, TOOL_V2, A2A):
            peer.host.set_stream_handler(protocol, peer.handler(protocol))
        addrs = [f"{a}/p2p/{peer.peer_id}" for a in peer.host.get_transport_addrs()]
        print(json.dumps({"peer_id": peer.peer_id, "addresses": addrs}), flush=True)
        stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
        buffer = b""
        while True:
            chunk = await stdin.receive_some(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    reply = await peer.command(json.loads(line))
                except Exception as exc:
                    reply = {"error": repr(exc)[:300]}
                print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    trio.run(main)
