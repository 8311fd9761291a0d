"""`slim.py`: libp2p imported without what a node never uses, and the library it was written
against. If a test here fails after a libp2p upgrade, re-read `STAND_INS` against the new
version (what its `__init__`, `basic_host`, `swarm` and `custom_types` import) before
re-pinning."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import subprocess
import sys
from typing import Any

from praxis_sdk.p2p import slim

UNUSED_PACKAGES = ("aioquic", "zeroconf", "Crypto", "coincurve", "requests", "websockets",
                   "trio_websocket", "fastecdsa", "miniupnpc", "cbor2", "OpenSSL",
                   "cryptography")


def run(code: str, *args: str) -> Any:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def kind(make: slim.Maker, module: str, name: str) -> Any:
    named = {slim._class: "class", slim._key: "key", slim._function: "function",
             slim._error: "error", slim._made_on_use: "class", slim._instance: "instance"}
    if hasattr(make, "ours"):  # ours in place of the real one: a class with all its methods
        ours = getattr(importlib.import_module(slim.OURS), name)
        return {"ours": sorted(dir(ours)) if inspect.isclass(ours) else "function"}
    return named.get(make) or {"value": make("", "")}


def test_libp2p_is_the_version_slim_was_written_against() -> None:
    assert importlib.metadata.version("libp2p") == slim.LIBP2P_VERSION


REAL = """
import importlib, inspect, json, sys
import libp2p  # the whole library: no praxis_sdk.p2p imported first
moved = []
for module, names in json.loads(sys.argv[1]).items():
    try:
        real = importlib.import_module(module)
    except ImportError as exc:
        moved.append(f"{module}: {exc}")
        continue
    for name, kind in names.items():
        if not hasattr(real, name):
            moved.append(f"{module}.{name}: gone")
            continue
        value = getattr(real, name)
        if isinstance(kind, dict) and "ours" in kind:
            ok = (inspect.isfunction(value) if kind["ours"] == "function" else
                  inspect.isclass(value) and set(dir(value)) <= set(kind["ours"]))
        elif isinstance(kind, dict):
            ok = kind["value"] == value
        else:
            ok = {"class": inspect.isclass(value), "key": hasattr(value, "from_bytes"),
                  "function": callable(value) and not inspect.isclass(value),
                  "error": inspect.isclass(value) and issubclass(value, BaseException),
                  "instance": not (inspect.isclass(value) or callable(value))}[kind]
        if not ok:
            moved.append(f"{module}.{name}: not a {kind}")
print(json.dumps(moved))
"""


def test_every_stand_in_names_what_the_real_module_holds() -> None:
    spec = {module: {name: kind(make, module, name) for name, make in names.items()}
            for module, names in slim.STAND_INS.items()}
    assert run(REAL, json.dumps(spec)) == []


NODE = """
import json, sys
import praxis_sdk.p2p.node
from praxis_sdk.p2p import slim
report = {"served": list(slim._StandIns.served),
          "left": sorted(name for name in slim.STAND_INS if name in sys.modules),
          "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))}
# multiaddr's DNS resolver: libp2p makes one at start, dnspython loads at its first use
import multiaddr, trio
from libp2p.transport.tcp import tcp
resolver = tcp.DNSResolver()
report["dns_before_use"] = "dns.resolver" in sys.modules
from multiaddr.resolvers import DNSResolver  # the real one
async def outcome(resolver, address):
    try:
        return [str(a) for a in await resolver.resolve(multiaddr.Multiaddr(address))]
    except Exception as exc:  # a name no DNS server here knows (the same for both)
        return type(exc).__name__
report["resolved"] = [trio.run(outcome, r, a) for r in (resolver, DNSResolver())
                      for a in ("/ip4/127.0.0.1/tcp/1", "/dns4/localhost/tcp/1")]
report["dns_after_use"] = "dns.resolver" in sys.modules
# each stand-in package refuses a module it does not list
with slim.stand_ins():
    try:
        import libp2p.transport.quic.connection
    except ModuleNotFoundError as exc:
        report["unlisted"] = exc.name
# the real modules import on demand, and libp2p's own references defer to them
import libp2p
from libp2p.crypto import rsa, secp256k1
from libp2p.crypto.serialization import deserialize_public_key
from libp2p.transport.quic.config import QUICTransportConfig
from libp2p.transport.quic.utils import is_quic_multiaddr
import multiaddr
report["quic"] = is_quic_multiaddr(multiaddr.Multiaddr("/ip4/127.0.0.1/udp/1/quic-v1"))
report["isinstance"] = isinstance(QUICTransportConfig(), libp2p.QUICTransportConfig)
report["keys"] = [type(deserialize_public_key(pair.public_key.serialize())).__name__
                  for pair in (rsa.create_new_key_pair(), secp256k1.create_new_key_pair())]
report["default_host"] = type(libp2p.new_host()).__name__  # TLS and SECIO, loaded now
print(json.dumps(report))
"""


def test_a_node_imports_libp2p_without_the_unused_parts_which_stay_importable() -> None:
    report = run(NODE, *UNUSED_PACKAGES)
    assert sorted(report["served"]) == sorted(slim.STAND_INS)  # no stale entry
    assert report["left"] == [] and report["loaded"] == []
    assert report["unlisted"] == "libp2p.transport.quic.connection"
    assert report["quic"] is True and report["isinstance"] is True
    assert report["keys"] == ["RSAPublicKey", "Secp256k1PublicKey"]
    assert report["default_host"] == "BasicHost"
    assert report["dns_before_use"] is False and report["dns_after_use"] is True
    made, real = report["resolved"][:2], report["resolved"][2:]
    assert made == real and made[0] == ["/ip4/127.0.0.1/tcp/1"], report["resolved"]


STOCK_NOISE = """
import json, trio
import praxis_sdk.p2p  # first, as in the node: libp2p imports slimmed
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as real_x25519  # the real module now
from libp2p.io.trio import TrioTCPStream
from libp2p.network.connection.raw_connection import RawConnection
from libp2p.security.noise.transport import Transport as Stock
from praxis_sdk.p2p.noise_nacl import Transport as Ours
from praxis_sdk.p2p.x25519 import create_new_key_pair as our_x25519

async def session(dialer, listener):
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    got = {}
    async def accept():
        conn = await listener.secure_inbound(RawConnection(TrioTCPStream(
            await listeners[0].accept()), False))
        got["listener"] = (await conn.read()).decode()
        await conn.write(b"back")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(accept)
        stream = await trio.open_tcp_stream("127.0.0.1", listeners[0].socket.getsockname()[1])
        conn = await dialer.secure_outbound(RawConnection(TrioTCPStream(stream), True),
                                            listener.local_peer)
        await conn.write(b"there")
        got["dialer"] = (await conn.read()).decode()
    return got

results = []
for key in (real_x25519, our_x25519):
    stock = Stock(create_new_key_pair(), noise_privkey=key().private_key)
    ours = Ours(create_new_key_pair(), noise_privkey=our_x25519().private_key)
    results += [trio.run(session, stock, ours), trio.run(session, ours, stock)]
print(json.dumps(results))
"""


def test_stock_noise_still_works_in_a_process_that_imported_praxis_first() -> None:
    # libp2p's own X25519 keys (the real module, imported after) and ours, both ways
    assert run(STOCK_NOISE) == [{"listener": "there", "dialer": "back"}] * 4
