"""Prometheus metrics, one registry per app so tests can build many apps.

With ``--workers N`` every worker process keeps its own registry, so a scrape sees
the worker that answered it.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from models.schema import MEASURE_LABELS, TaggedDocument

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policytag_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "policytag_http_request_duration_seconds",
            "Time from request to the last response byte.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_texts = Histogram(
            "policytag_batch_texts",
            "Documents per micro-batch (one model call).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.batch_segments = Histogram(
            "policytag_batch_segments",
            "Segments per micro-batch (texts the predictor saw).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.labels = Counter(
            "policytag_predicted_labels",
            "Segments predicted with each measure label.",
            ["label"],
            registry=self.registry,
        )
        self.segments = Counter(
            "policytag_predicted_segments", "Segments predicted.", registry=self.registry
        )
        self.model_info = Gauge(
            "policytag_model_info",
            "The model being served (value 1).",
            ["name", "version"],
            registry=self.registry,
        )
        for label in MEASURE_LABELS:
            self.labels.labels(label=label)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def observe_batch(self, documents: Iterable[TaggedDocument], n_texts: int) -> None:
        segments = [s for d in documents for s in d.segments]
        self.batch_texts.observe(n_texts)
        self.batch_segments.observe(len(segments))
        self.segments.inc(len(segments))
        for label in MEASURE_LABELS:
            count = sum(label in s.labels for s in segments)
            if count:
                self.labels.labels(label=label).inc(count)

    def set_model(self, name: str, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(name=name, version=version).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
