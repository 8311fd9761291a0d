"""What `connect` accepts: a multiaddr with `/p2p/<id>` or an agent's HTTP URL (asked over HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from praxis_sdk.errors import InvalidInput
from praxis_sdk.lean import import_lean
from praxis_sdk.p2p import discovery

if TYPE_CHECKING:  # httpx loads at the first URL target
    import httpx


class TargetResolver:
    """Turns a connect target into (peer id, addresses); owns the HTTP client for URLs."""

    def __init__(self) -> None:
        self._http: httpx.AsyncClient | None = None

    async def resolve(self, target: str, timeout: float) -> tuple[str, list[str]]:
        if discovery.is_url(target):
            if self._http is None:
                import_lean("httpx")  # without its command line's rich (lean.py)
                import httpx

                self._http = httpx.AsyncClient()
            return await discovery.resolve_url(target, self._http, timeout)
        if target.startswith("/"):
            peer_id, base = discovery.split_p2p(target)
            return peer_id, [base]
        raise InvalidInput(f"not a multiaddr or http(s) URL: {target!r}")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
