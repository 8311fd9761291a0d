"""Liveness (trio thread): ping every connected peer each interval, mark silent ones gone,
and check our own listen sockets are still open."""

from __future__ import annotations

import logging
import time
from typing import Any

import trio
from libp2p.host.ping import ID as PING_ID
from libp2p.host.ping import perform_ping_roundtrip

from praxis_sdk.errors import Unavailable
from praxis_sdk.p2p.connections import Connections, parse_id
from praxis_sdk.p2p.failures import Supervisor
from praxis_sdk.p2p.host import listener_problem

log = logging.getLogger(__name__)


class ListenerStopped(Unavailable):
    """The host stopped accepting connections: the node ends so the watchdog restarts it."""


class Liveness:
    def __init__(self, *, connections: Connections, supervisor: Supervisor, interval: float,
                 misses: int) -> None:
        self.connections = connections
        self.supervisor = supervisor
        self.interval = interval
        self.misses = misses
        self._streams: dict[str, Any] = {}

    async def run(self) -> None:
        """Every interval: raise `ListenerStopped` if we stopped listening, else ping peers."""
        while True:
            await trio.sleep(self.interval)
            problem = listener_problem(self.connections.host)
            if problem is not None:
                raise ListenerStopped(problem)
            async with trio.open_nursery() as nursery:
                for peer_id in self.connections.peers.connected_ids():
                    nursery.start_soon(self.supervisor.contained, "ping", peer_id,
                                       self._ping_once, peer_id)

    def forget(self, peer_id: str) -> None:
        self._streams.pop(peer_id, None)

    async def _ping_once(self, peer_id: str) -> None:
        rtt: float | None = None
        with trio.move_on_after(self.interval):
            try:
                stream = self._streams.get(peer_id)
                if stream is None:
                    stream = await self.connections.host.new_stream(parse_id(peer_id), [PING_ID])
                    self._streams[peer_id] = stream
                started = time.perf_counter()
                await perform_ping_roundtrip(stream)
                rtt = (time.perf_counter() - started) * 1000
            except Exception as exc:
                log.debug("ping to %s failed: %r", peer_id, exc)
        if rtt is None:
            self._streams.pop(peer_id, None)
        if self.connections.peers.ping_result(peer_id, rtt) >= self.misses:
            log.info("peer %s missed %d pings: marking it gone", peer_id, self.misses)
            # gone first: closing a connection to a frozen peer can take a while, and calls
            # that fail meanwhile must already see the peer gone
            self.connections.lost(peer_id)
            with trio.move_on_after(2.0):
                try:
                    await self.connections.host.disconnect(parse_id(peer_id))
                except Exception as exc:
                    log.debug("closing %s failed: %r", peer_id, exc)
