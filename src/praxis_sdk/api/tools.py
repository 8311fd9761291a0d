"""The tool catalog over HTTP: list, describe, invoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from praxis_sdk.api.services import Services, get_services
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

router = APIRouter(tags=["tools"])


class ToolInfo(ToolSpec):
    """A catalog entry; `preferred` is false when another provider's tool of the same
    name wins an unqualified call (use `name@provider` to pick this one)."""

    preferred: bool = True


class InvokeRequest(BaseModel):
    arguments: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0)
    provider: str | None = None


def _infos(services: Services) -> list[ToolInfo]:
    seen: set[str] = set()
    out = []
    for spec in services.catalog.specs():
        out.append(ToolInfo(**spec.model_dump(), preferred=spec.name not in seen))
        seen.add(spec.name)
    return out


@router.get("/tools", response_model=list[ToolInfo])
async def list_tools(services: Services = Depends(get_services)) -> list[ToolInfo]:
    """Every tool: local contracts, MCP servers' tools and peers' tools."""
    return _infos(services)


@router.get("/tools/{name}", response_model=ToolInfo)
async def get_tool(name: str, provider: str | None = None,
                   services: Services = Depends(get_services)) -> ToolInfo:
    """One tool (`name@provider` or `?provider=` pins the provider)."""
    spec = services.catalog.lookup(name, provider)
    return ToolInfo(**spec.model_dump())


INVOKE_PATH = "/tools/{name}/invoke"


@router.post(INVOKE_PATH, response_model=ToolResult)
async def invoke_tool(name: str, body: InvokeRequest, request: Request) -> Response:
    """Run one tool and return its result (INTERFACES 4.2); `ok` false if the tool failed.

    The result is already a checked `ToolResult`: it is written out as it is (FastAPI
    would validate it again through `response_model`, which stays for the schema)."""
    services = await get_services(request)  # called, not `Depends`: one dependency less
    result = await services.catalog.invoke(
        name, body.arguments, provider=body.provider, timeout=body.timeout_s, caller="http"
    )
    return Response(result.model_dump_json(), media_type="application/json")


def front_invoke_route(app: FastAPI) -> APIRoute:
    """The invoke route again, for the front of the app's route list and out of the schema
    (the one above keeps its place in `/openapi.json`): a call then skips the regex match
    of every MCP, A2A and docs route and of each router before this one (about 50 us)."""
    return APIRoute(INVOKE_PATH, invoke_tool, methods=["POST"], response_model=ToolResult,
                    include_in_schema=False, dependency_overrides_provider=app)
