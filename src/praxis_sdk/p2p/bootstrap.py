"""Bootstrap (asyncio side): keep each configured peer connected, redialling when it goes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from praxis_sdk.errors import PraxisError
from praxis_sdk.p2p import discovery

log = logging.getLogger(__name__)

Connect = Callable[[str], Awaitable[str]]


class Bootstrap:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._gone: dict[str, asyncio.Event] = {}
        self._stopping = asyncio.Event()

    def peer_state(self, peer_id: str, state: str) -> None:
        if state == "gone":
            self._gone.setdefault(peer_id, asyncio.Event()).set()
        else:
            self._gone.pop(peer_id, None)

    def stop(self) -> None:
        self._stopping.set()

    async def keep(self, entry: str) -> None:
        """Keep one bootstrap peer connected: dial with jittered backoff, redial when gone."""
        delays = discovery.backoff_delays()
        while not self._stopping.is_set():
            try:
                peer_id = await self._connect(entry)
            except PraxisError as exc:
                log.info("bootstrap %s: %s", entry, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), next(delays))
                continue
            delays = discovery.backoff_delays()
            gone = self._gone.setdefault(peer_id, asyncio.Event())
            gone.clear()
            waiters = [asyncio.ensure_future(gone.wait()),
                       asyncio.ensure_future(self._stopping.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
