"""An agent process with MCP servers in its config: our filesystem server over Streamable
HTTP and the reference npm filesystem server over stdio; their tools through the agent's
HTTP API, health and metrics; a server that dies comes back; `remote-mcp` contracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.integration.mcp_agents.helpers import FsServer, invoke, npm_fs_entry, tools_by_key
from tests.support.agents import AgentProcess, free_port
from tests.support.waiting import wait_until

FAST = {"heartbeat_interval": 0.5, "backoff_initial": 0.1, "backoff_max": 0.5,
        "connect_timeout": 10, "call_timeout": 10}


def mcp_health(agent: AgentProcess) -> dict[str, Any]:
    body = httpx.get(f"{agent.url}/health", timeout=5).json()
    return body["components"]["mcp"]["servers"]


def connected(agent: AgentProcess, *names: str) -> bool:
    servers = mcp_health(agent)
    return all(servers.get(n, {}).get("state") == "connected" for n in names)


def metric(agent: AgentProcess, name: str, **labels: str) -> float:
    """One sample of `/metrics` (0 when absent)."""
    text = httpx.get(f"{agent.url}/metrics", timeout=5).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            sample, value = line.rsplit(" ", 1)
            got = ",".join(sorted(sample[len(name) + 1:-1].split(",")))
            if got == wanted:
                return float(value)
    return 0.0


def test_agent_serves_tools_of_http_and_stdio_mcp_servers(
    spawn_agent: Callable[..., AgentProcess], fs_server: Callable[[str], FsServer],
    tmp_path: Path,
) -> None:
    fs = fs_server("fsroot")
    npm_root = tmp_path / "npmroot"
    npm_root.mkdir()
    (npm_root / "hello.txt").write_text("hi from npm\n")
    agent = spawn_agent("mcp-host", mcp={"limits": FAST, "servers": [
        {"name": "fs", "transport": "streamable-http", "url": fs.url},
        {"name": "npmfs", "transport": "stdio", "command": "node",
         "args": [str(npm_fs_entry()), str(npm_root)]},
    ]})
    wait_until(lambda: connected(agent, "fs", "npmfs"), 30, "both MCP servers connected")

    tools = tools_by_key(agent)
    ours = {k for k, t in tools.items() if t["provider"] == "fs"}
    npm = {k for k, t in tools.items() if t["provider"] == "npmfs"}
    assert {"read_file@fs", "write_file@fs", "search_files@fs", "move_file@fs"} <= ours
    assert {"read_text_file@npmfs", "read_file@npmfs", "write_file@npmfs"} <= npm
    assert all(tools[k]["source"] == "mcp" and tools[k]["engine"] == "mcp" for k in ours | npm)
    assert "path" in tools["read_file@fs"]["input_schema"]["properties"]
    # Both servers offer read_file: fs wins the plain name, npmfs needs `@npmfs`.
    assert tools["read_file@fs"]["preferred"] and not tools["read_file@npmfs"]["preferred"]
    assert tools["calculator@mcp-host"]["source"] == "local"

    assert invoke(agent, "create_directory@fs", {"path": "notes"})["ok"]
    written = invoke(agent, "write_file@fs", {"path": "notes/a.txt", "content": "via agent"})
    assert written["ok"], written["error"]
    assert (fs.root / "notes/a.txt").read_text() == "via agent"
    read = invoke(agent, "read_file", {"path": "notes/a.txt"})
    assert (read["ok"], read["provider"], read["engine"]) == (True, "fs", "mcp")
    assert read["content"][0]["text"] == "via agent"

    target = npm_root / "b.txt"
    assert invoke(agent, "write_file@npmfs", {"path": str(target), "content": "npm wrote"})["ok"]
    assert target.read_text() == "npm wrote"
    npm_read = invoke(agent, "read_file@npmfs", {"path": str(npm_root / "hello.txt")})
    assert npm_read["ok"] and npm_read["provider"] == "npmfs"
    assert npm_read["content"][0]["text"] == "hi from npm\n"

    refused = invoke(agent, "read_file@fs", {"path": "../agent.yaml"})
    assert not refused["ok"] and "root" in refused["error"]["message"]
    bad = httpx.post(f"{agent.url}/tools/write_file@fs/invoke",
                     json={"arguments": {"content": "no path"}}, timeout=10)
    assert bad.status_code == 400 and "path" in bad.json()["error"]["message"]

    servers = mcp_health(agent)
    assert servers["fs"]["tools"] == len(ours) == 8
    assert servers["npmfs"]["tools"] == len(npm)
    assert servers["npmfs"]["transport"] == "stdio"
    assert metric(agent, "praxis_mcp_calls_total", server="fs", tool="write_file",
                  outcome="ok") == 1
    assert metric(agent, "praxis_mcp_calls_total", server="fs", tool="create_directory",
                  outcome="ok") == 1
    assert metric(agent, "praxis_mcp_calls_total", server="fs", tool="read_file",
                  outcome="error") == 1
    assert metric(agent, "praxis_mcp_call_duration_seconds_count", server="npmfs",
                  tool="read_file", outcome="ok") == 1


def test_dead_server_is_reconnected_and_its_tools_come_back(
    spawn_agent: Callable[..., AgentProcess], fs_server: Callable[[str], FsServer],
) -> None:
    fs = fs_server("fsroot")
    agent = spawn_agent("mcp-reconnect", mcp={"limits": FAST, "servers": [
        {"name": "fs", "transport": "streamable-http", "url": fs.url}]})
    wait_until(lambda: connected(agent, "fs"), 20, "fs connected")
    assert "list_directory@fs" in tools_by_key(agent)

    fs.kill()
    wait_until(lambda: not any(k.endswith("@fs") for k in tools_by_key(agent)), 30,
             "the dead server's tools leaving GET /tools")
    health = mcp_health(agent)["fs"]
    assert health["state"] == "reconnecting" and health["last_error"]
    body = httpx.get(f"{agent.url}/health", timeout=5).json()
    assert body["status"] == "degraded"
    gone = httpx.post(f"{agent.url}/tools/list_directory@fs/invoke",
                      json={"arguments": {"path": "."}}, timeout=10)
    assert gone.status_code == 404

    fs.start()
    wait_until(lambda: "list_directory@fs" in tools_by_key(agent), 20, "tools back after restart")
    assert mcp_health(agent)["fs"]["reconnects"] == 1
    assert invoke(agent, "list_directory@fs", {"path": "."})["ok"]
    assert httpx.get(f"{agent.url}/health", timeout=5).json()["status"] == "healthy"


def test_remote_mcp_contract_runs_on_the_filesystem_server(
    spawn_agent: Callable[..., AgentProcess], fs_server: Callable[[str], FsServer],
) -> None:
    fs = fs_server("fsroot")
    (fs.root / "shared.txt").write_text("from the shared folder")
    contracts = [
        {"name": "shared_read", "description": "Read a shared file", "engine": "remote-mcp",
         "params": [{"name": "path", "type": "string", "required": "true"}],
         "engineSpec": {"address": fs.url, "tool": "read_file"}},
        {"name": "list_directory", "engine": "remote-mcp",
         "params": [{"name": "path", "type": "string", "required": True}],
         "engineSpec": {"address": fs.url}},
        {"name": "nowhere", "engine": "remote-mcp", "params": [],
         "engineSpec": {"address": f"http://127.0.0.1:{free_port()}/mcp"}},
    ]
    agent = spawn_agent("remote-mcp", agent={"tools": contracts}, mcp={"limits": FAST})

    tools = tools_by_key(agent)
    assert tools["shared_read@remote-mcp"]["engine"] == "remote-mcp"
    assert tools["shared_read@remote-mcp"]["source"] == "local"

    result = invoke(agent, "shared_read", {"path": "shared.txt"})
    assert (result["ok"], result["tool"], result["engine"]) == (True, "shared_read", "remote-mcp")
    assert result["provider"] == "remote-mcp"
    assert result["content"][0]["text"] == "from the shared folder"
    listing = invoke(agent, "list_directory", {"path": "."})
    assert listing["ok"] and "shared.txt" in listing["content"][0]["text"]
    refused = invoke(agent, "shared_read", {"path": "/etc/passwd"})
    assert not refused["ok"] and refused["engine"] == "remote-mcp"

    down = httpx.post(f"{agent.url}/tools/nowhere/invoke",
                      json={"arguments": {}, "timeout_s": 2}, timeout=15)
    assert down.status_code == 503, down.text
    assert "did not connect" in down.json()["error"]["message"]

    health = httpx.get(f"{agent.url}/health", timeout=5).json()["components"]["remote-mcp"]
    assert health["servers"][fs.url]["state"] == "connected"
