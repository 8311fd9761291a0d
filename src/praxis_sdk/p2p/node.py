"""The libp2p host and everything that runs in the trio thread: dialling, cards, calls, pings.

Only `P2PService` (asyncio side) creates a node, and only through `TrioBridge`.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import multiaddr
import trio
from libp2p import create_yamux_muxer_option, new_host
from libp2p.abc import INotifee
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
from libp2p.host.ping import ID as PING_ID
from libp2p.host.ping import perform_ping_roundtrip
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport

from praxis_sdk.errors import InvalidInput, PraxisError, Timeout, Unavailable
from praxis_sdk.p2p import fastpath, pipeline, protocols, wire
from praxis_sdk.p2p.bridge import TrioBridge
from praxis_sdk.p2p.discovery import expand_addresses
from praxis_sdk.p2p.mdns import MdnsDiscovery
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import PeerTable

log = logging.getLogger(__name__)
INBOUND_CARD_GRACE = 2.0  # an inbound peer normally sends its card first; after this we ask


@dataclass
class NodeHooks:
    """asyncio-side callables the node reaches through the bridge."""

    own_card: Callable[[], dict[str, Any]]
    handle_tool: Callable[[str, wire.ToolRequest], Awaitable[wire.ToolResponse]]
    handle_a2a: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
    card_received: Callable[[str, wire.Card], None]
    peer_state: Callable[[str, str], None]


class P2PNode:
    """The trio half of the P2P service. Every method here runs in the trio thread."""

    def __init__(self, *, config: Any, key_pair: KeyPair, bridge: TrioBridge,
                 metrics: P2PMetrics, peers: PeerTable, hooks: NodeHooks) -> None:
        self.config = config
        self.key_pair = key_pair
        self.bridge = bridge
        self.metrics = metrics
        self.peers = peers
        self.hooks = hooks
        self.max_bytes = int(config.max_message_bytes)
        self.io_timeout = float(config.connection_timeout)
        self.request_timeout = float(config.request_timeout)
        self.host: Any = None
        self.peer_id = ID.from_pubkey(key_pair.public_key).to_base58()
        self.listen_addrs: list[str] = []
        self.mdns: MdnsDiscovery | None = None
        self._card_waits: dict[str, trio.Event] = {}
        self._exchanging: dict[str, trio.Event] = {}
        self._ping_streams: dict[str, Any] = {}
        self.pipelines: pipeline.Pipelines

    # ---- lifecycle -------------------------------------------------------------------

    async def run(self, bridge: TrioBridge) -> None:
        """The trio thread's main: listen, serve, signal ready, wait for stop."""
        listen = [multiaddr.Multiaddr(a) for a in listen_addresses(self.config)]
        ensure_ports_free(listen)
        announce = [multiaddr.Multiaddr(a) for a in self.config.announce_addresses] or None
        noise = NoiseTransport(self.key_pair, noise_privkey=new_x25519_pair().private_key)
        self.host = new_host(
            key_pair=self.key_pair,
            sec_opt={NOISE_ID: noise},  # Noise only: plaintext, SECIO and TLS are refused
            muxer_opt=create_yamux_muxer_option(),  # yamux first, mplex accepted
            listen_addrs=listen,
            announce_addrs=announce,
        )
        fastpath.install(self.host.get_network())  # p2p-speed hook: coalesced yamux writes
        async with self.host.run(listen_addrs=listen):
            self.host.set_stream_handler(protocols.CARD, protocols.card_handler(self))
            self.host.set_stream_handler(protocols.TOOL, protocols.tool_handler(self))
            self.host.set_stream_handler(protocols.A2A, protocols.a2a_handler(self))
            self.pipelines = pipeline.Pipelines(self, bridge.nursery)  # p2p-speed hook
            self.host.set_stream_handler(wire.TOOL_PIPELINED, pipeline.tool_handler(self))
            self.host.get_network().register_notifee(_Notifee(self))
            self.listen_addrs = [str(a) for a in self.host.get_transport_addrs()]
            bridge.nursery.start_soon(self._ping_loop)
            if self.config.enable_mdns:
                self.mdns = MdnsDiscovery(self.peer_id, self.advertised_addresses(),
                                          self.host.get_network(), bridge,
                                          self._on_discovered)
                await self.mdns.start()
            bridge.ready()
            await bridge.wait_stop()
            if self.mdns is not None:
                await self.mdns.stop()
            with trio.move_on_after(2.0):
                for peer in list(self.peers.connected_ids()):
                    await self.host.disconnect(ID.from_base58(peer))

    def advertised_addresses(self) -> list[str]:
        """Dialable addresses without `/p2p`: announce list, else listen addrs expanded."""
        if self.config.announce_addresses:
            return list(self.config.announce_addresses)
        return expand_addresses(self.listen_addrs)

    def own_card(self) -> dict[str, Any]:
        return self.hooks.own_card()

    # ---- connections -----------------------------------------------------------------

    def is_connected(self, peer_id: str) -> bool:
        return bool(self.host.get_network().get_connections(ID.from_base58(peer_id)))

    async def connect(self, peer_id: str, addrs: list[str], timeout: float) -> str:
        """Dial (unless connected) and finish the card exchange within `timeout`."""
        if peer_id == self.peer_id:
            raise InvalidInput("cannot connect to this node itself")
        pid = _parse_id(peer_id)
        maddrs = [multiaddr.Multiaddr(_strip_p2p(a)) for a in addrs]
        with trio.move_on_after(timeout) as scope:
            if not self.is_connected(peer_id):
                # An explicit dial with fresh addresses (a bootstrap retry, /p2p/connect)
                # is not held back by libp2p's memory of the last failed attempt.
                self.host.get_network().unblock_peer(pid)
                try:
                    await self.host.connect(PeerInfo(pid, maddrs))
                except Exception as exc:
                    raise Unavailable(f"cannot dial {peer_id}: {exc}") from exc
            self._on_connected(peer_id, initiator=True)
            await self.exchange_cards(peer_id)
        if scope.cancelled_caught:
            raise Timeout(f"connecting to {peer_id} took over {timeout:.1f}s")
        return peer_id

    def _on_connected(self, peer_id: str, *, initiator: bool, addrs: list[str] | None = None
                      ) -> None:
        if addrs is None:
            addrs = self._known_addrs(peer_id)
        _, is_new = self.peers.seen(peer_id, addrs)
        self._refresh_peer_metrics()
        if is_new:
            log.info("peer %s connected (%s)", peer_id, "outbound" if initiator else "inbound")
            self.bridge.emit(self.hooks.peer_state, peer_id, "connected")
            if not initiator:
                self.bridge.nursery.start_soon(self._inbound_card_watch, peer_id)

    def _known_addrs(self, peer_id: str) -> list[str]:
        try:
            return [str(a) for a in self.host.get_peerstore().addrs(ID.from_base58(peer_id))]
        except Exception:  # the peerstore raises for peers it has no address of
            return []

    async def _inbound_card_watch(self, peer_id: str) -> None:
        event = self._card_waits.setdefault(peer_id, trio.Event())
        with trio.move_on_after(INBOUND_CARD_GRACE):
            await event.wait()
        if not event.is_set():
            await self._exchange_logged(peer_id)

    def on_disconnected(self, peer_id: str) -> None:
        if self.is_connected(peer_id):
            return
        self._ping_streams.pop(peer_id, None)
        self._card_waits.pop(peer_id, None)
        if self.peers.mark_gone(peer_id):
            self._refresh_peer_metrics()
            self.bridge.emit(self.hooks.peer_state, peer_id, "gone")

    def _refresh_peer_metrics(self) -> None:
        self.metrics.set_peers(*self.peers.counts())

    async def _on_discovered(self, peer_id: str, addrs: list[str]) -> None:
        if peer_id == self.peer_id or self.is_connected(peer_id):
            return
        try:
            await self.connect(peer_id, addrs, self.io_timeout)
        except PraxisError as exc:
            log.info("mDNS peer %s not reachable: %s", peer_id, exc)

    # ---- cards -----------------------------------------------------------------------

    async def exchange_cards(self, peer_id: str) -> wire.Card:
        """Swap cards with a connected peer (one exchange at a time per peer)."""
        running = self._exchanging.get(peer_id)
        if running is not None:
            await running.wait()
            record = self.peers.get(peer_id)
            if record is not None and record.card is not None:
                return record.card
        done = self._exchanging[peer_id] = trio.Event()
        try:
            stream = await self._open(peer_id, protocols.CARD)
            lines = protocols.LineStream(stream, protocols.CARD, self.max_bytes, self.metrics)
            try:
                card = await protocols.exchange_cards(lines, self.own_card(), self.io_timeout)
            except PraxisError as exc:
                await lines.reset(exc)
                raise
            await lines.close()
            await self.on_card(peer_id, card)
            return card
        finally:
            done.set()
            self._exchanging.pop(peer_id, None)

    async def _exchange_logged(self, peer_id: str) -> None:
        try:
            await self.exchange_cards(peer_id)
        except PraxisError as exc:
            log.info("card exchange with %s failed: %s", peer_id, exc)

    async def on_card(self, peer_id: str, card: wire.Card) -> None:
        if card.peer_id and card.peer_id != peer_id:
            log.warning("peer %s sent a card naming peer %s", peer_id, card.peer_id)
        self.peers.set_card(peer_id, card)
        self._card_waits.setdefault(peer_id, trio.Event()).set()
        self.bridge.emit(self.hooks.card_received, peer_id, card)

    async def broadcast_card(self) -> None:
        """Re-send our card to every connected peer (our tools changed)."""
        async with trio.open_nursery() as nursery:
            for peer_id in self.peers.connected_ids():
                nursery.start_soon(self._exchange_logged, peer_id)

    # ---- calls -----------------------------------------------------------------------

    async def _open(self, peer_id: str, protocol: str) -> Any:
        try:
            return await self.host.new_stream(_parse_id(peer_id), [protocol])
        except Exception as exc:
            self.metrics.error(protocol, "open")
            raise Unavailable(f"cannot open {protocol} to {peer_id}: {exc}") from exc

    async def call_tool(self, peer_id: str, request: wire.ToolRequest,
                        timeout: float) -> wire.ToolResponse:
        """One remote tool call on a new stream over the open connection."""
        if not self.is_connected(peer_id):
            raise Unavailable(f"peer {peer_id} is not connected")
        started = time.perf_counter()
        # p2p-speed hook: one pipelined stream per peer when its card announces it
        response = await self.pipelines.call(peer_id, _parse_id(peer_id), request, timeout)
        if response is not None:
            self.metrics.call_latency.observe(time.perf_counter() - started)
            return response
        data = wire.encode_line(request, self.max_bytes)
        with trio.move_on_after(timeout):
            try:
                stream, rest = await protocols.open_with_request(
                    self.host.get_network(), _parse_id(peer_id), protocols.TOOL, data, timeout)
            except PraxisError:
                self.metrics.error(protocols.TOOL, "open")
                raise
            self.metrics.message(protocols.TOOL, "out", len(data))
            lines = protocols.LineStream(stream, protocols.TOOL, self.max_bytes, self.metrics)
            lines.prefill(rest)
            try:
                response = await protocols.read_response(lines, request, timeout)
            except PraxisError as exc:
                await lines.reset(exc)
                raise
            await lines.close()
            self.metrics.call_latency.observe(time.perf_counter() - started)
            return response
        self.metrics.error(protocols.TOOL, "timeout")
        raise Timeout(f"tool {request.name} on {peer_id} gave no answer within {timeout:.1f}s")

    async def send_a2a(self, peer_id: str, message: dict[str, Any],
                       timeout: float) -> dict[str, Any]:
        """One JSON-RPC request over `/praxis/a2a/1.0.0`; returns the response object."""
        if not self.is_connected(peer_id):
            raise Unavailable(f"peer {peer_id} is not connected")
        with trio.move_on_after(timeout):
            stream = await self._open(peer_id, protocols.A2A)
            lines = protocols.LineStream(stream, protocols.A2A, self.max_bytes, self.metrics)
            try:
                await lines.write_value(message, timeout)
                answer = await lines.read_value(timeout)
            except PraxisError as exc:
                await lines.reset(exc)
                raise
            await lines.close()
            if not isinstance(answer, dict):
                raise InvalidInput("peer answered A2A with no JSON-RPC object")
            return answer
        raise Timeout(f"A2A request to {peer_id} gave no answer within {timeout:.1f}s")

    # ---- stream handler hooks (called by protocols) ----------------------------------

    async def handle_tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse:
        return await self.bridge.to_asyncio(self.hooks.handle_tool, peer_id, request)

    async def handle_a2a(self, peer_id: str, message: dict[str, Any]) -> dict[str, Any] | None:
        return await self.bridge.to_asyncio(self.hooks.handle_a2a, peer_id, message)

    # ---- liveness --------------------------------------------------------------------

    async def _ping_loop(self) -> None:
        interval = float(self.config.ping_interval)
        while True:
            await trio.sleep(interval)
            async with trio.open_nursery() as nursery:
                for peer_id in self.peers.connected_ids():
                    nursery.start_soon(self._ping_once, peer_id, interval)

    async def _ping_once(self, peer_id: str, timeout: float) -> None:
        rtt: float | None = None
        with trio.move_on_after(timeout):
            try:
                stream = self._ping_streams.get(peer_id)
                if stream is None:
                    stream = await self.host.new_stream(_parse_id(peer_id), [PING_ID])
                    self._ping_streams[peer_id] = stream
                started = time.perf_counter()
                await perform_ping_roundtrip(stream)
                rtt = (time.perf_counter() - started) * 1000
            except Exception as exc:
                log.debug("ping to %s failed: %r", peer_id, exc)
        if rtt is None:
            self._ping_streams.pop(peer_id, None)
        misses = self.peers.ping_result(peer_id, rtt)
        if misses >= int(self.config.ping_misses):
            log.info("peer %s missed %d pings: marking it gone", peer_id, misses)
            # gone first: closing a connection to a frozen peer can take a while, and calls
            # that fail meanwhile must already see the peer gone
            self._ping_streams.pop(peer_id, None)
            if self.peers.mark_gone(peer_id):
                self._refresh_peer_metrics()
                self.bridge.emit(self.hooks.peer_state, peer_id, "gone")
            with trio.move_on_after(2.0):
                try:
                    await self.host.disconnect(_parse_id(peer_id))
                except Exception as exc:
                    log.debug("closing %s failed: %r", peer_id, exc)


