"""What the HTTP layer is handed by the agent: it never imports agent.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, WebSocket
from starlette.routing import BaseRoute

from praxis_sdk.bus import EventBus
from praxis_sdk.config import Settings
from praxis_sdk.metrics import Metrics
from praxis_sdk.store import Store
from praxis_sdk.tools.catalog import ToolCatalog


@dataclass
class Services:
    """The node's parts the routes use; optional services are None when disabled."""

    config: Settings
    bus: EventBus
    store: Store
    metrics: Metrics
    catalog: ToolCatalog
    health: Callable[[], Awaitable[dict[str, Any]]]
    card: Callable[[], dict[str, Any]]
    runner: Any = None
    p2p: Any = None
    mcp: Any = None
    a2a: Any = None
    # Extra routes served as they are (e.g. the MCP endpoint at /mcp).
    routes: list[BaseRoute] = field(default_factory=list)


async def get_services(request: Request) -> Services:
    """FastAPI dependency: the services of the app serving this request (async, so that
    FastAPI calls it on the loop instead of in a worker thread)."""
    return request.app.state.services


def ws_services(websocket: WebSocket) -> Services:
    return websocket.app.state.services
