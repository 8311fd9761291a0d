"""The filesystem server against a careful attacker: FIFOs and sockets, a parent folder
swapped for a symlink mid-request, deleting a symlink, and DNS rebinding on both MCP
servers (ours and the agent's /mcp)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from praxis_sdk.mcp.client import MCPClientManager, MCPToolProvider
from praxis_sdk.mcp.filesystem import FsError, Sandbox
from tests.integration.mcp.mcp_helpers import FsServer
from tests.support.agents import AgentProcess

FLIPPER = """
import ctypes, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b, count = sys.argv[1].encode(), sys.argv[2].encode(), 0
def done(*_):
    print(count)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:  # renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit("renameat2 failed")
    count += 1
"""
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
    """A thread keeps exchanging `swap` between a real folder and a link to outside
    (renameat2 RENAME_EXCHANGE, the classic check-then-use attack) while reads and writes
    go through it: each either stays inside or is refused; none escapes."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    real = root / "real"
    real.mkdir()
    (real / "secret.txt").write_text("inside")
    box = Sandbox(root)
    swap, parked = root / "swap", root / "parked"
    os.rename(real, swap)
    os.symlink(outside, parked)
    # Another process (no shared GIL) exchanges them as fast as it can.
    flipper = subprocess.Popen([sys.executable, "-c", FLIPPER, str(swap), str(parked)],
                               stdout=subprocess.PIPE, text=True)
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
                (outside / "planted.txt").unlink()
    finally:
        flipper.terminate()
        flips = int(flipper.communicate(timeout=10)[0] or 0)
    print(f"symlink-swap escapes tried: {tries * 2}, escaped: {escapes}")
    assert tries > 100 and flips > 100, (tries, flips)
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


def test_a_missing_root_is_refused_unless_create_root_is_given(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    done = subprocess.run([sys.executable, "-m", "praxis_sdk.mcp.filesystem", "--root",
                           str(missing), "--host", "127.0.0.1", "--port", "0"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"praxis-mcp-filesystem: root {str(missing)!r} does not exist: "
                           "create it, or pass --create-root\n")
    assert not (tmp_path / "no").exists()
    fs = FsServer(missing, None, "--create-root")
    fs.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{fs.port}/health", timeout=5).json()["root"] == \
            str(missing)
    finally:
        fs.stop()
