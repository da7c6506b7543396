"""Prometheus metrics of this process, in a registry of their own (served at ``/metrics``).

The registry is not prometheus_client's global default: nothing a library registers there
leaks into our page, and tests read these metrics without colliding with anything else.
Metrics are process-wide (jobs and imports run on threads outside any request); each web
process serves its own numbers, as Prometheus expects of one scrape target per process.

Every label has a bounded set of values: routes are URL templates, callback outputs are the
app's declared outputs, and free-form values (sources, kinds, providers) are cut to a safe
shape or become ``other`` — a client must not be able to grow the series without limit.
"""

from __future__ import annotations

import re
import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # RSS, CPU seconds, open files: memory over time

#: seconds; page callbacks aim at ~25-120 ms, uploads and exports may take minutes
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
#: label value for anything outside the expected shape
OTHER = "other"
_LABEL_SHAPE = re.compile(r"^[a-z0-9_.-]{1,40}$")

HTTP_LATENCY = Histogram(
    "pulseboard_http_request_duration_seconds",
    "Time from request start to response, by route template, method and status.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
CALLBACK_LATENCY = Histogram(
    "pulseboard_callback_duration_seconds",
    "Time a Dash callback request (POST /_dash-update-component) took, by the callback's output.",
    ("output", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
INGEST_ROWS = Counter(
    "pulseboard_ingest_rows_total",
    "Rows of imports and syncs, by source and what became of them (inserted, updated, quarantined, skipped).",
    ("source", "outcome"),
    registry=REGISTRY,
)
INGEST_RUNS = Counter(
    "pulseboard_ingest_runs_total",
    "Import and sync runs, by source, kind (file, sync) and status (ok, partial, failed, refused).",
    ("source", "kind", "status"),
    registry=REGISTRY,
)
JOBS = Counter(
    "pulseboard_jobs_total",
    "Background jobs that ended, by kind (upload, sync, forecast, insights ...) and status (done, failed).",
    ("kind", "status"),
    registry=REGISTRY,
)
JOBS_RUNNING = Gauge(
    "pulseboard_jobs_running", "Background jobs running now, by kind.", ("kind",), registry=REGISTRY
)
AI_CALLS = Counter(
    "pulseboard_ai_calls_total",
    "Calls to AI providers, by provider and outcome (ok, malformed, rate_limited, server_error, timeout, error).",
    ("provider", "outcome"),
    registry=REGISTRY,
)
AI_LATENCY = Histogram(
    "pulseboard_ai_call_duration_seconds",
    "Time an AI provider call took, by provider.",
    ("provider",),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


class _MemoryCollector:
    """``pulseboard_memory_bytes{part}``: where the server's memory is, read at each scrape.

    The parts are :func:`dashboard.ops.memory.memory_breakdown`'s (RSS, DuckDB's buffer pool,
    the answer cache's memory layer). It watches one app's services (the last
    one :func:`watch_memory` was given: one app per process in production), by weak reference.
    """

    NAME = "pulseboard_memory_bytes"
    HELP = "Bytes of memory by part: rss, warehouse (DuckDB's buffer pool), answer_cache."

    def __init__(self):
        self._services = None

    def watch(self, services) -> None:
        self._services = weakref.ref(services)

    def describe(self):
        yield GaugeMetricFamily(self.NAME, self.HELP, labels=("part",))

    def collect(self):
        from dashboard.ops.memory import memory_breakdown

        services = self._services() if self._services is not None else None
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=("part",))
        if services is not None:
            for part, size in memory_breakdown(services).items():
                family.add_metric((part,), size)
        yield family


_MEMORY = _MemoryCollector()
REGISTRY.register(_MEMORY)


def watch_memory(services) -> None:
    """Report ``services``' memory (warehouse, answer cache) in ``pulseboard_memory_bytes``."""
    _MEMORY.watch(services)


def label(value: object) -> str:
    """``value`` as a label if it has the shape of a code constant (``stripe``, ``upload``), else ``other``."""
    text = str(value or "").lower()
    return text if _LABEL_SHAPE.match(text) else OTHER


def record_ingest(result, kind: str) -> None:
    """Count one finished import or sync (a data.ingest.IngestResult)."""
    source = label(result.source)
    INGEST_RUNS.labels(source, label(kind), label(result.status)).inc()
    for outcome, rows in (
        ("inserted", result.inserted),
        ("updated", result.updated),
        ("quarantined", result.quarantined),
        ("skipped", result.skipped_total),
    ):
        if rows:
            INGEST_ROWS.labels(source, outcome).inc(rows)


def record_ai_call(provider: str, outcome: str, seconds: float) -> None:
    """Count one AI provider call and its duration."""
    AI_CALLS.labels(label(provider), label(outcome)).inc()
    AI_LATENCY.labels(label(provider)).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus text format, and its content type."""
    # The 0.0.4 text format: every Prometheus 2.x and 3.x server reads it (our names are ASCII,
    # so the text is the same as the newer format's).
    return generate_latest(REGISTRY), CONTENT_TYPE_PLAIN_0_0_4
