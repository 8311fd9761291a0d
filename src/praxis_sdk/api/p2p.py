"""Peers over HTTP: who we know, our P2P identity, connecting, and calling a peer's tool."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from praxis_sdk.api.services import Services, get_services
from praxis_sdk.errors import Unavailable
from praxis_sdk.tools.result import ToolResult

router = APIRouter(tags=["p2p"])


class P2PInfo(BaseModel):
    peer_id: str
    addresses: list[str]
    protocols: list[str]


class ConnectRequest(BaseModel):
    multiaddr: str | None = Field(None, description="/ip4/.../tcp/.../p2p/<peer id>")
    url: str | None = Field(None, description="An agent's HTTP base URL")

    @model_validator(mode="after")
    def _one(self) -> ConnectRequest:
        if not (self.multiaddr or self.url):
            raise ValueError("give a multiaddr or a url")
        return self


class ConnectResponse(BaseModel):
    peer_id: str


class PeerToolRequest(BaseModel):
    peer_id: str = Field(description="Peer id or the peer's agent name")
    tool_name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0)


def _p2p(services: Services) -> Any:
    if services.p2p is None:
        raise Unavailable("P2P is disabled on this agent (p2p.enabled: false)")
    return services.p2p


@router.get("/peers")
async def peers(services: Services = Depends(get_services)) -> list[dict[str, Any]]:
    """Connected and known peers with a card summary and when they were last seen."""
    return _p2p(services).peers()


@router.get("/p2p/info", response_model=P2PInfo)
async def info(services: Services = Depends(get_services)) -> dict[str, Any]:
    """Our peer id, dialable addresses and protocols (what HTTP bootstrap asks for)."""
    p2p = _p2p(services)
    if not p2p.running:  # peers would dial addresses that do not listen yet
        raise Unavailable("P2P is not listening yet; ask again in a moment")
    return p2p.info()


@router.get("/p2p/cards")
async def cards(services: Services = Depends(get_services)) -> dict[str, dict[str, Any]]:
    """Each peer's card, by peer id."""
    return _p2p(services).cards()


@router.post("/p2p/connect", response_model=ConnectResponse)
async def connect(body: ConnectRequest, services: Services = Depends(get_services)
                  ) -> ConnectResponse:
    """Dial a peer and swap cards; returns its peer id."""
    target = body.multiaddr or body.url or ""
    return ConnectResponse(peer_id=await _p2p(services).connect(target))


@router.post("/p2p/tool", response_model=ToolResult)
async def peer_tool(body: PeerToolRequest, services: Services = Depends(get_services)
                    ) -> ToolResult:
    """Call one tool on one peer over `/praxis/tool/1.0.0`."""
    return await _p2p(services).call_tool(body.peer_id, body.tool_name, body.arguments,
                                          body.timeout_s)
