"""What the catalog knows of one tool, and the interface every tool provider implements."""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from praxis_sdk.tools.result import ToolResult

Source = Literal["local", "mcp", "peer"]


def effective_timeout(asked: float | None, own: float | None, default: float) -> float:
    """How long a call may run: the shorter of the caller's and the tool's own limit;
    the default when neither names one."""
    given = [t for t in (asked, own) if t]
    return min(given) if given else default


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
    timeout: float | None = Field(None, exclude=True, description="The tool's own limit (s)")

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
