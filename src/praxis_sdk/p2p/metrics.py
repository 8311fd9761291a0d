"""Prometheus metrics of the P2P node (thread-safe: updated from the trio thread)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from praxis_sdk.metrics import LabelChildren


class P2PMetrics:
    """Peers, streams, messages and bytes by protocol, errors, call latency.

    With no registry the metrics live in a private registry (nothing is exported).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        reg = registry if registry is not None else CollectorRegistry()
        self.peers = Gauge("praxis_p2p_peers", "Peers by state", ["state"], registry=reg)
        self.streams = Gauge("praxis_p2p_open_streams", "Open Praxis streams", ["protocol"],
                             registry=reg)
        self.messages = Counter("praxis_p2p_messages", "Messages by protocol and direction",
                                ["protocol", "direction"], registry=reg)
        self.bytes = Counter("praxis_p2p_bytes", "Bytes by protocol and direction",
                             ["protocol", "direction"], registry=reg)
        self.errors = Counter("praxis_p2p_errors", "Stream and call errors", ["protocol", "kind"],
                              registry=reg)
        self.failures = Counter(
            "praxis_p2p_failures", "Failures contained to one stream or peer (what, error code)",
            ["what", "code"], registry=reg)
        self.restarts = Counter("praxis_p2p_node_restarts",
                                "Times the watchdog restarted a stopped P2P node", registry=reg)
        self.call_latency = Histogram(
            "praxis_p2p_call_seconds", "Remote tool call round trip",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=reg,
        )
        self.child = LabelChildren()

    def message(self, protocol: str, direction: str, size: int) -> None:
        self.child(self.messages, protocol, direction).inc()
        self.child(self.bytes, protocol, direction).inc(size)

    def error(self, protocol: str, kind: str) -> None:
        self.errors.labels(protocol, kind).inc()

    def failure(self, what: str, code: str) -> None:
        self.failures.labels(what, code).inc()

    def set_peers(self, connected: int, gone: int) -> None:
        self.peers.labels("connected").set(connected)
        self.peers.labels("gone").set(gone)
