"""`P2PService`: the agent's asyncio-side handle on the P2P node (INTERFACES 5).

The node itself runs in a trio thread (`node.P2PNode`), reached only through
`bridge.TrioBridge` and kept running by `runner.NodeRunner`. The agent hands in plain
callables: the exposed tools for our card, the catalog's invoke, an A2A handler, an
event publisher and provider callbacks. The parts: `OwnCard`, `AllowList`,
`InboundHandlers`, `ProviderRegistry`, `Bootstrap`, `TargetResolver`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from praxis_sdk.errors import NotFound, PraxisError, Timeout, Unavailable
from praxis_sdk.p2p import wire
from praxis_sdk.p2p.allowlist import AllowList
from praxis_sdk.p2p.bootstrap import Bootstrap
from praxis_sdk.p2p.inbound import A2AHandler, InboundHandlers, InvokeLocal, exposed_in
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.own_card import Endpoints, OwnCard
from praxis_sdk.p2p.peers import FoundBy, PeerTable
from praxis_sdk.p2p.provider import PeerToolProvider
from praxis_sdk.p2p.registry import ProviderCallback, ProviderRegistry
from praxis_sdk.p2p.runner import NodeRunner
from praxis_sdk.p2p.targets import TargetResolver
from praxis_sdk.p2p.tasks import TaskSet
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

if TYPE_CHECKING:
    from praxis_sdk.p2p.bridge import TrioBridge
    from praxis_sdk.p2p.node import P2PNode

log = logging.getLogger(__name__)

__all__ = ["P2PService", "InvokeLocal", "A2AHandler", "ProviderCallback"]


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
        exposed: Callable[[str], bool] | None = None,
        a2a_handler: A2AHandler | None = None,
        publish: Callable[[str, dict[str, Any]], None] | None = None,
        on_provider_added: ProviderCallback | None = None,
        on_provider_removed: ProviderCallback | None = None,
        endpoints: Endpoints = None,
        http_base_url: str | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.config = config
        self.agent_name = agent_name
        self.metrics = P2PMetrics(registry)
        self.peer_table = PeerTable()
        self._tasks = TaskSet()
        allow = AllowList(config.allowed_peers)
        self._card = OwnCard(name=agent_name, version=agent_version, local_tools=local_tools,
                             endpoints=endpoints, http_base_url=http_base_url)
        self._inbound = InboundHandlers(
            allow=allow, exposed=exposed or exposed_in(local_tools), invoke_local=invoke_local,
            a2a_handler=a2a_handler)
        self._registry = ProviderRegistry(
            call=self.call_tool, allow=allow, tasks=self._tasks, publish=publish,
            on_added=on_provider_added, on_removed=on_provider_removed)
        self.providers: dict[str, PeerToolProvider] = self._registry.providers
        self._bootstrap = Bootstrap(lambda entry: self._connect(entry, None, "bootstrap"))
        self._targets = TargetResolver()
        self._runner = NodeRunner(config=config, agent_name=agent_name, metrics=self.metrics,
                                  tasks=self._tasks, make_node=self._make_node,
                                  on_down=self._on_node_down)
        self._started_at = 0.0

    @property
    def a2a_handler(self) -> A2AHandler | None:
        return self._inbound.a2a_handler

    @a2a_handler.setter
    def a2a_handler(self, handler: A2AHandler | None) -> None:
        self._inbound.a2a_handler = handler

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
        await self._runner.start()
        self._started_at = time.time()
        for entry in self.config.bootstrap_nodes or []:
            self._tasks.spawn(self._bootstrap.keep(entry), f"bootstrap {entry}")

    def _make_node(self, *, bridge: TrioBridge, key_pair: Any,
                   listen: list[str] | None) -> P2PNode:
        from praxis_sdk.p2p.node import NodeHooks, P2PNode

        hooks = NodeHooks(own_card=self._card.fetch, handle_tool=self._inbound.tool,
                          handle_a2a=self._inbound.a2a, card_received=self._card_received,
                          peer_state=self._peer_state)
        node = P2PNode(config=self.config, key_pair=key_pair, bridge=bridge,
                       metrics=self.metrics, peers=self.peer_table, hooks=hooks, listen=listen)
        self._card.peer_id = node.peer_id
        self._card.rebuild()
        return node

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop dialling, close peers, stop the trio thread; bounded by `timeout`."""
        self._bootstrap.stop()
        await self._runner.stop(timeout)
        await self._tasks.cancel_all(timeout / 2)
        await self._targets.aclose()
        self._registry.remove_all()

    @property
    def running(self) -> bool:
        """True while the trio thread serves the node."""
        return self._runner.running

    @property
    def _bridge(self) -> TrioBridge | None:
        return self._runner.bridge

    @property
    def _node(self) -> P2PNode | None:
        return self._runner.node

    @property
    def peer_id(self) -> str:
        return self._card.peer_id

    def health(self) -> dict[str, Any]:
        connected, gone = self.peer_table.counts()
        if not getattr(self.config, "enabled", True):
            return {"status": "disabled", "listening": False, "peer_id": "", "addresses": [],
                    "peers_connected": 0, "peers_gone": 0}
        return {**self._runner.health(), "peer_id": self.peer_id,
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
        return self._card.current()

    @property
    def endpoints(self) -> dict[str, str]:
        """Our HTTP, A2A and MCP URLs (asked for each time: the HTTP port may be known late)."""
        return self._card.endpoints

    # ---- outgoing --------------------------------------------------------------------

    async def connect(self, target: str, timeout: float | None = None) -> str:
        """Dial a multiaddr with `/p2p/<id>` or an agent's HTTP URL; returns after cards swap."""
        return await self._connect(target, timeout, "connect")

    async def _connect(self, target: str, timeout: float | None, found_by: FoundBy) -> str:
        deadline = float(timeout or self.config.connection_timeout)
        peer_id, addrs = await self._targets.resolve(target, deadline)
        node, bridge = self._runner.require()
        return await self._bounded(bridge.call(node.connect, peer_id, addrs, deadline, found_by),
                                   deadline, f"connecting to {target}")

    async def call_tool(self, peer_id: str, tool_name: str, arguments: dict[str, Any],
                        timeout: float | None = None) -> ToolResult:
        """Run a peer's tool; `peer_id` may also be the peer's agent name."""
        node, bridge = self._runner.require()
        pid = self._resolve_peer(peer_id)
        deadline = float(timeout or self.config.request_timeout)
        request = wire.new_request(wire.new_request_id(), tool_name, dict(arguments))
        data = wire.encode_line(request, node.max_bytes)  # here: the trio side moves bytes
        started = time.perf_counter()
        response = await self._bounded(
            bridge.hand(node.start_tool_call, pid, request, data, deadline),
            deadline, f"tool {tool_name} on {peer_id}")
        record = self.peer_table.get(pid)
        return wire.result_from_response(
            response, tool=tool_name, provider=record.name if record and record.name else pid,
            duration_ms=(time.perf_counter() - started) * 1000)

    async def send_a2a(self, peer_id: str, request: dict[str, Any],
                       timeout: float | None = None) -> dict[str, Any]:
        """Send one JSON-RPC request to a peer's `/praxis/a2a/1.0.0`; returns its response."""
        node, bridge = self._runner.require()
        pid = self._resolve_peer(peer_id)
        deadline = float(timeout or self.config.request_timeout)
        return await self._bounded(bridge.call(node.send_a2a, pid, request, deadline),
                                   deadline, f"A2A request to {peer_id}")

    def notify_tools_changed(self) -> None:
        """Our exposed tools may have changed: if the card differs, re-send it to every peer."""
        if not self._card.rebuild():
            return
        node, bridge = self._node, self._bridge
        if node is not None and bridge is not None and bridge.running:
            bridge.call_soon(node.broadcast_card)

    # ---- from the trio side (through the bridge) ---------------------------------------

    def _card_received(self, peer_id: str, card: wire.Card) -> None:
        self._registry.card_received(peer_id, card)

    def _peer_state(self, peer_id: str, state: str) -> None:
        self._registry.peer_state(peer_id, state)
        self._bootstrap.peer_state(peer_id, state)

    def _on_node_down(self) -> None:
        """The node stopped on its own: its peers are gone until it is back."""
        for peer_id in self.peer_table.connected_ids():
            if self.peer_table.mark_gone(peer_id):
                self._peer_state(peer_id, "gone")

    # ---- helpers ---------------------------------------------------------------------

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

    async def _bounded(self, work: Awaitable[Any], deadline: float, what: str) -> Any:
        """Any failure leaves as a `PraxisError` naming `what`.

        The trio side enforces `deadline`; the margin here only guards a stuck bridge.
        """
        try:
            async with asyncio.timeout(deadline + 2.0):  # no extra task, unlike wait_for
                return await work
        except TimeoutError as exc:
            raise Timeout(f"{what} took over {deadline:.1f}s") from exc
        except PraxisError:
            raise
        except Exception as exc:  # nothing the node raises may reach HTTP as a 500
            from praxis_sdk.p2p.failures import as_error
            raise as_error(exc, what) from exc
