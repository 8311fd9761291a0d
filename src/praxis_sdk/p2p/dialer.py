"""Dialling peers (trio thread): connect then swap cards; one mDNS dial per peer at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import multiaddr
from libp2p.peer.peerinfo import PeerInfo

from praxis_sdk.errors import InvalidInput, Unavailable, describe
from praxis_sdk.p2p import wire
from praxis_sdk.p2p.connections import Connections, parse_id
from praxis_sdk.p2p.failures import Supervisor
from praxis_sdk.p2p.peers import FoundBy


class Dialer:
    def __init__(self, *, own_id: str, connections: Connections, supervisor: Supervisor,
                 exchange: Callable[[str], Awaitable[wire.Card]], io_timeout: float) -> None:
        self.own_id = own_id
        self.connections = connections
        self.supervisor = supervisor
        self.exchange = exchange
        self.io_timeout = io_timeout
        self._mdns_dials: set[str] = set()

    async def connect(self, peer_id: str, addrs: list[str], timeout: float,
                      found_by: FoundBy = "connect") -> str:
        """Dial (unless connected) and finish the card exchange within `timeout`."""
        if peer_id == self.own_id:
            raise InvalidInput("cannot connect to this node itself")
        pid = parse_id(peer_id)
        maddrs = [multiaddr.Multiaddr(_strip_p2p(a)) for a in addrs]
        with self.supervisor.bounded(f"connecting to {peer_id}", peer_id, timeout):
            if not self.connections.is_connected(peer_id):
                await self._dial(peer_id, PeerInfo(pid, maddrs), found_by)
            self.connections.connected(peer_id, initiator=True)
            await self.exchange(peer_id)
        return peer_id

    async def _dial(self, peer_id: str, info: PeerInfo, found_by: FoundBy) -> None:
        host = self.connections.host
        self.connections.dialing(peer_id, found_by)
        try:
            # An explicit dial with fresh addresses (a bootstrap retry, /p2p/connect)
            # is not held back by libp2p's memory of the last failed attempt.
            host.get_network().unblock_peer(info.peer_id)
            await host.connect(info)
        except Exception as exc:
            raise Unavailable(f"cannot dial {peer_id}: {describe(exc)}") from exc
        finally:
            self.connections.dial_ended(peer_id)

    async def on_discovered(self, peer_id: str, addrs: list[str]) -> None:
        """An mDNS announcement: dial unless connected or a dial to it is under way."""
        if (peer_id == self.own_id or peer_id in self._mdns_dials
                or self.connections.is_connected(peer_id)):
            return
        self._mdns_dials.add(peer_id)
        try:
            await self.connect(peer_id, addrs, self.io_timeout, "mdns")
        finally:
            self._mdns_dials.discard(peer_id)


def _strip_p2p(addr: str) -> str:
    return addr.split("/p2p/")[0] if "/p2p/" in addr else addr
