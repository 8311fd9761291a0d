"""Praxis: an agent node for networks of AI agents (HTTP, libp2p, MCP, A2A)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("praxis-sdk")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"

from praxis_sdk.agent import Agent  # noqa: E402
from praxis_sdk.client import Client  # noqa: E402
from praxis_sdk.config import Settings, load_config  # noqa: E402
from praxis_sdk.errors import PraxisError  # noqa: E402
from praxis_sdk.tools.result import ToolResult  # noqa: E402
from praxis_sdk.tools.spec import ToolSpec  # noqa: E402

__all__ = [
    "Agent", "Client", "PraxisError", "Settings", "ToolResult", "ToolSpec",
    "__version__", "load_config",
]
