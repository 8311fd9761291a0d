"""Praxis: an agent node for networks of AI agents (HTTP, libp2p, MCP, workflows).

The public names load on first use, so `praxis-agent --help` and small scripts start fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("praxis-sdk")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"

_EXPORTS = {
    "Agent": "praxis_sdk.agent",
    "Client": "praxis_sdk.client",
    "Settings": "praxis_sdk.config",
    "load_config": "praxis_sdk.config",
    "PraxisError": "praxis_sdk.errors",
    "ToolResult": "praxis_sdk.tools.result",
    "ToolSpec": "praxis_sdk.tools.spec",
}

__all__ = [
    "Agent", "Client", "PraxisError", "Settings", "ToolResult", "ToolSpec", "__version__",
    "load_config",
]

if TYPE_CHECKING:
    from praxis_sdk.agent import Agent
    from praxis_sdk.client import Client
    from praxis_sdk.config import Settings, load_config
    from praxis_sdk.errors import PraxisError
    from praxis_sdk.tools.result import ToolResult
    from praxis_sdk.tools.spec import ToolSpec


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'praxis_sdk' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
