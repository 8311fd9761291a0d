"""The event bus: fan-out, filters, replay, and slow subscribers that never block."""

from __future__ import annotations

import asyncio
import time

from praxis_sdk.bus import EVENTS_DROPPED, EventBus


async def test_subscribers_get_events_they_asked_for() -> None:
    bus = EventBus()
    everything = bus.subscribe()
    only_tools = bus.subscribe(["tool.completed"])
    bus.publish("agentStarted", {"agent": "a"})
    bus.publish("tool.completed", {"tool": "calculator"})
    assert [(await everything.get()).type for _ in range(2)] == ["agentStarted",
                                                                 "tool.completed"]
    event = await only_tools.get()
    assert (event.type, event.payload) == ("tool.completed", {"tool": "calculator"})


async def test_slow_subscriber_loses_oldest_and_is_told() -> None:
    bus = EventBus(queue_size=10)
    slow = bus.subscribe()
    fast = bus.subscribe()
    started = time.perf_counter()
    for i in range(1000):
        bus.publish("tick", {"i": i})
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, "publishing must not wait for subscribers"
    notice = await slow.get()
    assert notice.type == EVENTS_DROPPED
    assert notice.payload == {"count": 990, "total": 990}
    kept = [(await slow.get()).payload["i"] for _ in range(10)]
    assert kept == list(range(990, 1000))
    assert fast.dropped == 990


async def test_replay_after_last_event_id() -> None:
    bus = EventBus()
    first = bus.publish("a", {})
    bus.publish("b", {})
    bus.publish("c", {})
    sub = bus.subscribe(after=first.id)
    assert [(await sub.get()).type for _ in range(2)] == ["b", "c"]


async def test_waiting_subscriber_wakes_on_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    waiter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    bus.publish("late", {})
    assert (await asyncio.wait_for(waiter, 1)).type == "late"


async def test_closed_subscription_receives_nothing() -> None:
    bus = EventBus()
    with bus.subscribe():
        assert bus.subscriber_count == 1
    assert bus.subscriber_count == 0
