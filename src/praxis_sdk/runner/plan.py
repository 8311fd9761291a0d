"""The Plan: a DAG of tool steps, whatever made it (DSL, a drawn graph, the LLM, one call).

Arguments are plain JSON; strings may hold references to earlier results (see
`conditions.py`). A step with `tool=None` is a marker node of a graph (start/end): it
calls nothing and completes at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.spec import ToolSpec

Lookup = Callable[[str, "str | None"], ToolSpec]
IDENTIFIER = re.compile(r"[A-Za-z_][\w\-]*\Z")


class Retry(BaseModel):
    """Up to `attempts` runs in all; the wait after failed run n is backoff_s * factor**(n-1)."""

    attempts: int = Field(default=1, ge=1, le=20)
    backoff_s: float = Field(default=0.5, ge=0, le=600)
    factor: float = Field(default=2.0, ge=1, le=10)
    max_backoff_s: float = Field(default=30.0, ge=0, le=3600)

    def delay(self, failed_attempt: int) -> float:
        return min(self.backoff_s * self.factor ** (failed_attempt - 1), self.max_backoff_s)


class Step(BaseModel):
    id: str
    tool: str | None
    provider: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    condition: str | None = None
    retry: Retry | None = None
    timeout: float | None = Field(default=None, gt=0)
    output: str | None = None
    line: int | None = None
    # Parameters declared as strings: a reference resolved into one becomes its text.
    string_params: list[str] = Field(default_factory=list)

    @classmethod
    def trusted(cls, id: str, tool: str, provider: str | None, arguments: dict[str, Any],
                depends_on: list[str], condition: str | None, output: str | None,
                line: int | None, string_params: list[str]) -> Step:
        """A step whose fields the caller built with the right types (the DSL compiler):
        the same model, without pydantic's validation, as `model_construct` makes it
        (at a quarter of its cost; a 10,000-step plan makes 10,000 of them). Every field
        counts as set, and all such steps share that set of names: pydantic only adds a
        field's name to it when one is assigned, which leaves it as it is."""
        step = _new(cls)
        _set_dict(step, {
            "id": id, "tool": tool, "provider": provider, "arguments": arguments,
            "depends_on": depends_on, "condition": condition, "retry": None,
            "timeout": None, "output": output, "line": line,
            "string_params": string_params})
        _set_fields_set(step, EVERY_FIELD)
        _set_extra(step, None)
        _set_private(step, None)
        return step


# pydantic's own slots of every model, set through their descriptors (as
# `model_construct` does, without `object.__setattr__`'s lookup of each name)
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
# `model_fields_set` of every step `trusted` makes (one set: 10,000 sets cost a
# 10,000-step plan 5 ms in the cycle collector alone)
EVERY_FIELD = set(Step.model_fields)


class Plan(BaseModel):
    steps: list[Step] = Field(default_factory=list)
    source: Literal["dsl", "graph", "tool", "llm"] = "dsl"

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def to_graph(self) -> dict[str, list[dict[str, Any]]]:
        """`{nodes, edges}` as `workflowStart` and the UI show them."""
        nodes = [
            {"id": s.id, "tool": s.tool, "provider": s.provider, "arguments": s.arguments,
             "condition": s.condition, "output": s.output, "line": s.line}
            for s in self.steps
        ]
        edges = [{"source": dep, "target": s.id} for s in self.steps for dep in s.depends_on]
        return {"nodes": nodes, "edges": edges}


class PlanInvalid(InvalidInput):
    """A plan that must not run; `problems` (also `details["problems"]`) lists every reason."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0]
        where = f"line {first['line']}: " if first.get("line") else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}{first['message']}{more}", details={"problems": problems})
        self.problems = problems


def split_tool(name: str, provider: str | None = None) -> tuple[str, str | None]:
    """`tool@provider` -> (tool, provider); an explicit `provider` wins."""
    tool, sep, pinned = name.partition("@")
    return tool, provider or (pinned if sep and pinned else None)


def plan_for_tool(
    tool: str,
    arguments: dict[str, Any] | None = None,
    *,
    provider: str | None = None,
    timeout: float | None = None,
    retry: Retry | None = None,
    lookup: Lookup | None = None,
) -> Plan:
    """A one-step plan; checked against the catalog when `lookup` is given."""
    name, provider = split_tool(tool, provider)
    step = Step(id="call", tool=name, provider=provider, arguments=dict(arguments or {}),
                timeout=timeout, retry=retry, output="result")
    plan = Plan(steps=[step], source="tool")
    if lookup is not None:
        from praxis_sdk.runner.validate import check

        check(plan, lookup)
    return plan
