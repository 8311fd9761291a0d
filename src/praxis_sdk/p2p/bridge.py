"""The only crossing between the agent's asyncio loop and the P2P node's trio loop.

`TrioBridge` owns one thread running `trio.run`. asyncio code awaits
`bridge.call(trio_fn, *args)`; trio code awaits `bridge.to_asyncio(coro_fn, *args)`.
Both hand over futures: neither loop ever blocks on the other, and cancelling the
waiting side cancels the work on the other side.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

from praxis_sdk.errors import Unavailable

T = TypeVar("T")


class TrioBridge:
    """Runs `main(bridge)` in a trio thread; readiness is signalled when `main` calls `ready()`."""

    def __init__(self, name: str = "praxis-p2p") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._thread: threading.Thread | None = None
        self._ready: asyncio.Future[None] | None = None
        self._done: asyncio.Future[None] | None = None
        self._stop: trio.Event | None = None

    @property
    def running(self) -> bool:
        return self._token is not None and self._thread is not None and self._thread.is_alive()

    # ---- asyncio side ----------------------------------------------------------------

    async def start(self, main: Callable[[TrioBridge], Awaitable[None]], timeout: float) -> None:
        """Start the trio thread and wait (up to `timeout`) until `main` calls `ready()`."""
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        self._done = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, args=(main,), name=self.name,
                                        daemon=True)
        self._thread.start()
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError as exc:
            await self.stop(timeout)
            raise Unavailable(f"P2P node did not start within {timeout:.1f}s") from exc

    async def stop(self, timeout: float) -> None:
        """Ask `main` to finish and wait (bounded) for the thread to end."""
        if self._token is not None and self._stop is not None:
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self._stop.set)
        if self._done is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._done), timeout)
        if self._token is not None and self._nursery is not None and self._done is not None \
                and not self._done.done():
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self._nursery.cancel_scope.cancel)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._done), 2.0)

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run `await fn(*args)` in the trio loop; cancellation here cancels it there."""
        token, nursery, loop = self._token, self._nursery, self._loop
        if token is None or nursery is None or loop is None:
            raise Unavailable("P2P node is not running")
        future: asyncio.Future[T] = loop.create_future()
        scope = trio.CancelScope()

        def settle(setter: Callable[[Any], None], value: Any) -> None:
            if not future.done():
                setter(value)

        async def runner() -> None:
            with scope:
                try:
                    value = await fn(*args)
                except BaseException as exc:  # handed to the awaiting asyncio task
                    if isinstance(exc, trio.Cancelled):
                        loop.call_soon_threadsafe(settle, future.set_exception,
                                                  Unavailable("P2P call cancelled"))
                        raise
                    loop.call_soon_threadsafe(settle, future.set_exception, exc)
                    return
                loop.call_soon_threadsafe(settle, future.set_result, value)
            if scope.cancelled_caught:
                loop.call_soon_threadsafe(settle, future.set_exception,
                                          Unavailable("P2P call cancelled"))

        try:
            token.run_sync_soon(nursery.start_soon, runner)
        except trio.RunFinishedError as exc:
            raise Unavailable("P2P node is not running") from exc
        try:
            return await future
        except asyncio.CancelledError:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(scope.cancel)
            raise

    def call_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start `fn(*args)` in the trio loop without waiting for it (fire and forget)."""
        if self._token is None or self._nursery is None:
            return
        with contextlib.suppress(trio.RunFinishedError):
            self._token.run_sync_soon(self._nursery.start_soon, fn, *args)

    # ---- trio side -------------------------------------------------------------------

    def ready(self) -> None:
        """Called from trio by `main` once the node listens."""
        assert self._loop is not None and self._ready is not None
        ready = self._ready
        self._loop.call_soon_threadsafe(lambda: ready.done() or ready.set_result(None))

    async def wait_stop(self) -> None:
        """Trio: returns when the asyncio side asked the node to stop."""
        assert self._stop is not None
        await self._stop.wait()

    @property
    def nursery(self) -> trio.Nursery:
        assert self._nursery is not None
        return self._nursery

    async def to_asyncio(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Trio: run `await fn(*args)` on the asyncio loop; trio cancellation cancels it."""
        assert self._loop is not None and self._token is not None
        token = self._token
        cfuture: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            _as_coro(fn, *args), self._loop
        )
        done = trio.Event()

        def wake(_: object) -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        cfuture.add_done_callback(wake)
        try:
            await done.wait()
        except trio.Cancelled:
            cfuture.cancel()
            raise
        try:
            return cfuture.result()
        except concurrent.futures.CancelledError as exc:
            raise Unavailable("agent handler was cancelled") from exc

    def emit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Trio: call a plain function on the asyncio loop (events, callbacks); no waiting."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn, *args)

    # ---- thread ----------------------------------------------------------------------

    def _run(self, main: Callable[[TrioBridge], Awaitable[None]]) -> None:
        error: BaseException | None = None
        try:
            trio.run(self._main, main)
        except BaseException as exc:  # reported to the asyncio side, never lost
            error = exc
        finally:
            self._token = None
            self._nursery = None
            self._finish(error)

    def _finish(self, error: BaseException | None) -> None:
        loop, ready, done = self._loop, self._ready, self._done
        if loop is None or loop.is_closed():
            return

        def settle() -> None:
            failure = Unavailable(f"P2P node stopped: {error!r}") if error else None
            if ready is not None and not ready.done():
                ready.set_exception(failure or Unavailable("P2P node stopped before ready"))
            if done is not None and not done.done():
                done.set_result(None)

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    async def _main(self, main: Callable[[TrioBridge], Awaitable[None]]) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            await main(self)
            nursery.cancel_scope.cancel()


async def _as_coro(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return await fn(*args)
