"""Workflows over HTTP and WebSocket: `/execute`, `/workflows`, `/ws/workflow`.

Bad input (syntax errors, unknown tools, cycles, dangling edges, oversized scripts) is a
400 whose `details.problems` lists every problem; nothing runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Response, WebSocket
from pydantic import BaseModel, Field

from praxis_sdk.api.params import Limit, Offset
from praxis_sdk.api.services import Services, get_services, ws_services
from praxis_sdk.api.ws import Session
from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.errors import InvalidInput, PraxisError, Unavailable
from praxis_sdk.runner.report import looks_like_dsl, result_lines
from praxis_sdk.runner.service import WorkflowService, llm_missing
from praxis_sdk.runner.state import RunState
from praxis_sdk.store import Task

router = APIRouter(tags=["workflows"])
PUSH_DRAIN_S = 2.0


def runner_of(services: Services) -> WorkflowService:
    if services.runner is None:
        raise Unavailable("workflows are not available on this node")
    return services.runner


async def get_runner(services: Services = Depends(get_services)) -> WorkflowService:
    return runner_of(services)


# ---------------------------------------------------------------- models


class ExecuteRequest(BaseModel):
    dsl: str | None = Field(None, description="A DSL script (INTERFACES 6)")
    request: str | None = Field(None, description="Plain language; needs an LLM (llm section)")


class WorkflowRequest(BaseModel):
    id: str | None = Field(None, description="Run id (default: a new one)", max_length=64)
    nodes: list[Any] | None = Field(None, description="Graph nodes (see runner/graph.py)")
    edges: list[Any] | None = Field(None, description="`{source, target}` edges")
    dsl: str | None = Field(None, description="A DSL script instead of a graph")


class NodeView(BaseModel):
    id: str
    tool: str | None
    provider: str | None = None
    depends_on: list[str]
    status: str
    attempts: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunView(BaseModel):
    id: str
    task_id: str | None = None
    status: str
    source: str
    nodes: list[NodeView]
    edges: list[dict[str, str]]
    outputs: dict[str, Any]
    error: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class RunSummary(BaseModel):
    id: str
    task_id: str | None = None
    status: str
    source: str
    steps: int
    counts: dict[str, int]
    error: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class RunPage(BaseModel):
    items: list[RunSummary]
    limit: int
    offset: int


def run_view(state: RunState, task_id: str | None) -> RunView:
    nodes = []
    for step in state.plan.steps:
        node = state.nodes.get(step.id)
        if node is None:
            continue
        nodes.append(NodeView(
            id=step.id, tool=step.tool, provider=step.provider, depends_on=step.depends_on,
            status=node.status, attempts=node.attempts, error=node.error,
            result=node.result.model_dump(mode="json") if node.result else None,
            started_at=node.started_at, finished_at=node.finished_at))
    summary = state.summary()
    return RunView(id=state.id, task_id=task_id, status=state.status, source=state.plan.source,
                   nodes=nodes, edges=state.plan.to_graph()["edges"],
                   outputs=summary["outputs"], error=state.error,
                   created_at=state.created_at, updated_at=state.updated_at)


def run_summary(state: RunState, task_id: str | None) -> RunSummary:
    counts: dict[str, int] = {}
    for node in state.nodes.values():
        counts[node.status] = counts.get(node.status, 0) + 1
    return RunSummary(id=state.id, task_id=task_id, status=state.status,
                      source=state.plan.source, steps=len(state.plan.steps), counts=counts,
                      error=state.error, created_at=state.created_at,
                      updated_at=state.updated_at)


# ---------------------------------------------------------------- HTTP


@router.post("/execute", response_model=Task)
async def execute(
    body: ExecuteRequest,
    response: Response,
    wait: bool = Query(True, description="false: return the task id at once"),
    timeout_s: float = Query(600.0, gt=0, le=3600, description="How long to wait"),
    services: Services = Depends(get_services),
) -> Task:
    """Run a DSL script as a task and return it with its result (or at once, `wait=false`)."""
    runner = runner_of(services)
    if body.dsl is None:
        if body.request is not None:
            raise llm_missing(services.config)
        raise InvalidInput('send {"dsl": "CALL tool ..."} (or {"request": "..."} with an LLM '
                           "configured)", details={"problems": [
                               {"message": "neither dsl nor request was given"}]})
    task = await runner.execute_dsl(body.dsl, wait=wait, wait_s=timeout_s)
    if not wait:
        response.status_code = 202
    return task


@router.get("/workflows", response_model=RunPage)
async def list_workflows(
    limit: Limit = 50, offset: Offset = 0,
    runner: WorkflowService = Depends(get_runner),
) -> RunPage:
    """Workflow runs, newest first."""
    runs = await runner.list_runs(limit=limit, offset=offset)
    return RunPage(items=[run_summary(s, t) for s, t in runs], limit=limit, offset=offset)


@router.post("/workflows", response_model=RunView, status_code=202)
async def start_workflow(
    body: WorkflowRequest,
    wait: bool = Query(False, description="true: return once the run has finished"),
    timeout_s: float = Query(600.0, gt=0, le=3600),
    runner: WorkflowService = Depends(get_runner),
) -> RunView:
    """Start a graph `{nodes, edges}` (or `{dsl}`) run; its status per node."""
    if body.dsl is not None:
        plan, kind, given = runner.compile(body.dsl), "dsl", {"dsl": body.dsl}
    elif body.nodes is not None:
        graph = {"nodes": body.nodes, "edges": body.edges or []}
        plan, kind, given = runner.plan_graph(graph), "workflow", graph
    else:
        raise InvalidInput("send a graph {nodes, edges} or a script {dsl}",
                           details={"problems": [{"message": "no nodes and no dsl given"}]})
    task = await runner.launch(plan, kind=kind, input=given, run_id=body.id, wait=wait,
                               wait_s=timeout_s)
    return run_view(await runner.get_run(task.meta["run_id"]), task.id)


@router.get("/workflows/{run_id}", response_model=RunView)
async def get_workflow(run_id: str, runner: WorkflowService = Depends(get_runner)) -> RunView:
    """One run with the status (and result) of every node."""
    state = await runner.get_run(run_id)
    return run_view(state, await runner.task_id(run_id))


@router.post("/workflows/{run_id}/cancel", response_model=RunView)
async def cancel_workflow(run_id: str, runner: WorkflowService = Depends(get_runner)
                          ) -> RunView:
    """Cancel a running workflow: running nodes cancelled, the rest skipped."""
    task_id = await runner.task_id(run_id)
    state = await runner.cancel(run_id)
    return run_view(state, task_id)


# ---------------------------------------------------------------- WebSocket


class WorkflowSession(Session):
    """A `/ws/workflow` client: DSL and graph runs in the background, events as they come."""

    def __init__(self, websocket: WebSocket, services: Services) -> None:
        super().__init__(websocket, services.bus, {
            "DSL_COMMAND": _dsl_command, "EXECUTE_WORKFLOW": _execute_workflow,
            "CHAT_MESSAGE": _chat_message})
        self.services = services
        self.pushed_id = 0
        self.sending_id: int | None = None
        self._pushed = asyncio.Event()
        self._jobs: set[asyncio.Task[None]] = set()

    @property
    def runner(self) -> WorkflowService:
        return runner_of(self.services)

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            for job in list(self._jobs):
                job.cancel()

    def spawn(self, job: Any) -> None:
        task = asyncio.create_task(job)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _push(self, sub: Any) -> None:
        await super()._push(self._tracked(sub))

    async def _tracked(self, sub: Any) -> Any:
        async for event in sub:
            self.sending_id = event.id
            yield event  # resumes once the event has been sent
            self.pushed_id, self.sending_id = event.id, None
            self._pushed.set()

    def _behind(self, event_id: int) -> bool:
        """Whether an event up to `event_id` this client wants is still queued or sending
        (the subscription filters, so unwanted ones never arrive)."""
        if self.pushed_id >= event_id:
            return False
        queued = self.sub is not None and self.sub.queued_up_to(event_id)
        return queued or self.sending_id is not None

    async def drained(self, event_id: int) -> None:
        """Wait (briefly) until bus events up to `event_id` went out on this socket."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PUSH_DRAIN_S):
                while self._behind(event_id):
                    self._pushed.clear()
                    await self._pushed.wait()

    async def reply(self, type_: str, payload: dict[str, Any]) -> None:
        """Send unless the client has gone."""
        with contextlib.suppress(Exception):
            await self.send(type_, payload)


