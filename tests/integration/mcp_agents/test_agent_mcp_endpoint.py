"""The official MCP client against an agent process's `/mcp`: local, MCP-server and Python
tools listed with schemas and callable (text and structured content); the bearer token;
Host names other than localhost."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.integration.mcp_agents.helpers import AGENT_ENV, FsServer, mcp_client
from tests.support.agents import AgentProcess
from tests.support.waiting import wait_until

TOKEN = "mcp-test-token"
PY_TOOLS = [
    {"name": "echo_text", "engine": "python",
     "engineSpec": {"entrypoint": "tests.support.echo_tool:echo"}},
    {"name": "describe_text", "engine": "python",
     "engineSpec": {"entrypoint": "tests.support.echo_tool:describe"}},
]
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "raw", "version": "1"}}}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
def agent(spawn_agent: Callable[..., AgentProcess],
          fs_server: Callable[[str], FsServer]) -> AgentProcess:
    fs = fs_server("fsroot")
    (fs.root / "readme.txt").write_text("shared readme")
    node = spawn_agent(
        "mcp-node", env=AGENT_ENV,
        agent={"tools": PY_TOOLS},
        http={"auth_token": TOKEN, "allowed_hosts": ["127.0.0.1", "agent-one.example"]},
        mcp={"servers": [{"name": "fs", "transport": "streamable-http", "url": fs.url}]},
    )
    wait_until(lambda: httpx.get(f"{node.url}/health", timeout=5).json()["components"]["mcp"]
             ["servers"]["fs"]["state"] == "connected", 20, "fs connected")
    return node


async def test_tools_list_and_call_through_the_agents_mcp(agent: AgentProcess) -> None:
    async with mcp_client(f"{agent.url}/mcp", agent.headers()) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        shipped = {"calculator", "word_counter", "text_analyzer", "json_formatter",
                   "file_merger", "system_info"}
        assert shipped | {"echo_text", "describe_text"} <= listed.keys()
        assert {"read_file", "write_file", "list_directory", "search_files"} <= listed.keys()
        assert listed["calculator"].input_schema["required"] == ["expression"]
        assert listed["describe_text"].input_schema["properties"]["times"]["type"] == "integer"
        assert listed["read_file"].input_schema["properties"]["path"]["type"] == "string"

        described = await client.call_tool("describe_text", {"text": "ab", "times": 2})
        assert not described.is_error
        assert described.structured_content == {"text": "abab", "length": 4}
        assert json.loads(described.content[0].text) == {"text": "abab", "length": 4}

        echoed = await client.call_tool("echo_text", {"text": "plain words"})
        assert (echoed.is_error, echoed.content[0].text) == (False, "plain words")

        calc = await client.call_tool("calculator", {"expression": "6*7"})
        assert not calc.is_error and calc.structured_content["result"] == 42

        wrote = await client.call_tool("write_file", {"path": "from-mcp.txt", "content": "x1"})
        assert not wrote.is_error, wrote.content
        read = await client.call_tool("read_file", {"path": "readme.txt"})
        assert (read.is_error, read.content[0].text) == (False, "shared readme")

        bad = await client.call_tool("describe_text", {"times": "two"})
        assert bad.is_error and "text" in bad.content[0].text
        missing = await client.call_tool("no_such_tool", {})
        assert missing.is_error and "no_such_tool" in missing.content[0].text


async def test_mcp_needs_the_bearer_token(agent: AgentProcess) -> None:
    url = f"{agent.url}/mcp"
    async with httpx.AsyncClient(timeout=10) as http:
        bare = await http.post(url, json=INITIALIZE, headers=MCP_ACCEPT)
        wrong = await http.post(url, json=INITIALIZE,
                                headers={**MCP_ACCEPT, "Authorization": "Bearer nope"})
        right = await http.post(url, json=INITIALIZE,
                                headers={**MCP_ACCEPT, **agent.headers()})
    assert bare.status_code == wrong.status_code == 401
    assert bare.json()["error"]["code"] == "unauthorized"
    assert right.status_code == 200 and right.json()["result"]["serverInfo"]["name"] == "mcp-node"

    with pytest.RaisesGroup(MCPError, flatten_subgroups=True):
        async with mcp_client(url, {"Authorization": "Bearer nope"}) as client:
            await client.list_tools()
    async with mcp_client(url, agent.headers()) as client:
        assert (await client.call_tool("echo_text", {"text": "ok"})).content[0].text == "ok"


async def test_mcp_behind_another_host_name(agent: AgentProcess) -> None:
    url = f"{agent.url}/mcp"
    port = url.rsplit(":", 1)[1].split("/")[0]
    named = {**agent.headers(), "Host": f"agent-one.example:{port}"}
    async with mcp_client(url, named) as client:
        assert "echo_text" in {t.name for t in (await client.list_tools()).tools}
    async with httpx.AsyncClient(timeout=10) as http:
        other = await http.post(url, json=INITIALIZE, headers={
            **MCP_ACCEPT, **agent.headers(), "Host": "evil.example"})
    assert other.status_code == 421
