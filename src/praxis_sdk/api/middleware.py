"""Pure ASGI middleware: bearer-token auth, request body limit, request metrics."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterable
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praxis_sdk.api.ui import PREFIX as CONSOLE
from praxis_sdk.metrics import Metrics

# Open without a token: liveness, scraping and the public agent cards.
OPEN_PATHS = frozenset({
    "/health", "/metrics", "/.well-known/agent-card.json", "/.well-known/agent.json",
    "/agent/card", CONSOLE,
})
# Open too: the web console's static files (its page asks for the token, API calls send it).
OPEN_PREFIXES = (CONSOLE + "/",)


async def send_error(send: Send, status: int, code: str, message: str,
                     headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers,
    ]})
    await send({"type": "http.response.body", "body": body})


class AuthMiddleware:
    """When a token is configured, every route but OPEN_PATHS needs `Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket") or (
            scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES)
        ):
            return await self.app(scope, receive, send)
        if self._authorized(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401, "reason": "unauthorized"})
            return
        await send_error(send, 401, "unauthorized", "missing or wrong bearer token",
                         [(b"www-authenticate", b"Bearer")])

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return hmac.compare_digest(value[7:].strip(), self.token or b"")
        if scope["type"] == "websocket":  # browsers cannot set headers on WebSocket
            query = scope.get("query_string", b"").decode()
            for part in query.split("&"):
                if part.startswith("token="):
                    given = unquote_plus(part[6:]).encode()
                    return hmac.compare_digest(given, self.token or b"")
        return False


class BodyLimitMiddleware:
    """Refuse request bodies over `limit` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await send_error(send, 413, "too_large",
                                        f"request body over {self.limit} bytes")
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await send_error(send, 413, "too_large", f"request body over {self.limit} bytes")


class _TooLarge(Exception):
    pass


class MetricsMiddleware:
    """Count requests and time them, labelled by route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def record_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.http_requests.labels(method, template, str(status)).inc()
            self.metrics.http_latency.labels(method, template).observe(
                time.perf_counter() - started
            )