async def _dsl_command(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    command = payload.get("command", payload.get("dsl"))
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput("DSL_COMMAND needs {command: \"CALL ...\"}")
    _ = session.runner  # fails here, not in the background, on a node without a runner
    session.spawn(run_dsl(session, command))


async def run_dsl(session: WorkflowSession, command: str) -> dict[str, Any]:
    """dslProgress for parse, validate and run, the run's events, then dslResult."""
    runner = session.runner
    lines = command.count("\n") + 1
    await session.reply("dslProgress", {"stage": "parse", "message": f"parsing {lines} line(s)"})
    try:
        plan = runner.compile(command)
    except InvalidInput as exc:
        stage = "parse" if isinstance(exc, DSLSyntaxError) else "validate"
        error = exc.to_dict() | {"stage": stage}
        out = {"success": False, "command": command, "result": None, "error": error}
        await session.reply("dslResult", out)
        return out
    await session.reply("dslProgress", {
        "stage": "validate", "message": f"{len(plan.steps)} step(s) checked against the catalog"})
    run_id = uuid.uuid4().hex
    await session.reply("dslProgress", {"stage": "run", "workflowId": run_id,
                                        "message": f"running {len(plan.steps)} step(s)"})
    try:
        task = await runner.launch(plan, kind="dsl", input={"dsl": command}, run_id=run_id,
                                   wait=True)
    except PraxisError as exc:
        out = {"success": False, "command": command, "result": None,
               "error": exc.to_dict() | {"stage": "run"}}
        await session.reply("dslResult", out)
        return out
    await session.drained(session.bus.last_id)
    out = {"success": task.state == "completed", "command": command, "result": task.result,
           "error": task.error, "taskId": task.id, "workflowId": run_id}
    await session.reply("dslResult", out)
    return out


async def _execute_workflow(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    workflow = payload.get("workflow", payload)
    run_id = workflow.get("id") if isinstance(workflow, dict) else None
    run_id = str(run_id) if run_id not in (None, "") else None
    try:
        if not isinstance(workflow, dict):
            raise InvalidInput("EXECUTE_WORKFLOW needs {workflow: {nodes, edges}}")
        await session.runner.run_graph(workflow, run_id=run_id)
    except PraxisError as exc:
        await session.send("workflowError", {"workflowId": run_id, "error": exc.to_dict()})


async def _chat_message(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    content = payload.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("CHAT_MESSAGE needs {content: \"...\"}")
    if not looks_like_dsl(content):
        error = llm_missing(session.services.config)
        await session.send("chatMessage", {"content": error.message, "sender": "agent",
                                           "error": error.to_dict()})
        return
    _ = session.runner
    session.spawn(_chat_dsl(session, content))


async def _chat_dsl(session: WorkflowSession, content: str) -> None:
    out = await run_dsl(session, content)
    if out["result"] is not None:
        text = "\n".join(result_lines(out["result"]))
    else:
        error = out["error"] or {}
        problems = (error.get("details") or {}).get("problems") or []
        text = "\n".join([error.get("message", "failed"),
                          *(f"- {p.get('message')}" for p in problems[1:])])
    await session.reply("chatMessage", {"content": text, "sender": "agent",
                                        "success": out["success"]})


@router.websocket("/ws/workflow")
async def ws_workflow(websocket: WebSocket) -> None:
    """DSL_COMMAND, EXECUTE_WORKFLOW, CHAT_MESSAGE, SUBSCRIBE_EVENTS, PING (INTERFACES 3.1)."""
    await WorkflowSession(websocket, ws_services(websocket)).run()
