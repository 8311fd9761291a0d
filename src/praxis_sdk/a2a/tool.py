"""`delegate` as a tool of this node, so the DSL's `DELEGATE agent "request" AS name` is a
plan step like any other: it runs in parallel, is cancelled with its run, and its result
(the other agent's artifacts) can be used by later steps. Not exposed to peers."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from praxis_sdk.a2a.client import Delegator
from praxis_sdk.tools.result import TextContent, ToolResult
from praxis_sdk.tools.spec import ToolSpec

DELEGATE_TOOL = "delegate"
PROVIDER = "a2a"


class DelegateTools:
    """The `delegate` tool: `{agent, request}` -> the delegated task's outcome."""

    source: Literal["local"] = "local"
    name = PROVIDER

    def __init__(self, delegator: Delegator) -> None:
        self.delegator = delegator
        self._spec = ToolSpec(
            name=DELEGATE_TOOL, source="local", provider=PROVIDER, engine="a2a", expose=False,
            description="Hands a request (DSL or plain language) to another agent as an A2A "
                        "task and waits for its artifacts",
            input_schema={
                "type": "object", "required": ["agent", "request"],
                "properties": {
                    "agent": {"type": "string",
                              "description": "Agent name, peer id or http(s) URL"},
                    "request": {"type": "string", "description": "What the agent should do"},
                },
            })

    def tools(self) -> list[ToolSpec]:
        return [self._spec]

    async def call(self, spec: ToolSpec, arguments: Mapping[str, Any], timeout: float | None
                   ) -> ToolResult:
        started = time.perf_counter()
        outcome = await self.delegator.delegate(str(arguments["agent"]),
                                                str(arguments["request"]), timeout=timeout)
        elapsed = (time.perf_counter() - started) * 1000
        text = "\n".join(a["text"] for a in outcome.artifacts if a.get("text")) or outcome.message
        data = {"text": text, **outcome.to_dict()}  # `$name.text` in a later step
        if outcome.state == "completed":
            return ToolResult(tool=spec.name, provider=PROVIDER, engine="a2a", ok=True,
                              content=[TextContent(text=text)], structured=data,
                              duration_ms=elapsed)
        failed = ToolResult.failure(
            tool=spec.name, provider=PROVIDER, engine="a2a", code="delegate_" + outcome.state,
            message=f"the task on {outcome.agent} ended {outcome.state}: {outcome.message}",
            details=data, duration_ms=elapsed)
        return failed.model_copy(update={"structured": data})
