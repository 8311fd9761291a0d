"""Conversions between MCP results and ToolResult, server entries, transport security."""

from __future__ import annotations

import pytest
from mcp import types

from praxis_sdk.config import MCPLimits
from praxis_sdk.errors import InvalidInput
from praxis_sdk.mcp.client import server_params, to_tool_result, to_tool_spec
from praxis_sdk.mcp.server import security_settings, to_call_result, to_mcp_tool
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec


def test_tool_result_to_mcp_and_back() -> None:
    ok = ToolResult.from_output(tool="t", provider="n", engine="local", output='{"a": 1}',
                                duration_ms=1)
    mcp_ok = to_call_result(ok)
    assert not mcp_ok.is_error and mcp_ok.structured_content == {"a": 1}
    back = to_tool_result("srv", "t", mcp_ok, 2.0)
    assert back.ok and back.structured == {"a": 1} and back.text == '{"a": 1}'
    assert (back.provider, back.engine) == ("srv", "mcp")

    listed = to_call_result(ToolResult.from_output(tool="t", provider="n", engine="local",
                                                   output="[1, 2]", duration_ms=1))
    assert listed.structured_content == {"result": [1, 2]}

    failed = to_call_result(ToolResult.failure(tool="t", provider="n", engine="docker",
                                               code="tool_failed", message="exit 2"))
    assert failed.is_error and failed.content[0].text == "exit 2"
    back = to_tool_result("srv", "t", failed, 1.0)
    assert not back.ok and back.error is not None and back.error.message == "exit 2"


def test_non_text_content_is_described() -> None:
    result = types.CallToolResult(content=[
        types.TextContent(text="hello"),
        types.ImageContent(data="AAAA", mime_type="image/png"),
    ])
    converted = to_tool_result("srv", "pic", result, 1.0)
    assert converted.text == "hello\n[image image/png]"


def test_specs_both_ways() -> None:
    spec = ToolSpec(name="x", description="d", input_schema={"properties": {"a": {}}})
    tool = to_mcp_tool(spec)
    assert tool.input_schema["type"] == "object" and tool.description == "d"
    again = to_tool_spec("srv", tool)
    assert (again.source, again.provider, again.engine) == ("mcp", "srv", "mcp")
    assert again.param_names == ["a"]


def test_server_entries() -> None:
    http = server_params("http://mcp-filesystem:3002/mcp")
    assert (http.name, http.transport) == ("mcp-filesystem-3002", "streamable-http")
    assert server_params("https://example.org/sse").transport == "sse"
    stdio = server_params({"name": "fs", "command": "node", "args": ["x.js"]})
    assert stdio.transport == "stdio" and stdio.args == ["x.js"]
    with pytest.raises(InvalidInput, match="needs a command"):
        server_params({"name": "fs", "transport": "stdio"})
    with pytest.raises(InvalidInput, match="needs an http"):
        server_params({"name": "fs", "transport": "sse", "url": "ftp://x"})
    with pytest.raises(InvalidInput, match="transport"):
        server_params({"name": "fs", "transport": "carrier-pigeon", "url": "http://x"})
    assert MCPLimits.model_validate({"call_timeout": 5, "other": 1}).call_timeout == 5


def test_security_settings() -> None:
    assert not security_settings(["*"]).enable_dns_rebinding_protection
    assert not security_settings([]).enable_dns_rebinding_protection
    named = security_settings(["agent-1", "example.org:8443", "[::1]"])
    assert named.enable_dns_rebinding_protection
    assert {"agent-1", "agent-1:*", "example.org:8443", "[::1]:*"} <= set(named.allowed_hosts)
    assert "http://agent-1:*" in named.allowed_origins
