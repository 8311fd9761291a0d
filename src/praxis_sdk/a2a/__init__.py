"""A2A: the node's task server (a2a-sdk on the runner) and delegation to other agents.

Built by `agent.py`, which hands in the runner, the catalog and, for libp2p, callables
of the P2P service; nothing here imports `p2p/` or `mcp/`.

The SDK wraps every request-handling call in an OpenTelemetry span, which costs time on
each request even with no tracer configured; it is off unless
`OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=true` is set (read when the SDK is first imported).
"""

import os

os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")

from praxis_sdk.a2a.card import CardBuilder  # noqa: E402
from praxis_sdk.a2a.client import Delegation, Delegator  # noqa: E402
from praxis_sdk.a2a.server import A2AServer  # noqa: E402
from praxis_sdk.a2a.tool import DELEGATE_TOOL, DelegateTools  # noqa: E402

__all__ = ["DELEGATE_TOOL", "A2AServer", "CardBuilder", "DelegateTools", "Delegation",
           "Delegator"]
