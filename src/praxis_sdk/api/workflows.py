"""Workflows over HTTP: `/execute`, `/plan` and `/workflows` (WebSocket: workflow_ws.py).

Bad input (syntax errors, unknown tools, cycles, dangling edges, oversized scripts) is a
400 whose `details.problems` lists every problem; nothing runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from praxis_sdk.api.params import Limit, Offset
from praxis_sdk.api.services import Services, get_services
from praxis_sdk.errors import InvalidInput, Unavailable
from praxis_sdk.runner.report import looks_like_dsl
from praxis_sdk.runner.service import WorkflowService
from praxis_sdk.runner.state import RunState
from praxis_sdk.store import Task

router = APIRouter(tags=["workflows"])


def runner_of(services: Services) -> WorkflowService:
    if services.runner is None:
        raise Unavailable("workflows are not available on this node")
    return services.runner


async def get_runner(services: Services = Depends(get_services)) -> WorkflowService:
    return runner_of(services)


# ---------------------------------------------------------------- models


Turn = dict[str, Any]


class ExecuteRequest(BaseModel):
    dsl: str | None = Field(None, description="A DSL script (INTERFACES 6)")
    request: str | None = Field(None, description="Plain language; needs an LLM (llm section)")
    conversation: list[Turn] | None = Field(
        None, description="Earlier turns `[{role: user|assistant, content}]` for a request")


class PlanRequest(BaseModel):
    request: str = Field(description="Plain language; needs an LLM (llm section)")
    conversation: list[Turn] | None = Field(None, description="Earlier turns, as for /execute")


class PlanView(BaseModel):
    """The checked plan the LLM would run; nothing has run."""

    request: str
    dsl: str = Field(description="The plan in the DSL")
    graph: dict[str, list[dict[str, Any]]] = Field(description="`{nodes, edges}` of the plan")
    attempts: list[dict[str, Any]] = Field(
        description="Invalid plans before this one, each with its problems")
    usage: dict[str, Any] = Field(description="Model calls and tokens spent")


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


def is_jsonrpc(body: Any) -> bool:
    """Whether a request body is a JSON-RPC call (an A2A request sent to `/execute`)."""
    return isinstance(body, dict) and body.get("jsonrpc") == "2.0" and "method" in body


async def a2a_call(request: Request, services: Services) -> Response:
    """An A2A JSON-RPC body sent to `/execute`: the very handler `POST /a2a/v1` runs."""
    if services.a2a is None or not services.config.a2a.serve_http:
        raise Unavailable("A2A over HTTP is off on this agent (a2a.enabled / a2a.serve_http)")
    return await services.a2a.jsonrpc(request)


@router.post("/execute", response_model=Task)
async def execute(
    body: ExecuteRequest,
    request: Request,
    response: Response,
    wait: bool = Query(True, description="false: return the task id at once"),
    timeout_s: float = Query(600.0, gt=0, le=3600, description="How long to wait"),
    services: Services = Depends(get_services),
) -> Task | Response:
    """Run a DSL script, or plan and run a plain-language request, as a task.

    A request's task result holds the plan (`plan`, in the DSL), every step's result
    (`steps`) and the model's `answer`. With `wait=false` the task returns at once.
    A JSON-RPC A2A body (`{"jsonrpc": "2.0", "method": ...}`) is answered as
    `POST /a2a/v1` answers it.
    """
    # a JSON-RPC body has neither field: only then is the body looked at again
    if body.dsl is None and body.request is None and is_jsonrpc(await request.json()):
        return await a2a_call(request, services)
    runner = runner_of(services)
    if body.dsl is not None:
        task = await runner.execute_dsl(body.dsl, wait=wait, wait_s=timeout_s)
    elif body.request is not None and looks_like_dsl(body.request):
        task = await runner.execute_dsl(body.request, wait=wait, wait_s=timeout_s)
    elif body.request is not None:
        task = await runner.execute_request(body.request, wait=wait, wait_s=timeout_s,
                                            conversation=body.conversation)
    else:
        raise InvalidInput('send {"dsl": "CALL tool ..."} (or {"request": "..."} with an LLM '
                           "configured)", details={"problems": [
                               {"message": "neither dsl nor request was given"}]})
    if not wait:
        response.status_code = 202
    return task


@router.post("/plan", response_model=PlanView)
async def plan(body: PlanRequest, runner: WorkflowService = Depends(get_runner)) -> PlanView:
    """The checked plan the LLM makes for a request, as DSL and as a graph; nothing runs."""
    draft = await runner.plan_request(body.request, conversation=body.conversation)
    return PlanView(request=body.request, dsl=draft.dsl, graph=draft.plan.to_graph(),
                    attempts=draft.attempts, usage=draft.usage)


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
