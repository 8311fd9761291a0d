"""The httpx transport that carries the SDK client's JSON-RPC requests over libp2p.

Imported with the SDK's client at the first delegation (`client.py`), like httpx itself."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx

from praxis_sdk.errors import PraxisError

if TYPE_CHECKING:
    from praxis_sdk.a2a.client import SendP2P


class P2PTransport(httpx.AsyncBaseTransport):
    """httpx transport whose requests are JSON-RPC bodies sent to one peer over libp2p."""

    def __init__(self, send: SendP2P, peer_id: str, timeout: float) -> None:
        self.send, self.peer_id, self.timeout = send, peer_id, timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        try:
            answer = await self.send(self.peer_id, body, self.timeout)
        except PraxisError as exc:
            raise httpx.ConnectError(exc.message, request=request) from exc
        return httpx.Response(200, json=answer, request=request)
