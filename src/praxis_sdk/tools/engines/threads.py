"""Worker threads for blocking Python tools: one queue put there, one loop callback back.

`anyio.to_thread` pays for cancel scopes, a capacity limiter and a `queue.Queue` per
worker on every call (about 200 us of CPU here); a blocking tool needs none of that: it
runs in one of these threads in a copy of the caller's context, and its result is set on
an asyncio future from the worker. A thread is added only when none is idle (so a tool
blocked past its deadline never holds up the next call), up to `limit`; a thread idle
for `idle_s` exits. Threads are daemons: an abandoned tool cannot keep the process alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any

from praxis_sdk.futures import settle

Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context,
            Callable[[], Any]]


class ToolThreads:
    """A small pool of daemon threads; a call may come from any event loop."""

    def __init__(self, limit: int = 40, idle_s: float = 10.0) -> None:
        self.limit = limit
        self.idle_s = idle_s
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a job that no queued job is promised to
        self._backlog = 0  # queued jobs that no thread is promised to (all were busy)
        self._threads = 0

    @property
    def size(self) -> int:
        """Threads alive now (busy or idle)."""
        return self._threads

    async def run(self, func: Callable[[], Any]) -> Any:
        """`func()` in a worker thread; cancelling the await abandons the call."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        spawn = False
        with self._lock:
            if self._idle:
                self._idle -= 1  # that thread takes this job
            elif self._threads < self.limit:
                self._threads += 1
                spawn = True
            else:
                self._backlog += 1
        self._jobs.put((loop, future, contextvars.copy_context(), func))
        if spawn:
            threading.Thread(target=self._work, name="praxis-tool", daemon=True).start()
        return await future

    def _work(self) -> None:
        while True:
            try:
                loop, future, context, func = self._jobs.get(timeout=self.idle_s)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # nobody counts on this thread: let it go
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # a job was promised to this thread: it is in the queue
            if not future.cancelled():
                self._call(loop, future, context, func)
            with self._lock:
                if self._backlog:
                    self._backlog -= 1  # this thread takes a job that waits for one
                else:
                    self._idle += 1

    @staticmethod
    def _call(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any],
              context: contextvars.Context, func: Callable[[], Any]) -> None:
        value, error = None, None
        try:
            value = context.run(func)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            error = exc
        with contextlib.suppress(RuntimeError):  # a loop closed meanwhile has no waiter
            loop.call_soon_threadsafe(settle, future, value, error)
