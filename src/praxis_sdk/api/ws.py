"""A WebSocket session speaking `{"type", "payload"}` frames, with bus events pushed out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from fastapi import WebSocket, WebSocketDisconnect

from praxis_sdk.bus import EventBus, Subscription
from praxis_sdk.errors import PraxisError

Handler = Callable[["Session", dict[str, Any]], Awaitable[None]]


class Session:
    """One client: it chooses which bus events it receives and sends typed messages."""

    def __init__(self, websocket: WebSocket, bus: EventBus, handlers: dict[str, Handler],
                 include: set[str] | None = None) -> None:
        self.websocket = websocket
        self.bus = bus
        self.handlers = {"PING": _ping, "SUBSCRIBE_EVENTS": _subscribe,
                         "UNSUBSCRIBE_EVENTS": _unsubscribe, **handlers}
        self.include = include
        self.exclude: set[str] = set()
        self._send_lock = anyio.Lock()
        self.sub: Subscription | None = None

    def refilter(self) -> None:
        """Apply `include`/`exclude` to the bus subscription (filtered as events publish)."""
        if self.sub is not None:
            self.sub.set_types(self.include, self.exclude)

    async def send(self, type_: str, payload: dict[str, Any] | None = None) -> None:
        async with self._send_lock:
            await self.websocket.send_json({"type": type_, "payload": payload or {}})

    async def run(self) -> None:
        """Accept, then read frames and push events until the client goes away."""
        await self.websocket.accept()
        with self.bus.subscribe(self.include) as sub:
            self.sub = sub
            self.refilter()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._push, sub)
                try:
                    await self._read()
                finally:
                    tg.cancel_scope.cancel()

    async def _push(self, sub: Any) -> None:
        async for event in sub:
            async with self._send_lock:
                await self.websocket.send_json(event.frame())

    async def _read(self) -> None:
        while True:
            try:
                frame = await self.websocket.receive_json()
            except WebSocketDisconnect:
                return
            except ValueError:
                await self.send("error", {"code": "invalid_input", "message": "frame is not JSON"})
                continue
            await self._dispatch(frame)

    async def _dispatch(self, frame: Any) -> None:
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send("error", {"code": "invalid_input",
                                      "message": 'a frame is {"type": ..., "payload": {...}}'})
            return
        handler = self.handlers.get(frame["type"])
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            await self.send("error", {"code": "invalid_input",
                                      "message": f"unknown message type {frame['type']!r}; "
                                                 f"known: {known}"})
            return
        payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
        try:
            await handler(self, payload)
        except PraxisError as exc:
            await self.send("error", exc.to_dict())


async def _ping(session: Session, _: dict[str, Any]) -> None:
    await session.send("PONG", {})


def _types(payload: dict[str, Any]) -> set[str]:
    raw = payload.get("event_types") or payload.get("eventTypes") or []
    return {str(t) for t in raw} if isinstance(raw, list) else {str(raw)}


async def _subscribe(session: Session, payload: dict[str, Any]) -> None:
    types = _types(payload)
    session.include = (session.include or set()) | types if types else None
    session.exclude -= types
    session.refilter()
    await session.send("subscribed", {"event_types": sorted(session.include or [])})


async def _unsubscribe(session: Session, payload: dict[str, Any]) -> None:
    types = _types(payload)
    if session.include is None:
        session.exclude |= types
    else:
        session.include -= types
    session.refilter()
    await session.send("unsubscribed", {"event_types": sorted(types)})
