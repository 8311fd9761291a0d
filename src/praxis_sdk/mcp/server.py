"""The node's own MCP server: the catalog served over Streamable HTTP (`/mcp`) and stdio.

The tool list is read on every `tools/list`, so tools that join or leave the catalog
(MCP servers, peers) show up without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import (
    StreamableHTTPASGIApp,
    StreamableHTTPSessionManager,
)
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from praxis_sdk.errors import PraxisError
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

logger = logging.getLogger(__name__)

ListTools = Callable[[], list[ToolSpec]]
Invoke = Callable[[str, dict[str, Any]], Awaitable[ToolResult]]

MCP_PATH = "/mcp"
HTTP_METHODS = ["GET", "POST", "DELETE"]


def build_server(
    list_tools: ListTools, invoke: Invoke, *, name: str = "praxis-agent", version: str = ""
) -> Server[Any]:
    """A low-level MCP server whose tool list and calls are delegated to the catalog.

    A name that several providers offer is listed once plainly (the catalog's choice)
    and then as `name@provider` for the others; `invoke` receives the listed name.
    """

    async def on_list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        tools = [to_mcp_tool(spec, listed) for listed, spec in exposed(list_tools())]
        return types.ListToolsResult(tools=tools)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await call_catalog(invoke, params.name, params.arguments or {})

    def input_schema(tool: str) -> dict[str, Any] | None:
        """The schema the SDK checks `Mcp-Param-*` headers against (per tools/call)."""
        for listed, spec in exposed(list_tools()):
            if listed == tool:
                return spec.input_schema or {"type": "object"}
        return None

    return Server(
        name,
        version=version,
        description="Every tool this Praxis node can reach: local, MCP and peer tools",
        get_tool_input_schema=input_schema,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def exposed(specs: Sequence[ToolSpec]) -> list[tuple[str, ToolSpec]]:
    """Each tool with the unique name it is listed under (`name`, else `name@provider`)."""
    seen: set[str] = set()
    listed: list[tuple[str, ToolSpec]] = []
    for spec in specs:
        label = spec.name if spec.name not in seen else spec.qualified_name
        if label in seen:
            continue
        seen.add(label)
        listed.append((label, spec))
    return listed


def to_mcp_tool(spec: ToolSpec, listed_name: str | None = None) -> types.Tool:
    """A catalog entry as an MCP tool (input schema as the catalog holds it)."""
    schema = dict(spec.input_schema) if spec.input_schema else {}
    schema.setdefault("type", "object")
    return types.Tool(
        name=listed_name or spec.name, description=spec.description or None, input_schema=schema
    )


async def call_catalog(
    invoke: Invoke, name: str, arguments: dict[str, Any]
) -> types.CallToolResult:
    """Run one tool; every failure becomes an `isError` result naming what went wrong."""
    try:
        result = await invoke(name, arguments)
    except PraxisError as exc:
        return error_result(f"{exc.code}: {exc.message}")
    except Exception as exc:
        logger.exception("MCP tools/call %r failed", name)
        return error_result(f"internal: {type(exc).__name__}: {exc}")
    return to_call_result(result)


def to_call_result(result: ToolResult) -> types.CallToolResult:
    """A `ToolResult` as MCP: text content, structured content (always an object), isError."""
    text = result.text
    if not result.ok and result.error is not None and result.error.message not in text:
        text = f"{text}\n{result.error.message}" if text else result.error.message
    structured = result.structured
    if isinstance(structured, list):
        structured = {"result": structured}
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content=structured,
        is_error=not result.ok,
    )


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def security_settings(allowed_hosts: Sequence[str]) -> TransportSecuritySettings:
    """Host/Origin checks: `"*"` (or an empty list) accepts any Host; otherwise names only.

    A bare host name (`agent-1`) also allows it with any port (`agent-1:*`).
    """
    hosts = [h.strip() for h in allowed_hosts if h.strip()]
    if not hosts or "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    patterns: list[str] = []
    for host in hosts:
        patterns.append(host)
        bare = ":" not in host or (host.startswith("[") and host.endswith("]"))
        if bare:
            patterns.append(f"{host}:*")
    origins = [f"{scheme}://{p}" for p in patterns for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=patterns, allowed_origins=origins
    )


@dataclass
class MCPHttpMount:
    """The Streamable HTTP endpoint: an ASGI app, its routes and its lifespan.

    Add `routes` to the parent app (`app.router.routes.extend(mount.routes)`) and enter
    `lifespan()` inside the parent's lifespan; requests fail until it is entered.
    """

    app: ASGIApp
    session_manager: StreamableHTTPSessionManager
    path: str = MCP_PATH

    @property
    def routes(self) -> list[Route]:
        """`/mcp` and `/mcp/` both served directly (no redirect between them)."""
        paths = [self.path.rstrip("/") or "/", self.path.rstrip("/") + "/"]
        return [
            Route(p, endpoint=self.app, methods=HTTP_METHODS, include_in_schema=False)
            for p in dict.fromkeys(paths)
        ]

    def wrap(self, inner: ASGIApp) -> ASGIApp:
        """An ASGI app sending `/mcp` (and `/mcp/`) straight here and the rest to `inner`.

        An alternative to `routes` that skips the parent's router for MCP traffic; put
        any auth middleware outside it. The lifespan still goes to `inner`.
        """
        paths = {route.path for route in self.routes}
        endpoint = self.app

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] in paths:
                await endpoint(scope, receive, send)
            else:
                await inner(scope, receive, send)

        return dispatch

    def lifespan(self) -> AbstractAsyncContextManager[None]:
        """The session manager's run context (enter once, in the parent app's lifespan)."""
        return self.session_manager.run()


def http_mount(
    list_tools: ListTools,
    invoke: Invoke,
    *,
    allowed_hosts: Sequence[str] = ("*",),
    name: str = "praxis-agent",
    version: str = "",
    path: str = MCP_PATH,
    stateless: bool = False,
    json_response: bool = True,
) -> MCPHttpMount:
    """Build the node's MCP server and its Streamable HTTP endpoint for the agent's app."""
    server = build_server(list_tools, invoke, name=name, version=version)
    manager = StreamableHTTPSessionManager(
        app=server,
        json_response=json_response,
        stateless=stateless,
        security_settings=security_settings(allowed_hosts),
    )
    return MCPHttpMount(app=StreamableHTTPASGIApp(manager), session_manager=manager, path=path)


def mount(app: Any, handle: MCPHttpMount) -> None:
    """Add the MCP routes to a Starlette/FastAPI app (the lifespan is still the caller's)."""
    app.router.routes.extend(handle.routes)


async def serve_stdio(
    list_tools: ListTools,
    invoke: Invoke,
    *,
    name: str = "praxis-agent",
    version: str = "",
    context: AbstractAsyncContextManager[Any] | None = None,
) -> None:
    """Serve the catalog on stdin/stdout until the client closes (`praxis-agent mcp-stdio`).

    `context` (e.g. the agent) is entered after stdin/stdout are claimed for the
    protocol, so nothing it starts can write to the wire or read the client's input.
    """
    server = build_server(list_tools, invoke, name=name, version=version)
    async with stdio_server() as (read_stream, write_stream), context or nullcontext():
        await server.run(read_stream, write_stream, server.create_initialization_options())
