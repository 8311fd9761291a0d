"""Sessions with external MCP servers; each server becomes one `mcp` tool provider.

`MCPClientManager` keeps one supervised session per configured server: it connects,
initialises, lists tools, refreshes the list (list-changed notifications and a periodic
heartbeat), and reconnects with exponential backoff when the server goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, Self
from urllib.parse import urlsplit

import anyio
import httpx2
from anyio.streams.memory import MemoryObjectSendStream
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage

from praxis_sdk.config import MCPLimits, MCPServerConfig
from praxis_sdk.errors import InvalidInput, Unavailable, first_leaf
from praxis_sdk.errors import describe as describe_error
from praxis_sdk.tools.result import TextContent, ToolResult, parse_structured
from praxis_sdk.tools.spec import ToolSpec

logger = logging.getLogger(__name__)

Transport = Literal["stdio", "streamable-http", "sse"]
State = Literal["idle", "connecting", "connected", "reconnecting", "stopped"]
ENGINE = "mcp"
CLIENT_INFO = types.Implementation(name="praxis-agent", version="1")


def server_params(value: Any) -> MCPServerConfig:
    """A `MCPServerConfig` from a config object, a dict, or a bare URL (`external_mcp_endpoints`).

    A bare URL ending in `/sse` uses the SSE transport, any other Streamable HTTP; its
    name is `host-port`.
    """
    if isinstance(value, MCPServerConfig):
        return value
    try:
        if isinstance(value, str):
            parts = urlsplit(value)
            name = f"{parts.hostname or 'mcp'}-{parts.port}" if parts.port else parts.hostname
            transport = "sse" if parts.path.rstrip("/").endswith("/sse") else "streamable-http"
            return MCPServerConfig(name=name or "mcp", transport=transport, url=value)
        return MCPServerConfig.model_validate(value)
    except ValueError as exc:
        raise InvalidInput(
            f"invalid MCP server entry: {exc}", details={"entry": repr(value)}
        ) from exc


@dataclass
class CallEvent:
    """One finished MCP tool call, for metrics and the event bus."""

    server: str
    tool: str
    outcome: Literal["ok", "error", "timeout", "unavailable"]
    duration_ms: float


ProviderCallback = Callable[["MCPToolProvider"], None]
CallCallback = Callable[[CallEvent], None]


@asynccontextmanager
async def open_transport(params: MCPServerConfig) -> AsyncIterator[Any]:
    """The read/write streams of the server's transport (stdio, Streamable HTTP or SSE)."""
    if params.transport == "stdio":
        stdio = StdioServerParameters(
            command=params.command, args=params.args, env=params.env or None, cwd=params.cwd
        )
        async with stdio_client(stdio) as streams:
            yield streams
    elif params.transport == "sse":
        async with sse_client(params.url, headers=params.headers or None) as streams:
            yield streams
    else:
        http = create_mcp_http_client(headers=params.headers or None)
        async with http, streamable_http_client(params.url, http_client=http) as streams:
            yield streams


@asynccontextmanager
async def open_session(
    params: MCPServerConfig,
    *,
    lost: anyio.Event | None = None,
    message_handler: Any = None,
) -> AsyncIterator[ClientSession]:
    """An entered (not yet initialised) session; `lost` is set when the server's stream ends."""
    async with AsyncExitStack() as stack:
        read, write = await stack.enter_async_context(open_transport(params))
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        tasks = await stack.enter_async_context(anyio.create_task_group())
        tasks.start_soon(_pump, read, send, lost)
        stack.callback(tasks.cancel_scope.cancel)
        session = ClientSession(
            receive, write, message_handler=message_handler, client_info=CLIENT_INFO
        )
        yield await stack.enter_async_context(session)


async def _pump(
    source: Any, sink: MemoryObjectSendStream[SessionMessage | Exception], lost: anyio.Event | None
) -> None:
    """Forward the transport's messages to the session, and note when the stream ends."""
    try:
        async with sink:
            async for item in source:
                await sink.send(item)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
        pass
    finally:
        if lost is not None:
            lost.set()


def to_tool_result(
    server: str, tool: str, result: types.CallToolResult, duration_ms: float
) -> ToolResult:
    """An MCP `CallToolResult` as a `ToolResult` (text, structured content, isError)."""
    text = "\n".join(_content_text(block) for block in result.content)
    structured = result.structured_content
    if structured is not None and not isinstance(structured, (dict, list)):
        structured = {"result": structured}
    if result.is_error:
        failed = ToolResult.failure(
            tool=tool, provider=server, engine=ENGINE, code="tool_failed",
            message=text or f"MCP tool {tool!r} on {server!r} reported an error",
            duration_ms=duration_ms,
        )
        failed.structured = structured
        return failed
    return ToolResult(
        tool=tool, provider=server, engine=ENGINE, ok=True,
        content=[TextContent(text=text)] if text else [],
        structured=structured if structured is not None else parse_structured(text),
        duration_ms=duration_ms,
    )


