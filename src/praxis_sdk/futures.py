"""Settling an asyncio future from a callback its loop runs (posted from another thread)."""

from __future__ import annotations

import asyncio
from typing import Any


def settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    """Give `future` its exception or its value, unless it is done (its waiter gave up)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
