"""A server that dies is reconnected and its tools come back (HTTP and stdio)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from praxis_sdk.config import MCPLimits
from praxis_sdk.errors import Unavailable
from praxis_sdk.mcp.client import MCPClientManager
from tests.integration.mcp.mcp_helpers import STDIO_CATALOG, FsServer, child_env, eventually

FAST = MCPLimits(heartbeat_interval=0.3, backoff_initial=0.1, backoff_max=0.5,
                    connect_timeout=10, call_timeout=10)


async def test_http_server_restart(tmp_path: Path) -> None:
    server = FsServer(tmp_path)
    server.start()
    changes: list[int] = []
    entry = {"name": "fs", "transport": "streamable-http", "url": server.url}
    try:
        async with MCPClientManager([entry], limits=FAST,
                                    on_provider_changed=lambda p: changes.append(len(p.tools()))
                                    ) as manager:
            assert await manager.wait_ready(20), manager.health()
            provider = manager.providers["fs"]
            spec = next(s for s in provider.tools() if s.name == "list_directory")

            server.stop()
            await eventually(lambda: provider.state != "connected", 10, "disconnect noticed")
            assert provider.tools() == []
            with pytest.raises(Unavailable):
                await provider.call(spec, {"path": "."}, 5)
            health = manager.health()["fs"]
            assert health["state"] == "reconnecting" and health["last_error"]

            server.start()
            await eventually(lambda: provider.state == "connected", 20, "reconnect")
            assert len(provider.tools()) == 8
            assert (await provider.call(spec, {"path": "."}, 5)).ok
            assert manager.health()["fs"]["reconnects"] == 1
            assert changes[0] == 8 and 0 in changes and changes[-1] == 8
    finally:
        server.stop()


async def test_stdio_server_exit_respawns() -> None:
    entry = {"name": "cat", "transport": "stdio", "command": sys.executable,
             "args": [str(STDIO_CATALOG)], "env": {"PYTHONPATH": child_env()["PYTHONPATH"]}}
    async with MCPClientManager([entry], limits=FAST) as manager:
        assert await manager.wait_ready(20), manager.health()
        provider = manager.providers["cat"]
        specs = {s.name: s for s in provider.tools()}
        first = await provider.call(specs["echo"], {"text": "a"}, 5)
        assert first.ok and first.structured["echo"] == "a"

        slow = await provider.call(specs["slow"], {"seconds": 5}, 0.3)
        assert not slow.ok and slow.error is not None and slow.error.code == "timeout"
        assert "timed out after 0.3s" in slow.text and provider.state == "connected"

        with pytest.raises(Unavailable):
            await provider.call(specs["die"], {}, 5)
        await eventually(lambda: provider.state == "connected" and provider.reconnects == 1,
                         20, "respawn after exit")
        second = await provider.call(specs["echo"], {"text": "b"}, 5)
        assert second.ok and second.structured["pid"] != first.structured["pid"]
