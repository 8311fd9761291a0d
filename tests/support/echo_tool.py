"""Tiny in-process tools for `engine: python` contracts in tests and benchmarks."""

from __future__ import annotations

from typing import Any


async def echo(text: str) -> str:
    """Returns its text unchanged.

    Args:
        text: The text to return.
    """
    return text


async def describe(text: str, times: int = 1) -> dict[str, Any]:
    """Returns the text repeated, with its length (structured content).

    Args:
        text: The text.
        times: How often to repeat it.
    """
    repeated = text * times
    return {"text": repeated, "length": len(repeated)}


def noisy(text: str) -> str:
    """Prints to stdout (which must not reach an MCP stdio client) and returns its text.

    Args:
        text: The text to return.
    """
    print("stray output from a tool", flush=True)
    return text
