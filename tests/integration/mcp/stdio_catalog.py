"""A tiny catalog served with `serve_stdio` (run as a script by the tests).

Tools: echo (returns its text, JSON for structured content) and die (exits the process).
"""

from __future__ import annotations

import json
import os
import sys

import anyio

from praxis_sdk.mcp.server import serve_stdio
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

TOOLS = [
    ToolSpec(name="echo", description="Echo text", input_schema={
        "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
    ToolSpec(name="die", description="Exit the server process"),
    ToolSpec(name="slow", description="Answer after `seconds`", input_schema={
        "type": "object", "properties": {"seconds": {"type": "number"}}}),
]


async def invoke(name: str, arguments: dict) -> ToolResult:
    if name == "die":
        os._exit(3)
    if name == "slow":
        await anyio.sleep(float(arguments.get("seconds", 1)))
    output = json.dumps({"echo": arguments.get("text", ""), "pid": os.getpid()})
    return ToolResult.from_output(tool=name, provider="stdio", engine="local", output=output,
                                  duration_ms=0.0)


if __name__ == "__main__":
    sys.exit(anyio.run(serve_stdio, lambda: TOOLS, invoke))
