"""Python tools for the LLM planner tests (engine `python`, run in the agent process)."""

from __future__ import annotations

import asyncio
import os


def shout(text: str) -> dict[str, str]:
    """Upper-cases a text, with the pid of the agent that ran it.

    Args:
        text: The text to shout.
    """
    return {"shouted": text.upper(), "pid": str(os.getpid())}


def broken(text: str) -> str:
    """Always fails (to make a plan's step fail).

    Args:
        text: Ignored.
    """
    raise RuntimeError(f"broken on purpose ({text})")


async def nap(seconds: float) -> str:
    """Sleeps, then answers (a step to cancel while it runs).

    Args:
        seconds: How long to sleep.
    """
    await asyncio.sleep(seconds)
    return "rested"
