"""The `python` engine: a Python function in the agent's own process.

Coroutine functions are awaited; plain functions run in a worker thread (`threads.py`)
so they never block the event loop. On timeout an async function is cancelled; a thread
cannot be killed, so a blocking function past its deadline is abandoned (its result is
dropped) and the caller gets the timeout at once.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
from collections.abc import Mapping
from typing import Any

from praxis_sdk.errors import PraxisError, Timeout, ToolFailed
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import Engine
from praxis_sdk.tools.engines.threads import ToolThreads
from praxis_sdk.tools.pyfunc import bind_function
from praxis_sdk.tools.result import TextContent, ToolResult


def render(value: Any) -> tuple[str, dict[str, Any] | list[Any] | None]:
    """A return value as (text, structured): dicts and lists are JSON, None is empty."""
    if value is None:
        return "", None
    if isinstance(value, str):
        return value, None
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    text = json.dumps(value, default=str)
    return text, value if isinstance(value, (dict, list)) else None


class PythonEngine(Engine):
    """Calls the contract's function with the arguments as keyword arguments."""

    name = "python"
    probe_ttl = float("inf")

    def __init__(self) -> None:
        super().__init__()
        self.threads = ToolThreads()

    async def _probe(self) -> tuple[bool, str]:
        return True, "in-process"

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        func = bind_function(contract).function
        assert func is not None
        kwargs = contract.with_defaults(arguments)
        common = {"tool": contract.name, "provider": "", "engine": self.name}
        started = time.perf_counter()
        value: Any = None
        try:
            async with asyncio.timeout(timeout):
                if inspect.iscoroutinefunction(func):
                    value = await func(**kwargs)
                else:
                    value = await self.threads.run(functools.partial(func, **kwargs))
                    if inspect.isawaitable(value):
                        value = await value
        except TimeoutError:
            return ToolResult.failure(
                code=Timeout.code,
                message=f"tool {contract.name!r} timed out after {timeout:g}s",
                duration_ms=(time.perf_counter() - started) * 1000,
                **common,
            )
        except Exception as exc:  # noqa: BLE001 - a tool's own failure becomes its result
            code = exc.code if isinstance(exc, PraxisError) else ToolFailed.code
            return ToolResult.failure(
                code=code,
                message=f"tool {contract.name!r} failed: {type(exc).__name__}: {exc}",
                details={"exception": type(exc).__name__},
                duration_ms=(time.perf_counter() - started) * 1000,
                **common,
            )
        text, structured = render(value)
        return ToolResult(
            ok=True,
            content=[TextContent(text=text)] if text else [],
            structured=structured,
            duration_ms=(time.perf_counter() - started) * 1000,
            **common,
        )
