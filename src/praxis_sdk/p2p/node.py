"""The P2P node: one libp2p host run in the trio thread, and the parts that use it.

Only `P2PService` (asyncio side) creates a node, and only through `TrioBridge`. The
parts, one idea each: `Connections` (peer states), `Dialer`, `CardExchange`, `Calls`
(with `Pipelines`) and `Liveness`; every background task runs in the node's
`Supervisor`, so a failure ends that task only. `run` returns when asked to stop and
raises when the host stops on its own (the service's watchdog then starts a new node).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import multiaddr
import trio
from libp2p.crypto.keys import KeyPair
from libp2p.peer.id import ID

from praxis_sdk.errors import Unavailable, describe
from praxis_sdk.p2p import pipeline, protocols, wire
from praxis_sdk.p2p.bridge import Handoff, Reply, TrioBridge
from praxis_sdk.p2p.calls import Calls
from praxis_sdk.p2p.cards import CardExchange
from praxis_sdk.p2p.connections import Connections, Notifee, parse_id
from praxis_sdk.p2p.dialer import Dialer
from praxis_sdk.p2p.discovery import expand_addresses
from praxis_sdk.p2p.failures import Supervisor
from praxis_sdk.p2p.host import build_host, ensure_ports_free, listen_addresses
from praxis_sdk.p2p.liveness import Liveness
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import FoundBy, PeerTable


@dataclass
class NodeHooks:
    """asyncio-side callables the node reaches through the bridge."""

    own_card: Callable[[], Awaitable[dict[str, Any]]]
    handle_tool: Callable[[str, wire.ToolRequest], Awaitable[wire.ToolResponse]]
    handle_a2a: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
    card_received: Callable[[str, wire.Card], None]
    peer_state: Callable[[str, str], None]


class P2PNode:
    """The trio half of the P2P service. Every method here runs in the trio thread.

    `listen` overrides the configured listen addresses (a restarted node keeps the
    ports its predecessor had).
    """

    def __init__(self, *, config: Any, key_pair: KeyPair, bridge: TrioBridge,
                 metrics: P2PMetrics, peers: PeerTable, hooks: NodeHooks,
                 listen: list[str] | None = None) -> None:
        self.config = config
        self.key_pair = key_pair
        self.bridge = bridge
        self.metrics = metrics
        self.peers = peers
        self.hooks = hooks
        self.max_bytes = int(config.max_message_bytes)
        self.io_timeout = float(config.connection_timeout)
        self.request_timeout = float(config.request_timeout)
        self.peer_id = ID.from_pubkey(key_pair.public_key).to_base58()
        self.listen = listen or listen_addresses(config)
        self.listen_addrs: list[str] = []
        self.host: Any = None
        self.supervisor = Supervisor(metrics)
        self.connections = Connections(peers, metrics, on_new=self._on_new_peer,
                                       on_lost=self._on_lost_peer)
        self.cards = CardExchange(
            peers=peers, connections=self.connections, supervisor=self.supervisor,
            open_stream=self._open, own_card=self.own_card,
            card_received=self._card_received, max_bytes=self.max_bytes,
            io_timeout=self.io_timeout)
        self.dialer = Dialer(own_id=self.peer_id, connections=self.connections,
                             supervisor=self.supervisor,
                             exchange=self.cards.exchange, io_timeout=self.io_timeout)
        pipelines = pipeline.Pipelines(peers=peers, connections=self.connections,
                                       supervisor=self.supervisor, max_bytes=self.max_bytes,
                                       io_timeout=self.io_timeout)
        self.calls = Calls(connections=self.connections, supervisor=self.supervisor,
                           pipelines=pipelines, open_stream=self._open,
                           max_bytes=self.max_bytes)
        self.liveness = Liveness(connections=self.connections, supervisor=self.supervisor,
                                 interval=float(config.ping_interval),
                                 misses=int(config.ping_misses))

    # ---- lifecycle -------------------------------------------------------------------

    async def run(self, bridge: TrioBridge) -> None:
        """The trio thread's main: listen, serve, signal ready, wait for stop."""
        listen = [multiaddr.Multiaddr(a) for a in self.listen]
        ensure_ports_free(listen)
        self.host = build_host(self.key_pair, listen, list(self.config.announce_addresses))
        self.connections.host = self.host
        try:
            async with self.host.run(listen_addrs=listen), self.supervisor.open():
                await self._serve(bridge)
        finally:
            self.connections.all_lost()

    async def _serve(self, bridge: TrioBridge) -> None:
        for protocol, serve in ((protocols.CARD, protocols.serve_card),
                                (protocols.TOOL, protocols.serve_tool),
                                (protocols.A2A, protocols.serve_a2a),
                                (protocols.TOOL_PIPELINED, pipeline.serve)):
            self.host.set_stream_handler(protocol, protocols.handler(self, protocol, serve))
        self.host.get_network().register_notifee(Notifee(self.connections))
        self.listen_addrs = [str(a) for a in self.host.get_transport_addrs()]
        mdns = None
        if self.config.enable_mdns:
            from praxis_sdk.p2p.mdns import MdnsDiscovery  # zeroconf loads only when used

            mdns = MdnsDiscovery(self.peer_id, self.advertised_addresses(),
                                 self.host.get_network(), self.supervisor,
                                 self.dialer.on_discovered)
            await mdns.start()
        bridge.ready()
        async with trio.open_nursery() as watch:
            watch.start_soon(self.liveness.run)  # raises when the listener stops
            await bridge.wait_stop()
            watch.cancel_scope.cancel()
        if mdns is not None:
            await mdns.stop()
        with trio.move_on_after(2.0):
            for peer in list(self.peers.connected_ids()):
                await self.host.disconnect(ID.from_base58(peer))

    def advertised_addresses(self) -> list[str]:
        """Dialable addresses without `/p2p`: announce list, else listen addrs expanded."""
        if self.config.announce_addresses:
            return list(self.config.announce_addresses)
        return expand_addresses(self.listen_addrs)

    # ---- what the service calls through the bridge -----------------------------------

    async def connect(self, peer_id: str, addrs: list[str], timeout: float,
                      found_by: FoundBy = "connect") -> str:
        return await self.dialer.connect(peer_id, addrs, timeout, found_by)

    async def exchange_cards(self, peer_id: str) -> wire.Card:
        return await self.cards.exchange(peer_id)

    async def broadcast_card(self) -> None:
        self.cards.broadcast()

    async def call_tool(self, peer_id: str, request: wire.ToolRequest,
                        timeout: float) -> wire.ToolResponse:
        return await self.calls.call_tool(peer_id, request, timeout)

    def start_tool_call(self, handoff: Handoff[wire.ToolResponse], peer_id: str,
                        request: wire.ToolRequest, data: bytes, timeout: float) -> None:
        """`bridge.hand`'s start for a tool call: on the peer's open pipelined stream with
        no task of its own, else `Calls.call_tool` in a task (the stream opens, 1.0.0)."""
        if not self.calls.hand_tool(handoff, peer_id, request, data, timeout):
            self.bridge.run_in_task(handoff, self.calls.call_tool, peer_id, request, timeout,
                                    data)

    async def send_a2a(self, peer_id: str, message: dict[str, Any],
                       timeout: float) -> dict[str, Any]:
        return await self.calls.send_a2a(peer_id, message, timeout)

    # ---- what the protocol handlers call (protocols.Handlers) -------------------------

    async def own_card(self) -> dict[str, Any]:
        """Our card, built on the asyncio side (asked through the bridge)."""
        return await self.bridge.to_asyncio(self.hooks.own_card)

    async def on_card(self, peer_id: str, card: wire.Card) -> None:
        await self.cards.on_card(peer_id, card)

    async def handle_tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse:
        return await self.bridge.to_asyncio(self.hooks.handle_tool, peer_id, request)

    def start_tool(self, peer_id: str, request: wire.ToolRequest, deadline: float,
                   on_done: Callable[[Any, BaseException | None], None]) -> Reply:
        """Answer `request` on the asyncio side without waiting: `on_done(response, error)`
        runs here when it is done, with `DeadlinePassed` once `deadline` has passed."""
        return self.bridge.start_asyncio(self.hooks.handle_tool, (peer_id, request), on_done,
                                         deadline)

    def stop_tool(self, reply: Reply) -> None:
        """The caller went away: cancel a `start_tool` answer still running."""
        self.bridge.cancel_asyncio(reply)

    async def handle_a2a(self, peer_id: str, message: dict[str, Any]) -> dict[str, Any] | None:
        return await self.bridge.to_asyncio(self.hooks.handle_a2a, peer_id, message)

    # ---- internals -------------------------------------------------------------------

    async def _open(self, peer_id: str, protocol: str) -> Any:
        try:
            return await self.host.new_stream(parse_id(peer_id), [protocol])
        except Exception as exc:
            self.metrics.error(protocol, "open")
            raise Unavailable(f"cannot open {protocol} to {peer_id}: {describe(exc)}") from exc

    def _on_new_peer(self, peer_id: str, inbound: bool) -> None:
        self.bridge.emit(self.hooks.peer_state, peer_id, "connected")
        if inbound:
            self.cards.watch_inbound(peer_id)

    def _on_lost_peer(self, peer_id: str) -> None:
        self.liveness.forget(peer_id)
        self.cards.forget(peer_id)
        self.bridge.emit(self.hooks.peer_state, peer_id, "gone")

    def _card_received(self, peer_id: str, card: wire.Card) -> None:
        self.bridge.emit(self.hooks.card_received, peer_id, card)
