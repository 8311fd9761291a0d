"""`P2PService`: the agent's asyncio-side handle on the P2P node (INTERFACES 5).

The node itself runs in a trio thread (`node.P2PNode`), reached only through
`bridge.TrioBridge`. The agent hands in plain callables: the exposed tools for our
card, the catalog's invoke, an A2A handler, an event publisher and provider callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
from prometheus_client import CollectorRegistry

from praxis_sdk.errors import (
    InvalidInput,
    NotAllowed,
    NotFound,
    PraxisError,
    Timeout,
    Unavailable,
)
from praxis_sdk.p2p import discovery, wire
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.peers import PeerTable
from praxis_sdk.p2p.provider import PeerToolProvider
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

if TYPE_CHECKING:  # libp2p and trio load only when the node starts (agent start-up time)
    from praxis_sdk.p2p.bridge import TrioBridge
    from praxis_sdk.p2p.node import P2PNode

log = logging.getLogger(__name__)

InvokeLocal = Callable[[str, dict[str, Any]], Awaitable[ToolResult]]
A2AHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
ProviderCallback = Callable[[PeerToolProvider], Any]


class P2PService:
    """Start/stop the node, connect to peers, call their tools, serve ours."""

    name = "p2p"

    def __init__(
        self,
        config: Any,
        *,
        agent_name: str,
        agent_version: str = "",
        local_tools: Callable[[], list[ToolSpec]],
        invoke_local: InvokeLocal,
        a2a_handler: A2AHandler | None = None,
        publish: Callable[[str, dict[str, Any]], None] | None = None,
        on_provider_added: ProviderCallback | None = None,
        on_provider_removed: ProviderCallback | None = None,
        endpoints: dict[str, str] | Callable[[], dict[str, str]] | None = None,
        http_base_url: str | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.config = config
        self.agent_name = agent_name
        self.agent_version = agent_version
        self._local_tools = local_tools
        self._invoke_local = invoke_local
        self.a2a_handler = a2a_handler
        self._publish = publish
        self._on_added = on_provider_added
        self._on_removed = on_provider_removed
        self._endpoints = endpoints
        self._http_base_url = http_base_url
        self.metrics = P2PMetrics(registry)
        self.peer_table = PeerTable()
        self.providers: dict[str, PeerToolProvider] = {}
        self._bridge: TrioBridge | None = None
        self._node: P2PNode | None = None
        self._card: dict[str, Any] = {}
        self._allowed = None if config.allowed_peers is None else set(config.allowed_peers)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._gone: dict[str, asyncio.Event] = {}
        self._stopping = asyncio.Event()
        self._http: httpx.AsyncClient | None = None
        self._started_at = 0.0
        self._starting = False

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Load or create the identity, start the trio thread, listen, begin discovery.

        Does nothing when `config.enabled` is false; raises `Unavailable` when the node
        cannot listen (port taken, bad address) within `connection_timeout`.
        """
        if not getattr(self.config, "enabled", True):
            return
        if getattr(self.config, "enable_dht", False):
            log.warning("p2p.enable_dht is set, but the Kademlia DHT is not supported yet: "
                        "peers are found by mDNS and p2p.bootstrap_nodes only "
                        "(p2p.rendezvous %r is not used)", self.config.rendezvous)
        self._starting = True
        try:
            await self._start_node()
        finally:
            self._starting = False
        self._started_at = time.time()
        for entry in self.config.bootstrap_nodes or []:
            self._spawn(self._bootstrap_loop(entry))

    async def _start_node(self) -> None:
        # libp2p takes most of a second to import: do it in a worker thread so the
        # event loop (and /health, which says "starting") keeps answering meanwhile.
        await asyncio.to_thread(importlib.import_module, "praxis_sdk.p2p.node")
        from praxis_sdk.p2p import identity
        from praxis_sdk.p2p.bridge import TrioBridge
        from praxis_sdk.p2p.node import NodeHooks, P2PNode

        key_pair = await asyncio.to_thread(
            identity.load_or_create, self.config.keystore_path, self.agent_name)
        self._bridge = TrioBridge(f"p2p-{self.agent_name}")
        hooks = NodeHooks(own_card=self._own_card, handle_tool=self._handle_tool,
                          handle_a2a=self._handle_a2a, card_received=self._card_received,
                          peer_state=self._peer_state)
        self._node = P2PNode(config=self.config, key_pair=key_pair, bridge=self._bridge,
                             metrics=self.metrics, peers=self.peer_table, hooks=hooks)
        self._rebuild_card()
        self._http = httpx.AsyncClient()
        await self._bridge.start(self._node.run, timeout=float(self.config.connection_timeout))

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop dialling, close peers, stop the trio thread; bounded by `timeout`."""
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout / 2)
        if self._bridge is not None:
            await self._bridge.stop(timeout)
        if self._http is not None:
            await self._http.aclose()
        for provider in list(self.providers.values()):
            self._remove_provider(provider.peer_id)

    @property
    def running(self) -> bool:
        """True while the trio thread serves the node."""
        return self._bridge is not None and self._bridge.running

    @property
    def peer_id(self) -> str:
        return self._node.peer_id if self._node else ""

    def health(self) -> dict[str, Any]:
        connected, gone = self.peer_table.counts()
        if not getattr(self.config, "enabled", True):
            return {"status": "disabled", "listening": False, "peer_id": "", "addresses": [],
                    "peers_connected": 0, "peers_gone": 0}
        status = "healthy" if self.running else "starting" if self._starting else "unhealthy"
        return {"status": status,
                "listening": self.running, "peer_id": self.peer_id,
                "addresses": self.info()["addresses"], "peers_connected": connected,
                "peers_gone": gone}

    def info(self) -> dict[str, Any]:
        """`GET /p2p/info`: `{peer_id, addresses, protocols}` (addresses end in /p2p/<id>)."""
        node = self._node
        addrs = node.advertised_addresses() if node and node.listen_addrs else []
        return {"peer_id": self.peer_id, "addresses": [f"{a}/p2p/{self.peer_id}" for a in addrs],
                "protocols": list(wire.PROTOCOLS)}

    def peers(self) -> list[dict[str, Any]]:
        return self.peer_table.summaries()

    def cards(self) -> dict[str, dict[str, Any]]:
        return self.peer_table.cards()

    def card(self) -> dict[str, Any]:
        """Our own card (`GET /agent/card`)."""
        return self._own_card()

    @property
    def endpoints(self) -> dict[str, str]:
        """Our HTTP, A2A and MCP URLs (asked for each time: the HTTP port may be known late)."""
        found = self._endpoints() if callable(self._endpoints) else self._endpoints
        out = dict(found or {})
        if self._http_base_url and "http" not in out:
            out["http"] = self._http_base_url
        return out

    def _own_card(self) -> dict[str, Any]:
        """The card we send: cached tools, current endpoints and peer id."""
        card = dict(self._card)
        card["peerId"] = self.peer_id
        endpoints = self.endpoints
        if endpoints:
            card["endpoints"] = endpoints
        return card

    # ---- outgoing --------------------------------------------------------------------

    async def connect(self, target: str, timeout: float | None = None) -> str:
        """Dial a multiaddr with `/p2p/<id>` or an agent's HTTP URL; returns after cards swap."""
        deadline = float(timeout or self.config.connection_timeout)
        if discovery.is_url(target):
            assert self._http is not None
            peer_id, addrs = await discovery.resolve_url(target, self._http, deadline)
        elif target.startswith("/"):
            peer_id, base = discovery.split_p2p(target)
            addrs = [base]
        else:
            raise InvalidInput(f"not a multiaddr or http(s) URL: {target!r}")
        node, bridge = self._require_node()
        return await self._bounded(bridge.call(node.connect, peer_id, addrs, deadline),
                                   deadline, f"connecting to {target}")

    async def call_tool(self, peer_id: str, tool_name: str, arguments: dict[str, Any],
                        timeout: float | None = None) -> ToolResult:
        """Run a peer's tool; `peer_id` may also be the peer's agent name."""
        node, bridge = self._require_node()
        pid = self._resolve_peer(peer_id)
        deadline = float(timeout or self.config.request_timeout)
        request = wire.new_request(wire.new_request_id(), tool_name, dict(arguments))
        started = time.perf_counter()
        response = await self._bounded(bridge.call(node.call_tool, pid, request, deadline),
                                       deadline, f"tool {tool_name} on {peer_id}")
        record = self.peer_table.get(pid)
        return wire.result_from_response(
            response, tool=tool_name, provider=record.name if record and record.name else pid,
            duration_ms=(time.perf_counter() - started) * 1000)

    async def send_a2a(self, peer_id: str, request: dict[str, Any],
                       timeout: float | None = None) -> dict[str, Any]:
        """Send one JSON-RPC request to a peer's `/praxis/a2a/1.0.0`; returns its response."""
        node, bridge = self._require_node()
        pid = self._resolve_peer(peer_id)
        deadline = float(timeout or self.config.request_timeout)
        return await self._bounded(bridge.call(node.send_a2a, pid, request, deadline),
                                   deadline, f"A2A request to {peer_id}")

    def notify_tools_changed(self) -> None:
        """Our exposed tools may have changed: if the card differs, re-send it to every peer."""
        before = self._card.get("tools")
        self._rebuild_card()
        if self._card.get("tools") == before:
            return
        if self._node is not None and self._bridge is not None and self._bridge.running:
            self._bridge.call_soon(self._node.broadcast_card)

    # ---- incoming (called from the trio side through the bridge) -----------------------

    async def _handle_tool(self, peer_id: str, request: wire.ToolRequest) -> wire.ToolResponse:
        try:
            if self._allowed is not None and peer_id not in self._allowed:
                raise NotAllowed(f"peer {peer_id} is not in p2p.allowed_peers")
            exposed = {spec.name: spec for spec in self._local_tools() if spec.expose}
            if request.name not in exposed:
                raise NotFound(f"tool not found or not exposed to peers: {request.name}")
            result = await self._invoke_local(request.name, request.flat_arguments())
        except PraxisError as exc:
            return wire.response_from_error(request.id, exc)
        except Exception as exc:  # a tool bug is the caller's error response, not our crash
            log.exception("local tool %s failed for peer %s", request.name, peer_id)
            return wire.response_from_error(request.id, PraxisError(f"internal error: {exc}"))
        return wire.response_from_result(request.id, result)

    async def _handle_a2a(self, peer_id: str, message: dict[str, Any]) -> dict[str, Any] | None:
        request_id = message.get("id")
        if self._allowed is not None and peer_id not in self._allowed:
            return wire.jsonrpc_error(request_id, -32003, f"peer {peer_id} not allowed")
        if self.a2a_handler is None:
            return wire.jsonrpc_error(request_id, wire.METHOD_NOT_FOUND,
                                           f"method not found: {message.get('method')}")
        try:
            return await self.a2a_handler(message)
        except PraxisError as exc:
            return wire.jsonrpc_error(request_id, wire.INTERNAL_ERROR, exc.message)

    def _card_received(self, peer_id: str, card: wire.Card) -> None:
        provider = self.providers.get(peer_id)
        if provider is not None:
            provider.update(card)
            self._callback(self._on_added, provider)  # same provider: listeners see new tools
        elif self._allowed is None or peer_id in self._allowed:
            provider = self.providers[peer_id] = PeerToolProvider(peer_id, card, self.call_tool)
            self._callback(self._on_added, provider)
        self._emit("peerUpdate", {"peerId": peer_id, "state": "connected", "name": card.name,
                                  "tools": [tool.name for tool in card.tools]})

    def _peer_state(self, peer_id: str, state: str) -> None:
        if state == "gone":
            self._remove_provider(peer_id)
            self._gone.setdefault(peer_id, asyncio.Event()).set()
        else:
            self._gone.pop(peer_id, None)
        self._emit("peerUpdate", {"peerId": peer_id, "state": state})

    def _remove_provider(self, peer_id: str) -> None:
        provider = self.providers.pop(peer_id, None)
        if provider is not None:
            self._callback(self._on_removed, provider)

    # ---- helpers ---------------------------------------------------------------------

    def _rebuild_card(self) -> None:
        tools = [spec for spec in self._local_tools() if spec.expose]
        self._card = wire.build_card(
            name=self.agent_name, version=self.agent_version, peer_id=self.peer_id,
            tools=tools, endpoints=self.endpoints).dump()

    def _resolve_peer(self, peer: str) -> str:
        record = self.peer_table.get(peer)
        if record is not None:
            if record.state == "gone":
                raise Unavailable(f"peer {record.name or peer} is gone (not answering)")
            return peer
        for summary in self.peer_table.summaries():
            if summary["name"] == peer and summary["state"] == "connected":
                return str(summary["peer_id"])
        if peer.startswith(("12D3", "Qm")):
            return peer
        raise NotFound(f"no peer with id or agent name {peer!r}")

    def _require_node(self) -> tuple[P2PNode, TrioBridge]:
        if self._node is None or self._bridge is None or not self._bridge.running:
            raise Unavailable("P2P is not running")
        return self._node, self._bridge

    async def _bounded(self, work: Awaitable[Any], deadline: float, what: str) -> Any:
        """The trio side enforces `deadline`; this margin only guards a stuck bridge."""
        try:
            return await asyncio.wait_for(work, deadline + 2.0)
        except TimeoutError as exc:
            raise Timeout(f"{what} took over {deadline:.1f}s") from exc

    async def _bootstrap_loop(self, entry: str) -> None:
        """Keep one bootstrap peer connected: dial with jittered backoff, redial when gone."""
        delays = discovery.backoff_delays()
        while not self._stopping.is_set():
            try:
                peer_id = await self.connect(entry)
            except PraxisError as exc:
                log.info("bootstrap %s: %s", entry, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), next(delays))
                continue
            delays = discovery.backoff_delays()
            gone = self._gone.setdefault(peer_id, asyncio.Event())
            gone.clear()
            waiters = [asyncio.ensure_future(gone.wait()),
                       asyncio.ensure_future(self._stopping.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        if self._publish is not None:
            try:
                self._publish(event, payload)
            except Exception:
                log.exception("publishing %s failed", event)

    def _callback(self, callback: ProviderCallback | None, provider: PeerToolProvider) -> None:
        if callback is None:
            return
        try:
            outcome = callback(provider)
            if asyncio.iscoroutine(outcome):
                self._spawn(outcome)
        except Exception:
            log.exception("provider callback failed for %s", provider.name)
