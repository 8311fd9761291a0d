"""A small in-test tool provider: real async functions returning ToolResults."""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.errors import NotFound
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec


def schema(required: list[str] | None = None, **props: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()},
            "required": required or [], "additionalProperties": False}


class Provider:
    """Tools by name; records what ran, in order, as `("start"|"end", tool, arguments)`."""

    source = "local"
    name = "test"

    def __init__(self) -> None:
        self.log: list[tuple[str, str, dict[str, Any]]] = []
        self.gate_started = 0
        self.all_gates_started = asyncio.Event()
        self.gates = 2
        self.release = asyncio.Event()
        self.attempts: dict[str, int] = {}
        self.functions: dict[str, tuple[ToolSpec, Callable[..., Awaitable[Any]]]] = {}
        self.add("echo", self.echo, schema(["text"], text="string"))
        self.add("count", self.count, schema(["text"], text="string"))
        self.add("read_file", self.echo_path, schema(["path"], path="string"))
        self.add("write_file", self.write, schema(["path", "content"], path="string",
                                                  content="string"))
        self.add("sum", self.sum, schema(["a", "b"], a="integer", b="integer"))
        self.add("gate", self.gate, schema(["name"], name="string"))
        self.add("flaky", self.flaky, schema(["key", "failures"], key="string",
                                             failures="integer"))
        self.add("hang", self.hang, schema([], name="string"))
        self.add("fail", self.fail, schema([], why="string"))
        self.add("merge", self.merge, {"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "string"}}}, "required": ["files"]})

    def add(self, name: str, fn: Callable[..., Awaitable[Any]], input_schema: dict) -> None:
        spec = ToolSpec(name=name, input_schema=input_schema, provider=self.name, engine="test")
        self.functions[name] = (spec, fn)

    def tools(self) -> list[ToolSpec]:
        return [spec for spec, _ in self.functions.values()]

    def lookup(self, name: str, provider: str | None = None) -> ToolSpec:
        if name in self.functions and provider in (None, self.name):
            return self.functions[name][0]
        close = difflib.get_close_matches(name, list(self.functions), n=3, cutoff=0.6)
        raise NotFound(f"unknown tool {name!r}", details={"suggestions": close})

    async def invoke(self, tool: str, arguments: dict[str, Any], provider: str | None,
                     timeout: float | None) -> ToolResult:
        spec = self.lookup(tool, provider)
        self.log.append(("start", tool, arguments))
        try:
            output = await self.functions[tool][1](**arguments)
        finally:
            self.log.append(("end", tool, arguments))
        if isinstance(output, ToolResult):
            return output
        text = output if isinstance(output, str) else json.dumps(output)
        return ToolResult.from_output(tool=tool, provider=spec.provider, engine="test",
                                      output=text, duration_ms=0.0)

    async def echo(self, text: str) -> str:
        return text

    async def echo_path(self, path: str) -> str:
        return f"contents of {path}"

    async def count(self, text: str) -> dict[str, Any]:
        return {"counts": {"words": len(text.split()), "chars": len(text)}}

    async def write(self, path: str, content: str) -> dict[str, Any]:
        return {"path": path, "written": content}

    async def sum(self, a: int, b: int) -> dict[str, Any]:
        return {"sum": a + b}

    async def merge(self, files: list[str]) -> dict[str, Any]:
        return {"merged": files}

    async def gate(self, name: str) -> str:
        """Waits until `gates` gate calls have started: only overlapping calls get through."""
        self.gate_started += 1
        if self.gate_started >= self.gates:
            self.all_gates_started.set()
        async with asyncio.timeout(5):
            await self.all_gates_started.wait()
        return name

    async def flaky(self, key: str, failures: int) -> ToolResult | str:
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if self.attempts[key] <= failures:
            return ToolResult.failure(tool="flaky", provider=self.name, engine="test",
                                      code="tool_failed", message=f"attempt {self.attempts[key]}")
        return f"ok after {self.attempts[key]}"

    async def hang(self, name: str = "") -> str:
        await self.release.wait()
        return "released"

    async def fail(self, why: str = "broken") -> ToolResult:
        return ToolResult.failure(tool="fail", provider=self.name, engine="test",
                                  code="tool_failed", message=why)
