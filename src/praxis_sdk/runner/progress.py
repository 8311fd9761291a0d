"""A DSL script run with progress reports: parse, validate, run, then the result.

`run_dsl(runner, command, emit)` is what `DSL_COMMAND` (and the CLI's `dsl`) see: a
`dslProgress {stage, message}` per stage, the run's own bus events in between (published
by the executor), and a `dslResult {success, command, result, error}` at the end. Bad
input is a failed result naming its stage (`parse` or `validate`), never an exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.runner.report import result_lines
from praxis_sdk.runner.service import WorkflowService

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]
Settled = Callable[[], Awaitable[None]]


async def run_dsl(runner: WorkflowService, command: str, emit: Emit,
                  settled: Settled | None = None) -> dict[str, Any]:
    """Run `command`, reporting through `emit`; the `dslResult` payload (also emitted).

    `settled` is awaited before the result goes out, so that a client sees the run's
    events before its result.
    """
    lines = command.count("\n") + 1
    await emit("dslProgress", {"stage": "parse", "message": f"parsing {lines} line(s)"})
    try:
        plan = runner.compile(command)
    except InvalidInput as exc:
        stage = "parse" if isinstance(exc, DSLSyntaxError) else "validate"
        return await _finish(emit, command, error=exc.to_dict() | {"stage": stage})
    await emit("dslProgress", {
        "stage": "validate", "message": f"{len(plan.steps)} step(s) checked against the catalog"})
    run_id = uuid.uuid4().hex
    await emit("dslProgress", {"stage": "run", "workflowId": run_id,
                               "message": f"running {len(plan.steps)} step(s)"})
    try:
        task = await runner.launch(plan, kind="dsl", input={"dsl": command}, run_id=run_id,
                                   wait=True)
    except PraxisError as exc:
        return await _finish(emit, command, error=exc.to_dict() | {"stage": "run"})
    if settled is not None:
        await settled()
    out = {"success": task.state == "completed", "command": command, "result": task.result,
           "error": task.error, "taskId": task.id, "workflowId": run_id}
    await emit("dslResult", out)
    return out


async def _finish(emit: Emit, command: str, *, error: dict[str, Any]) -> dict[str, Any]:
    out = {"success": False, "command": command, "result": None, "error": error}
    await emit("dslResult", out)
    return out


def result_text(out: dict[str, Any]) -> str:
    """A `dslResult` as readable text (what chat shows): every step, or every problem."""
    if out.get("result") is not None:
        return "\n".join(result_lines(out["result"]))
    error = out.get("error") or {}
    problems = (error.get("details") or {}).get("problems") or []
    return "\n".join([error.get("message", "failed"),
                      *(f"- {p.get('message')}" for p in problems[1:])])
