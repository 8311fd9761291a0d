"""`WorkflowService`: the node's one executor, with runs tied to tasks in the store.

DSL scripts and drawn graphs become Plans, checked before anything runs; each run gets a
task (`kind` "dsl" or "workflow") that moves submitted -> working -> completed, failed or
canceled and holds the run id and, at the end, the run's summary with every step's
ToolResult. Each task change is published as `taskStatusUpdate {taskId, state}`.

Another service that keeps its own task row (A2A) runs plans with `start_run`, which
ties the run to that row and hands the run's events to a listener instead.

Plain-language requests (`execute_request`, `plan_request`) need a planner: agent.py
sets one (`planner=` or the `planner` attribute; see runner/requests.py); without one
they fail at once.

Wiring (agent.py): `WorkflowService(catalog=..., bus=..., store=..., config=config)`;
put it in `services.runner` and in the components (its `stop` cancels active runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from praxis_sdk.bus import EventBus
from praxis_sdk.config import Settings
from praxis_sdk.errors import Busy, Conflict, InvalidInput, NotFound, Unavailable
from praxis_sdk.runner.compile import compile_dsl
from praxis_sdk.runner.executor import Executor
from praxis_sdk.runner.graph import plan_from_graph
from praxis_sdk.runner.plan import Plan, plan_for_tool
from praxis_sdk.runner.requests import (
    Conversation,
    Draft,
    Progress,
    RequestJobs,
    RequestPlanner,
    check_conversation,
    check_request,
)
from praxis_sdk.runner.state import RunState
from praxis_sdk.store import FINAL_STATES, Store, Task
from praxis_sdk.tools.catalog import ToolCatalog
from praxis_sdk.tools.result import ToolResult

TASK_STATES = {"completed": "completed", "failed": "failed", "cancelled": "canceled"}
DEFAULT_WAIT_S = 600.0
RunListener = Callable[[str, dict[str, Any]], None]


def llm_missing(config: Settings) -> Unavailable:
    """The error for a plain-language request on a node without an LLM planner."""
    if config.llm.enabled:
        message = ("plain-language requests need an LLM: llm.enabled is true but no key "
                   "is set; set OPENAI_API_KEY (or llm.api_key), or llm.base_url for an "
                   "OpenAI-compatible server of your own such as Ollama; DSL scripts work "
                   "without one ({\"dsl\": \"CALL tool --arg value\"})")
    else:
        message = ("plain-language requests need an LLM: configure the llm section "
                   "(llm.enabled: true, llm.api_key or OPENAI_API_KEY, and llm.base_url for "
                   "any OpenAI-compatible server such as Ollama); DSL scripts work without one "
                   "({\"dsl\": \"CALL tool --arg value\"})")
    return Unavailable(message, details={"llm_enabled": config.llm.enabled,
                                         "hint": "use the dsl field, or configure llm"})


def run_from_data(data: dict[str, Any]) -> RunState:
    """A stored run; a run failed at start-up holds its reason as plain text."""
    if isinstance(data.get("error"), str):
        data = {**data, "error": {"code": "interrupted", "message": data["error"],
                                  "details": {}}}
    return RunState.model_validate(data)


def run_result(state: RunState) -> dict[str, Any]:
    """A task's result: the run summary plus every step with its ToolResult."""
    steps = {}
    for step in state.plan.steps:
        node = state.nodes.get(step.id)
        if node is None:
            continue
        steps[step.id] = {
            "tool": step.tool, "provider": step.provider, "output": step.output,
            "status": node.status, "attempts": node.attempts, "error": node.error,
            "result": node.result.model_dump(mode="json") if node.result else None,
        }
    return {"run_id": state.id, **state.summary(), "steps": steps}


