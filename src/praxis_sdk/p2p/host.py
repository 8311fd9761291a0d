"""The libp2p host: built from config (Noise, yamux), where it listens, whether it still does."""

from __future__ import annotations

import socket
from typing import Any

import multiaddr
from libp2p import create_yamux_muxer_option, new_host
from libp2p.crypto.keys import KeyPair
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID

from praxis_sdk.errors import Unavailable
from praxis_sdk.p2p import fastpath
from praxis_sdk.p2p.noise_nacl import Transport as NoiseTransport
from praxis_sdk.p2p.x25519 import create_new_key_pair as new_x25519_pair


def build_host(key_pair: KeyPair, listen: list[multiaddr.Multiaddr],
               announce: list[str]) -> Any:
    """A host speaking Noise only (plaintext, SECIO and TLS refused; on PyNaCl:
    `noise_nacl`), yamux first, with `fastpath`'s coalesced writes."""
    noise = NoiseTransport(key_pair, noise_privkey=new_x25519_pair().private_key)
    host = new_host(
        key_pair=key_pair,
        sec_opt={NOISE_ID: noise},
        muxer_opt=create_yamux_muxer_option(),  # mplex is still accepted
        listen_addrs=listen,
        announce_addrs=[multiaddr.Multiaddr(a) for a in announce] or None,
    )
    fastpath.install(host.get_network())  # coalesced yamux writes (p2p/fastpath.py)
    return host


def listen_addresses(config: Any) -> list[str]:
    return list(config.listen_addresses) or [f"/ip4/{config.host}/tcp/{config.port}"]


def ensure_ports_free(addrs: list[multiaddr.Multiaddr]) -> None:
    """Refuse a TCP port another process listens on (libp2p binds with SO_REUSEPORT,
    which would silently share the port with it)."""
    for addr in addrs:
        try:
            host, port = addr.value_for_protocol("ip4"), int(addr.value_for_protocol("tcp"))
        except Exception:  # not an /ip4/.../tcp/... address: libp2p reports its own errors
            continue
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise Unavailable(f"P2P port {host}:{port} is not free: {exc.strerror}") from exc


def listener_problem(host: Any) -> str | None:
    """Why the host no longer accepts connections, or None while every listen socket is open
    (or when this libp2p version keeps its listeners where we cannot see them)."""
    network = host.get_network()
    if not hasattr(network, "listeners"):
        return None
    listeners = list(network.listeners.values())
    if not listeners:
        return "the host has no listener"
    for listener in listeners:
        for sock_listener in getattr(listener, "listeners", []):
            sock = getattr(sock_listener, "socket", None)
            if sock is not None and sock.fileno() < 0:
                return f"listen socket of {listener.get_addrs()} was closed"
    return None
