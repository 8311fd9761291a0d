"""Liveness, metrics and the node's P2P card."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from praxis_sdk.api.services import Services, get_services

router = APIRouter(tags=["node"])

# Under load, one report serves the requests of this long (liveness probes and
# dashboards poll; the report's own parts, like engine probes, are cached longer).
HEALTH_TTL_S = 0.1


class HealthReport(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    agent: str
    version: str
    uptime_s: float
    peer_id: str | None = None
    components: dict[str, dict[str, Any]]
    warnings: list[str] = []


@router.get("/health", response_model=HealthReport)
async def health(request: Request) -> Response:
    """The node's status and each component's; 503 when unhealthy."""
    state = request.app.state
    cached: tuple[float, JSONResponse] | None = getattr(state, "health_cache", None)
    now = time.monotonic()
    if cached is None or now - cached[0] > HEALTH_TTL_S:
        report = await state.services.health()
        status = 503 if report["status"] == "unhealthy" else 200
        cached = state.health_cache = (now, JSONResponse(report, status_code=status))
    return Response(cached[1].body, status_code=cached[1].status_code,
                    media_type="application/json")


@router.get("/metrics", response_class=Response)
async def metrics(services: Services = Depends(get_services)) -> Response:
    """Prometheus text exposition."""
    return Response(services.metrics.render(), media_type=services.metrics.content_type)


@router.get("/agent/card")
async def agent_card(services: Services = Depends(get_services)) -> dict[str, Any]:
    """The card this node swaps with peers (INTERFACES 5)."""
    return services.card()
