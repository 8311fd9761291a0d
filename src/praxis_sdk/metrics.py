"""Prometheus metrics of one node, on a registry of its own (several nodes may share a process)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics import MetricWrapperBase

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class LabelChildren:
    """`metric.labels(*labels)`, remembered: prometheus-client checks the values and takes a
    lock on every `labels` call, which the per-request paths need not repeat. For label
    values from bounded sets (routes, tools, engines, outcomes, protocols)."""

    def __init__(self) -> None:
        self._found: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}

    def __call__(self, metric: MetricWrapperBase, *labels: str) -> Any:
        key = (metric, labels)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = metric.labels(*labels)
        return found


class Metrics:
    """The node's registry and the metrics the core layers update."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.child = LabelChildren()
        r = self.registry
        self.http_requests = Counter(
            "praxis_http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "praxis_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.tool_calls = Counter(
            "praxis_tool_calls_total", "Tool runs", ["tool", "engine", "outcome"], registry=r
        )
        self.tool_duration = Histogram(
            "praxis_tool_duration_seconds", "Tool run duration", ["tool", "engine", "outcome"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.tasks = Counter(
            "praxis_tasks_total", "Tasks that reached a final state", ["kind", "state"],
            registry=r,
        )
        self.task_duration = Histogram(
            "praxis_task_duration_seconds", "Task duration, accepted to final state",
            ["kind", "state"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.a2a_requests = Counter(
            "praxis_a2a_requests_total", "A2A JSON-RPC requests", ["method", "outcome"],
            registry=r,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of everything registered."""
        return generate_latest(self.registry)