class WorkflowService:
    """Compiles, runs, cancels and reports workflow runs; bounded by `max_active_runs`."""

    name = "workflows"

    def __init__(self, *, catalog: ToolCatalog, bus: EventBus, store: Store,
                 config: Settings, max_active_runs: int | None = None,
                 planner: RequestPlanner | None = None) -> None:
        self.catalog = catalog
        self.bus = bus
        self.store = store
        self.config = config
        execution = config.execution
        self.max_script_bytes = execution.max_script_bytes
        self.max_script_steps = execution.max_script_steps
        self.max_active_runs = max_active_runs or execution.max_active_runs
        self.executor = Executor(self._invoke, publish=self._publish, save=self._save,
                                 max_parallel=execution.max_concurrent)
        self._task_of: dict[str, str] = {}
        self._listeners: dict[str, RunListener] = {}
        self._saved: dict[str, str] = {}  # run id -> status last written
        self._watchers: dict[str, asyncio.Task[Task]] = {}
        self.planner = planner
        self.requests = RequestJobs(self)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.requests.aclose()
        await self.executor.aclose(timeout=5.0)
        watchers = list(self._watchers.values())
        if watchers:
            await asyncio.wait(watchers, timeout=5.0)

    def health(self) -> dict[str, Any]:
        return {"status": "healthy", "active_runs": len(self.executor.active()),
                "max_active_runs": self.max_active_runs}

    # ---------------------------------------------------------------- plans

    def compile(self, text: str) -> Plan:
        """A checked plan of a DSL script (`InvalidInput` listing every problem)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("the DSL script is empty",
                               details={"problems": [{"message": "the DSL script is empty"}]})
        return compile_dsl(text, self.catalog.lookup, max_bytes=self.max_script_bytes,
                           max_steps=self.max_script_steps)

    def plan_graph(self, graph: dict[str, Any]) -> Plan:
        """A checked plan of a drawn graph `{nodes, edges}`."""
        return plan_from_graph(graph, self.catalog.lookup)

    def plan_tool(self, tool: str, arguments: dict[str, Any] | None) -> Plan:
        """A checked one-step plan calling `tool` (`tool@provider` pins a provider)."""
        if not isinstance(tool, str) or not tool:
            raise InvalidInput("a tool call needs the tool's name in \"tool\"")
        if arguments is not None and not isinstance(arguments, dict):
            raise InvalidInput("\"arguments\" of a tool call must be a JSON object")
        return plan_for_tool(tool, arguments, lookup=self.catalog.lookup)

    # ---------------------------------------------------------------- running

    async def execute_dsl(self, text: str, *, wait: bool = True,
                          wait_s: float = DEFAULT_WAIT_S) -> Task:
        """Run a script as a task; with `wait`, return it finished (or as it is at `wait_s`)."""
        return await self.launch(self.compile(text), kind="dsl", input={"dsl": text},
                                 wait=wait, wait_s=wait_s)

    async def execute_request(self, request: str, *, wait: bool = True,
                              conversation: Conversation | None = None,
                              wait_s: float = DEFAULT_WAIT_S, progress: Progress | None = None,
                              context_id: str | None = None) -> Task:
        """Plan, run and answer a plain-language request as a task (kind "request").

        Its result holds the plan's DSL, every step's result and the answer. Without a
        planner this raises `llm_missing` at once, with no network call.
        """
        if self.planner is None:
            raise llm_missing(self.config)
        return await self.requests.start(
            self.planner, check_request(request, self.max_script_bytes), wait=wait,
            wait_s=wait_s, conversation=check_conversation(conversation), progress=progress,
            context_id=context_id)

    async def plan_request(self, request: str, *, conversation: Conversation | None = None
                           ) -> Draft:
        """The checked plan the planner would run for `request`; nothing runs."""
        if self.planner is None:
            raise llm_missing(self.config)
        return await self.planner.draft(check_request(request, self.max_script_bytes),
                                        conversation=check_conversation(conversation))

    async def run_graph(self, graph: dict[str, Any], *, run_id: str | None = None,
                        wait: bool = False, wait_s: float = DEFAULT_WAIT_S) -> Task:
        """Run a drawn graph as a task (kind "workflow")."""
        return await self.launch(self.plan_graph(graph), kind="workflow",
                                 input={"nodes": graph.get("nodes"),
                                        "edges": graph.get("edges") or []},
                                 run_id=run_id, wait=wait, wait_s=wait_s)

    async def delegate(self, agent: str, request: str, *, wait: bool = True,
                       wait_s: float = DEFAULT_WAIT_S) -> Task:
        """Hand `request` to another agent (the `delegate` tool) as a task of kind "delegate"."""
        plan = self.plan_tool("delegate", {"agent": agent, "request": request})
        return await self.launch(plan, kind="delegate", input={"agent": agent,
                                                               "request": request},
                                 wait=wait, wait_s=wait_s)

    async def start_run(self, plan: Plan, *, task_id: str, listener: RunListener,
                        run_id: str | None = None) -> str:
        """Run `plan` for a task row another service keeps (A2A); returns the run id.

        `listener(kind, payload)` gets every event of the run (also published on the bus);
        the caller waits with `wait(run_id, ...)` and stops it with `cancel(run_id)`.
        """
        run_id = self._check_start(run_id)
        self._task_of[run_id] = task_id
        self._listeners[run_id] = listener
        try:
            await self.executor.start(plan, run_id)
        except BaseException:
            self._task_of.pop(run_id, None)
            self._listeners.pop(run_id, None)
            raise
        return run_id

    def end_run(self, run_id: str) -> None:
        """Forget the listener and task of a run started with `start_run`."""
        self._listeners.pop(run_id, None)
        self._task_of.pop(run_id, None)

    def _check_start(self, run_id: str | None) -> str:
        active = len(self.executor.active())
        if active >= self.max_active_runs:
            raise Busy(f"{active} workflow runs are active (limit {self.max_active_runs}); "
                       "try again when some have finished",
                       details={"active": active, "limit": self.max_active_runs})
        run_id = run_id or uuid.uuid4().hex
        live = self.executor.get(run_id)
        if live is not None and not live.finished:
            raise Conflict(f"workflow {run_id!r} is running; wait for it or use another id")
        return run_id

    async def launch(self, plan: Plan, *, kind: str, input: Any, run_id: str | None = None,
                     wait: bool = False, wait_s: float = DEFAULT_WAIT_S) -> Task:
        """Start `plan` under a new task; `Busy` when too many runs are active."""
        run_id = self._check_start(run_id)
        task = await self.store.create_task(kind, input, meta={"run_id": run_id})
        self._task_event(task)
        self._task_of[run_id] = task.id
        try:
            await self.executor.start(plan, run_id)
        except Exception as exc:
            await self._set_task(task.id, "failed", error={"code": "internal",
                                                           "message": str(exc)})
            raise
        task = await self._set_task(task.id, "working")
        watcher = asyncio.create_task(self._settle(run_id, task.id), name=f"task-{task.id}")
        self._watchers[run_id] = watcher
        watcher.add_done_callback(lambda _: self._watchers.pop(run_id, None))
        if not wait:
            return task
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                return await asyncio.shield(watcher)
        return await self.store.get_task(task.id)

    async def _settle(self, run_id: str, task_id: str) -> Task:
        state = await self.executor.wait(run_id)
        task_state = TASK_STATES.get(state.status, "failed")
        try:
            return await self._set_task(task_id, task_state, result=run_result(state),
                                        error=state.error)
        finally:
            self._task_of.pop(run_id, None)

    async def cancel(self, run_id: str) -> RunState:
        """Cancel a running workflow (its task becomes canceled); 409 if it has finished."""
        live = self.executor.get(run_id)
        if live is None:
            stored = await self.get_run(run_id)
            raise Conflict(f"workflow {run_id!r} is {stored.status}; only running workflows "
                           "can be cancelled", details={"status": stored.status})
        if live.finished:
            raise Conflict(f"workflow {run_id!r} is {live.status}; only running workflows "
                           "can be cancelled", details={"status": live.status})
        state = await self.executor.cancel(run_id)
        watcher = self._watchers.get(run_id)
        if watcher is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await asyncio.shield(watcher)
        return state

    async def wait(self, run_id: str, timeout: float) -> RunState:
        """The run once it has finished (`TimeoutError` after `timeout`)."""
        if self.executor.get(run_id) is None:
            return await self.get_run(run_id)
        return await self.executor.wait(run_id, timeout)

    # ---------------------------------------------------------------- reports

    async def get_run(self, run_id: str) -> RunState:
        """Live state while the executor knows the run, else what the store kept."""
        live = self.executor.get(run_id)
        if live is not None:
            return live
        try:
            return run_from_data(await self.store.get_run(run_id))
        except NotFound:
            raise NotFound(f"no workflow run {run_id!r}") from None

    async def task_id(self, run_id: str) -> str | None:
        if run_id in self._task_of:
            return self._task_of[run_id]
        with contextlib.suppress(NotFound):
            return (await self.store.get_run(run_id)).get("task_id")
        return None

    async def list_runs(self, *, limit: int = 50, offset: int = 0
                        ) -> list[tuple[RunState, str | None]]:
        """Runs newest first (live state for active ones), each with its task id."""
        out = []
        for data in await self.store.list_runs(limit=limit, offset=offset):
            live = self.executor.get(str(data.get("id")))
            out.append((live or run_from_data(data), data.get("task_id")))
        return out

    # ---------------------------------------------------------------- adapters

    async def _invoke(self, tool: str, arguments: dict[str, Any], provider: str | None,
                      timeout: float | None) -> ToolResult:
        return await self.catalog.invoke(tool, arguments, provider=provider, timeout=timeout,
                                         caller="workflow")

    async def _save(self, state: RunState) -> None:
        """A run is written when its status changes; step progress in between is served
        live from the executor, so it is not written each time. No save is awaited: the
        store commits in order, and the task's final write, which whoever follows the run
        awaits before answering (`_settle`, the A2A executor), commits the run's end too."""
        if self._saved.get(state.id) == state.status and not state.finished:
            return
        self._saved[state.id] = state.status
        if state.finished:
            self._saved.pop(state.id, None)
        task_id = self._task_of.get(state.id)
        data = state.model_dump(mode="json") | {"task_id": task_id}
        await self.store.save_run(state.id, data, task_id=task_id, wait=False)

    def _publish(self, kind: str, payload: dict[str, Any]) -> None:
        self.bus.publish(kind, payload)
        listener = self._listeners.get(str(payload.get("workflowId")))
        if listener is not None:
            listener(kind, payload)

    async def _set_task(self, task_id: str, state: str, **fields: Any) -> Task:
        task = await self.store.update_task(task_id, state=state, **fields)
        self._task_event(task)
        if state in FINAL_STATES:
            metrics = self.catalog.metrics
            metrics.tasks.labels(task.kind, state).inc()
            metrics.task_duration.labels(task.kind, state).observe(
                max(0.0, task.updated_at - task.created_at))
        return task

    def _task_event(self, task: Task) -> None:
        self.bus.publish("taskStatusUpdate", {"taskId": task.id, "state": task.state,
                                              "kind": task.kind,
                                              "runId": (task.meta or {}).get("run_id")})
