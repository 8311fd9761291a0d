"""The client manager against the reference npm filesystem server over stdio."""

from __future__ import annotations

from pathlib import Path

from praxis_sdk.mcp.client import MCPClientManager, MCPToolProvider
from praxis_sdk.tools.spec import ToolProvider
from tests.integration.mcp.mcp_helpers import npm_fs_entry


async def test_npm_filesystem_over_stdio(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi from disk\n")
    added: list[MCPToolProvider] = []
    changed: list[int] = []
    server = {"name": "npmfs", "transport": "stdio", "command": "node",
              "args": [str(npm_fs_entry()), str(tmp_path)]}
    async with MCPClientManager(
        [server], on_provider_added=added.append,
        on_provider_changed=lambda p: changed.append(len(p.tools())),
    ) as manager:
        assert await manager.wait_ready(30), manager.health()
        provider = manager.providers["npmfs"]
        assert isinstance(provider, ToolProvider) and provider.source == "mcp"
        assert added == [provider] and changed and changed[-1] > 0
        specs = {spec.name: spec for spec in provider.tools()}
        assert {"read_text_file", "write_file", "list_directory"} <= specs.keys()
        write = specs["write_file"]
        assert write.source == "mcp" and write.provider == "npmfs" and write.engine == "mcp"
        assert {"path", "content"} <= set(write.input_schema["properties"])

        target = tmp_path / "written.txt"
        result = await provider.call(write, {"path": str(target), "content": "via mcp"}, 10)
        assert result.ok, result.text
        assert target.read_text() == "via mcp"

        hello = {"path": str(tmp_path / "hello.txt")}
        read = await provider.call(specs["read_text_file"], hello, 10)
        assert read.ok and read.text == "hi from disk\n"
        assert read.provider == "npmfs" and read.engine == "mcp"

        outside = await provider.call(specs["read_text_file"], {"path": "/etc/hostname"}, 10)
        assert not outside.ok and outside.error is not None

        health = manager.health()["npmfs"]
        assert health["state"] == "connected" and health["tools"] == len(specs)
