"""`p2p.allowed_peers`: which peers may call our tools and become providers (empty: all)."""

from __future__ import annotations

from collections.abc import Iterable


class AllowList:
    def __init__(self, peers: Iterable[str] | None) -> None:
        self._peers = frozenset(peers or ())

    def permits(self, peer_id: str) -> bool:
        return not self._peers or peer_id in self._peers
