"""Functions used as Python tools by the tests (importable as an entrypoint)."""

from __future__ import annotations

import time
from typing import Literal

import anyio


def add(a: int, b: int = 2) -> int:
    """Adds two numbers.

    Args:
        a: The first number.
        b: The second number,
            two by default.
    """
    return a + b


async def describe(
    items: list[str], mode: Literal["short", "long"] = "short", scale: float | None = None,
    options: dict | None = None, flag: bool = False,
) -> dict:
    """Describes items.

    Longer text that is not the summary.

    Args:
        items (list[str]): The items.
        mode: How much to say.

    Returns:
        A description.
    """
    await anyio.sleep(0)
    return {"count": len(items), "mode": mode}


def blocking_sleep(seconds: float) -> str:
    """Sleeps in the calling thread."""
    time.sleep(seconds)
    return "slept"


async def async_sleep(seconds: float) -> str:
    """Sleeps without blocking."""
    await anyio.sleep(seconds)
    return "slept"


def broken(reason: str) -> None:
    """Always fails."""
    raise RuntimeError(reason)
