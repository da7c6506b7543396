"""The process-wide service container: settings, app DB, warehouse.

The web server keeps one on its Flask app (``current_services()``); the CLI builds its own.
The warehouse is opened lazily so commands that only touch the app DB never take the DuckDB
file lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from dashboard.db import AppDB
from dashboard.hardening import data_files, make_private
from dashboard.ops.priority import pause_between_steps
from dashboard.settings import Settings
from data import pacing
from data.metrics import MetricService
from data.warehouse import Warehouse

#: compiled metric SQL kept between runs, in the cache dir (data.metrics.service.TemplateStore)
METRIC_SQL_FILE = "metric_sql.jsonl"

EXTENSION_KEY = "pulseboard"

#: how long close() waits for background work (warm-ups, projections) to leave the warehouse
CLOSE_GRACE_SECONDS = 30.0

log = logging.getLogger(__name__)


class Services:
    """Everything a request, a job or a command needs to reach the stores."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = AppDB(settings.app_database_url)
        self._warehouse: Warehouse | None = None
        self._lock = threading.Lock()
        self._metrics: MetricService | None = None
        self._query_cache = None
        #: set by close(): background work started for these services skips or stops early
        self.closing = threading.Event()
        self._background = 0  # background tasks inside the stores now (background_work())
        self._background_done = threading.Condition()
        # imports pause between their steps while page callbacks run (on background threads)
        pacing.set_pause(pause_between_steps)

    @property
    def query_cache(self):
        """The app's cached metric answers (dashboard.queries.QueryCache), made on first use."""
        if self._query_cache is None:
            from dashboard.queries import QueryCache  # it builds on these services

            with self._lock:
                if self._query_cache is None:
                    self._query_cache = QueryCache(self.settings)
        return self._query_cache

    @property
    def metrics(self) -> MetricService:
        """The metric layer's caches (compiled SQL, subscription frames) for this app."""
        if self._metrics is None:
            with self._lock:
                if self._metrics is None:
                    # Metric SQL compiled by earlier runs: a restarted server skips those compiles.
                    self._metrics = MetricService(self.settings.cache_path / METRIC_SQL_FILE)
        return self._metrics

    @property
    def warehouse(self) -> Warehouse:
        """The warehouse, opened (and migrated) on first use; raises WarehouseLocked if busy."""
        if self._warehouse is None:
            metrics = self.metrics  # (takes the lock itself)
            with self._lock:
                if self._warehouse is None:
                    warehouse = Warehouse(
                        self.settings.warehouse_location, memory_limit=self.settings.warehouse_memory_limit
                    )
                    # Every query on it uses the app's metric service (data.metrics.service_of).
                    warehouse.metric_service = metrics
                    self._warehouse = warehouse
                    # DuckDB creates its file with the process umask (often 0644): keep it private.
                    for path in data_files(self.settings):
                        make_private(path)
        return self._warehouse

    @property
    def open_warehouse(self) -> Warehouse | None:
        """The warehouse if something has opened it already, else None (never opens it)."""
        return self._warehouse

    @property
    def open_query_cache(self):
        """The query cache if something has used it already, else None (never makes it)."""
        return self._query_cache

    @contextmanager
    def background_work(self) -> Iterator[bool]:
        """Hold the stores open for work on a background thread; yields False once closing.

        A page warm-up or a KPI card's projection runs on its own thread after the request that
        started it. close() waits for such work before it closes the warehouse: DuckDB freed
        under a query still running on another thread crashes the whole process (a segfault),
        where an interrupted query only raises in that thread. Work asked for after close()
        began gets False and must not touch the stores.
        """
        with self._background_done:
            alive = not self.closing.is_set()
            if alive:
                self._background += 1
        try:
            yield alive
        finally:
            if alive:
                with self._background_done:
                    self._background -= 1
                    self._background_done.notify_all()

    def close(self, grace_seconds: float = CLOSE_GRACE_SECONDS) -> None:
        """Release the warehouse file lock and pooled DB connections.

        Background work still inside the warehouse is interrupted and waited for, up to
        ``grace_seconds``. If it has not left by then the warehouse stays open (its file lock
        goes with the process): closing it under a running query would crash the process.
        """
        self.closing.set()
        deadline = time.monotonic() + grace_seconds
        with self._background_done:
            while self._background > 0 and time.monotonic() < deadline:
                # Each round, and whether or not the work has opened the warehouse yet: a task
                # between two queries (or about to open it) starts its next one unaware.
                if self._warehouse is not None:
                    self._warehouse.interrupt()
                self._background_done.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            busy = self._background > 0
        if busy:
            log.warning(
                "background work still reads the warehouse after %.0f s: it stays open until the process ends",
                grace_seconds,
            )
        warehouse = self._warehouse
        if warehouse is not None and not busy:
            warehouse.close()
            self._warehouse = None
        if self._query_cache is not None:  # its queued shared writes, then its writer thread
            self._query_cache.cache.close(timeout=max(0.5, deadline - time.monotonic()))
        self.db.dispose()


def current_services() -> Services:
    """The services of the Flask app handling this request."""
    return current_app.extensions[EXTENSION_KEY]
