"""The node's MCP side as one component: client sessions feeding the catalog, and `/mcp`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram

from praxis_sdk.bus import EventBus
from praxis_sdk.config import Settings
from praxis_sdk.mcp.endpoint import LazyMCPEndpoint
from praxis_sdk.metrics import LATENCY_BUCKETS, Metrics
from praxis_sdk.tools.catalog import ToolCatalog
from praxis_sdk.tools.result import ToolResult

if TYPE_CHECKING:
    from praxis_sdk.mcp.client import CallEvent, MCPClientManager
    from praxis_sdk.mcp.server import MCPHttpMount


class MCPService:
    """Connects the configured MCP servers and serves the catalog over MCP."""

    name = "mcp"

    def __init__(self, config: Settings, catalog: ToolCatalog, bus: EventBus,
                 metrics: Metrics) -> None:
        self.catalog = catalog
        self.bus = bus
        self.calls = Counter("praxis_mcp_calls_total", "MCP tool calls to servers",
                             ["server", "tool", "outcome"], registry=metrics.registry)
        self.duration = Histogram("praxis_mcp_call_duration_seconds", "MCP tool call duration",
                                  ["server", "tool", "outcome"], buckets=LATENCY_BUCKETS,
                                  registry=metrics.registry)
        self.config = config
        servers = [*config.mcp.servers, *config.agent.external_mcp_endpoints]
        self.manager: MCPClientManager | None = None
        if servers:  # the SDK is only imported when there is something to connect
            from praxis_sdk.mcp.client import MCPClientManager

            self.manager = MCPClientManager(
                servers,
                limits=config.mcp.limits,
                on_provider_added=catalog.add_provider,
                on_provider_removed=catalog.remove_provider,
                on_provider_changed=lambda _provider: catalog.changed(),
                on_call=self._on_call,
            )
        self.endpoint = LazyMCPEndpoint(self._build_endpoint) if config.mcp.serve else None

    def _build_endpoint(self) -> MCPHttpMount:
        from praxis_sdk.mcp.server import http_mount

        return http_mount(
            self.catalog.specs, self.invoke, allowed_hosts=self.config.http.mcp_hosts(),
            name=self.config.agent.name, version=self.config.agent.version,
        )

    async def invoke(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """A `tools/call` from an MCP client of this node."""
        return await self.catalog.invoke(name, arguments, caller="mcp")

    def _on_call(self, event: CallEvent) -> None:
        labels = (event.server, event.tool, event.outcome)
        self.calls.labels(*labels).inc()
        self.duration.labels(*labels).observe(event.duration_ms / 1000)
        self.bus.publish("mcp.call", {"server": event.server, "tool": event.tool,
                                      "outcome": event.outcome,
                                      "durationMs": round(event.duration_ms, 3)})

    async def start(self) -> None:
        if self.manager is not None:
            await self.manager.start()

    async def stop(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.aclose()
        if self.manager is not None:
            await self.manager.stop()

    def health(self) -> dict[str, Any]:
        servers = self.manager.health() if self.manager is not None else {}
        down = [name for name, s in servers.items() if s.get("state") != "connected"]
        return {"status": "degraded" if down else "healthy", "servers": servers,
                "serving": self.endpoint is not None}
