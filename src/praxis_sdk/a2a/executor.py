"""The SDK's `AgentExecutor` on our `WorkflowService`: A2A messages become plans that run.

A text part that reads as DSL runs as a workflow; a data part `{"tool", "arguments"}` is
one tool call; other text is a plain-language request for the LLM planner (which fails
at once, saying how to configure an LLM, on a node without one). Each step's start is a
`working` status update, each step's result an artifact (text and data part); the run's
end is the final status. Cancel stops the running steps and ends the task `canceled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from a2a.helpers.proto_helpers import new_data_part, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events.event_queue_v2 import EventQueue
from a2a.server.tasks.task_updater import TaskUpdater
from a2a.types.a2a_pb2 import Message, Task, TaskState, TaskStatus
from google.protobuf.json_format import MessageToDict

from praxis_sdk.a2a.hops import HOPS_KEY, hops_scope, incoming_hops
from praxis_sdk.a2a.tasks import agent_text, result_artifact
from praxis_sdk.errors import PraxisError
from praxis_sdk.runner.plan import Plan
from praxis_sdk.runner.service import WorkflowService
from praxis_sdk.runner.state import RunState

DSL_START = re.compile(r"\s*(CALL|PARALLEL|SEQUENCE|IF|DELEGATE)(\s|$)", re.IGNORECASE)
RUN_END = frozenset({"workflowComplete", "workflowError"})
WAIT_S = 3600.0


def is_dsl(text: str) -> bool:
    """Whether a text is meant as a DSL script: its first statement starts with a keyword."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return bool(DSL_START.match(stripped))
    return False


def tool_call(message: Message) -> dict[str, Any] | None:
    """The `{"tool", "arguments"}` of the message's first data part naming a tool."""
    for data in data_parts(message):
        if isinstance(data, dict) and "tool" in data:
            return data
    return None


def data_parts(message: Message) -> list[Any]:
    """The JSON of each data part; whole numbers are ints again (protobuf keeps doubles)."""
    return [_whole(MessageToDict(p).get("data")) for p in message.parts if p.HasField("data")]


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


@dataclass
class _Job:
    run_id: str | None = None
    cancelled: bool = False
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)


