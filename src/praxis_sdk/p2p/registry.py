"""Peers' tools as catalog providers (asyncio side): added with a card, removed when gone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from praxis_sdk.p2p import wire
from praxis_sdk.p2p.allowlist import AllowList
from praxis_sdk.p2p.provider import CallFn, PeerToolProvider
from praxis_sdk.p2p.tasks import TaskSet

log = logging.getLogger(__name__)

ProviderCallback = Callable[[PeerToolProvider], Any]
Publish = Callable[[str, dict[str, Any]], None]


class ProviderRegistry:
    """`providers` by peer id; listeners hear of each change, `peerUpdate` events go out."""

    def __init__(self, *, call: CallFn, allow: AllowList, tasks: TaskSet,
                 publish: Publish | None, on_added: ProviderCallback | None,
                 on_removed: ProviderCallback | None) -> None:
        self.providers: dict[str, PeerToolProvider] = {}
        self._call = call
        self._allow = allow
        self._tasks = tasks
        self._publish = publish
        self._on_added = on_added
        self._on_removed = on_removed

    def card_received(self, peer_id: str, card: wire.Card) -> None:
        provider = self.providers.get(peer_id)
        if provider is not None:
            provider.update(card)
            self._callback(self._on_added, provider)  # same provider: listeners see new tools
        elif self._allow.permits(peer_id):
            provider = self.providers[peer_id] = PeerToolProvider(peer_id, card, self._call)
            self._callback(self._on_added, provider)
        self.emit("peerUpdate", {"peerId": peer_id, "state": "connected", "name": card.name,
                                 "tools": [tool.name for tool in card.tools]})

    def peer_state(self, peer_id: str, state: str) -> None:
        if state == "gone":
            self.remove(peer_id)
        self.emit("peerUpdate", {"peerId": peer_id, "state": state})

    def remove(self, peer_id: str) -> None:
        provider = self.providers.pop(peer_id, None)
        if provider is not None:
            self._callback(self._on_removed, provider)

    def remove_all(self) -> None:
        for peer_id in list(self.providers):
            self.remove(peer_id)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        if self._publish is not None:
            try:
                self._publish(event, payload)
            except Exception:
                log.exception("publishing %s failed", event)

    def _callback(self, callback: ProviderCallback | None, provider: PeerToolProvider) -> None:
        if callback is None:
            return
        try:
            outcome = callback(provider)
            if asyncio.iscoroutine(outcome):
                self._tasks.spawn(outcome, f"provider callback for {provider.name}")
        except Exception:
            log.exception("provider callback failed for %s", provider.name)
