"""Liveness, metrics and the node's P2P card."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from praxis_sdk.api.services import Services, get_services

router = APIRouter(tags=["node"])


class HealthReport(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    agent: str
    version: str
    uptime_s: float
    peer_id: str | None = None
    components: dict[str, dict[str, Any]]
    warnings: list[str] = []


@router.get("/health", response_model=HealthReport)
async def health(services: Services = Depends(get_services)) -> JSONResponse:
    """The node's status and each component's; 503 when unhealthy."""
    report = await services.health()
    return JSONResponse(report, status_code=503 if report["status"] == "unhealthy" else 200)


@router.get("/metrics", response_class=Response)
async def metrics(services: Services = Depends(get_services)) -> Response:
    """Prometheus text exposition."""
    return Response(services.metrics.render(), media_type=services.metrics.content_type)


@router.get("/agent/card")
async def agent_card(services: Services = Depends(get_services)) -> dict[str, Any]:
    """The card this node swaps with peers (INTERFACES 5)."""
    return services.card()
