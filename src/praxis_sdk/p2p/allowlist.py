"""`p2p.allowed_peers`: which peers may call our tools and become providers.

`None` (the default) lets every peer in; a list, even an empty one, admits only the
peers it names.
"""

from __future__ import annotations

from collections.abc import Iterable


class AllowList:
    def __init__(self, peers: Iterable[str] | None) -> None:
        self._peers = None if peers is None else frozenset(peers)

    def permits(self, peer_id: str) -> bool:
        return self._peers is None or peer_id in self._peers
