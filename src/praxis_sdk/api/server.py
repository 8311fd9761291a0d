"""Serving the app with uvicorn inside the agent's own event loop and lifecycle.

uvicorn picks httptools for HTTP/1.1 parsing when it is installed (`uvicorn[standard]`);
`run_loop` runs the agent's loop on uvloop when that is installed, else on asyncio's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from praxis_sdk.errors import Unavailable

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when uvloop is installed, else asyncio's default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the agent decides when to stop."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class HTTPServer:
    """The HTTP component: binds first (so a busy port is a clear error), then serves."""

    name = "http"

    def __init__(self, app: FastAPI, host: str, port: int, *, log_level: str = "info") -> None:
        self.app = app
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, lifespan="off", log_config=None, access_log=False,
            log_level=self.log_level, ws="websockets-sansio", timeout_graceful_shutdown=3,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        ready = asyncio.create_task(self._server.ready.wait())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not self._server.ready.is_set():
            ready.cancel()
            sock.close()
            raise Unavailable("HTTP server failed to start (see the log above)")

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 4)
        except TimeoutError:
            self._server.force_exit = True
            await asyncio.wait_for(self._task, 2)

    def health(self) -> dict[str, Any]:
        up = self._server is not None and self._server.started
        return {"status": "healthy" if up else "unhealthy", "port": self.port}


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; a port in use or a bad address is an Unavailable error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP (not 0) so asyncio sets TCP_NODELAY on accepted connections.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise Unavailable(f"HTTP port {port} on {host} is already in use") from None
        raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock
