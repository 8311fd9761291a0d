"""The one result shape of a tool run (INTERFACES 4.2), whatever engine or route ran it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field


class TextContent(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ToolError(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """`{tool, provider, engine, ok, content, structured, error, duration_ms}`."""

    tool: str
    provider: str
    engine: str
    ok: bool
    content: list[TextContent] = Field(default_factory=list)
    structured: dict[str, Any] | list[Any] | None = None
    error: ToolError | None = None
    duration_ms: float = 0.0

    @property
    def text(self) -> str:
        """All text content joined: what a person would read."""
        return "\n".join(part.text for part in self.content)

    @classmethod
    def from_output(
        cls, *, tool: str, provider: str, engine: str, output: str, duration_ms: float
    ) -> ToolResult:
        """A successful result from a tool's stdout; JSON output becomes structured content."""
        return cls(
            tool=tool,
            provider=provider,
            engine=engine,
            ok=True,
            content=[TextContent(text=output)],
            structured=parse_structured(output),
            duration_ms=duration_ms,
        )

    @classmethod
    def failure(
        cls,
        *,
        tool: str,
        provider: str,
        engine: str,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        duration_ms: float = 0.0,
    ) -> ToolResult:
        """A failed run: `ok` false, the error named, its message also as text content."""
        return cls(
            tool=tool,
            provider=provider,
            engine=engine,
            ok=False,
            content=[TextContent(text=message)],
            error=ToolError(code=code, message=message, details=details or {}),
            duration_ms=duration_ms,
        )


def parse_structured(output: str) -> dict[str, Any] | list[Any] | None:
    """The JSON object or array a tool printed, or None when it printed something else."""
    text = output.strip()
    if not text or text[0] not in "[{":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None
