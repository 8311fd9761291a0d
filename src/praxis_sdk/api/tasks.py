"""Tasks from the store: list with a state filter and pages, or one by id."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from praxis_sdk.api.params import Limit, Offset
from praxis_sdk.api.services import Services, get_services
from praxis_sdk.store import Task

router = APIRouter(tags=["tasks"])


class TaskPage(BaseModel):
    items: list[Task]
    total: int
    limit: int
    offset: int


@router.get("/tasks", response_model=TaskPage)
async def list_tasks(
    state: str | None = Query(None, description="submitted, working, completed, failed, ..."),
    kind: str | None = Query(None, description="dsl, request, workflow, tool, a2a"),
    limit: Limit = 50,
    offset: Offset = 0,
    services: Services = Depends(get_services),
) -> TaskPage:
    """Tasks, newest first."""
    items, total = await services.store.list_tasks(state=state, kind=kind, limit=limit,
                                                   offset=offset)
    return TaskPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/tasks/{task_id}", response_model=Task)
async def get_task(task_id: str, services: Services = Depends(get_services)) -> Task:
    """One task with its result or error."""
    return await services.store.get_task(task_id)
