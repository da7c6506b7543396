"""The process-wide service container: settings, app DB, warehouse.

The web server keeps one on its Flask app (``current_services()``); the CLI builds its own.
The warehouse is opened lazily so commands that only touch the app DB never take the DuckDB
file lock.
"""

from __future__ import annotations

import threading

from flask import current_app

from dashboard.db import AppDB
from dashboard.settings import Settings
from data import metrics
from data.warehouse import Warehouse

#: compiled metric SQL kept between runs, in the cache dir (data.metrics.use_template_store)
METRIC_SQL_FILE = "metric_sql.jsonl"

EXTENSION_KEY = "pulseboard"


class Services:
    """Everything a request, a job or a command needs to reach the stores."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = AppDB(settings.app_database_url)
        self._warehouse: Warehouse | None = None
        self._lock = threading.Lock()

    @property
    def warehouse(self) -> Warehouse:
        """The warehouse, opened (and migrated) on first use; raises WarehouseLocked if busy."""
        if self._warehouse is None:
            with self._lock:
                if self._warehouse is None:
                    self._warehouse = Warehouse(
                        self.settings.warehouse_location, memory_limit=self.settings.warehouse_memory_limit
                    )
                    # Metric SQL compiled by earlier runs: a restarted server skips those compiles.
                    metrics.use_template_store(self.settings.cache_path / METRIC_SQL_FILE)
        return self._warehouse

    def close(self) -> None:
        """Release the warehouse file lock and pooled DB connections."""
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None
        self.db.dispose()


def current_services() -> Services:
    """The services of the Flask app handling this request."""
    return current_app.extensions[EXTENSION_KEY]
