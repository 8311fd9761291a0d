"""Two agent processes over P2P: a peer's tool is listed and callable through `/mcp`."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.integration.mcp_agents.helpers import AGENT_ENV, mcp_client, tools_by_key
from tests.support.agents import AgentProcess
from tests.support.waiting import wait_until

B_TOOLS = [{"name": "b_describe", "engine": "python",
            "engineSpec": {"entrypoint": "tests.support.echo_tool:describe"}},
           {"name": "b_private", "engine": "python", "expose": False,
            "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}}]


async def test_peer_tool_through_mcp_of_the_other_agent(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    b = spawn_agent("peer-b", env=AGENT_ENV, agent={"tools": B_TOOLS}, p2p={"enabled": True})
    a = spawn_agent("peer-a", env=AGENT_ENV,
                    p2p={"enabled": True, "bootstrap_nodes": [b.url]})
    wait_until(lambda: "b_describe@peer-b" in tools_by_key(a), 30, "peer-b's tool on peer-a")
    peer_tool = tools_by_key(a)["b_describe@peer-b"]
    assert peer_tool["source"] == "peer" and "b_private@peer-b" not in tools_by_key(a)

    async with mcp_client(f"{a.url}/mcp") as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert "b_describe" in listed and "calculator" in listed
        assert "calculator@peer-b" in listed  # the peer's copy of a shared name
        assert listed["b_describe"].input_schema["properties"]["text"]["type"] == "string"

        result = await client.call_tool("b_describe", {"text": "xy", "times": 3})
        assert not result.is_error, result.content
        assert result.structured_content == {"text": "xyxyxy", "length": 6}
        assert json.loads(result.content[0].text)["length"] == 6

        remote_calc = await client.call_tool("calculator@peer-b", {"expression": "1+2"})
        assert not remote_calc.is_error and remote_calc.structured_content["result"] == 3
