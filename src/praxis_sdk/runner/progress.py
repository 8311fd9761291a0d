"""Runs with progress reports, as a client of `/ws/workflow` (or the CLI) sees them.

`run_dsl(runner, command, emit)` is what `DSL_COMMAND` (and the CLI's `dsl`) see: a
`dslProgress {stage, message}` per stage, the run's own bus events in between (published
by the executor), and a `dslResult {success, command, result, error}` at the end. Bad
input is a failed result naming its stage (`parse` or `validate`), never an exception.

`run_request(runner, text, emit)` is the same for plain language (`CHAT_MESSAGE`, the
CLI's `ask`): `dslProgress` for planning (plan, repair, validate, run, answer, replan),
the runs' events, then a `chatMessage {content, sender, success, taskId, plan, result}`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.runner.report import result_lines
from praxis_sdk.runner.requests import Conversation
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


async def run_request(runner: WorkflowService, text: str, emit: Emit,
                      settled: Settled | None = None, *,
                      conversation: Conversation | None = None) -> dict[str, Any]:
    """Plan, run and answer `text`, reporting through `emit`; the `chatMessage` payload."""

    async def progress(stage: str, message: str, **extra: Any) -> None:
        await emit("dslProgress", {"stage": stage, "message": message, **extra})

    try:
        task = await runner.execute_request(text, conversation=conversation,
                                            progress=progress)
    except PraxisError as exc:
        out = {"content": exc.message, "sender": "agent", "success": False,
               "error": exc.to_dict()}
        await emit("chatMessage", out)
        return out
    if settled is not None:
        await settled()
    result = task.result or {}
    error = task.error or {}
    content = result.get("answer") or error.get("message") or f"the request {task.state}"
    out = {"content": content, "sender": "agent", "success": task.state == "completed",
           "taskId": task.id, "plan": result.get("plan"), "result": task.result,
           "error": task.error}
    await emit("chatMessage", out)
    return out
