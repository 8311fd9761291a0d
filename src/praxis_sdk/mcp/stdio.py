"""`praxis-agent mcp-stdio`: a whole node (no HTTP) serving its catalog over MCP stdio."""

from __future__ import annotations

import asyncio
import signal
from typing import Any, Protocol

from praxis_sdk.mcp.server import serve_stdio
from praxis_sdk.tools.catalog import ToolCatalog
from praxis_sdk.tools.result import ToolResult


class StdioAgent(Protocol):
    """What this needs of `praxis_sdk.agent.Agent` (an async context manager)."""

    catalog: ToolCatalog

    @property
    def name(self) -> str: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: object) -> None: ...


async def serve_agent(agent: StdioAgent, version: str = "") -> None:
    """Start `agent`, serve its catalog on stdin/stdout until the client closes, stop it.

    SIGTERM and SIGINT end serving the same way (the agent still stops in order).
    """
    async def invoke(name: str, arguments: dict[str, Any]) -> ToolResult:
        return await agent.catalog.invoke(name, arguments, caller="mcp")

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    signalled: list[int] = []

    def on_signal(sig: int) -> None:
        signalled.append(sig)
        task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await serve_stdio(agent.catalog.specs, invoke, name=agent.name, version=version,
                          context=agent)
    except asyncio.CancelledError:
        if not signalled:
            raise
        task.uncancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def run_stdio(agent: StdioAgent, version: str = "") -> None:
    """Blocking entry point of `praxis-agent mcp-stdio`."""
    asyncio.run(serve_agent(agent, version))
