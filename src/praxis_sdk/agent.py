"""The composition root: builds every component from the config and runs their lifecycle."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from praxis_sdk import memory
from praxis_sdk.a2a import A2AServer, CardBuilder, DelegateTools, Delegator
from praxis_sdk.api import Services, create_app
from praxis_sdk.api.server import HTTPServer, run_loop
from praxis_sdk.bus import EventBus
from praxis_sdk.config import Settings, load_config, security_warnings
from praxis_sdk.health import Component, overall
from praxis_sdk.llm import build_planner
from praxis_sdk.mcp.engine import RemoteMCPEngine
from praxis_sdk.mcp.service import MCPService
from praxis_sdk.metrics import Metrics
from praxis_sdk.p2p import wire
from praxis_sdk.p2p.service import P2PService
from praxis_sdk.runner.records import ToolCallRecorder
from praxis_sdk.runner.service import WorkflowService
from praxis_sdk.store import Store
from praxis_sdk.tools.catalog import ToolCatalog
from praxis_sdk.tools.contract import ToolContract, load_contracts, load_contracts_dir
from praxis_sdk.tools.engines.resolve import EngineResolver, default_engines
from praxis_sdk.tools.local import LocalToolProvider

log = structlog.stdlib.get_logger(__name__)

STOP_TIMEOUT_S = 8.0
RESTART_REASON = "agent restarted"
CRITICAL = {"store", "http"}


def load_tool_contracts(config: Settings) -> list[ToolContract]:
    """The node's own contracts: `agent.tools`, then `agent.tools_dir/*/contract.yaml`.

    Relative mount sources `./shared` and `./tools` mean the agent's shared and tools
    folders; other relative sources are taken from the working directory.
    """
    agent = config.agent
    contracts = load_contracts(agent.tools)
    if agent.tools_dir and Path(agent.tools_dir).is_dir():
        contracts += load_contracts_dir(agent.tools_dir)
    roots = {"shared": Path(agent.shared_dir).resolve()}
    if agent.tools_dir:
        roots["tools"] = Path(agent.tools_dir).resolve()
    for contract in contracts:
        contract.rebase_mounts(roots, Path.cwd())
    return contracts


class Agent:
    """One Praxis node. `async with Agent(config):` or `Agent(config).run()`."""

    def __init__(self, config: Settings | None = None, *, serve_http: bool = True) -> None:
        self.config = config or load_config()
        self.bus = EventBus()
        self.metrics = Metrics()
        self.store = Store(self.config.storage.resolved_url())
        self.catalog = ToolCatalog(
            bus=self.bus, metrics=self.metrics,
            default_timeout=self.config.execution.default_timeout,
        )
        self.services = Services(
            config=self.config, bus=self.bus, store=self.store, metrics=self.metrics,
            catalog=self.catalog, health=self.health, card=self.card,
        )
        self.local_tools = self._local_tools()
        self.catalog.add_provider(self.local_tools)
        self.components: list[Component] = [
            self.store, ToolCallRecorder(self.bus, self.store, self.metrics), self.remote_mcp]
        self.mcp: MCPService | None = None
        if self.config.mcp.enabled:
            self.mcp = MCPService(self.config, self.catalog, self.bus, self.metrics)
            self.components.append(self.mcp)
            self.services.mcp = self.mcp
            if self.mcp.endpoint is not None:
                self.services.routes.extend(self.mcp.endpoint.routes)
        self.p2p: P2PService | None = None
        if self.config.p2p.enabled:
            self.p2p = self._p2p()
            self.services.p2p = self.p2p
            self.catalog.on_change(self.p2p.notify_tools_changed)
        self.http: HTTPServer | None = None
        self.workflows = WorkflowService(catalog=self.catalog, bus=self.bus, store=self.store,
                                         config=self.config)
        self.workflows.planner = build_planner(
            self.config.llm, tools=self.catalog.specs, compile=self.workflows.compile,
            registry=self.metrics.registry)
        if self.config.llm.enabled and self.workflows.planner is None:
            log.warning("llm.enabled but neither llm.api_key (OPENAI_API_KEY) nor "
                        "llm.base_url is set: plain-language requests are off")
        self.services.runner = self.workflows
        self.components.append(self.workflows)  # stops after HTTP and P2P: cancels live runs
        self.a2a: A2AServer | None = None
        if self.config.a2a.enabled:
            self.a2a = self._a2a()
            self.services.a2a = self.a2a
            if self.config.a2a.serve_http:
                self.services.routes.extend(self.a2a.routes)
            self.components.append(self.a2a)  # stops before the runner: drains A2A tasks
        self.app = create_app(self.services)
        if serve_http:
            self.http = HTTPServer(self.app, self.config.http.host, self.config.http.port,
                                   log_level=self.config.logging.level)
            self.components.append(self.http)
        if self.p2p is not None:
            # Last: /health answers (p2p "starting") while libp2p loads and listens; a P2P
            # start failure still stops the node.
            self.components.append(self.p2p)
        self.started_at: float | None = None
        self._running: list[Component] = []

    def _local_tools(self) -> LocalToolProvider:
        contracts = load_tool_contracts(self.config)
        self.remote_mcp = RemoteMCPEngine(self.config.mcp.limits)
        engines = {**default_engines(self.config.execution, Path.cwd()),
                   self.remote_mcp.name: self.remote_mcp}
        resolver = EngineResolver(self.config.execution, base_dir=Path.cwd(), engines=engines)
        return LocalToolProvider(self.name, resolver, contracts)

    def _p2p(self) -> P2PService:
        async def invoke_for_peer(name: str, arguments: dict[str, Any]) -> Any:
            return await self.catalog.invoke(name, arguments, exposed_only=True, caller="p2p")

        return P2PService(
            self.config.p2p,
            agent_name=self.name,
            agent_version=self.config.agent.version,
            local_tools=self.catalog.exposed_local,
            exposed=self.catalog.exposed,
            invoke_local=invoke_for_peer,
            a2a_handler=self._handle_a2a,
            publish=self.bus.publish,
            on_provider_added=self.catalog.add_provider,
            on_provider_removed=self.catalog.remove_provider,
            endpoints=self._endpoints,
            registry=self.metrics.registry,
        )

    def _a2a(self) -> A2AServer:
        token = self.config.http.auth_token
        delegator = Delegator(
            peers=self.p2p.cards if self.p2p is not None else None,
            send_p2p=self.p2p.send_a2a if self.p2p is not None else None,
            token=token.get_secret_value() if token else None)
        self.catalog.add_provider(DelegateTools(delegator))
        return A2AServer(runner=self.workflows, cards=CardBuilder(self.config, self.catalog,
                                                                  lambda: self.url),
                         store=self.store, publish=self.bus.publish, metrics=self.metrics)

    async def _handle_a2a(self, first: Any, second: Any = None) -> dict[str, Any]:
        """A JSON-RPC request from a peer over `/praxis/a2a/1.0.0` (given as `(request)` or
        `(peer_id, request)`); the A2A server answers it."""
        message = first if second is None else second
        if self.a2a is None:
            return wire.jsonrpc_error(message.get("id"), wire.METHOD_NOT_FOUND,
                                      "A2A is disabled on this agent (a2a.enabled: false)")
        return await self.a2a.handle_jsonrpc(message)

    def _endpoints(self) -> dict[str, str]:
        base = self.url
        endpoints = {"http": base}
        if self.config.mcp.enabled and self.config.mcp.serve:
            endpoints["mcp"] = f"{base}/mcp"
        if self.config.a2a.enabled and self.config.a2a.serve_http:
            endpoints["a2a"] = f"{base}/a2a/v1"
        return endpoints

    @property
    def name(self) -> str:
        return self.config.agent.name

    @property
    def url(self) -> str:
        """The base URL of this node's HTTP API (the configured public one if set)."""
        if self.config.agent.url:
            return self.config.agent.url.rstrip("/")
        host = self.config.http.host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        port = self.http.port if self.http else self.config.http.port
        return f"http://{host}:{port}"

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start every component in order; on failure, stop what started and re-raise."""
        Path(self.config.agent.shared_dir).mkdir(parents=True, exist_ok=True)
        order = self.components
        try:
            for component in order:
                await component.start()
                self._running.append(component)
                if component is self.store:
                    await self._recover()
        except BaseException:
            await self.stop()
            raise
        self.started_at = time.monotonic()
        if self.a2a is not None:
            self.a2a.cards.invalidate()  # the HTTP port is known now
        log.info("agent started", agent=self.name, url=self.url)
        for warning in security_warnings(self.config):
            log.warning("INSECURE: " + warning, agent=self.name)
        self.bus.publish("agentStarted", {"agent": self.name, "url": self.url})

    async def _recover(self) -> None:
        """Tasks a crash left submitted or working end failed ("agent restarted")."""
        tasks, runs = await self.store.recover(RESTART_REASON)
        if tasks or runs:
            log.warning("marked unfinished work failed after restart", tasks=len(tasks),
                        runs=runs)
            self.bus.publish("tasksRecovered", {"reason": RESTART_REASON, "count": len(tasks),
                                                "taskIds": tasks[:1000], "runs": runs})
            for task_id in tasks[:1000]:
                self.bus.publish("taskStatusUpdate", {"taskId": task_id, "state": "failed",
                                                      "reason": RESTART_REASON})
        retention = self.config.storage.task_retention
        if retention > 0:
            pruned = await self.store.prune(time.time() - retention * 86400)
            if pruned:
                log.info("pruned old tasks", count=pruned, older_than_days=retention)

    async def stop(self) -> None:
        """Stop components in reverse order, each within a bounded time."""
        while self._running:
            component = self._running.pop()
            try:
                await asyncio.wait_for(component.stop(), STOP_TIMEOUT_S)
            except Exception as exc:  # keep stopping the rest
                log.warning("component did not stop cleanly", component=component.name,
                            error=repr(exc))
        self.started_at = None

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def run(self) -> None:
        """Run until SIGTERM or SIGINT, then stop in order (what `praxis-agent run` does)."""
        memory.limit_arenas()
        run_loop(self._serve_forever())

    async def _serve_forever(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with self:
            memory.freeze_startup_heap()  # full collections skip what start-up loaded
            memory.release_free_memory()  # what start-up freed goes back to the system
            await stop.wait()
            log.info("stopping", agent=self.name)

    # ---------------------------------------------------------------- tools

    def tool(self, func: Callable[..., Any] | None = None, **options: Any) -> Any:
        """Decorator: register a Python function as a tool of this agent."""
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.local_tools.add_python_tool(fn, **options)
            return fn
        return register(func) if func is not None else register

    # ---------------------------------------------------------------- reports

    async def health(self) -> dict[str, Any]:
        """`/health`: the node's status from each component's."""
        parts = {c.name: c.health() for c in self.components}
        parts["tools"] = await self._tools_health()
        return {
            "status": overall(parts, CRITICAL),
            "agent": self.name,
            "version": self.config.agent.version,
            "uptime_s": round(time.monotonic() - self.started_at, 3) if self.started_at else 0.0,
            "peer_id": self.p2p.peer_id or None if self.p2p else None,
            "components": parts,
            "warnings": security_warnings(self.config),
        }

    async def _tools_health(self) -> dict[str, Any]:
        engines = await self.local_tools.resolver.health()
        runnable = [name for name, e in engines.items() if e["available"] and name != "python"]
        return {"status": "healthy" if runnable else "degraded",
                "tools": len(self.catalog.specs()), "engines": engines}

    def card(self) -> dict[str, Any]:
        """The node's P2P card (INTERFACES 5), also served at `/agent/card`."""
        if self.p2p is not None and self.p2p.peer_id:
            return self.p2p.card()
        return wire.build_card(
            name=self.name, version=self.config.agent.version, peer_id="",
            tools=self.catalog.exposed_local(), endpoints=self._endpoints(),
        ).dump()
