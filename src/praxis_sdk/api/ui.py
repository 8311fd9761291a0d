"""The web console: the static files of `praxis_sdk/ui` served at `/ui`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
PREFIX = "/ui"

# The console loads nothing but its own files and talks to nothing but this node.
POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class ConsoleFiles(StaticFiles):
    """Static files sent with a strict content security policy and revalidated on load."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a WebSocket here: refuse it (before accepting: 403)
            await send({"type": "websocket.close", "code": 1008})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"content-security-policy", POLICY.encode()),
                                      (b"x-content-type-options", b"nosniff"),
                                      (b"cache-control", b"no-cache")]
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def mount_console(app: FastAPI) -> None:
    """Serve the console at `/ui/` (and send `/ui` there)."""

    @app.get(PREFIX, include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/")

    app.mount(PREFIX, ConsoleFiles(directory=UI_DIR, html=True), name="ui")
