"""The filesystem server against a careful attacker: FIFOs and sockets, a parent folder
swapped for a symlink mid-request, deleting a symlink, and DNS rebinding on both MCP
servers (ours and the agent's /mcp)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from praxis_sdk.mcp.client import MCPClientManager, MCPToolProvider
from praxis_sdk.mcp.filesystem import FsError, Sandbox
from tests.integration.mcp.mcp_helpers import FsServer
from tests.support.agents import AgentProcess

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "rebinding-probe", "version": "1"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    (folder / "notes.txt").write_text("shared notes")
    return folder


@pytest.fixture
def server(root: Path) -> Iterator[FsServer]:
    fs = FsServer(root)
    fs.start()
    try:
        yield fs
    finally:
        fs.stop()


async def provider_for(manager: MCPClientManager) -> MCPToolProvider:
    assert await manager.wait_ready(20), manager.health()
    return manager.providers["fs"]


async def test_fifo_and_socket_are_refused_at_once_and_reads_keep_working(
    server: FsServer, root: Path,
) -> None:
    os.mkfifo(root / "pipe")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(root / "sock"))
    try:
        entry = {"name": "fs", "transport": "streamable-http", "url": server.url}
        async with MCPClientManager([entry]) as manager:
            provider = await provider_for(manager)
            specs = {spec.name: spec for spec in provider.tools()}
            started = time.monotonic()
            reads = await asyncio.gather(*(
                provider.call(specs["read_file"], {"path": "pipe"}, 10) for _ in range(45)))
            assert all(not r.ok and "is a FIFO, not a regular file" in r.text for r in reads)
            assert time.monotonic() - started < 10
            write = await provider.call(specs["write_file"], {"path": "pipe", "content": "x"}, 10)
            assert not write.ok and "FIFO" in write.text
            sock = await provider.call(specs["read_file"], {"path": "sock"}, 10)
            assert not sock.ok and "is a socket" in sock.text
            normal = await provider.call(specs["read_file"], {"path": "notes.txt"}, 5)
            assert normal.ok and normal.text == "shared notes"
    finally:
        unix.close()


async def test_delete_file_on_a_symlink_removes_the_link(server: FsServer, root: Path) -> None:
    (root / "target.txt").write_text("keep me")
    (root / "link").symlink_to(root / "target.txt")
    entry = {"name": "fs", "transport": "streamable-http", "url": server.url}
    async with MCPClientManager([entry]) as manager:
        provider = await provider_for(manager)
        specs = {spec.name: spec for spec in provider.tools()}
        deleted = await provider.call(specs["delete_file"], {"path": "link"}, 10)
    assert deleted.ok and deleted.text == "Deleted link"
    assert not (root / "link").is_symlink()
    assert (root / "target.txt").read_text() == "keep me"


def test_parent_swapped_for_a_symlink_never_escapes(tmp_path: Path) -> None:
    """A thread flips `swap` between a real folder and a link to outside while reads and
    writes go through it: each either stays inside or is refused; none escapes."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    real = root / "real"
    real.mkdir()
    (real / "secret.txt").write_text("inside")
    box = Sandbox(root)
    stop = threading.Event()

    def flip() -> None:
        swap, parked = root / "swap", root / "parked"
        while not stop.is_set():
            os.symlink(outside, parked)
            os.rename(parked, swap)        # swap is now a link out of the root
            os.unlink(swap)
            os.rename(real, swap)          # ... and now the real folder
            os.rename(swap, real)

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    tries = escapes = 0
    deadline = time.monotonic() + 3
    try:
        while time.monotonic() < deadline:
            tries += 1
            try:
                if box.read_file("swap/secret.txt") == "top secret":
                    escapes += 1
            except FsError:
                pass
            with contextlib.suppress(FsError):
                box.write_file("swap/planted.txt", "pwned")
            if (outside / "planted.txt").exists():
                escapes += 1
    finally:
        stop.set()
        flipper.join(5)
    print(f"symlink-swap escapes tried: {tries * 2}, escaped: {escapes}")
    assert tries > 100
    assert escapes == 0
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def probe(url: str, **headers: str) -> int:
    reply = httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)
    return reply.status_code


def test_filesystem_server_on_loopback_refuses_foreign_host_and_origin(
    server: FsServer,
) -> None:
    assert probe(server.url) == 200
    assert probe(server.url, Origin=f"http://localhost:{server.port}") == 200
    assert probe(server.url, Host=f"evil.example:{server.port}") == 421
    assert probe(server.url, Host="evil.example") == 421
    assert probe(server.url, Origin="http://evil.example") == 403


def test_filesystem_server_host_check_is_configurable(root: Path) -> None:
    fs = FsServer(root, None, "--allowed-hosts", "files.internal")
    fs.start()
    try:
        assert probe(fs.url, Host="files.internal") == 200
        assert probe(fs.url, Host="evil.example") == 421
    finally:
        fs.stop()


def test_agent_mcp_on_loopback_refuses_foreign_host_and_origin(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("rebind")
    url = f"{agent.url}/mcp"
    assert probe(url) == 200
    assert probe(url, Host="evil.example") == 421
    assert probe(url, Origin="http://evil.example") == 403
    named = spawn_agent("rebind-named", http={"allowed_hosts": ["agent.internal"]})
    assert probe(f"{named.url}/mcp", Host="agent.internal") == 200
    assert probe(f"{named.url}/mcp", Host="localhost") == 421
