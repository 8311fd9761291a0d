"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

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


def create_app(services: Services, *, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    """An app serving every route group over the given services."""

    app = FastAPI(
        title=f"Praxis agent {services.config.agent.name}",
        version=__version__,
        description="Praxis agent node: tools, workflows, P2P, MCP and A2A over HTTP.",
        redirect_slashes=False,
    )
    app.state.services = services
    install_error_handlers(app)
    for router in [*ROUTERS, *(extra_routers or [])]:
        app.include_router(router)
    mount_console(app)
    # first: tool calls, then MCP traffic, skip the other routes
    app.router.routes[0:0] = [tools.front_invoke_route(app), *services.routes]
    http = services.config.http
    token = http.auth_token.get_secret_value() if http.auth_token else None
    app.add_middleware(GateMiddleware, metrics=services.metrics, token=token,
                       max_body=http.max_body_bytes)
    if http.cors_origins:  # outside the gate: preflights need no token
        app.add_middleware(
            CORSMiddleware, allow_origins=http.cors_origins, allow_methods=["*"],
            allow_headers=["*"], allow_credentials="*" not in http.cors_origins,
        )
    return app
