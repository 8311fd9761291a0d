"""Python tools that P2P agent tests give to one agent only (engine `python`)."""

from __future__ import annotations

import asyncio
import os


def b_echo(text: str) -> dict[str, str]:
    """Echoes a text with the pid of the agent that ran it.

    Args:
        text: What to echo.
    """
    return {"echo": text, "pid": str(os.getpid())}


def b_secret() -> str:
    """A tool that is not exposed to peers."""
    return "classified"


async def b_slow(seconds: float) -> str:
    """Sleeps, then answers (for killing an agent mid-call).

    Args:
        seconds: How long to sleep.
    """
    await asyncio.sleep(seconds)
    return "woke up"


def b_fresh() -> str:
    """A tool that only the restarted agent has."""
    return "fresh"