def _content_text(block: Any) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.EmbeddedResource):
        inner = block.resource
        return getattr(inner, "text", None) or f"[resource {inner.uri}]"
    if isinstance(block, types.ResourceLink):
        return f"[resource {block.uri}]"
    mime = getattr(block, "mime_type", "")
    return f"[{getattr(block, 'type', 'content')} {mime}]".replace(" ]", "]")


def to_tool_spec(server: str, tool: types.Tool, *, expose: bool = False) -> ToolSpec:
    """A server's tool in the catalog; peers see it only when the server's `expose` says so."""
    schema = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    return ToolSpec(
        name=tool.name, description=tool.description or "", input_schema=schema,
        source="mcp", provider=server, engine=ENGINE, expose=expose,
    )


def describe(exc: BaseException) -> str:
    """A one-line reason, unwrapping exception groups to their first leaf."""
    exc = first_leaf(exc)
    if isinstance(exc, MCPError):
        return f"MCP error {exc.error.code}: {exc.error.message}"
    text = describe_error(exc)
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


@dataclass
class _Live:
    session: ClientSession
    lost: anyio.Event
    refresh: anyio.Event = field(default_factory=anyio.Event)


class MCPToolProvider:
    """One external MCP server as a tool provider (`source="mcp"`, `name` = server name)."""

    source: Literal["mcp"] = "mcp"

    def __init__(
        self,
        params: MCPServerConfig,
        limits: MCPLimits | None = None,
        *,
        on_changed: ProviderCallback | None = None,
        on_call: CallCallback | None = None,
    ) -> None:
        self.params = params
        self.name = params.name
        self.limits = limits or MCPLimits()
        self.state: State = "idle"
        self.last_error: str | None = None
        self.connected_at: float | None = None
        self.reconnects = 0
        self._on_changed = on_changed
        self._on_call = on_call
        self._tools: list[ToolSpec] = []
        self._live: _Live | None = None
        self._stop = anyio.Event()
        self._connected = asyncio.Event()
        self._gate = asyncio.Semaphore(max(1, self.limits.max_concurrency))
        self._task: asyncio.Task[None] | None = None

    # ToolProvider protocol

    def tools(self) -> list[ToolSpec]:
        return list(self._tools)

    async def call(
        self, spec: ToolSpec, arguments: dict[str, Any], timeout: float | None = None
    ) -> ToolResult:
        """Run `spec.name` on the server; tool errors and timeouts are failed results."""
        live = self._live
        if live is None or self.state != "connected":
            self._emit(spec.name, "unavailable", 0.0)
            raise Unavailable(
                f"MCP server {self.name!r} is not connected ({self.state})",
                details={"server": self.name, "last_error": self.last_error},
            )
        limit = timeout if timeout and timeout > 0 else self.limits.call_timeout
        started = time.perf_counter()
        try:
            with anyio.fail_after(limit):
                async with self._gate:
                    raw = await live.session.call_tool(
                        spec.name, arguments, read_timeout_seconds=limit
                    )
        except TimeoutError:
            return self._failed(spec.name, "timeout", f"MCP tool {spec.name!r} on {self.name!r} "
                                f"timed out after {limit:g}s", started)
        except MCPError as exc:
            if exc.error.code == types.REQUEST_TIMEOUT:
                return self._failed(spec.name, "timeout", f"MCP tool {spec.name!r} on "
                                    f"{self.name!r} timed out after {limit:g}s", started)
            if exc.error.code == types.CONNECTION_CLOSED:
                return self._lost_during_call(live, spec.name, exc, started)
            return self._failed(spec.name, "tool_failed", f"MCP server {self.name!r} refused "
                                f"{spec.name!r}: {exc.error.message}", started)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, httpx2.TransportError,
                OSError) as exc:
            return self._lost_during_call(live, spec.name, exc, started)
        elapsed = (time.perf_counter() - started) * 1000
        result = to_tool_result(self.name, spec.name, raw, elapsed)
        self._emit(spec.name, "ok" if result.ok else "error", elapsed)
        return result

    # Health and lifecycle

    def health(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "transport": self.params.transport,
            "tools": len(self._tools),
            "last_error": self.last_error,
            "reconnects": self.reconnects,
            "connected_for_s": round(time.monotonic() - self.connected_at, 1)
            if self.connected_at is not None and self.state == "connected" else None,
        }

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"mcp:{self.name}")

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state = "stopped"
        self._set_tools([])

    async def wait_connected(self, timeout: float) -> bool:
        """True once connected (tools listed) within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def reconnect(self) -> None:
        """Drop the current session; the supervisor opens a new one right away."""
        if self._live is not None:
            self._live.lost.set()

    # Internals

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self.state = "connecting" if attempt == 0 and self.reconnects == 0 else "reconnecting"
            try:
                await self._session_once()
                attempt = 0
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect later
                self.last_error = describe(exc)
                logger.warning("MCP server %r: %s", self.name, self.last_error)
            finally:
                self._live = None
                self._connected.clear()
                if self.state == "connected":
                    self.reconnects += 1
                self._set_tools([])
            if self._stop.is_set():
                break
            self.state = "reconnecting"
            delay = min(self.limits.backoff_max, self.limits.backoff_initial * 2**attempt)
            attempt += 1
            with anyio.move_on_after(delay):
                await self._stop.wait()

    async def _session_once(self) -> None:
        lost = anyio.Event()
        live: _Live | None = None

        async def on_message(message: Any) -> None:
            if live is not None and isinstance(message, types.ToolListChangedNotification):
                live.refresh.set()

        async with open_session(self.params, lost=lost, message_handler=on_message) as session:
            with anyio.fail_after(self.limits.connect_timeout):
                await session.initialize()
            live = _Live(session=session, lost=lost)
            await self._refresh(live)
            self._live = live
            self.state = "connected"
            self.connected_at = time.monotonic()
            self.last_error = None
            self._connected.set()
            logger.info("MCP server %r connected: %d tools", self.name, len(self._tools))
            await self._watch(live)

    async def _watch(self, live: _Live) -> None:
        """Until the server is lost or stop: refresh on list-changed and on each heartbeat."""
        while not self._stop.is_set():
            woke = await _first_of(live.lost, live.refresh, self._stop,
                                   timeout=self.limits.heartbeat_interval)
            if live.lost.is_set() or self._stop.is_set():
                if live.lost.is_set():
                    self.last_error = self.last_error or "connection lost"
                return
            if woke is live.refresh:
                live.refresh = anyio.Event()
            await self._refresh(live)

    async def _refresh(self, live: _Live) -> None:
        tools: list[ToolSpec] = []
        cursor: str | None = None
        with anyio.fail_after(self.limits.connect_timeout):
            while True:
                page_params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                page = await live.session.list_tools(params=page_params)
                tools.extend(to_tool_spec(self.name, tool, expose=self.params.expose)
                             for tool in page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
        self._set_tools(tools)

    def _set_tools(self, tools: list[ToolSpec]) -> None:
        if [t.model_dump() for t in tools] == [t.model_dump() for t in self._tools]:
            return
        self._tools = tools
        if self._on_changed is not None:
            self._on_changed(self)

    def _lost_during_call(
        self, live: _Live, tool: str, exc: BaseException, started: float
    ) -> NoReturn:
        self.last_error = describe(exc)
        live.lost.set()
        self._emit(tool, "unavailable", (time.perf_counter() - started) * 1000)
        raise Unavailable(
            f"MCP server {self.name!r} went away during {tool!r}: {self.last_error}",
            details={"server": self.name},
        ) from exc

    def _failed(self, tool: str, code: str, message: str, started: float) -> ToolResult:
        elapsed = (time.perf_counter() - started) * 1000
        self._emit(tool, "timeout" if code == "timeout" else "error", elapsed)
        return ToolResult.failure(
            tool=tool, provider=self.name, engine=ENGINE, code=code, message=message,
            details={"server": self.name}, duration_ms=elapsed,
        )

    def _emit(self, tool: str, outcome: Any, duration_ms: float) -> None:
        if self._on_call is None:
            return
        try:
            self._on_call(CallEvent(self.name, tool, outcome, duration_ms))
        except Exception:
            logger.exception("MCP call callback failed")


async def _first_of(*events: anyio.Event, timeout: float) -> anyio.Event | None:
    """The first of `events` to be set within `timeout` seconds, or None."""
    for event in events:
        if event.is_set():
            return event
    winner: list[anyio.Event] = []
    async with anyio.create_task_group() as tg:

        async def wait(event: anyio.Event) -> None:
            await event.wait()
            winner.append(event)
            tg.cancel_scope.cancel()

        for event in events:
            tg.start_soon(wait, event)
        with anyio.move_on_after(timeout):
            await anyio.sleep_forever()
        tg.cancel_scope.cancel()
    return winner[0] if winner else None


class MCPClientManager:
    """All configured MCP servers; each one is an `MCPToolProvider` kept connected.

    Callbacks tell the catalog when a provider is added (at start), when its tool list
    changes (connect, list-changed, disconnect) and when it is removed (stop).
    """

    def __init__(
        self,
        servers: Iterable[Any] = (),
        *,
        limits: MCPLimits | dict[str, Any] | None = None,
        on_provider_added: ProviderCallback | None = None,
        on_provider_removed: ProviderCallback | None = None,
        on_provider_changed: ProviderCallback | None = None,
        on_call: CallCallback | None = None,
    ) -> None:
        if not isinstance(limits, MCPLimits):
            limits = MCPLimits.model_validate(limits or {})
        self.limits = limits
        self._on_added = on_provider_added
        self._on_removed = on_provider_removed
        self._on_changed = on_provider_changed
        self._on_call = on_call
        self._params: dict[str, MCPServerConfig] = {}
        for value in servers:
            params = server_params(value)
            if params.enabled:
                if params.name in self._params:
                    raise InvalidInput(f"two MCP servers are named {params.name!r}")
                self._params[params.name] = params
        self.providers: dict[str, MCPToolProvider] = {}
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start one supervised session per server (does not wait for them to connect)."""
        self._started = True
        for params in list(self._params.values()):
            self._launch(params)

    async def stop(self) -> None:
        self._started = False
        for name in list(self.providers):
            await self.remove_server(name)

    async def add_server(self, value: Any) -> MCPToolProvider:
        """Add (and, if started, connect) one more server at run time."""
        params = server_params(value)
        if params.name in self.providers:
            raise InvalidInput(f"an MCP server named {params.name!r} already exists")
        self._params[params.name] = params
        return self._launch(params)

    async def remove_server(self, name: str) -> None:
        provider = self.providers.pop(name, None)
        self._params.pop(name, None)
        if provider is None:
            return
        await provider.stop()
        if self._on_removed is not None:
            self._on_removed(provider)

    async def wait_ready(self, timeout: float) -> bool:
        """True when every server connected within `timeout` seconds."""
        results = await asyncio.gather(
            *(p.wait_connected(timeout) for p in self.providers.values())
        )
        return all(results)

    def health(self) -> dict[str, dict[str, Any]]:
        return {name: provider.health() for name, provider in self.providers.items()}

    def _launch(self, params: MCPServerConfig) -> MCPToolProvider:
        provider = MCPToolProvider(
            params, self.limits, on_changed=self._changed, on_call=self._on_call
        )
        self.providers[params.name] = provider
        if self._on_added is not None:
            self._on_added(provider)
        if self._started:
            provider.start()
        return provider

    def _changed(self, provider: MCPToolProvider) -> None:
        if self._on_changed is not None and self.providers.get(provider.name) is provider:
            self._on_changed(provider)


