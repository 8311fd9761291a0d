"""The official MCP client against the node's MCP server (FastAPI + uvicorn, and stdio)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mcp import Client, StdioServerParameters

from praxis_sdk.errors import NotFound
from praxis_sdk.mcp.server import http_mount, mount
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec
from tests.integration.mcp.mcp_helpers import STDIO_CATALOG, child_env, serve_app

ADD = ToolSpec(name="add", description="Add two numbers", source="local", provider="n1",
               input_schema={"type": "object", "required": ["a", "b"],
                             "properties": {"a": {"type": "number"}, "b": {"type": "number"}}})
FAIL = ToolSpec(name="fail", description="Always fails", source="peer", provider="n2")
LATE = ToolSpec(name="late", description="Joins later", source="mcp", provider="fs")
CLASH = ToolSpec(name="add", description="Another add", source="peer", provider="n3")


class Catalog:
    def __init__(self) -> None:
        self.specs = [ADD, FAIL]

    def list_tools(self) -> list[ToolSpec]:
        return list(self.specs)

    async def invoke(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        if name == "add":
            total = arguments["a"] + arguments["b"]
            return ToolResult.from_output(tool=name, provider="n1", engine="python",
                                          output=f'{{"sum": {total}}}', duration_ms=1)
        if name == "fail":
            return ToolResult.failure(tool=name, provider="n2", engine="docker",
                                      code="tool_failed", message="exit 1: boom")
        raise NotFound(f"no tool named {name!r}")


def agent_app(catalog: Catalog, allowed_hosts: list[str], wrapped: bool = False) -> Any:
    handle = http_mount(catalog.list_tools, catalog.invoke, allowed_hosts=allowed_hosts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with handle.lifespan():
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if wrapped:
        return handle.wrap(app)
    mount(app, handle)
    return app


@pytest.mark.parametrize("wrapped", [False, True])
async def test_official_client_lists_and_calls(wrapped: bool) -> None:
    catalog = Catalog()
    async with serve_app(agent_app(catalog, ["*"], wrapped)) as base:
        for mode in ("legacy", "auto"):
            async with Client(f"{base}/mcp", mode=mode) as client:
                listed = await client.list_tools()
                by_name = {tool.name: tool for tool in listed.tools}
                assert set(by_name) == {"add", "fail"}
                assert by_name["add"].input_schema["required"] == ["a", "b"]
                assert by_name["add"].description == "Add two numbers"

                ok = await client.call_tool("add", {"a": 2, "b": 3})
                assert not ok.is_error and ok.structured_content == {"sum": 5}
                assert ok.content[0].text == '{"sum": 5}'

                failed = await client.call_tool("fail", {})
                assert failed.is_error and "boom" in failed.content[0].text
                missing = await client.call_tool("nope", {})
                assert missing.is_error and "not_found" in missing.content[0].text

                catalog.specs += [LATE, CLASH]
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert names == {"add", "fail", "late", "add@n3"}
                catalog.specs[2:] = []


@pytest.mark.parametrize("wrapped", [False, True])
async def test_mcp_path_without_redirect_and_host_check(wrapped: bool) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"accept": "application/json, text/event-stream"}
    app = agent_app(Catalog(), ["agent-1", "localhost"], wrapped)
    http = httpx.AsyncClient(follow_redirects=False, timeout=10)
    async with serve_app(app) as base, http:
        for path in ("/mcp", "/mcp/"):
            evil = {**headers, "host": "evil.example"}
            bad = await http.post(base + path, json=body, headers=evil)
            assert bad.status_code == 421, (path, bad.status_code)
            named = {**headers, "host": "agent-1:8000"}
            good = await http.post(base + path, json=body, headers=named)
            assert good.status_code == 200, (path, good.status_code, good.text)
            assert good.json()["result"]["serverInfo"]["name"] == "praxis-agent"
        assert (await http.get(base + "/health")).status_code == 200


async def test_serve_stdio_with_official_client() -> None:
    params = StdioServerParameters(command=sys.executable, args=[str(STDIO_CATALOG)],
                                   env={"PYTHONPATH": child_env()["PYTHONPATH"]})
    async with Client(params, mode="legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"echo", "die", "slow"} == names
        result = await client.call_tool("echo", {"text": "hi"})
        assert result.structured_content["echo"] == "hi"
