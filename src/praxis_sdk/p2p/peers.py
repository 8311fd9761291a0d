"""The peer table: who we know, how we found them, their card and addresses, connected or gone.

Gone peers are forgotten after `forget_after` seconds, and at most `max_gone` are kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from praxis_sdk.p2p.wire import Card

State = Literal["connected", "gone"]
FoundBy = Literal["mdns", "bootstrap", "connect", "inbound"]
FORGET_AFTER = 3600.0
MAX_GONE = 256


@dataclass
class PeerRecord:
    peer_id: str
    state: State = "connected"
    found_by: FoundBy = "inbound"
    name: str = ""
    card: Card | None = None
    addresses: list[str] = field(default_factory=list)
    last_seen: float = field(default_factory=time.time)
    missed_pings: int = 0
    rtt_ms: float | None = None

    def summary(self) -> dict[str, Any]:
        """What `GET /peers` shows for one peer."""
        card = self.card
        return {
            "peer_id": self.peer_id,
            "name": self.name,
            "state": self.state,
            "found_by": self.found_by,
            "addresses": list(self.addresses),
            "last_seen": self.last_seen,
            "rtt_ms": self.rtt_ms,
            "version": card.version if card else None,
            "capabilities": list(card.capabilities) if card else [],
            "tools": [tool.name for tool in card.tools] if card else [],
        }


class PeerTable:
    """Written by the trio thread, read from asyncio: every access holds one lock."""

    def __init__(self, forget_after: float = FORGET_AFTER, max_gone: int = MAX_GONE) -> None:
        self._lock = threading.Lock()
        self._peers: dict[str, PeerRecord] = {}
        self.forget_after = forget_after
        self.max_gone = max_gone

    def seen(self, peer_id: str, addresses: list[str] | None = None,
             found_by: FoundBy = "inbound") -> tuple[PeerRecord, bool]:
        """Mark a peer connected now; returns its record and whether it was not connected.

        `found_by` is kept from the first time we met the peer.
        """
        with self._lock:
            record = self._peers.get(peer_id)
            was_connected = record is not None and record.state == "connected"
            if record is None:
                record = self._peers[peer_id] = PeerRecord(peer_id=peer_id, found_by=found_by)
            record.state = "connected"
            record.last_seen = time.time()
            record.missed_pings = 0
            if addresses:
                record.addresses = sorted(set(record.addresses) | set(addresses))
            return record, not was_connected

    def set_card(self, peer_id: str, card: Card) -> PeerRecord:
        with self._lock:
            record = self._peers.setdefault(peer_id, PeerRecord(peer_id=peer_id))
            record.card, record.name = card, card.name
            record.last_seen = time.time()
            return record

    def ping_result(self, peer_id: str, rtt_ms: float | None) -> int:
        """Record one ping; returns the number of consecutive misses."""
        with self._lock:
            record = self._peers.get(peer_id)
            if record is None:
                return 0
            if rtt_ms is None:
                record.missed_pings += 1
            else:
                record.missed_pings, record.rtt_ms = 0, rtt_ms
                record.last_seen = time.time()
            return record.missed_pings

    def mark_gone(self, peer_id: str) -> bool:
        """Mark a peer gone; True when it was connected until now."""
        with self._lock:
            record = self._peers.get(peer_id)
            if record is None or record.state == "gone":
                return False
            record.state = "gone"
            self._forget_old()
            return True

    def _forget_old(self) -> None:
        """Drop gone peers unseen for `forget_after`, then the oldest past `max_gone`."""
        cutoff = time.time() - self.forget_after
        gone = sorted((r for r in self._peers.values() if r.state == "gone"),
                      key=lambda r: r.last_seen)
        for index, record in enumerate(gone):
            if record.last_seen < cutoff or index < len(gone) - self.max_gone:
                del self._peers[record.peer_id]

    def get(self, peer_id: str) -> PeerRecord | None:
        with self._lock:
            return self._peers.get(peer_id)

    def connected_ids(self) -> list[str]:
        with self._lock:
            return [p.peer_id for p in self._peers.values() if p.state == "connected"]

    def summaries(self) -> list[dict[str, Any]]:
        with self._lock:
            self._forget_old()
            return [record.summary() for record in self._peers.values()]

    def cards(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {pid: r.card.dump() for pid, r in self._peers.items() if r.card is not None}

    def counts(self) -> tuple[int, int]:
        with self._lock:
            connected = sum(1 for p in self._peers.values() if p.state == "connected")
            return connected, len(self._peers) - connected
