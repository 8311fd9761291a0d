"""The only crossing between the agent's asyncio loop and the P2P node's trio loop.

`TrioBridge` owns one thread running `trio.run`. asyncio code awaits
`bridge.call(trio_fn, *args)`; trio code awaits `bridge.to_asyncio(coro_fn, *args)`.
Both hand over futures: neither loop ever blocks on the other, and cancelling the
waiting side cancels the work on the other side.

Each direction is one `Mailbox`: a call crosses once each way, and everything posted
to a loop while it has not yet woken up rides on the same wake-up (one write to its
wake-up socket per batch, not per call). The thread bridge was measured against trio's
guest mode on the asyncio loop (`bench/bench_bridge.py`) and kept as the faster one.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import trio

from praxis_sdk.errors import Unavailable
from praxis_sdk.futures import settle

T = TypeVar("T")
log = logging.getLogger(__name__)


class Mailbox:
    """Callbacks for one loop, posted from any thread, run in batches on that loop.

    `wake(drain)` must schedule `drain` on the loop from another thread
    (`loop.call_soon_threadsafe`, `TrioToken.run_sync_soon`); it is called only when
    the mailbox was empty, so a burst of posts costs one wake-up. `post_batched` (with
    `defer`, the posting thread's own loop's `call_soon`) wakes the loop only once the
    poster's loop has finished its turn, so every call started in that turn (requests read
    from many sockets at once) rides on one wake-up, and the woken thread does not fight
    the poster for the GIL meanwhile.
    """

    def __init__(self, wake: Callable[[Callable[[], None]], Any],
                 defer: Callable[[Callable[[], None]], Any] | None = None) -> None:
        self._wake = wake
        self._defer = defer
        self._items: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = \
            collections.deque()
        self._lock = threading.Lock()
        self._armed = False
        self.closed = False

    def post(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Queue `fn(*args)` for the loop; False when the loop is gone (nothing queued)."""
        return self._queue(fn, args, deferred=False)

    def post_batched(self, fn: Callable[..., Any], *args: Any) -> bool:
        """`post`, from the `defer` loop's thread: the wake-up waits for its turn's end."""
        return self._queue(fn, args, deferred=True)

    def _queue(self, fn: Callable[..., Any], args: tuple[Any, ...], deferred: bool) -> bool:
        with self._lock:
            if self.closed:
                return False
            self._items.append((fn, args))
            if self._armed:
                return True
            self._armed = True
        defer = self._defer
        if not deferred or defer is None:
            return self._kick()
        try:
            defer(self._kick)
        except RuntimeError:  # the posting loop is closed
            self.close()
            return False
        return True

    def _kick(self) -> bool:
        try:
            self._wake(self._drain)
        except (RuntimeError, trio.RunFinishedError):  # loop closed or trio run over
            self.close()
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._items.clear()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._items:
                    self._armed = False
                    return
                items, self._items = self._items, collections.deque()
            for fn, args in items:
                try:
                    fn(*args)
                except Exception:  # one bad callback must not stop the loop
                    log.exception("bridge callback %r failed", fn)


class Handoff(Generic[T]):
    """One asyncio caller's wait, as the trio side sees it: settle it once (`resolve` or
    `fail`, from the trio thread); `on_cancel`, when set, runs in trio if the caller gave
    up first."""

    __slots__ = ("future", "reply", "on_cancel")

    def __init__(self, future: asyncio.Future[T], reply: Mailbox) -> None:
        self.future, self.reply = future, reply
        self.on_cancel: Callable[[], Any] | None = None

    def resolve(self, value: T) -> None:
        self.reply.post(settle, self.future, value, None)

    def fail(self, exc: BaseException) -> None:
        self.reply.post(settle, self.future, None, exc)

    def cancel(self) -> None:  # trio
        if self.on_cancel is not None:
            self.on_cancel()


class _Job(Generic[T]):
    """`await fn(*args)` as a trio task of its own, settling `handoff`; cancellable."""

    __slots__ = ("fn", "args", "handoff", "scope")

    def __init__(self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...],
                 handoff: Handoff[T]) -> None:
        self.fn, self.args, self.handoff = fn, args, handoff
        self.scope = trio.CancelScope()
        handoff.on_cancel = self.scope.cancel

    async def run(self) -> None:
        with self.scope:
            try:
                value = await self.fn(*self.args)
            except trio.Cancelled:
                self.handoff.fail(Unavailable("P2P call cancelled"))
                raise
            except BaseException as exc:  # handed to the awaiting asyncio task
                self.handoff.fail(exc)
                return
            self.handoff.resolve(value)
        if self.scope.cancelled_caught:
            self.handoff.fail(Unavailable("P2P call cancelled"))


