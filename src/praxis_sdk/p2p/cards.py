"""Card exchange (trio thread): one exchange per peer at a time, its outcome shared by all
who asked; an inbound peer that sends no card within the grace period is asked for it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from praxis_sdk.errors import PraxisError, Unavailable
from praxis_sdk.p2p import protocols, wire
from praxis_sdk.p2p.connections import Connections
from praxis_sdk.p2p.failures import Supervisor, unwrapped
from praxis_sdk.p2p.peers import PeerTable

log = logging.getLogger(__name__)
INBOUND_CARD_GRACE = 2.0  # an inbound peer normally sends its card first; after this we ask

OpenStream = Callable[[str, str], Awaitable[Any]]


@dataclass
class _Exchange:
    """One running exchange; whoever asks meanwhile waits for the same outcome."""

    done: trio.Event = field(default_factory=trio.Event)
    card: wire.Card | None = None
    error: PraxisError | None = None


class CardExchange:
    def __init__(self, *, peers: PeerTable, connections: Connections, supervisor: Supervisor,
                 open_stream: OpenStream, own_card: Callable[[], Awaitable[dict[str, Any]]],
                 card_received: Callable[[str, wire.Card], None], max_bytes: int,
                 io_timeout: float) -> None:
        self.peers = peers
        self.connections = connections
        self.supervisor = supervisor
        self.open_stream = open_stream
        self.own_card = own_card
        self.card_received = card_received
        self.max_bytes = max_bytes
        self.io_timeout = io_timeout
        self.grace = min(INBOUND_CARD_GRACE, io_timeout)
        self._running: dict[str, _Exchange] = {}
        self._has_card: dict[str, trio.Event] = {}

    async def exchange(self, peer_id: str) -> wire.Card:
        """Swap cards with a connected peer, or share the outcome of the swap under way."""
        running = self._running.get(peer_id)
        if running is not None:
            await running.done.wait()
            if running.card is None:
                raise running.error or Unavailable(f"card exchange with {peer_id} failed")
            return running.card
        mine = self._running[peer_id] = _Exchange()
        try:
            mine.card = await self._swap(peer_id)
            return mine.card
        except PraxisError as exc:
            mine.error = exc
            raise
        except BaseException:
            mine.error = Unavailable(f"card exchange with {peer_id} was cancelled")
            raise
        finally:
            if self._running.get(peer_id) is mine:
                del self._running[peer_id]
            mine.done.set()

    async def _swap(self, peer_id: str) -> wire.Card:
        with unwrapped(f"card exchange with {peer_id}"):
            stream = await self.open_stream(peer_id, protocols.CARD)
            lines = protocols.LineStream(stream, protocols.CARD, self.max_bytes,
                                         self.supervisor.metrics)
            async with lines:
                card = await protocols.exchange_cards(lines, await self.own_card(),
                                                      self.io_timeout)
        await self.on_card(peer_id, card)
        return card

    async def on_card(self, peer_id: str, card: wire.Card) -> None:
        if card.peer_id and card.peer_id != peer_id:
            log.warning("peer %s sent a card naming peer %s", peer_id, card.peer_id)
        self.peers.set_card(peer_id, card)
        if self.connections.is_connected(peer_id):  # else `forget` ran: a set event left
            self._card_event(peer_id).set()  # here would skip asking on its next connection
        self.card_received(peer_id, card)

    def watch_inbound(self, peer_id: str) -> None:
        """A peer dialled us: ask for its card if it has not sent one within the grace period."""
        self.supervisor.spawn("card exchange", peer_id, self._inbound_watch, peer_id)

    async def _inbound_watch(self, peer_id: str) -> None:
        event = self._card_event(peer_id)
        with trio.move_on_after(self.grace):
            await event.wait()
        if not event.is_set() and self.connections.is_connected(peer_id):
            await self.exchange(peer_id)

    def forget(self, peer_id: str) -> None:
        """The peer is gone: wake whoever waits for its card (they see it is not connected)."""
        event = self._has_card.pop(peer_id, None)
        if event is not None:
            event.set()

    def broadcast(self) -> None:
        """Re-send our card to every connected peer (our tools changed)."""
        for peer_id in self.peers.connected_ids():
            self.supervisor.spawn("card exchange", peer_id, self.exchange, peer_id)

    def _card_event(self, peer_id: str) -> trio.Event:
        return self._has_card.setdefault(peer_id, trio.Event())
