"""An MCP server's tools are offered to peers only when its config says `expose: true`."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.integration.mcp_agents.helpers import FsServer, tools_by_key
from tests.support.agents import AgentProcess
from tests.support.waiting import wait_until


def card_tools(agent: AgentProcess) -> set[str]:
    return {tool["name"] for tool in httpx.get(f"{agent.url}/agent/card", timeout=10).json()
            ["tools"]}


def test_mcp_tools_stay_private_unless_exposed(
    spawn_agent: Callable[..., AgentProcess], fs_server: Callable[[str], FsServer],
) -> None:
    fs = fs_server("fsroot")
    private = spawn_agent("private", mcp={"servers": [
        {"name": "fs", "transport": "streamable-http", "url": fs.url}]})
    shared = spawn_agent("shared", mcp={"servers": [
        {"name": "fs", "transport": "streamable-http", "url": fs.url, "expose": True}]})
    for agent in (private, shared):
        wait_until(lambda a=agent: "write_file@fs" in tools_by_key(a), 20, "fs tools listed")

    listed = tools_by_key(private)["write_file@fs"]
    assert listed["source"] == "mcp" and listed["expose"] is False
    assert not {"write_file", "delete_file", "read_file"} & card_tools(private)
    assert "calculator" in card_tools(private)  # its own exposed tools are still offered
    assert {"write_file", "delete_file"} <= card_tools(shared)
