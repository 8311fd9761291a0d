"""The A2A server: the SDK's request handler on our executor and task store, its
JSON-RPC endpoint at `POST /a2a/v1` and `POST /` (0.3 method names too), its HTTP+JSON
endpoints under `/a2a/rest`, the agent card at both well-known paths, and the same
JSON-RPC handler for requests that arrive over libp2p (`/praxis/a2a/1.0.0`).

The SDK's server (with its client, which it imports: about 8 MiB of an idle agent) loads
at the first A2A request, over HTTP or libp2p: that request waits for the import (about
0.2 s of CPU; it runs in a worker thread, the event loop goes on; without the extras
`lean.py` leaves out). The routes are in the app from the start.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from a2a.utils.constants import PROTOCOL_VERSION_1_0, VERSION_HEADER
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from praxis_sdk.a2a.card import CARD_CACHE_CONTROL, JSONRPC_PATH, REST_PATH, CardBuilder
from praxis_sdk.lean import load_lean
from praxis_sdk.metrics import Metrics
from praxis_sdk.runner.service import WorkflowService

SDK_MODULES = ("a2a.server.agent_execution", "a2a.server.request_handlers",
               "a2a.server.routes", "a2a.server.routes.jsonrpc_dispatcher",
               "praxis_sdk.a2a.executor", "praxis_sdk.a2a.store")
CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json")
RPC_PATHS = (JSONRPC_PATH, "/")
STREAMING = frozenset({"SendStreamingMessage", "SubscribeToTask", "message/stream",
                       "tasks/resubscribe"})
UNSUPPORTED_OPERATION = -32004


class A2AServer:
    """Everything A2A a node serves; `routes` go into the HTTP app, `handle_jsonrpc` to P2P."""

    name = "a2a"

    def __init__(self, *, runner: WorkflowService, cards: CardBuilder, store: Any,
                 publish: Any, metrics: Metrics) -> None:
        self.runner = runner
        self.cards = cards
        self.metrics = metrics
        self._store, self._publish = store, publish
        self._loaded: _SDK | None = None

    async def sdk(self) -> _SDK:
        """The SDK's request handler and dispatchers, made (and the SDK imported) once."""
        if self._loaded is None:
            await load_lean(*SDK_MODULES)
            if self._loaded is None:  # not made by a request that came meanwhile
                self._loaded = _SDK(self)
        return self._loaded

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        if self._loaded is not None:
            await self._loaded.handler.aclose()

    def health(self) -> dict[str, Any]:
        return {"status": "healthy", "skills": len(self.cards.card().skills)}

    # ---------------------------------------------------------------- routes

    @property
    def routes(self) -> list[BaseRoute]:
        """Card routes, the JSON-RPC endpoint at both paths, the REST binding (the SDK's
        own routes, made at their first request)."""
        routes: list[BaseRoute] = [
            Route(path, _OnFirstRequest(functools.partial(self._card_app, path)),
                  methods=["GET"]) for path in CARD_PATHS]
        routes += [Route(path, self.jsonrpc, methods=["POST"]) for path in RPC_PATHS]
        routes.append(Mount(REST_PATH, app=_OnFirstRequest(self._rest_app)))
        return routes

    async def _card_app(self, path: str) -> ASGIApp:
        await load_lean(*SDK_MODULES)
        from a2a.server.routes import create_agent_card_routes

        [route] = create_agent_card_routes(self.cards.card(), card_modifier=self.cards.current,
                                           card_url=path, cache_control=CARD_CACHE_CONTROL)
        return route.app  # type: ignore[attr-defined]

    async def _rest_app(self) -> ASGIApp:
        """The SDK's REST routes under the mount, without its catch-all `/{tenant}` mount."""
        sdk = await self.sdk()
        from a2a.server.routes import create_rest_routes

        return Router([r for r in create_rest_routes(sdk.handler)
                       if not isinstance(r, Mount)])

    async def jsonrpc(self, request: Request) -> Response:
        """The SDK's JSON-RPC dispatcher, counted by method and outcome."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        method = body.get("method") if isinstance(body, dict) else None
        sdk = await self.sdk()
        label = method if method in sdk.methods else ("invalid" if body is None else "unknown")
        response = await sdk.dispatcher.handle_requests(request)
        self.metrics.a2a_requests.labels(label, _outcome(response)).inc()
        return response

    # ---------------------------------------------------------------- P2P

    async def handle_jsonrpc(self, message: dict[str, Any]) -> dict[str, Any]:
        """One JSON-RPC request that came over libp2p; the response object.

        Streaming methods need SSE, which a one-response-per-request stream cannot carry:
        they get "unsupported operation" (callers poll with GetTask instead).
        """
        method = message.get("method") if isinstance(message, dict) else None
        if method in STREAMING:
            self.metrics.a2a_requests.labels(method, "error").inc()
            return {"jsonrpc": "2.0", "id": message.get("id"), "error": {
                "code": UNSUPPORTED_OPERATION,
                "message": f"{method} streams over HTTP only; over libp2p send the message "
                           "and follow the task with GetTask"}}
        headers = [(b"content-type", b"application/json")]
        if method not in (await self.sdk()).methods_v03:
            headers.append((VERSION_HEADER.lower().encode(), PROTOCOL_VERSION_1_0.encode()))
        response = await self.jsonrpc(_request(json.dumps(message).encode(), headers))
        return json.loads(bytes(response.body))


class _SDK:
    """a2a-sdk's server on our executor and task store, imported when first made."""

    def __init__(self, server: A2AServer) -> None:
        from a2a.server.agent_execution import SimpleRequestContextBuilder
        from a2a.server.request_handlers import DefaultRequestHandler
        from a2a.server.routes.jsonrpc_dispatcher import JSONRPC03Adapter, JsonRpcDispatcher

        from praxis_sdk.a2a.executor import PraxisAgentExecutor
        from praxis_sdk.a2a.store import NewTaskIds, PraxisTaskStore

        self.task_store = PraxisTaskStore(server._store, publish=server._publish,
                                          metrics=server.metrics)
        self.executor = PraxisAgentExecutor(server.runner)
        self.handler = DefaultRequestHandler(
            agent_executor=self.executor, task_store=self.task_store,
            agent_card=server.cards.card(),
            request_context_builder=SimpleRequestContextBuilder(
                task_id_generator=NewTaskIds(self.task_store)))
        self.dispatcher = JsonRpcDispatcher(self.handler, enable_v0_3_compat=True)
        self.methods_v03 = frozenset(JSONRPC03Adapter.METHOD_TO_MODEL)
        self.methods = frozenset(JsonRpcDispatcher.METHOD_TO_MODEL) | self.methods_v03


class _OnFirstRequest:
    """An ASGI app made by `build` at its first request."""

    def __init__(self, build: Callable[[], Awaitable[ASGIApp]]) -> None:
        self.build = build
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            app = await self.build()
            self.app = self.app or app  # the first one made, if two requests raced
        await self.app(scope, receive, send)


def _outcome(response: Response) -> str:
    if response.media_type == "text/event-stream" or not hasattr(response, "body"):
        return "stream"
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return "error"
    return "error" if isinstance(body, dict) and "error" in body else "ok"


def _request(body: bytes, headers: list[tuple[bytes, bytes]]) -> Request:
    """A Starlette request carrying `body`, as the JSON-RPC dispatcher reads one."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": JSONRPC_PATH, "raw_path":
             JSONRPC_PATH.encode(), "root_path": "", "scheme": "p2p", "query_string": b"",
             "headers": headers, "client": None, "server": None, "http_version": "1.1"}
    return Request(scope, receive)
