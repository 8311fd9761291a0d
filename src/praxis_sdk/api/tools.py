"""The tool catalog over HTTP: list, describe, invoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, ValidationError
from starlette.types import Receive, Scope, Send

from praxis_sdk.api.errors import internal_error, invalid_request
from praxis_sdk.api.middleware import TooLarge, send_error, send_json
from praxis_sdk.api.services import Services, get_services
from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.tools.catalog import ToolCatalog
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
async def invoke_tool(name: str, body: InvokeRequest,
                      services: Services = Depends(get_services)) -> ToolResult:
    """Run one tool and return its result (INTERFACES 4.2); `ok` false if the tool failed.

    An agent's app serves this path with `InvokeLane` (below), which runs `invoke` too."""
    return await invoke(services.catalog, name, body)


async def invoke(catalog: ToolCatalog, name: str, body: InvokeRequest) -> ToolResult:
    """One tool call from the HTTP API."""
    return await catalog.invoke(name, body.arguments, provider=body.provider,
                                timeout=body.timeout_s, caller="http")


INVOKE_ROUTE = next(r for r in router.routes if getattr(r, "path", None) == INVOKE_PATH)


def invoke_target(path: str) -> str | None:
    """The tool name in a `/tools/{name}/invoke` path, else None."""
    if path.startswith("/tools/") and path.endswith("/invoke"):
        name = path[7:-7]
        if name and "/" not in name:
            return name
    return None


class InvokeLane:
    """`POST /tools/{name}/invoke` as plain ASGI, with the same request, result and error
    bodies as the rest of the API.

    The hottest route of a node (every tool call a client or another agent's workflow sends
    here) skips FastAPI's request handling (dependency solving, body parsing, the response
    model) and Starlette's exception, exit-stack and routing layers: they were half of the
    agent's own time on a call (bench/README.md, "A lean lane for tool calls")."""

    def __init__(self, services: Services) -> None:
        self.catalog = services.catalog

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            request = await _read_request(scope, receive)
            if request is None:  # the client went away
                return
            result = await invoke(self.catalog, scope["path_params"]["name"], request)
        except PraxisError as exc:
            return await send_error(send, exc.status, exc.code, exc.message,
                                    details=exc.details)
        except TooLarge:
            raise
        except Exception as exc:  # noqa: BLE001 - the one answer for a bug: a logged 500
            return await send_error(send, 500, "internal", internal_error(exc, scope["path"]))
        await send_json(send, 200, result.model_dump_json().encode())


async def _read_request(scope: Scope, receive: Receive) -> InvokeRequest | None:
    """The checked body; InvalidInput names what is wrong with it."""
    if not _is_json(scope):
        raise InvalidInput("invalid request: the body must be JSON (content-type: "
                           "application/json)")
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    if not body.strip():
        raise InvalidInput('invalid request: the body is empty; send a JSON object such as '
                           '{"arguments": {}}')
    try:
        return InvokeRequest.model_validate_json(body)
    except ValidationError as exc:
        message, details = invalid_request(exc.errors(include_url=False))
        raise InvalidInput(message, details=details) from None


def _is_json(scope: Scope) -> bool:
    """Whether the request says its body is JSON (`application/json` or `...+json`)."""
    for key, value in scope["headers"]:
        if key == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json"))
    return False
