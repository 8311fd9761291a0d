"""The HTTP interface: REST, WebSocket and SSE routes over the node's services."""

from praxis_sdk.api.app import create_app
from praxis_sdk.api.services import Services

__all__ = ["Services", "create_app"]
