"""Which peers are connected and how we met them: swarm events turned into peer states."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from libp2p.abc import INotifee
from libp2p.peer.id import ID

from praxis_sdk.errors import InvalidInput
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import FoundBy, PeerTable

log = logging.getLogger(__name__)


class Connections:
    """Peer states from connection events (trio thread). `host` is set while the node runs.

    `on_new(peer_id, inbound)` runs when a peer becomes connected, `on_lost(peer_id)`
    when its last connection closes or it stops answering pings.
    """

    def __init__(self, peers: PeerTable, metrics: P2PMetrics, *,
                 on_new: Callable[[str, bool], None], on_lost: Callable[[str], None]) -> None:
        self.peers = peers
        self.metrics = metrics
        self.on_new = on_new
        self.on_lost = on_lost
        self.host: Any = None
        self._dialing: dict[str, FoundBy] = {}

    def is_connected(self, peer_id: str) -> bool:
        host = self.host
        return host is not None and bool(host.get_network().get_connections(parse_id(peer_id)))

    def dialing(self, peer_id: str, found_by: FoundBy) -> None:
        """We are about to dial `peer_id` because of `found_by` (kept until it connects)."""
        self._dialing[peer_id] = found_by

    def dial_ended(self, peer_id: str) -> None:
        self._dialing.pop(peer_id, None)

    def connected(self, peer_id: str, *, initiator: bool, addrs: list[str] | None = None) -> None:
        found_by: FoundBy = self._dialing.get(peer_id, "connect" if initiator else "inbound")
        _, is_new = self.peers.seen(peer_id, addrs or self._known_addrs(peer_id), found_by)
        self.refresh_metrics()
        if is_new:
            log.info("peer %s connected (%s, found by %s)", peer_id,
                     "outbound" if initiator else "inbound", found_by)
            self.on_new(peer_id, not initiator)

    def disconnected(self, peer_id: str) -> None:
        if not self.is_connected(peer_id):
            self.lost(peer_id)

    def lost(self, peer_id: str) -> None:
        """Mark a peer gone (no connection left, or it stopped answering)."""
        if self.peers.mark_gone(peer_id):
            log.info("peer %s gone", peer_id)
            self.refresh_metrics()
            self.on_lost(peer_id)

    def all_lost(self) -> None:
        """The host stopped: every peer it was connected to is gone."""
        for peer_id in self.peers.connected_ids():
            self.lost(peer_id)

    def refresh_metrics(self) -> None:
        self.metrics.set_peers(*self.peers.counts())

    def _known_addrs(self, peer_id: str) -> list[str]:
        try:
            return [str(a) for a in self.host.get_peerstore().addrs(ID.from_base58(peer_id))]
        except Exception:  # the peerstore raises for peers it has no address of
            return []


class Notifee(INotifee):
    """Connection events from the swarm, handed to `Connections` (never blocking the swarm)."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    async def connected(self, network: Any, conn: Any) -> None:
        muxed = conn.muxed_conn
        secured = getattr(muxed, "secured_conn", None)
        initiator = bool(getattr(secured, "is_initiator", False))
        try:
            addrs = [str(a) for a in conn.get_transport_addresses()]
        except Exception:  # not every connection type knows its remote address
            addrs = []
        self.connections.connected(str(muxed.peer_id), initiator=initiator, addrs=addrs)

    async def disconnected(self, network: Any, conn: Any) -> None:
        self.connections.disconnected(str(conn.muxed_conn.peer_id))

    async def opened_stream(self, network: Any, stream: Any) -> None:
        return None

    async def closed_stream(self, network: Any, stream: Any) -> None:
        return None

    async def listen(self, network: Any, multiaddr: Any) -> None:
        return None

    async def listen_close(self, network: Any, multiaddr: Any) -> None:
        return None


@functools.lru_cache(maxsize=1024)  # every call checks its peer: no base58 decode each time
def parse_id(peer_id: str) -> ID:
    try:
        return ID.from_base58(peer_id)
    except Exception as exc:
        raise InvalidInput(f"not a libp2p peer id: {peer_id!r}") from exc
