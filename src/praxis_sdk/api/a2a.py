"""`POST /a2a/delegate`: hand a request to another agent as an A2A task, as a task here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from praxis_sdk.api.services import Services, get_services
from praxis_sdk.errors import Unavailable
from praxis_sdk.store import Task

router = APIRouter(tags=["a2a"])


class DelegateRequest(BaseModel):
    agent: str = Field(min_length=1, description="Agent name, peer id or http(s) URL")
    message: str = Field(min_length=1, description="The request: DSL or plain language")


@router.post("/a2a/delegate", response_model=Task)
async def delegate(
    body: DelegateRequest,
    wait: bool = Query(True, description="false: return the task at once"),
    services: Services = Depends(get_services),
) -> Task:
    """Run the request on the other agent; the task (kind `delegate`) holds its artifacts."""
    if services.a2a is None or services.runner is None:
        raise Unavailable("A2A is disabled on this agent (a2a.enabled: false)")
    return await services.runner.delegate(body.agent, body.message, wait=wait)
