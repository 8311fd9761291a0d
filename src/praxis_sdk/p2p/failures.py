"""Failures on the P2P side, contained: one bad peer ends its stream or its peer, never the node.

trio nurseries raise `ExceptionGroup`s, which `except PraxisError` does not catch.
Everything the node runs goes through here: `as_error` turns any exception or group
into the one `PraxisError` a caller sees, `unwrapped` does it where a nursery closes,
and `Supervisor` runs the node's background tasks so each failure is logged with its
peer, counted in metrics, and ends only that task.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import trio

from praxis_sdk.errors import PraxisError, Timeout, Unavailable
from praxis_sdk.p2p.metrics import P2PMetrics

log = logging.getLogger("praxis_sdk.p2p")


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) groups, in order; a plain exception is its own leaf."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def as_error(exc: BaseException, what: str = "P2P operation") -> PraxisError:
    """The one error a caller sees: the first `PraxisError` inside, else a named `Unavailable`."""
    found = [leaf for leaf in leaves(exc) if not isinstance(leaf, trio.Cancelled)]
    for leaf in found:
        if isinstance(leaf, PraxisError):
            return leaf
    first = found[0] if found else exc
    if isinstance(first, trio.TooSlowError):
        return Timeout(f"{what} timed out")
    return Unavailable(f"{what} failed: {first!r}")


def peer_failure(what: str, error: PraxisError) -> PraxisError:
    """What a caller sees of a peer's failure: a stall is a `Timeout`, any other
    misbehaviour (bad bytes, reset, gone) makes the peer `Unavailable`; both name `what`."""
    kind = Timeout if isinstance(error, Timeout) else Unavailable
    return kind(f"{what} failed: {error.message}")


def only_cancelled(exc: BaseException) -> bool:
    return all(isinstance(leaf, trio.Cancelled) for leaf in leaves(exc))


@contextmanager
def unwrapped(what: str = "P2P operation") -> Iterator[None]:
    """Any failure in the block leaves as one `PraxisError`; cancellation passes unchanged."""
    try:
        yield
    except PraxisError:
        raise
    except BaseExceptionGroup as group:
        if only_cancelled(group):
            raise
        raise as_error(group, what) from group
    except Exception as exc:
        raise as_error(exc, what) from exc


class Supervisor:
    """The node's nursery: each task fails alone, logged with its peer and counted.

    `spawn` starts a task; `record` is for failures caught elsewhere (a stream handler),
    so every contained failure is reported the same way. `failures` and `last_failure`
    feed `/health`.
    """

    def __init__(self, metrics: P2PMetrics) -> None:
        self.metrics = metrics
        self.failures = 0
        self.last_failure = ""
        self._nursery: trio.Nursery | None = None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Supervisor]:
        """Own a nursery for the block; leaving it cancels every task still running."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            try:
                yield self
            finally:
                self._nursery = None
                nursery.cancel_scope.cancel()

    @property
    def running(self) -> bool:
        return self._nursery is not None

    def spawn(self, what: str, peer: str | None, fn: Callable[..., Awaitable[Any]],
              *args: Any) -> None:
        """Start `fn(*args)`; a failure is recorded against `peer` and ends only this task."""
        if self._nursery is not None:
            self._nursery.start_soon(self.contained, what, peer, fn, *args,
                                     name=f"p2p {what} {peer or ''}".strip())

    async def contained(self, what: str, peer: str | None, fn: Callable[..., Awaitable[Any]],
                        *args: Any) -> None:
        """Run `fn(*args)` here; record and swallow its failure (cancellation passes)."""
        try:
            await fn(*args)
        except* Exception as group:
            self.record(what, peer, group)

    @contextmanager
    def bounded(self, what: str, peer: str, timeout: float,
                protocol: str | None = None) -> Iterator[None]:
        """Our request to `peer`, run within `timeout`: a failure or timeout is recorded
        (and counted for `protocol`) and leaves as a `Timeout` or `Unavailable` naming `what`."""
        try:
            with unwrapped(what):
                with trio.move_on_after(timeout) as scope:
                    yield
                if scope.cancelled_caught:
                    raise Timeout(f"no answer within {timeout:.1f}s")
        except PraxisError as error:
            raise self.failed(what, peer, error, protocol) from error

    def failed(self, what: str, peer: str, error: PraxisError,
               protocol: str | None = None) -> PraxisError:
        """Record our failed request to `peer` (counted for `protocol`); returns what its
        caller sees (`peer_failure`). `bounded` does this; so does a call without a task."""
        self.record(what, peer, error)
        if protocol is not None:
            self.metrics.error(protocol, error.code)
        return peer_failure(what, error)

    def record(self, what: str, peer: str | None, exc: BaseException) -> PraxisError:
        """Log and count one contained failure; returns it as a `PraxisError`."""
        error = as_error(exc, what)
        self.failures += 1
        self.last_failure = f"{what} (peer {peer or '-'}): {error.message}"
        self.metrics.failure(what, error.code)
        unexpected = not any(isinstance(leaf, PraxisError) for leaf in leaves(exc))
        log.warning("p2p %s failed (peer %s, %s): %s", what, peer or "-", error.code,
                    error.message, exc_info=exc if unexpected else None)
        return error