async def call_remote(
    url: str,
    tool: str,
    arguments: dict[str, Any],
    timeout: float,
    *,
    headers: dict[str, str] | None = None,
) -> ToolResult:
    """One tool call on the MCP server at `url` (the `remote-mcp` engine of contracts)."""
    params = server_params({"name": url, "transport": _url_transport(url), "url": url,
                            "headers": headers or {}})
    started = time.perf_counter()
    try:
        with anyio.fail_after(timeout):
            async with open_session(params) as session:
                await session.initialize()
                raw = await session.call_tool(tool, arguments, read_timeout_seconds=timeout)
    except TimeoutError:
        return ToolResult.failure(
            tool=tool, provider=url, engine="remote-mcp", code="timeout",
            message=f"MCP tool {tool!r} at {url} timed out after {timeout:g}s",
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    except MCPError as exc:
        return ToolResult.failure(
            tool=tool, provider=url, engine="remote-mcp", code="tool_failed",
            message=f"MCP server {url} refused {tool!r}: {exc.error.message}",
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    except Exception as exc:
        raise Unavailable(f"MCP server {url} is unreachable: {describe(exc)}",
                          details={"url": url}) from exc
    result = to_tool_result(url, tool, raw, (time.perf_counter() - started) * 1000)
    result.engine = "remote-mcp"
    return result


def _url_transport(url: str) -> Transport:
    return "sse" if urlsplit(url).path.rstrip("/").endswith("/sse") else "streamable-http"
