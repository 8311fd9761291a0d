"""One side of a libp2p Noise session over TCP, in its own process: stock py-libp2p (Noise on
`cryptography`, no Praxis module imported) or the node's (`praxis_sdk.p2p.noise_nacl`).

Usage: python noise_peer.py '<json>' with
  {"backend": "stock"|"ours", "role": "listen"}
      -> prints {"peer", "port"}, accepts one connection, handshakes as responder, reads the
         dialer's message, answers "echo:" + it, then reads once more (the dialer's tampered
         message, if it sends one)
  {"backend": ..., "role": "dial", "port": n, "peer": id, "tamper": bool}
      -> handshakes as initiator expecting `peer`, sends a message, reads the answer, then
         sends a message with one ciphertext byte flipped if `tamper`
Prints one JSON line: {"self", "remote", "got", "error", "cryptography"} ("error": the
names of the exception that ended the session and its causes; "cryptography": whether this
process loaded it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import trio


def transport(backend: str) -> Any:
    if backend == "ours":  # imported first, as in the node: libp2p then imports slimmed
        from praxis_sdk.p2p.noise_nacl import Transport
        from praxis_sdk.p2p.x25519 import create_new_key_pair as new_x25519_pair
    else:
        from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
        from libp2p.security.noise.transport import Transport
    from libp2p.crypto.ed25519 import create_new_key_pair

    return Transport(create_new_key_pair(), noise_privkey=new_x25519_pair().private_key)


def raw(stream: trio.SocketStream, initiator: bool) -> Any:
    from libp2p.io.trio import TrioTCPStream
    from libp2p.network.connection.raw_connection import RawConnection

    return RawConnection(TrioTCPStream(stream), initiator)


def names(exc: BaseException | None) -> list[str]:
    found = []
    while exc is not None and len(found) < 5:
        found.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    return found


async def session(options: dict[str, Any], noise: Any, report: dict[str, Any]) -> None:
    if options["role"] == "listen":
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        print(json.dumps({"peer": str(noise.local_peer), "port": port}), flush=True)
        stream = await listeners[0].accept()
        secure = await noise.secure_inbound(raw(stream, False))
        report["remote"] = str(secure.get_remote_peer())
        message = await secure.read()
        report["got"].append(message.decode())
        await secure.write(b"echo:" + message)
        report["got"].append((await secure.read()).decode())
        return
    from libp2p.peer.id import ID

    stream = await trio.open_tcp_stream("127.0.0.1", options["port"])
    secure = await noise.secure_outbound(raw(stream, True), ID.from_base58(options["peer"]))
    report["remote"] = str(secure.get_remote_peer())
    await secure.write(f"hello from {options['backend']}".encode())
    report["got"].append((await secure.read()).decode())
    if options.get("tamper"):
        frame = bytearray(secure.conn.noise_state.encrypt(b"tampered"))
        frame[3] ^= 1
        await secure.conn.read_writer.write_msg(bytes(frame))
    await stream.aclose()


async def main(options: dict[str, Any]) -> dict[str, Any]:
    noise = transport(options["backend"])
    report: dict[str, Any] = {"self": str(noise.local_peer), "remote": None, "got": [],
                              "error": []}
    try:
        with trio.fail_after(30):
            await session(options, noise, report)
    except Exception as exc:  # reported: the test asserts on which error ended the session
        report["error"] = names(exc)
    report["cryptography"] = "cryptography" in sys.modules
    return report


if __name__ == "__main__":
    print(json.dumps(trio.run(main, json.loads(sys.argv[1]))), flush=True)
