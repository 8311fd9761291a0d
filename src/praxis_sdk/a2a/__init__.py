"""A2A: the node's task server (a2a-sdk on the runner) and delegation to other agents.

Built by `agent.py`, which hands in the runner, the catalog and, for libp2p, callables
of the P2P service; nothing here imports `p2p/` or `mcp/`.
"""

from praxis_sdk.a2a.card import CardBuilder
from praxis_sdk.a2a.client import Delegation, Delegator
from praxis_sdk.a2a.server import A2AServer
from praxis_sdk.a2a.tool import DELEGATE_TOOL, DelegateTools

__all__ = ["DELEGATE_TOOL", "A2AServer", "CardBuilder", "DelegateTools", "Delegation",
           "Delegator"]
