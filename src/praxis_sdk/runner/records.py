"""Direct tool calls (HTTP invoke, MCP, P2P) as tasks of kind `tool`, off the call path.

The recorder follows the bus's `tool.completed` / `tool.failed` events and queues one row
per call for the store's next grouped commit, so a call never waits for the disk and a
burst of calls costs one transaction. Steps of workflow runs are not recorded again: the
run's own task holds them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from praxis_sdk.bus import Event, EventBus
from praxis_sdk.metrics import Metrics
from praxis_sdk.store import Store, Task

EVENTS = ("tool.completed", "tool.failed")


def call_task(event: Event) -> Task:
    """The task row of one finished tool call."""
    payload = event.payload
    ok = event.type == "tool.completed"
    duration_s = float(payload.get("durationMs") or 0.0) / 1000
    return Task(
        id=f"tool-{payload.get('callId') or event.id}", kind="tool",
        state="completed" if ok else "failed",
        input={"tool": payload.get("tool"), "provider": payload.get("provider"),
               "source": payload.get("source"), "caller": payload.get("caller")},
        result={"engine": payload.get("engine"), "duration_ms": payload.get("durationMs")}
        if ok else None,
        error=None if ok else payload.get("error"),
        created_at=event.ts - duration_s, updated_at=event.ts)


class ToolCallRecorder:
    """A component: records each direct tool call in the task table."""

    name = "tool_records"

    def __init__(self, bus: EventBus, store: Store, metrics: Metrics) -> None:
        self.bus = bus
        self.store = store
        self.metrics = metrics
        self.recorded = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        subscription = self.bus.subscribe(EVENTS)
        self._task = asyncio.create_task(self._run(subscription), name="tool-records")

    async def _run(self, subscription: Any) -> None:
        with subscription:
            async for event in subscription:
                if event.type not in EVENTS or event.payload.get("caller") == "workflow":
                    continue
                task = call_task(event)
                await self.store.put_task(task, wait=False)
                self.recorded += 1
                self.metrics.child(self.metrics.tasks, "tool", task.state).inc()
                self.metrics.child(self.metrics.task_duration, "tool", task.state).observe(
                    max(0.0, task.updated_at - task.created_at))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def health(self) -> dict[str, Any]:
        return {"status": "healthy", "recorded": self.recorded}
