"""The state of one workflow run, as the store keeps it and `GET /workflows/{id}` shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from praxis_sdk.runner.plan import Plan
from praxis_sdk.tools.result import ToolResult

NodeStatus = Literal["pending", "running", "completed", "failed", "skipped", "cancelled"]
RunStatus = Literal["pending", "running", "completed", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
NODE_DONE: frozenset[str] = frozenset({"completed", "failed", "skipped", "cancelled"})


def now() -> datetime:
    return datetime.now(UTC)


class NodeState(BaseModel):
    status: NodeStatus = "pending"
    result: ToolResult | None = None
    error: dict[str, Any] | None = None  # {code, message, details}
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0


class RunState(BaseModel):
    id: str
    status: RunStatus = "pending"
    plan: Plan
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    results: dict[str, ToolResult] = Field(default_factory=dict)  # by output name
    error: dict[str, Any] | None = None
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def summary(self) -> dict[str, Any]:
        """What `workflowComplete` carries and a task's result holds."""
        outputs = {name: r.structured if r.structured is not None else r.text
                   for name, r in self.results.items()}
        last = next((n.result for n in reversed(list(self.nodes.values()))
                     if n.status == "completed" and n.result is not None), None)
        return {
            "status": self.status,
            "outputs": outputs,
            "nodes": {step_id: node.status for step_id, node in self.nodes.items()},
            "last": None if last is None else (
                last.structured if last.structured is not None else last.text),
            "error": self.error,
        }
