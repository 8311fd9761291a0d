"""The event bus: typed events, bounded fan-out, a replay buffer for resuming clients."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

EVENTS_DROPPED = "eventsDropped"


@dataclass(slots=True)
class Event:
    """One event: `id` grows by one per event on this node; `ts` is unix seconds."""

    id: int
    type: str
    payload: dict[str, Any]
    ts: float

    def frame(self) -> dict[str, Any]:
        """The `{"type", "payload"}` frame sent over WebSocket."""
        return {"type": self.type, "payload": self.payload, "id": self.id, "ts": self.ts}


class Subscription:
    """A subscriber's bounded queue; when full, the oldest event is dropped and counted.

    The filter (`types` to include, `exclude`d types) applies when an event is published,
    so events a subscriber does not want never take room in its queue.
    """

    def __init__(self, bus: EventBus, types: set[str] | None, maxsize: int,
                 exclude: set[str] | None = None) -> None:
        self._bus = bus
        self.types = types
        self.exclude: set[str] = set(exclude or ())
        self._queue: deque[Event] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self.dropped = 0
        self._pending_drops = 0

    def wants(self, event_type: str) -> bool:
        if event_type == EVENTS_DROPPED:
            return True
        return (self.types is None or event_type in self.types) and (
            event_type not in self.exclude
        )

    def set_types(self, types: set[str] | None, exclude: set[str] | None = None) -> None:
        """Change the filter; queued events it no longer wants are let go."""
        self.types, self.exclude = types, set(exclude or ())
        self._queue = deque(e for e in self._queue if self.wants(e.type))

    def queued_up_to(self, event_id: int) -> bool:
        """Whether an event with id <= `event_id` still waits in the queue."""
        return bool(self._queue) and self._queue[0].id <= event_id

    def _offer(self, event: Event) -> None:
        if len(self._queue) >= self._maxsize:
            self._queue.popleft()
            self.dropped += 1
            self._pending_drops += 1
        self._queue.append(event)
        self._ready.set()

    async def get(self) -> Event:
        """The next event; a pending drop notice comes first so the client knows."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        if self._pending_drops:
            count, self._pending_drops = self._pending_drops, 0
            return self._bus.make_event(EVENTS_DROPPED, {"count": count, "total": self.dropped})
        return self._queue.popleft()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Publish never blocks: each subscriber has its own bounded queue."""

    def __init__(self, *, queue_size: int = 1000, replay_size: int = 1000) -> None:
        self._subs: set[Subscription] = set()
        self._replay: deque[Event] = deque(maxlen=replay_size)
        self._ids = itertools.count(1)
        self._queue_size = queue_size

    def make_event(self, event_type: str, payload: dict[str, Any]) -> Event:
        return Event(next(self._ids), event_type, payload, time.time())

    def publish(self, event_type: str, payload: dict[str, Any] | None = None) -> Event:
        """Record and fan out one event (call from the event loop's thread)."""
        event = self.make_event(event_type, payload or {})
        self._replay.append(event)
        for sub in list(self._subs):
            if sub.wants(event_type):
                sub._offer(event)
        return event

    def subscribe(
        self, types: Iterable[str] | None = None, *, after: int | None = None
    ) -> Subscription:
        """A new subscription; `after` replays buffered events with a larger id first."""
        sub = Subscription(self, set(types) if types else None, self._queue_size)
        if after is not None:
            for event in self._replay:
                if event.id > after and sub.wants(event.type):
                    sub._offer(event)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    @property
    def last_id(self) -> int:
        return self._replay[-1].id if self._replay else 0