class _Notifee(INotifee):
    """Connection events from the swarm, turned into node calls (never blocking the swarm)."""

    def __init__(self, node: P2PNode) -> None:
        self.node = node

    async def connected(self, network: Any, conn: Any) -> None:
        muxed = conn.muxed_conn
        secured = getattr(muxed, "secured_conn", None)
        initiator = bool(getattr(secured, "is_initiator", False))
        try:
            addrs = [str(a) for a in conn.get_transport_addresses()]
        except Exception:  # not every connection type knows its remote address
            addrs = []
        self.node._on_connected(str(muxed.peer_id), initiator=initiator, addrs=addrs)

    async def disconnected(self, network: Any, conn: Any) -> None:
        self.node.on_disconnected(str(conn.muxed_conn.peer_id))

    async def opened_stream(self, network: Any, stream: Any) -> None:
        return None

    async def closed_stream(self, network: Any, stream: Any) -> None:
        return None

    async def listen(self, network: Any, multiaddr: Any) -> None:
        return None

    async def listen_close(self, network: Any, multiaddr: Any) -> None:
        return None


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


def _parse_id(peer_id: str) -> ID:
    try:
        return ID.from_base58(peer_id)
    except Exception as exc:
        raise InvalidInput(f"not a libp2p peer id: {peer_id!r}") from exc


def _strip_p2p(addr: str) -> str:
    return addr.split("/p2p/")[0] if "/p2p/" in addr else addr
