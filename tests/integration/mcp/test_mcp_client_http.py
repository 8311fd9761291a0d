"""The client manager and `call_remote` against our filesystem server over Streamable HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from praxis_sdk.mcp.client import MCPClientManager, MCPToolProvider, call_remote
from tests.integration.mcp.mcp_helpers import FsServer

FS_TOOLS = {"read_file", "write_file", "list_directory", "create_directory", "move_file",
            "delete_file", "get_file_info", "search_files"}


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    (root / "notes.txt").write_text("shared notes")
    (root / "link_out").symlink_to(outside / "secret.txt")
    (root / "dir_out").symlink_to(outside)
    return root, outside


@pytest.fixture
def fs_server(layout: tuple[Path, Path]) -> Iterator[FsServer]:
    server = FsServer(layout[0], None, "--max-read-bytes", "4096", "--max-write-bytes", "4096")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _provider(manager: MCPClientManager) -> MCPToolProvider:
    assert await manager.wait_ready(20), manager.health()
    return manager.providers["fs"]


async def test_http_tools_round_trip(fs_server: FsServer) -> None:
    health = httpx.get(fs_server.url.replace("/mcp", "/health"), timeout=5).json()
    assert health["status"] == "ok"
    entry = {"name": "fs", "transport": "streamable-http", "url": fs_server.url}
    async with MCPClientManager([entry]) as manager:
        provider = await _provider(manager)
        specs = {spec.name: spec for spec in provider.tools()}
        assert set(specs) == FS_TOOLS

        async def call(tool: str, **args: object):  # noqa: ANN202
            return await provider.call(specs[tool], dict(args), 10)

        assert (await call("create_directory", path="docs/a")).ok
        assert (await call("write_file", path="docs/a/x.txt", content="one")).ok
        assert (await call("write_file", path="docs/a/x.txt", content="+two", mode="append")).ok
        again = await call("write_file", path="docs/a/x.txt", content="no", mode="create_only")
        assert not again.ok and "already exists" in again.text
        assert (await call("read_file", path="docs/a/x.txt")).text == "one+two"
        assert (fs_server.root / "docs/a/x.txt").read_text() == "one+two"
        listing = await call("list_directory", path="docs")
        assert listing.text == "[DIR] a"
        moved = await call("move_file", source="docs/a/x.txt", destination="docs/y.txt")
        assert moved.ok, moved.text
        info = await call("get_file_info", path="docs/y.txt")
        assert "size: 7" in info.text and "isFile: True" in info.text
        found = await call("search_files", path=".", pattern="*.txt")
        assert "docs/y.txt" in found.text and "notes.txt" in found.text
        assert (await call("delete_file", path="docs/y.txt")).ok
        assert not (fs_server.root / "docs/y.txt").exists()
        bad_mode = await call("write_file", path="z.txt", content="x", mode="truncate")
        assert not bad_mode.ok

    remote = await call_remote(fs_server.url, "read_file", {"path": "notes.txt"}, 10)
    assert remote.ok and remote.text == "shared notes" and remote.engine == "remote-mcp"


TRAVERSAL = [
    "../outside/secret.txt",
    "docs/../../outside/secret.txt",
    "%2e%2e/outside/secret.txt",
    "%2E%2E%2Foutside%2Fsecret.txt",
    "..%2foutside/secret.txt",
    "link_out",
    "dir_out/secret.txt",
    "dir_out/new.txt",
    "notes.txt\x00.png",
    "a" * 300,
    "deep/" + "b" * 256 + "/x",
    "x/" * 2100,
]


IN_ROOT_LINKS = {"link_out", "dir_out"}


async def test_traversal_corpus_refused(fs_server: FsServer, layout: tuple[Path, Path]) -> None:
    root, outside = layout
    corpus = [*TRAVERSAL, str(outside / "secret.txt"), "/etc/passwd", str(outside / "new.txt")]
    before = sorted(p.name for p in outside.iterdir())
    entry = {"name": "fs", "transport": "streamable-http", "url": fs_server.url}
    async with MCPClientManager([entry]) as manager:
        provider = await _provider(manager)
        specs = {spec.name: spec for spec in provider.tools()}
        for path in corpus:
            read = await provider.call(specs["read_file"], {"path": path}, 10)
            assert not read.ok and "top secret" not in read.text, path
            assert any(word in read.text for word in ("outside", "NUL", "longer", "encoded",
                                                      "does not exist")), read.text
            wrote = await provider.call(
                specs["write_file"], {"path": path, "content": "pwned"}, 10)
            assert not wrote.ok, path
            for tool, args in (("delete_file", {"path": path}),
                               ("move_file", {"source": "notes.txt", "destination": path}),
                               ("move_file", {"source": path, "destination": "stolen.txt"}),
                               ("get_file_info", {"path": path}),
                               ("list_directory", {"path": path}),
                               ("create_directory", {"path": path})):
                if path in IN_ROOT_LINKS and (tool == "delete_file" or args.get("source")):
                    continue  # these act on the link itself (see test_filesystem_hardening)
                result = await provider.call(specs[tool], args, 10)
                assert not result.ok, (tool, path)
        big_args = {"path": "big.txt", "content": "x" * 5000}
        big = await provider.call(specs["write_file"], big_args, 10)
        assert not big.ok and "write limit" in big.text
        (root / "huge.txt").write_text("y" * 5000)
        huge = await provider.call(specs["read_file"], {"path": "huge.txt"}, 10)
        assert not huge.ok and "read limit" in huge.text
    assert sorted(p.name for p in outside.iterdir()) == before
    assert (outside / "secret.txt").read_text() == "top secret"
    assert (root / "notes.txt").read_text() == "shared notes"
    assert not (root / "stolen.txt").exists()
