"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from praxis_sdk import __version__
from praxis_sdk.api import (
    a2a,
    events,
    health,
    p2p,
    tasks,
    tools,
    validate,
    workflow_ws,
    workflows,
)
from praxis_sdk.api.errors import install_error_handlers
from praxis_sdk.api.middleware import GateMiddleware
from praxis_sdk.api.services import Services
from praxis_sdk.api.ui import mount_console

ROUTERS: list[APIRouter] = [
    health.router, events.router, tools.router, tasks.router, p2p.router, workflows.router,
    workflow_ws.router, a2a.router, validate.router,
]


class AgentApp(FastAPI):
    """FastAPI with one lane of its own: tool calls (`POST /tools/{name}/invoke`) go to
    `tools.InvokeLane` behind the same middleware, past FastAPI's and Starlette's layers."""

    lane: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lane is not None and scope["type"] == "http" and scope["method"] == "POST":
            name = tools.invoke_target(scope["path"])
            if name is not None:
                scope["app"] = self
                scope["route"] = tools.INVOKE_ROUTE
                scope["path_params"] = {"name": name}
                return await self.lane(scope, receive, send)
        await super().__call__(scope, receive, send)


def create_app(services: Services, *, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    """An app serving every route group over the given services."""
    layers = middleware(services)
    app = AgentApp(
        title=f"Praxis agent {services.config.agent.name}",
        version=__version__,
        description="Praxis agent node: tools, workflows, P2P, MCP and A2A over HTTP.",
        redirect_slashes=False, middleware=layers,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = services
    install_error_handlers(app)
    for router in [*ROUTERS, *(extra_routers or [])]:
        app.include_router(router)
    mount_console(app)
    app.router.routes[0:0] = services.routes  # MCP traffic first: skip the other routes
    lane: ASGIApp = tools.InvokeLane(services)
    for layer in reversed(layers):
        lane = layer.cls(lane, *layer.args, **layer.kwargs)
    app.lane = lane
    return app


def middleware(services: Services) -> list[Middleware]:
    """The layers every request passes, outermost first: CORS when configured (before
    the gate: preflights need no token), then `GateMiddleware`."""
    http = services.config.http
    token = http.auth_token.get_secret_value() if http.auth_token else None
    layers = [Middleware(GateMiddleware, metrics=services.metrics, token=token,
                         max_body=http.max_body_bytes)]
    if http.cors_origins:
        layers.insert(0, Middleware(
            CORSMiddleware, allow_origins=http.cors_origins, allow_methods=["*"],
            allow_headers=["*"], allow_credentials="*" not in http.cors_origins,
        ))
    return layers
