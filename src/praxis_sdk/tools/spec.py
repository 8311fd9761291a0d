"""What the catalog knows of one tool, and the interface every tool provider implements."""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from praxis_sdk.tools.result import ToolResult

Source = Literal["local", "mcp", "peer"]


class ToolSpec(BaseModel):
    """A tool as the catalog lists it: `GET /tools` returns these."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    source: Source = "local"
    provider: str = ""
    engine: str = ""
    expose: bool = True

    @property
    def param_names(self) -> list[str]:
        """Parameters in declared order (positional DSL arguments map onto these)."""
        return list(self.input_schema.get("properties", {}))

    @property
    def qualified_name(self) -> str:
        """`name@provider`: the spelling that pins a provider."""
        return f"{self.name}@{self.provider}"


@runtime_checkable
class ToolProvider(Protocol):
    """A source of tools: local contracts, one MCP server, or one peer.

    `tools()` is cheap and synchronous (providers keep their list fresh themselves);
    `call()` runs one tool with already-validated arguments and returns a `ToolResult`,
    raising `praxis_sdk.errors.PraxisError` subclasses only for routing problems
    (unavailable, not allowed); a tool that ran and failed is a result with `ok=False`.
    """

    source: Source
    name: str

    def tools(self) -> list[ToolSpec]: ...

    async def call(
        self, spec: ToolSpec, arguments: dict[str, Any], timeout: float | None
    ) -> ToolResult: ...
