"""Finding peers: addresses and bootstrap entries (asyncio side; mDNS is in `mdns.py`).

A bootstrap entry is a multiaddr with `/p2p/<peer id>`, or an agent's HTTP base URL
whose `GET /p2p/info` names its peer id and addresses. Nothing here imports libp2p.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import ifaddr

from praxis_sdk.errors import InvalidInput, Unavailable, describe

if TYPE_CHECKING:  # httpx loads with the client of the first URL entry (`targets.py`)
    import httpx

log = logging.getLogger(__name__)


# ---- addresses -------------------------------------------------------------------------


def local_ipv4() -> list[str]:
    """IPv4 addresses of this host's interfaces, non-loopback first."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ip.ip.startswith("169.254."):
                found.append(ip.ip)
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda a: ipaddress.ip_address(a).is_loopback)


def expand_addresses(addrs: list[str], *, loopback: bool = True) -> list[str]:
    """Listen addresses with `0.0.0.0` replaced by each interface address."""
    out: list[str] = []
    for addr in addrs:
        if addr.startswith("/ip4/0.0.0.0/"):
            rest = addr[len("/ip4/0.0.0.0"):]
            out.extend(f"/ip4/{ip}{rest}" for ip in local_ipv4())
        else:
            out.append(addr)
    if not loopback:
        outside = [a for a in out if not a.startswith("/ip4/127.")]
        out = outside or out
    return list(dict.fromkeys(out))


def split_p2p(addr: str) -> tuple[str, str]:
    """`/ip4/.../tcp/N/p2p/<id>` -> (peer id, address without /p2p)."""
    if "/p2p/" not in addr:
        raise InvalidInput(f"bootstrap multiaddr {addr!r} has no /p2p/<peer id>")
    base, _, peer_id = addr.rpartition("/p2p/")
    if not peer_id or "/" in peer_id:
        raise InvalidInput(f"bootstrap multiaddr {addr!r} has a malformed /p2p/ part")
    return peer_id, base


def is_url(entry: str) -> bool:
    return entry.startswith(("http://", "https://"))


# ---- bootstrap (asyncio) -----------------------------------------------------------------


async def resolve_url(url: str, client: httpx.AsyncClient, timeout: float) -> tuple[str, list[str]]:
    """Ask an agent's `GET <url>/p2p/info`; addresses are rewritten to the URL's host."""
    import httpx

    try:
        reply = await client.get(url.rstrip("/") + "/p2p/info", timeout=timeout)
        reply.raise_for_status()
        info = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unavailable(f"cannot read {url}/p2p/info: {describe(exc)}") from exc
    peer_id = info.get("peer_id") if isinstance(info, dict) else None
    addresses = info.get("addresses") if isinstance(info, dict) else None
    if not isinstance(peer_id, str) or not isinstance(addresses, list):
        raise InvalidInput(f"{url}/p2p/info did not return {{peer_id, addresses}}")
    host = urlparse(url).hostname or "127.0.0.1"
    return peer_id, await _rank_for_host(host, [str(a) for a in addresses])


async def _rank_for_host(host: str, addresses: list[str]) -> list[str]:
    """Addresses to dial: the URL host's IP on each advertised TCP port first, then the rest."""
    try:
        infos = await resolve_ipv4(host)
    except OSError:
        infos = []
    bases = [a.rpartition("/p2p/")[0] if "/p2p/" in a else a for a in addresses]
    ports = list(dict.fromkeys(_tcp_port(a) for a in bases if _tcp_port(a)))
    preferred = [f"/ip4/{ip}/tcp/{port}" for ip in infos for port in ports]
    return list(dict.fromkeys(preferred + bases))


async def resolve_ipv4(host: str) -> list[str]:
    """IPv4 addresses of a host name, resolved without blocking the asyncio loop."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _tcp_port(addr: str) -> str | None:
    parts = addr.split("/")
    return parts[parts.index("tcp") + 1] if "tcp" in parts and parts.index("tcp") + 1 < len(
        parts) else None


def backoff_delays(base: float = 0.25, cap: float = 30.0) -> Iterator[float]:
    """Full-jitter exponential backoff: uniform(0, min(cap, base * 2**n)), forever."""
    attempt = 0
    while True:
        yield random.uniform(base / 2, min(cap, base * 2**attempt))
        attempt += 1
