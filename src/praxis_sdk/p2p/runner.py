"""Runs the trio node in its bridge thread (asyncio side), with a watchdog.

If the node stops on its own (the listener closed, the host failed), the watchdog
logs why, marks its peers gone and starts a new node on the same addresses, retrying
with backoff; `/health` shows the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from praxis_sdk.errors import PraxisError, Unavailable
from praxis_sdk.p2p import discovery
from praxis_sdk.p2p.metrics import P2PMetrics
from praxis_sdk.p2p.tasks import TaskSet

if TYPE_CHECKING:  # libp2p and trio load only when the node starts (agent start-up time)
    from praxis_sdk.p2p.bridge import TrioBridge
    from praxis_sdk.p2p.node import P2PNode

log = logging.getLogger(__name__)

MakeNode = Callable[..., "P2PNode"]


class NodeRunner:
    """`make_node(bridge=, key_pair=, listen=)` builds each node; `on_down` runs when one ends."""

    def __init__(self, *, config: Any, agent_name: str, metrics: P2PMetrics, tasks: TaskSet,
                 make_node: MakeNode, on_down: Callable[[], None]) -> None:
        self.config = config
        self.agent_name = agent_name
        self.metrics = metrics
        self.tasks = tasks
        self.make_node = make_node
        self.on_down = on_down
        self.bridge: TrioBridge | None = None
        self.node: P2PNode | None = None
        self.starting = False
        self.restarts = 0
        self.reason = ""  # why the node last stopped on its own
        self.down_since: float | None = None
        self._key_pair: Any = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        """The node's thread is up and it listens (a restarted node's thread starts first)."""
        return (self.bridge is not None and self.bridge.running
                and self.node is not None and bool(self.node.listen_addrs))

    async def start(self) -> None:
        """Load the identity, start the trio thread and wait until the node listens."""
        self.starting = True
        try:
            # libp2p takes most of a second to import: do it in a worker thread so the
            # event loop (and /health, which says "starting") keeps answering meanwhile.
            await asyncio.to_thread(importlib.import_module, "praxis_sdk.p2p.node")
            from praxis_sdk.p2p import identity
            self._key_pair = await asyncio.to_thread(
                identity.load_or_create, self.config.keystore_path, self.agent_name)
            await self._start_node(listen=None)
        finally:
            self.starting = False

    async def _start_node(self, listen: list[str] | None) -> None:
        from praxis_sdk.p2p.bridge import TrioBridge
        from praxis_sdk.p2p.failures import as_error, only_cancelled

        bridge = TrioBridge(f"p2p-{self.agent_name}")
        node = self.make_node(bridge=bridge, key_pair=self._key_pair, listen=listen)
        self.bridge, self.node = bridge, node

        async def main(bridge: TrioBridge) -> None:
            reason = "the node returned without being asked to stop"
            try:
                await node.run(bridge)
            except BaseException as exc:
                reason = ("a libp2p background task (such as the TCP listener) crashed "
                          "and trio stopped the node" if only_cancelled(exc)
                          else as_error(exc, "P2P node").message)
                raise
            finally:
                bridge.emit(self._ended, bridge, reason)

        await bridge.start(main, timeout=float(self.config.connection_timeout))

    async def stop(self, timeout: float) -> None:
        self._stopping.set()
        if self.bridge is not None:
            await self.bridge.stop(timeout)

    # ---- watchdog --------------------------------------------------------------------

    def _ended(self, bridge: TrioBridge, reason: str) -> None:
        if self._stopping.is_set() or bridge is not self.bridge or self.starting:
            return
        log.error("P2P node stopped on its own: %s; restarting it", reason)
        self.reason, self.down_since = reason, time.time()
        self.restarts += 1
        self.metrics.restarts.inc()
        self.tasks.spawn(self._restart(bridge), "P2P watchdog restart")

    async def _restart(self, old: TrioBridge) -> None:
        node = self.node
        listen = node.listen_addrs if node is not None and node.listen_addrs else None
        await old.stop(float(self.config.connection_timeout))
        self.on_down()
        delays = discovery.backoff_delays(base=0.25, cap=10.0)
        while not self._stopping.is_set():
            try:
                await self._start_node(listen)
            except PraxisError as exc:
                self.reason = f"{self.reason}; restart failed: {exc.message}"
                log.warning("P2P node restart failed: %s", exc.message)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), next(delays))
                continue
            log.warning("P2P node restarted after: %s", self.reason)
            self.down_since = None
            return

    def health(self) -> dict[str, Any]:
        """Status and, after a restart, why the node had stopped."""
        node = self.node
        status = "healthy" if self.running else "starting" if self.starting else "unhealthy"
        report: dict[str, Any] = {"status": status, "listening": self.running,
                                  "restarts": self.restarts}
        if not self.running and not self.starting:
            report["reason"] = self.reason or "P2P node is not running"
        elif self.reason:
            report["last_restart_reason"] = self.reason
        if node is not None:
            report["contained_failures"] = node.supervisor.failures
            if node.supervisor.last_failure:
                report["last_failure"] = node.supervisor.last_failure
        return report

    def require(self) -> tuple[P2PNode, TrioBridge]:
        if self.node is None or self.bridge is None or not self.bridge.running:
            raise Unavailable(f"P2P is not running{': ' + self.reason if self.reason else ''}")
        return self.node, self.bridge
