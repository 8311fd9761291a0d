"""Python tools for the LLM planner tests (engine `python`, run in the agent process)."""

from __future__ import annotations

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
