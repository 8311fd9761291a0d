"""Bus events out: Server-Sent Events at /events and WebSocket at /ws/events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, WebSocket
from sse_starlette import EventSourceResponse

from praxis_sdk.api.services import Services, get_services, ws_services
from praxis_sdk.api.ws import Session

router = APIRouter(tags=["events"])


@router.get("/events")
async def events(
    types: str | None = Query(None, description="Comma-separated event types to receive"),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    services: Services = Depends(get_services),
) -> EventSourceResponse:
    """Bus events as SSE, each with an `id:`; `Last-Event-ID` resumes after that id."""
    wanted = {t.strip() for t in types.split(",") if t.strip()} if types else None
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None

    async def stream() -> AsyncIterator[dict[str, str]]:
        # Subscribed only once streaming starts, and closed however it ends: a client that
        # leaves before the first event leaves no subscription behind.
        with services.bus.subscribe(wanted, after=after) as sub:
            yield {"event": "ready", "data": json.dumps({"last_id": services.bus.last_id})}
            async for event in sub:
                yield {"id": str(event.id), "event": event.type,
                       "data": json.dumps(event.frame())}

    return EventSourceResponse(stream(), ping=15)


@router.websocket("/ws/events")
async def ws_events(websocket: WebSocket) -> None:
    """Live events; `SUBSCRIBE_EVENTS`/`UNSUBSCRIBE_EVENTS` choose them; `PING` -> `PONG`."""
    await Session(websocket, ws_services(websocket).bus, {}).run()
