"""Real servers for the MCP tests: subprocesses and in-process uvicorn, on free ports."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.support.agents import free_port

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / "src"
NPM_FS_ENTRY = (
    REPO / "tests/npm/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
)
STDIO_CATALOG = Path(__file__).with_name("stdio_catalog.py")



def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def npm_fs_entry() -> Path:
    if not NPM_FS_ENTRY.is_file():
        raise RuntimeError(
            f"{NPM_FS_ENTRY} is missing: run `npm install --no-package-lock --prefix tests/npm`"
        )
    return NPM_FS_ENTRY


class FsServer:
    """`praxis-mcp-filesystem` as a subprocess; `stop()` kills it, `start()` brings it back."""

    def __init__(self, root: Path, port: int | None = None, *extra: str) -> None:
        self.root = root
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, timeout: float = 20.0) -> None:
        cmd = [sys.executable, "-m", "praxis_sdk.mcp.filesystem", "--root", str(self.root),
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
               *self.extra]
        self.proc = subprocess.Popen(cmd, env=child_env(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"filesystem server exited: {err}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("filesystem server did not answer /health in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None


@asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (port 0); yields the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(15):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before starting")
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task


async def eventually(check: Any, timeout: float, what: str) -> None:
    """Poll `check()` (sync or async) until true, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
