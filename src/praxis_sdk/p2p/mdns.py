"""libp2p mDNS on the LAN (trio side): advertise our addresses, hand found peers to the node."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from libp2p.discovery.events.peerDiscovery import peerDiscovery
from libp2p.discovery.mdns.mdns import MDNSDiscovery

from praxis_sdk.p2p.discovery import expand_addresses
from praxis_sdk.p2p.failures import Supervisor

log = logging.getLogger(__name__)
MDNS_QUEUE = 64


class MdnsDiscovery:
    """libp2p's mDNS advertising our dialable addresses; found peers go to `on_found`."""

    def __init__(self, peer_id: str, addresses: list[str], network: Any, supervisor: Supervisor,
                 on_found: Callable[[str, list[str]], Awaitable[None]]) -> None:
        self.peer_id = peer_id
        self.network = network
        self.addresses = expand_addresses(addresses, loopback=False)
        self.supervisor = supervisor
        self.on_found = on_found
        self._mdns: MDNSDiscovery | None = None
        self._send, self._recv = trio.open_memory_channel[tuple[str, list[str]]](MDNS_QUEUE)
        self._token: trio.lowlevel.TrioToken | None = None

    async def start(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        peerDiscovery.register_peer_discovered_handler(self._discovered)
        self._mdns = await trio.to_thread.run_sync(self._create, self.network)
        self.supervisor.spawn("mDNS", None, self._consume)

    def _create(self, network: Any) -> MDNSDiscovery:
        mdns = MDNSDiscovery(network, listen_addrs=self.addresses)
        mdns.broadcaster.register()
        return mdns

    def _discovered(self, info: Any) -> None:
        """Runs in a zeroconf thread: hand the peer to trio (dropped if the queue is full)."""
        peer_id = str(info.peer_id)
        if peer_id == self.peer_id or self._token is None:
            return
        addrs = [str(a) for a in info.addrs]
        with contextlib.suppress(trio.RunFinishedError, trio.WouldBlock):
            self._token.run_sync_soon(self._push, (peer_id, addrs))

    def _push(self, item: tuple[str, list[str]]) -> None:
        with contextlib.suppress(trio.WouldBlock, trio.ClosedResourceError):
            self._send.send_nowait(item)

    async def _consume(self) -> None:
        async for peer_id, addrs in self._recv:
            log.debug("mDNS found %s at %s", peer_id, addrs)
            self.supervisor.spawn("mDNS dial", peer_id, self.on_found, peer_id, addrs)

    async def stop(self) -> None:
        peerDiscovery.unregister_peer_discovered_handler(self._discovered)
        self._send.close()
        mdns, self._mdns = self._mdns, None
        if mdns is not None:
            with trio.move_on_after(3.0):
                await trio.to_thread.run_sync(_stop_mdns, mdns, abandon_on_cancel=True)


def _stop_mdns(mdns: MDNSDiscovery) -> None:
    mdns.broadcaster.unregister()
    mdns.listener.stop()
    mdns.zeroconf.close()