class DeadlinePassed(Exception):
    """What `on_done` of a `start_asyncio` call gets when it ran past its deadline."""


class Reply:
    """One coroutine the trio side runs on the asyncio loop (`TrioBridge.start_asyncio`).

    `abandoned` is only touched in trio, `cancelled`, `task` and `timer` only on asyncio."""

    __slots__ = ("on_done", "deadline", "abandoned", "task", "timer", "cancelled")

    def __init__(self, on_done: Callable[[Any, BaseException | None], None],
                 deadline: float | None) -> None:
        self.on_done = on_done
        self.deadline = deadline
        self.abandoned = False
        self.task: asyncio.Task[Any] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.cancelled = False

    def finish(self, value: Any, error: BaseException | None) -> None:  # trio
        if not self.abandoned:
            self.on_done(value, error)


class TrioBridge:
    """Runs `main(bridge)` in a trio thread; readiness is signalled when `main` calls `ready()`."""

    def __init__(self, name: str = "praxis-p2p") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._to_asyncio: Mailbox | None = None
        self._to_trio: Mailbox | None = None
        self._nursery: trio.Nursery | None = None
        self._thread: threading.Thread | None = None
        self._ready: asyncio.Future[None] | None = None
        self._done: asyncio.Future[None] | None = None
        self._stop: trio.Event | None = None
        self._pending: set[asyncio.Future[Any]] = set()

    @property
    def running(self) -> bool:
        thread = self._thread
        return self._to_trio is not None and thread is not None and thread.is_alive()

    # ---- asyncio side ----------------------------------------------------------------

    async def start(self, main: Callable[[TrioBridge], Awaitable[None]], timeout: float) -> None:
        """Start the trio thread and wait (up to `timeout`) until `main` calls `ready()`."""
        self._loop = asyncio.get_running_loop()
        self._to_asyncio = Mailbox(self._loop.call_soon_threadsafe)
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
        done = self._done
        if done is None:
            return
        self._post_trio(self._set_stop)
        await _wait(done, timeout)
        if not done.done():
            self._post_trio(self._cancel_everything)
            await _wait(done, 2.0)

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run `await fn(*args)` in the trio loop; cancellation here cancels it there."""
        return await self.hand(self.run_in_task, fn, *args)  # type: ignore[no-any-return]

    async def hand(self, start: Callable[..., None], *args: Any) -> Any:
        """Run the plain function `start(handoff, *args)` in the trio loop, not as a task:
        it settles `handoff` (`Handoff.resolve`/`fail`) at once or later from trio code,
        for work that needs no trio task per call (a line handed to a stream's writer,
        answered by the stream's reader). Cancellation here runs `handoff.on_cancel` there."""
        loop, reply = self._loop, self._to_asyncio
        if loop is None or reply is None:
            raise Unavailable("P2P node is not running")
        handoff: Handoff[Any] = Handoff(loop.create_future(), reply)
        mailbox = self._to_trio  # read once: the trio thread clears it when it ends
        if mailbox is None or not mailbox.post_batched(_start, start, handoff, args):
            raise Unavailable("P2P node is not running")
        future = handoff.future
        self._pending.add(future)
        try:
            return await future
        except asyncio.CancelledError:
            self._post_trio(handoff.cancel)
            raise
        finally:
            self._pending.discard(future)

    def call_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start `fn(*args)` in the trio loop without waiting for it (fire and forget)."""
        self._post_trio(self._spawn, fn, args)

    def _post_trio(self, fn: Callable[..., Any], *args: Any) -> bool:
        mailbox = self._to_trio  # read once: the trio thread clears it when it ends
        return mailbox is not None and mailbox.post(fn, *args)

    # ---- trio side -------------------------------------------------------------------

    def ready(self) -> None:
        """Called from trio by `main` once the node listens."""
        assert self._ready is not None
        self.emit(settle, self._ready, None, None)

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
        done = trio.Event()
        outcome: list[tuple[Any, BaseException | None]] = []

        def finished(value: Any, error: BaseException | None) -> None:
            outcome.append((value, error))
            done.set()

        reply = self.start_asyncio(fn, args, finished)
        try:
            await done.wait()
        except trio.Cancelled:
            self.cancel_asyncio(reply)
            raise
        value, error = outcome[0]
        if error is not None:
            raise error
        return value  # type: ignore[no-any-return]

    def start_asyncio(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...],
                      on_done: Callable[[Any, BaseException | None], None],
                      deadline: float | None = None) -> Reply:
        """Trio: start `fn(*args)` on the asyncio loop, without waiting for it.

        `on_done(value, error)` then runs in trio, once: with what `fn` returned or raised,
        or with `DeadlinePassed` at `deadline` (`time.monotonic()`; the task is then
        cancelled). Unavailable when the loop is closed."""
        assert self._loop is not None and self._to_trio is not None
        reply = Reply(on_done, deadline)
        if not self.emit(self._start_task, reply, fn, args):
            raise Unavailable("the agent's event loop is closed")
        return reply

    def cancel_asyncio(self, reply: Reply) -> None:
        """Trio: cancel a `start_asyncio` call; its `on_done` will not run."""
        reply.abandoned = True
        self.emit(_cancel_task, reply)

    def emit(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Call a plain function on the asyncio loop (events, callbacks); no waiting."""
        mailbox = self._to_asyncio
        return mailbox is not None and mailbox.post(fn, *args)

    # ---- callbacks run by the mailboxes ----------------------------------------------

    def run_in_task(self, handoff: Handoff[T], fn: Callable[..., Awaitable[T]],
                    *args: Any) -> None:
        """Trio: settle `handoff` with `await fn(*args)`, run as a task of its own."""
        job = _Job(fn, args, handoff)
        if not self._spawn(job.run, ()):
            handoff.fail(Unavailable("P2P node is stopping"))

    def _spawn(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> bool:  # trio
        nursery = self._nursery
        if nursery is None:
            return False
        try:
            nursery.start_soon(fn, *args)
        except RuntimeError:  # the nursery is closed: the node is stopping
            return False
        return True

    def _set_stop(self) -> None:  # trio
        if self._stop is not None:
            self._stop.set()

    def _cancel_everything(self) -> None:  # trio
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()

    def _start_task(self, reply: Reply, fn: Callable[..., Awaitable[Any]],
                    args: tuple[Any, ...]) -> None:  # asyncio
        if reply.cancelled:
            return
        loop = self._loop
        assert loop is not None
        reply.task = loop.create_task(fn(*args))
        reply.task.add_done_callback(functools.partial(self._task_done, reply))
        if reply.deadline is not None:
            reply.timer = loop.call_at(reply.deadline, self._expire, reply)

    def _task_done(self, reply: Reply, task: asyncio.Task[Any]) -> None:  # asyncio
        if reply.timer is not None:
            reply.timer.cancel()
        if reply.cancelled:
            return
        if task.cancelled():
            self._settle(reply, None, Unavailable("agent handler was cancelled"))
        elif task.exception() is not None:
            self._settle(reply, None, task.exception())
        else:
            self._settle(reply, task.result(), None)

    def _expire(self, reply: Reply) -> None:  # asyncio
        if reply.cancelled or reply.task is None or reply.task.done():
            return
        reply.cancelled = True
        reply.task.cancel()
        self._settle(reply, None, DeadlinePassed())

    def _settle(self, reply: Reply, value: Any, error: BaseException | None) -> None:  # asyncio
        """Hand `reply`'s outcome to trio; every outcome of one loop turn rides on one
        wake-up of the trio thread (`Mailbox.post_batched`), not one a call."""
        mailbox = self._to_trio  # read once: the trio thread clears it when it ends
        if mailbox is not None:
            mailbox.post_batched(reply.finish, value, error)

    # ---- thread ----------------------------------------------------------------------

    def _run(self, main: Callable[[TrioBridge], Awaitable[None]]) -> None:
        error: BaseException | None = None
        try:
            trio.run(self._main, main)
        except BaseException as exc:  # reported to the asyncio side, never lost
            error = exc
        finally:
            mailbox, self._to_trio, self._nursery = self._to_trio, None, None
            if mailbox is not None:
                mailbox.close()
            self.emit(self._finish, error)

    def _finish(self, error: BaseException | None) -> None:  # asyncio
        failure = Unavailable(f"P2P node stopped: {error!r}") if error else None
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(failure or Unavailable("P2P node stopped before ready"))
        for future in list(self._pending):
            settle(future, None, Unavailable("P2P node stopped"))
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _main(self, main: Callable[[TrioBridge], Awaitable[None]]) -> None:
        self._stop = trio.Event()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            assert self._loop is not None
            self._to_trio = Mailbox(trio.lowlevel.current_trio_token().run_sync_soon,
                                    defer=self._loop.call_soon)
            await main(self)
            nursery.cancel_scope.cancel()


def _start(start: Callable[..., None], handoff: Handoff[Any], args: tuple[Any, ...]) -> None:
    """Trio: `start(handoff, *args)`; if it raises, the caller hears it (never left waiting)."""
    try:
        start(handoff, *args)
    except BaseException as exc:
        handoff.fail(exc)


def _cancel_task(reply: Reply) -> None:  # asyncio
    reply.cancelled = True
    if reply.timer is not None:
        reply.timer.cancel()
    if reply.task is not None:
        reply.task.cancel()


async def _wait(future: asyncio.Future[None], timeout: float) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return
