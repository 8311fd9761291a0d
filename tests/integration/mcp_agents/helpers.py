"""Real MCP servers and the official MCP client for the agent-process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.support.agents import REPO, AgentProcess, free_port
from tests.support.waiting import wait_until

FS_SCRIPT = Path(sys.executable).with_name("praxis-mcp-filesystem")
NPM_FS_ENTRY = (
    REPO / "tests/npm/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
)
# Agents started by these tests import `tests.support.*` python tools.
AGENT_ENV = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                          os.environ.get("PYTHONPATH")]))}


def npm_fs_entry() -> Path:
    if not NPM_FS_ENTRY.is_file():
        raise RuntimeError(f"{NPM_FS_ENTRY} is missing: run `npm install --prefix tests/npm`")
    return NPM_FS_ENTRY


class FsServer:
    """`praxis-mcp-filesystem --root DIR --port N` as a subprocess; restartable on its port."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, timeout: float = 20.0) -> FsServer:
        if not FS_SCRIPT.is_file():
            raise RuntimeError(f"{FS_SCRIPT} is missing: `pip install -e .` installs it")
        self.proc = subprocess.Popen(
            [str(FS_SCRIPT), "--root", str(self.root), "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self._healthy, timeout, "the filesystem server's /health")
        return self

    def _healthy(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            code = self.proc.returncode if self.proc else None
            raise RuntimeError(f"filesystem server exited with {code}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None



def tools_by_key(agent: AgentProcess) -> dict[str, dict[str, Any]]:
    """GET /tools as `{name@provider: tool}`."""
    response = httpx.get(f"{agent.url}/tools", headers=agent.headers(), timeout=10)
    response.raise_for_status()
    return {f"{t['name']}@{t['provider']}": t for t in response.json()}


def invoke(agent: AgentProcess, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{agent.url}/tools/{name}/invoke", json={"arguments": arguments},
                          headers=agent.headers(), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@asynccontextmanager
async def mcp_client(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    """The official MCP client on a Streamable HTTP URL (with extra HTTP headers)."""
    http = create_mcp_http_client(headers=headers or None)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        yield client
