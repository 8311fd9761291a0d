"""One pure ASGI layer for every request: metrics, bearer-token auth, body size limit.

A single layer (not three) because each layer costs a call and a wrapped `send` on every
request; the three checks read the same headers, so one pass does them all.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praxis_sdk.api.errors import error_body
from praxis_sdk.api.ui import PREFIX as CONSOLE
from praxis_sdk.metrics import Metrics

# Open without a token: liveness, scraping and the public agent cards.
OPEN_PATHS = frozenset({
    "/health", "/metrics", "/.well-known/agent-card.json", "/.well-known/agent.json",
    "/agent/card", CONSOLE,
})
# Open too: the web console's static files (its page asks for the token, API calls send it).
OPEN_PREFIXES = (CONSOLE + "/",)


async def send_json(send: Send, status: int, body: bytes,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A whole JSON response in two ASGI messages."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers,
    ]})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int, code: str, message: str,
                     headers: Iterable[tuple[bytes, bytes]] = (),
                     details: dict[str, Any] | None = None) -> None:
    """The one error body (`api.errors.error_body`) as a whole response."""
    body = json.dumps(error_body(code, message, details), ensure_ascii=False,
                      separators=(",", ":"))  # as Starlette's JSONResponse writes it
    await send_json(send, status, body.encode(), headers)


class TooLarge(Exception):
    """Raised by the gate's `receive` once a streamed body passes the limit; the gate
    answers 413 (a route lets it pass)."""


class _StreamLimit:
    """A `receive` that counts a streamed request body and stops it past `limit` bytes."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.seen = 0
        self.over = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.over = True
                raise TooLarge
        return message


class GateMiddleware:
    """Counts and times HTTP requests by route template (never the raw path); with a
    token, every route but OPEN_PATHS needs `Bearer <token>`; bodies over `max_body`
    bytes get 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, token: str | None,
                 max_body: int) -> None:
        self.app = app
        self.metrics = metrics
        self.token = token.encode() if token else None
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            return await self._http(scope, receive, send)
        if kind == "websocket" and not self._allowed(scope):
            return await send({"type": "websocket.close", "code": 4401,
                               "reason": "unauthorized"})
        await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0
        limit: _StreamLimit | None = None

        async def recording_send(message: Message) -> None:
            nonlocal status
            if limit is not None and limit.over:  # whatever the app says, the body was too big
                if message["type"] == "http.response.start":
                    status = 413
                    await self._too_large(send)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if not self._allowed(scope):
                await send_error(recording_send, 401, "unauthorized", "missing or wrong "
                                 "bearer token", [(b"www-authenticate", b"Bearer")])
                return
            length = _header(scope, b"content-length")
            if length is None or not length.isdigit():
                if _header(scope, b"transfer-encoding") is not None:  # count as it streams
                    limit = _StreamLimit(receive, self.max_body)
                    receive = limit.receive
            elif int(length) > self.max_body:
                await self._too_large(recording_send)
                return
            await self.app(scope, receive, recording_send)
        except TooLarge:
            if not status:
                status = 413
                await self._too_large(send)
        finally:
            self._record(scope, status or 500, time.perf_counter() - started)

    def _allowed(self, scope: Scope) -> bool:
        if self.token is None or scope["path"] in OPEN_PATHS or scope["path"].startswith(
                OPEN_PREFIXES):
            return True
        value = _header(scope, b"authorization")
        if value is not None and value[:7].lower() == b"bearer ":
            return hmac.compare_digest(value[7:].strip(), self.token)
        if scope["type"] == "websocket":  # browsers cannot set headers on WebSocket
            for part in scope.get("query_string", b"").split(b"&"):
                if part.startswith(b"token="):
                    given = unquote_to_bytes(part[6:].replace(b"+", b" "))
                    return hmac.compare_digest(given, self.token)
        return False

    async def _too_large(self, send: Send) -> None:
        await send_error(send, 413, "too_large", f"request body over {self.max_body} bytes")

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.child(self.metrics.http_requests, method, template, str(status)).inc()
        self.metrics.child(self.metrics.http_latency, method, template).observe(elapsed)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
