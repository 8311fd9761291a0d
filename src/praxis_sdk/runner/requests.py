"""Plain-language requests as tasks: a planner (the LLM's, handed in by agent.py) plans,
the executor runs each plan as a workflow run, and the planner answers.

A request is a task of kind "request". Each plan it runs is a run of the executor with
its own "dsl" task (so it has events, persistence and cancellation like any script);
the request task's `meta.run_id` names the run in progress, its `meta.runs` all of them.
Cancelling that run cancels the request. Progress is published as
`requestProgress {taskId, stage, message, ...}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.runner.plan import Plan
from praxis_sdk.store import Task

if TYPE_CHECKING:
    from praxis_sdk.runner.service import WorkflowService

Conversation = list[dict[str, Any]]
Progress = Callable[..., Awaitable[None]]
RunPlan = Callable[[Plan, str], Awaitable[dict[str, Any]]]
MAX_CONVERSATION = 40


@dataclass
class Draft:
    """A checked plan: its DSL, the Plan, and the invalid attempts that came before."""

    dsl: str
    plan: Plan
    attempts: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """How a request ended: task state ("completed", "failed", "canceled") and result."""

    state: str
    result: dict[str, Any]
    error: dict[str, Any] | None = None


class RequestPlanner(Protocol):
    """What `WorkflowService` needs of a planner (the LLM planner in llm/ is one)."""

    async def draft(self, request: str, *, conversation: Conversation | None = None,
                    progress: Progress | None = None) -> Draft:
        """A checked plan for `request`, nothing run (`POST /plan`)."""
        ...

    async def serve(self, request: str, *, conversation: Conversation | None,
                    run: RunPlan, progress: Progress) -> Outcome:
        """Plan, run (through `run`), answer, re-plan when steps failed."""
        ...


def check_request(text: Any, max_bytes: int) -> str:
    """The request text, or `InvalidInput` for an empty or oversized one."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("the request is empty",
                           details={"problems": [{"message": "the request is empty"}]})
    if len(text.encode()) > max_bytes:
        raise InvalidInput(f"the request is longer than {max_bytes} bytes "
                           "(execution.max_script_bytes)")
    return text.strip()


def check_conversation(conversation: Any) -> Conversation:
    """The last turns of `[{role, content}]`; anything else is `InvalidInput`."""
    if conversation is None:
        return []
    if not isinstance(conversation, list) or not all(
            isinstance(t, dict) and isinstance(t.get("content"), str) for t in conversation):
        raise InvalidInput("conversation must be a list of {role, content} turns")
    return list(conversation[-MAX_CONVERSATION:])


class RequestJobs:
    """The requests a `WorkflowService` is serving, each in a background job it owns."""

    def __init__(self, service: WorkflowService) -> None:
        self.service = service
        self._jobs: dict[str, asyncio.Task[Task]] = {}

    async def start(self, planner: RequestPlanner, request: str, *, wait: bool, wait_s: float,
                    conversation: Conversation, progress: Progress | None,
                    context_id: str | None) -> Task:
        service = self.service
        task = await service.store.create_task("request", {"request": request},
                                               context_id=context_id, meta={"runs": []})
        service._task_event(task)
        job = asyncio.create_task(self._serve(planner, task, request, conversation, progress),
                                  name=f"request-{task.id}")
        self._jobs[task.id] = job
        job.add_done_callback(lambda _: self._jobs.pop(task.id, None))
        if not wait:
            return task
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                return await asyncio.shield(job)
        return await service.store.get_task(task.id)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Cancel every request still being served (their runs are cancelled with them)."""
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)

    async def _serve(self, planner: RequestPlanner, task: Task, request: str,
                     conversation: Conversation, progress: Progress | None) -> Task:
        service = self.service
        task = await service._set_task(task.id, "working")

        async def report(stage: str, message: str, **extra: Any) -> None:
            payload = {"taskId": task.id, "stage": stage, "message": message, **extra}
            service.bus.publish("requestProgress", payload)
            if progress is not None:
                with contextlib.suppress(Exception):  # a client that went must not stop us
                    await progress(stage, message, **extra)

        async def run(plan: Plan, dsl: str) -> dict[str, Any]:
            return await self._run_plan(task, plan, dsl, report)

        try:
            outcome = await planner.serve(request, conversation=conversation, run=run,
                                          progress=report)
        except asyncio.CancelledError:
            await service._set_task(task.id, "canceled",
                                    error={"code": "canceled", "message": "the node stopped"})
            raise
        except PraxisError as exc:
            return await service._set_task(task.id, "failed", error=exc.to_dict(),
                                           result={"request": request})
        except Exception as exc:  # a planner bug must not leave the task working forever
            return await service._set_task(task.id, "failed", result={"request": request},
                                           error={"code": "internal", "message": repr(exc)})
        return await service._set_task(task.id, outcome.state, result=outcome.result,
                                       error=outcome.error)

    async def _run_plan(self, task: Task, plan: Plan, dsl: str, report: Progress
                        ) -> dict[str, Any]:
        """Run one plan of `task` on the executor and return its result (`run_result`)."""
        from praxis_sdk.runner.service import run_result

        service = self.service
        run_id = uuid.uuid4().hex
        runs = [*(task.meta.get("runs") or []), run_id]
        task.meta = {**task.meta, "run_id": run_id, "runs": runs}
        await service.store.update_task(task.id, meta=task.meta)
        await report("run", f"running {len(plan.steps)} step(s)", workflowId=run_id)
        await service.launch(plan, kind="dsl", input={"dsl": dsl, "request_task": task.id},
                             run_id=run_id)
        try:
            state = await service.executor.wait(run_id)
        except asyncio.CancelledError:
            with contextlib.suppress(PraxisError):
                await service.cancel(run_id)
            raise
        return run_result(state)