class PraxisAgentExecutor(AgentExecutor):
    """Runs A2A messages on the node's one executor (`WorkflowService`)."""

    def __init__(self, runner: WorkflowService) -> None:
        self.runner = runner
        self._jobs: dict[str, _Job] = {}

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = context.task_id or "", context.context_id or ""
        updater = TaskUpdater(event_queue, task_id, context_id)
        if context.current_task is None:
            task = Task(id=task_id, context_id=context_id,
                        status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED))
            if context.message is not None:
                task.history.append(context.message)
            await event_queue.enqueue_event(task)
        job = self._jobs[task_id] = _Job()
        try:
            with hops_scope(incoming_hops(context.metadata, context.message)):
                await self._execute(context, updater, job)
        finally:
            self._jobs.pop(task_id, None)
            if job.run_id is not None:
                self.runner.end_run(job.run_id)

    async def _execute(self, context: RequestContext, updater: TaskUpdater, job: _Job) -> None:
        message = context.message
        if message is None:
            await updater.failed(self._say(updater, "the request has no message"))
            return
        try:
            call = self._tool_call(message, context.current_task)
            if call is not None and await self._needs_input(call, updater):
                return
            plan = self._plan(message, call)
            if plan is None:
                await self._request(context, updater)
                return
            job.run_id = await self.runner.start_run(
                plan, task_id=updater.task_id,
                listener=lambda kind, payload: job.events.put_nowait((kind, payload)))
        except PraxisError as exc:
            await updater.failed(self._say(updater, exc.message))
            return
        await self._follow(plan, updater, job)

    @staticmethod
    def _tool_call(message: Message, task: Task | None) -> dict[str, Any] | None:
        """The tool call asked for; a reply to `input-required` adds to the pending one."""
        call = tool_call(message)
        if call is not None or task is None:
            return call
        if task.status.state != TaskState.TASK_STATE_INPUT_REQUIRED:
            return None
        pending = next((c for m in reversed(task.history[:-1] or task.history)
                        if (c := tool_call(m)) is not None), None)
        reply = next(iter(data_parts(message)), None)
        if pending is None or not isinstance(reply, dict):
            return None
        more = reply.get("arguments", reply)
        arguments = {**(pending.get("arguments") or {}), **(more if isinstance(more, dict)
                                                            else {})}
        return {"tool": pending.get("tool"), "arguments": arguments}

    async def _needs_input(self, call: dict[str, Any], updater: TaskUpdater) -> bool:
        """Ask the caller for missing required arguments (`input-required`)."""
        tool, arguments = call.get("tool"), call.get("arguments") or {}
        if not isinstance(tool, str) or not isinstance(arguments, dict):
            return False
        try:
            spec = self.runner.catalog.lookup(tool)
        except PraxisError:
            return False
        missing = [name for name in spec.input_schema.get("required", [])
                   if name not in arguments]
        if not missing:
            return False
        await updater.update_status(
            TaskState.TASK_STATE_INPUT_REQUIRED,
            self._say(updater, f"tool {tool} needs {', '.join(missing)}: reply in this task "
                               'with a data part {"arguments": {...}}'),
            metadata={"tool": tool, "missing": missing})
        return True

    async def _request(self, context: RequestContext, updater: TaskUpdater) -> None:
        """A plain-language request: the LLM planner runs it (as its own task)."""
        done = await self.runner.execute_request(context.get_user_input(), wait=True,
                                                 conversation=context.context_id)
        result = done.result if isinstance(done.result, dict) else {"result": done.result}
        if done.state == "completed":
            await updater.add_artifact([new_text_part(str(result.get("answer") or "")),
                                        new_data_part(result)], name="answer")
            await updater.complete(self._say(updater, str(result.get("answer") or "done")))
        else:
            error = done.error if isinstance(done.error, dict) else {}
            await updater.failed(self._say(updater, str(error.get("message") or done.state)))

    def _plan(self, message: Message, call: dict[str, Any] | None) -> Plan | None:
        """The plan a message asks for; None for a plain-language request."""
        if call is not None:
            return self.runner.plan_tool(call.get("tool"), call.get("arguments") or {})
        text = "\n".join(p.text for p in message.parts if p.HasField("text"))
        if not text.strip():
            raise PraxisError("the message has no text and no {\"tool\", \"arguments\"} data "
                              "part; send a DSL script or a tool call")
        return self.runner.compile(text) if is_dsl(text) else None

    async def _follow(self, plan: Plan, updater: TaskUpdater, job: _Job) -> None:
        assert job.run_id is not None
        steps = {s.id: s for s in plan.steps}
        while True:
            kind, payload = await job.events.get()
            if kind in RUN_END:
                break
            if kind != "nodeStatusUpdate" or payload.get("nodeId") not in steps:
                continue
            step = steps[payload["nodeId"]]
            status = payload.get("status")
            if status == "running" and step.tool:
                await updater.update_status(
                    TaskState.TASK_STATE_WORKING,
                    self._say(updater, f"step {step.id} ({step.tool}) running"),
                    metadata={"runId": job.run_id, "step": step.id})
            elif status in ("completed", "failed") and step.tool:
                await self._artifact(updater, job.run_id, step.id, step.tool, step.output)
        state = await self.runner.wait(job.run_id, WAIT_S)
        if job.cancelled:
            return  # `cancel` reports the end
        await self._end(updater, state)

    async def _artifact(self, updater: TaskUpdater, run_id: str, step_id: str, tool: str,
                        output: str | None) -> None:
        state = self.runner.executor.get(run_id)
        node = state.nodes.get(step_id) if state else None
        if node is None or node.result is None:
            return
        artifact = result_artifact(f"{run_id}-{step_id}", output or f"{step_id}:{tool}",
                                   node.result.model_dump(mode="json"))
        await updater.add_artifact(list(artifact.parts), artifact_id=artifact.artifact_id,
                                   name=artifact.name, metadata={"step": step_id,
                                                                 "tool": tool,
                                                                 "ok": node.result.ok})

    async def _end(self, updater: TaskUpdater, state: RunState) -> None:
        if state.status == "completed":
            last = state.summary().get("last")
            text = last if isinstance(last, str) else "completed"
            await updater.complete(self._say(updater, text))
        elif state.status == "cancelled":
            await updater.cancel(self._say(updater, "canceled"))
        else:
            message = (state.error or {}).get("message") or "the workflow failed"
            await updater.failed(self._say(updater, message))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Cancel the running steps, then end the task `canceled`."""
        task_id = context.task_id or ""
        job = self._jobs.get(task_id)
        if job is not None:
            job.cancelled = True
            if job.run_id is not None:
                with contextlib.suppress(PraxisError):
                    await self.runner.cancel(job.run_id)
        updater = TaskUpdater(event_queue, task_id, context.context_id or "")
        await updater.cancel(self._say(updater, "canceled by the caller"))

    @staticmethod
    def _say(updater: TaskUpdater, text: str) -> Message:
        return agent_text(text, task_id=updater.task_id, context_id=updater.context_id)


__all__ = ["HOPS_KEY", "PraxisAgentExecutor", "is_dsl", "tool_call"]
