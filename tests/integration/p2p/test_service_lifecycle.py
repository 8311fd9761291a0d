"""P2PService in this process: start, health, clear errors, bounded stop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from praxis_sdk.config import P2PConfig
from praxis_sdk.errors import InvalidInput, NotFound, Unavailable
from praxis_sdk.p2p.service import P2PService
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec
from tests.support.agents import free_port


def service(tmp_path: Path, name: str, **p2p: Any) -> P2PService:
    async def invoke(tool: str, args: dict[str, Any]) -> ToolResult:
        return ToolResult.from_output(tool=tool, provider=name, engine="python", output="ok",
                                      duration_ms=0)

    config = P2PConfig(host="127.0.0.1", keystore_path=str(tmp_path / "keys"),
                       enable_mdns=False, connection_timeout=3.0, **p2p)
    return P2PService(config, agent_name=name, agent_version="1",
                      local_tools=lambda: [ToolSpec(name="t")], invoke_local=invoke)


async def test_start_health_errors_and_bounded_stop(tmp_path: Path) -> None:
    port = free_port()
    first = service(tmp_path, "agent-a", port=port)
    await first.start()
    try:
        health = first.health()
        assert health["listening"] and health["peer_id"] == first.peer_id
        info = first.info()
        assert info["addresses"] == [f"/ip4/127.0.0.1/tcp/{port}/p2p/{first.peer_id}"]
        assert "/praxis/tool/1.0.0" in info["protocols"]
        assert first.card()["tools"][0]["name"] == "t"

        second = service(tmp_path, "agent-b", port=port)
        started = time.monotonic()
        with pytest.raises(Unavailable):
            await second.start()
        assert time.monotonic() - started < 5

        with pytest.raises(InvalidInput, match="not a multiaddr"):
            await first.connect("agent-b.local:4001")
        with pytest.raises(InvalidInput, match="/p2p/"):
            await first.connect(f"/ip4/127.0.0.1/tcp/{port}")
        with pytest.raises(Unavailable, match="p2p/info"):
            await first.connect(f"http://127.0.0.1:{free_port()}")
        with pytest.raises(NotFound):
            await first.call_tool("agent-nobody", "t", {})
    finally:
        started = time.monotonic()
        await first.stop(timeout=5)
        assert time.monotonic() - started < 6
    assert not first.health()["listening"]
