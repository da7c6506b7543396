"""Operations: health and readiness probes, Prometheus metrics, request ids, logs, shutdown.

``install(server)`` adds the per-request hooks (they must come before the log-in guard) and the
``/healthz``, ``/readyz`` and ``/metrics`` routes. ``dashboard.ops.logs.configure_logging`` and
``dashboard.ops.shutdown`` are used by the long-running commands (``pulseboard serve``).
See docs/deploy.md, "Operations".
"""

from __future__ import annotations

from flask import Flask


def install(server: Flask) -> None:
    """Add request ids, timing and the ops routes to ``server`` (call before auth.install)."""
    from dashboard.ops import metrics, request_hooks, routes
    from data import ingest

    request_hooks.install(server)
    server.register_blueprint(routes.bp)
    metrics.watch_memory(server.extensions["pulseboard"])  # the app this process serves
    if metrics.record_ingest not in ingest.OBSERVERS:  # once per process, however many servers
        ingest.OBSERVERS.append(metrics.record_ingest)
