"""The metric layer's caches, held by one service object per app.

:class:`MetricService` owns the compiled SQL templates (:class:`TemplateStore`) and the
workspaces' subscription frames (:class:`FrameCache`). The web app's ``Services`` makes one
and hands it to its warehouse; a warehouse used on its own (a test, a script) gets a fresh
one on first use (:func:`service_of`), so nothing is shared between apps and a test can start
from a fresh service. Nothing here is module-level mutable state.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis

#: A shape: (metric name, grain, split dimension or None, sorted filter keys).
Shape = tuple[str, str, str | None, tuple[str, ...]]


@functools.cache
def templates_fingerprint() -> str:
    """What compiled SQL depends on: the catalogue and this module, the schema, ibis and DuckDB."""
    import duckdb

    from data.warehouse import MIGRATIONS_DIR

    digest = hashlib.sha256()
    here = Path(__file__).parent  # the modules that build the SQL
    for module in ("catalogue.py", "compile.py"):
        digest.update((here / module).read_bytes())
    for migration in sorted(MIGRATIONS_DIR.glob("*.sql")):
        digest.update(migration.read_bytes())
    digest.update(f"{ibis.__version__} {duckdb.__version__}".encode())
    return digest.hexdigest()[:16]


class TemplateStore:
    """Compiled SQL per request shape (None: this shape cannot have a template), thread-safe.

    With a ``path`` it also keeps them in a file: a compile costs 15-50 ms per shape, and a
    restarted server would otherwise pay it again on its first page loads. The file is JSON
    lines, each stamped with :func:`templates_fingerprint`: lines from any other build are
    ignored, as are damaged ones.
    """

    def __init__(self, path: Path | None = None):
        self.sql: dict[Shape, str | None] = {}
        self.lock = threading.Lock()
        self.path: Path | None = None
        if path is not None:
            self.load(path)

    def load(self, path: Path) -> int:
        """Use ``path`` from now on and load what earlier processes compiled there; returns how many."""
        fingerprint, loaded = templates_fingerprint(), 0
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        current = []
        with self.lock:
            for line in lines:
                try:
                    entry = json.loads(line)
                    if entry.get("fingerprint") != fingerprint or not isinstance(entry.get("sql"), str):
                        continue
                    name, grain, by, where_keys = entry["shape"]
                    shape = (name, grain, by, tuple(where_keys))
                except (ValueError, TypeError, KeyError):
                    continue
                current.append(line)
                if shape not in self.sql:
                    self.sql[shape] = entry["sql"]
                    loaded += 1
            self.path = path
        if len(current) < len(lines):  # drop other builds' and damaged lines, so the file stays small
            try:
                spare = path.with_suffix(".tmp")
                spare.write_text("".join(f"{line}\n" for line in current), encoding="utf-8")
                spare.replace(path)
            except OSError:
                pass
        return loaded

    def known(self, shape: Shape) -> bool:
        """True when ``shape`` was compiled (or found uncompilable) already."""
        with self.lock:
            return shape in self.sql

    def template(self, shape: Shape, compile_shape: Callable[[], str | None]) -> str | None:
        """The parameterised SQL for a request shape (``compile_shape()`` on first use), or None."""
        with self.lock:
            if shape in self.sql:
                return self.sql[shape]
        template = compile_shape()
        with self.lock:
            self.sql[shape] = template
        if template is not None:
            self._remember(shape, template)
        return template

    def _remember(self, shape: Shape, sql: str) -> None:
        """Append a freshly compiled template to the file (best effort: it is only a cache)."""
        path = self.path
        if path is None:
            return
        name, grain, by, where_keys = shape
        line = json.dumps(
            {"fingerprint": templates_fingerprint(), "shape": [name, grain, by, list(where_keys)], "sql": sql}
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError:
            pass


class FrameCache:
    """Frames by key, the ``keep`` most recently used, each computed once even under concurrency.

    A KPI row asks for the same subscriptions from four threads at once: the first computes,
    the others wait for that answer instead of running the same query side by side.
    """

    def __init__(self, keep: int = 8):
        self.keep = keep
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        #: key -> lock held while one thread computes it
        self._computing: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The value under ``key``, computed by ``compute()`` on a miss (a failure is not kept)."""
        found = self._lookup(key)
        if found is not None:
            return found
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found = self._lookup(key)  # another thread may have computed it while we waited
            if found is not None:
                return found
            try:
                value = compute()
                with self._lock:
                    self._kept[key] = value
                    while len(self._kept) > self.keep:
                        self._kept.popitem(last=False)
            finally:  # kept (or failed: the next reader tries again), so no one waits on this key
                with self._lock:
                    self._computing.pop(key, None)
        return value

    def _lookup(self, key: tuple) -> Any:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        return None

    def __len__(self) -> int:
        return len(self._kept)


class MetricService:
    """Every cache of the metric layer for one app: compiled SQL and subscription frames."""

    def __init__(
        self, template_path: Path | None = None, *, keep_subscriptions: int = 16, keep_distinct: int = 64
    ):
        self.templates = TemplateStore(template_path)
        #: (workspace, data version, plan) -> every subscription of that workspace (and plan),
        #: and (..., "columns") -> the same as numpy arrays (data.metrics.subscriptions)
        self.subscriptions = FrameCache(keep_subscriptions)
        #: (workspace, data version, metric, range, grain, split, filters) -> a distinct count's
        #: frame: returning customers are active minus new, and a KPI row asks for all three
        #: from parallel threads; the costly count (a grouped COUNT DISTINCT) then runs once
        self.distinct_counts = FrameCache(keep_distinct)
        #: (workspace, data version, filters) -> the deals the open-pipeline metrics count
        self.deals = FrameCache(keep_subscriptions)


def service_of(scoped) -> MetricService:
    """The metric service of ``scoped``'s warehouse (a fresh one is attached on first use)."""
    warehouse = getattr(scoped, "warehouse", None)
    service = getattr(warehouse, "metric_service", None)
    if service is None:
        service = MetricService()
        if warehouse is not None:
            warehouse.metric_service = service
    return service
