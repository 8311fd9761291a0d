"""`praxis-agent mcp-stdio -c FILE`: the node's catalog over stdio for desktop MCP clients."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from mcp import Client, StdioServerParameters

from tests.integration.mcp_agents.helpers import AGENT_ENV, FsServer
from tests.support.agents import agent_config

TOOLS = [{"name": "noisy_echo", "engine": "python",
          "engineSpec": {"entrypoint": "tests.support.echo_tool:noisy"}}]


def write_config(home: Path, **sections: dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "agent.yaml"
    path.write_text(yaml.safe_dump(agent_config(home, "stdio-node", **sections)))
    return path


def command(config: Path) -> list[str]:
    return [sys.executable, "-m", "praxis_sdk", "mcp-stdio", "-c", str(config)]


async def test_official_client_over_stdio(
    tmp_path: Path, fs_server: Callable[[str], FsServer],
) -> None:
    fs = fs_server("fsroot")
    (fs.root / "a.txt").write_text("stdio reads this")
    config = write_config(tmp_path / "node", agent={"tools": TOOLS}, mcp={"servers": [
        {"name": "fs", "transport": "streamable-http", "url": fs.url}]})
    cmd = command(config)
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], cwd=str(tmp_path / "node"),
                                   env=AGENT_ENV)
    async with Client(params) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert {"calculator", "word_counter", "noisy_echo"} <= listed

        calc = await client.call_tool("calculator", {"expression": "2*(3+4)"})
        assert not calc.is_error and calc.structured_content["result"] == 14
        noisy = await client.call_tool("noisy_echo", {"text": "clean"})
        assert (noisy.is_error, noisy.content[0].text) == (False, "clean")
        bad = await client.call_tool("calculator", {})
        assert bad.is_error and "expression" in bad.content[0].text

        # The MCP server connects in the background: its tools join the list shortly.
        for _ in range(100):
            if "read_file" in {t.name for t in (await client.list_tools()).tools}:
                break
            await client.send_ping()
        read = await client.call_tool("read_file", {"path": "a.txt"})
        assert (read.is_error, read.content[0].text) == (False, "stdio reads this")


def test_stdout_carries_only_the_protocol_and_eof_stops_the_node(tmp_path: Path) -> None:
    home = tmp_path / "node"
    config = write_config(home, agent={"tools": TOOLS}, logging={"level": "debug"})
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "noisy_echo", "arguments": {"text": "hi"}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
    ]
    proc = subprocess.Popen(command(config), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=home, env=AGENT_ENV)
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
        proc.stdin.flush()
        replies = [json.loads(proc.stdout.readline()) for _ in range(3)]
        proc.stdin.close()  # EOF: the node stops in order and exits 0
        code = proc.wait()
        extra, errors = proc.stdout.read(), proc.stderr.read().decode() if proc.stderr else ""
    finally:
        watchdog.cancel()
        proc.kill()
    assert code == 0, errors[-2000:]
    assert extra == b""
    assert sorted(r.get("id") for r in replies) == [1, 2, 3], replies
    by_id = {r["id"]: r["result"] for r in replies}
    assert by_id[2]["content"][0]["text"] == "hi"
    assert "noisy_echo" in {t["name"] for t in by_id[3]["tools"]}
    assert "stray output from a tool" in errors and "agent started" in errors
