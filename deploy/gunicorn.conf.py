"""gunicorn settings for Pulseboard's web processes (docs/deploy.md, "Several machines").

    gunicorn -c deploy/gunicorn.conf.py app:server

Everything comes from the same ``PULSEBOARD_*`` variables as ``pulseboard serve``:

- ``PULSEBOARD_HOST``/``PULSEBOARD_PORT``: where it listens (default 127.0.0.1:8050);
- ``PULSEBOARD_THREADS``: threads per process (gthread workers: Dash callbacks wait on the
  warehouse, and DuckDB and polars release the GIL while they work);
- ``GUNICORN_WORKERS``: processes. Default: one per core when the warehouse is shared
  (``PULSEBOARD_WAREHOUSE_URL=postgresql://...``), and exactly one with the DuckDB file, which a
  single process may open (a second process would answer every page with a lock error);
- ``PULSEBOARD_SHUTDOWN_GRACE``: how long a stopping process lets running requests and jobs
  finish (gunicorn's ``graceful_timeout``; keep Kubernetes' terminationGracePeriodSeconds above it).
"""

from __future__ import annotations

import math
import os

_warehouse = os.environ.get("PULSEBOARD_WAREHOUSE_URL", "")
_shared_warehouse = bool(_warehouse) and not _warehouse.startswith("duckdb:")

bind = f"{os.environ.get('PULSEBOARD_HOST', '127.0.0.1')}:{os.environ.get('PULSEBOARD_PORT', '8050')}"
worker_class = "gthread"
threads = int(os.environ.get("PULSEBOARD_THREADS", "8"))
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 1) if _shared_warehouse else "1"))
# Each process builds its own app after the fork: the app starts threads (cache writer, job
# runners) and opens connections, neither of which survives a fork.
preload_app = False
# (gunicorn wants whole seconds: a fractional grace is rounded up)
graceful_timeout = math.ceil(float(os.environ.get("PULSEBOARD_SHUTDOWN_GRACE", "30")))
# An upload of a few hundred MB is read and decoded in one request.
timeout = 300
keepalive = 5
# Pulseboard logs each request itself (pulseboard.access, with its request id).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "pulseboard-web"


def post_worker_init(worker):
    """A worker process is ready: the allocator tuned, and its heaps trimmed, as ``pulseboard serve`` does."""
    import threading

    from dashboard.ops.memory import limit_heap_fragmentation, start_heap_trimmer

    limit_heap_fragmentation()
    start_heap_trimmer(threading.Event())  # a daemon thread: it ends with the worker


def worker_int(worker):
    """SIGINT/SIGQUIT to a worker: refuse new jobs (its readiness turns 503)."""
    _close_jobs()


def worker_exit(server, worker):
    """A worker process is stopping: let jobs running on its threads finish, up to the grace.

    With PULSEBOARD_JOB_QUEUE=celery nothing runs here (workers drain their own jobs).
    """
    from dashboard import jobs

    _close_jobs()
    left = jobs.REGISTRY.wait_idle(graceful_timeout)
    if left:
        server.log.warning("%d job(s) still running at exit were abandoned", len(left))


def _close_jobs() -> None:
    from dashboard import jobs

    jobs.REGISTRY.close()
