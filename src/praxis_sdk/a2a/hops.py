"""The hop count that cuts delegation loops (A -> B -> A -> ...).

A delegated message carries `praxisHops` in its metadata: how many agents handed it on
before. The executor reads it and runs the task's plan inside `hops_scope`, so a
DELEGATE step of that plan (run in tasks the scope's context was copied into) sends
`hops + 1` on; an agent refuses to delegate once `MAX_HOPS` is reached.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

HOPS_KEY = "praxisHops"
MAX_HOPS = 4

_hops: ContextVar[int] = ContextVar("praxis_a2a_hops", default=0)


def current_hops() -> int:
    """Hops the request being worked on has made so far (0 for one that started here)."""
    return _hops.get()


def incoming_hops(metadata: Mapping[str, Any] | None, message: Any = None) -> int:
    """The hop count of a request, from the request's or its message's metadata."""
    for source in (metadata, getattr(message, "metadata", None)):
        if source is not None and HOPS_KEY in source:
            try:
                return max(0, int(source[HOPS_KEY]))
            except (TypeError, ValueError):
                return 0
    return 0


@contextmanager
def hops_scope(hops: int) -> Iterator[None]:
    token = _hops.set(hops)
    try:
        yield
    finally:
        _hops.reset(token)
