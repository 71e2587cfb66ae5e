"""Prometheus metrics, one registry per app: request counts, latency histogram, engine errors."""

from __future__ import annotations

from flask import current_app
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
METRICS = "shopsearch.metrics"  # the app's extensions key


def app_metrics() -> Metrics:
    """The current app's metrics (inside a request or app context)."""
    metrics: Metrics = current_app.extensions[METRICS]
    return metrics


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("shopsearch_requests", "HTTP requests", ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram(
            "shopsearch_request_seconds",
            "Request latency",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.engine_errors = Counter(
            "shopsearch_engine_errors", "OpenSearch unreachable, timing out or failing", registry=self.registry
        )
        self.refused = Counter(
            "shopsearch_refused",
            "Requests refused for their credentials (401, 403)",
            ["status"],
            registry=self.registry,
        )

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
