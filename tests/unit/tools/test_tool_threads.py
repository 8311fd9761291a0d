"""The worker threads of blocking Python tools: results, errors, abandoned calls, idle exit."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from praxis_sdk.tools.engines.threads import ToolThreads

REQUEST = contextvars.ContextVar("request", default="none")


async def test_result_error_thread_and_context() -> None:
    threads = ToolThreads()
    REQUEST.set("r1")
    loop_thread = threading.get_ident()

    def where() -> tuple[int, str]:
        return threading.get_ident(), REQUEST.get()

    ident, seen = await threads.run(where)
    assert ident != loop_thread and seen == "r1"

    def broken() -> None:
        raise ValueError("no disk")

    with pytest.raises(ValueError, match="no disk"):
        await threads.run(broken)


async def test_an_abandoned_call_does_not_hold_up_the_next() -> None:
    threads = ToolThreads()
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(threads.run(lambda: release.wait(10)), 0.1)
        started = time.monotonic()
        assert await asyncio.wait_for(threads.run(lambda: "next"), 5) == "next"
        assert time.monotonic() - started < 2
        assert threads.size == 2
    finally:
        release.set()


async def test_at_the_limit_a_call_waits_for_a_free_thread() -> None:
    threads = ToolThreads(limit=1)
    release = threading.Event()
    first = asyncio.ensure_future(threads.run(lambda: release.wait(10)))
    second = asyncio.ensure_future(threads.run(lambda: "second"))
    await asyncio.sleep(0.05)
    assert not second.done() and threads.size == 1
    release.set()
    assert await asyncio.wait_for(asyncio.gather(first, second), 5) == [True, "second"]


async def test_idle_threads_exit() -> None:
    threads = ToolThreads(idle_s=0.05)
    await asyncio.gather(*(threads.run(lambda: time.sleep(0.01)) for _ in range(3)))
    assert threads.size >= 1
    deadline = time.monotonic() + 5
    while threads.size and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert threads.size == 0
    assert await threads.run(lambda: "again") == "again"
