"""Cached metric queries for the web app, always scoped to the caller's workspace.

Cache keys hold the workspace id and its data version, so an import invalidates every cached
answer of that workspace at once and no workspace can ever read another's entry. The shared
cache is a filesystem cache in the shared cache dir (safe across threads and processes) or
Redis; in front of it each process keeps a small in-memory LRU of the same entries, so a warm
hit costs a dict lookup instead of reading and unpickling a file. Both layers use the same
versioned keys, so the memory layer can never serve an answer another process would not.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from cachelib import BaseCache, RedisCache

from dashboard.accounts import WorkspaceContext
from dashboard.file_cache import BoundedFileCache
from dashboard.ops.priority import background_query, on_background_thread, yield_to_pages
from data.metrics import Metric, get_metric, query_metrics
from data.warehouse import ScopedWarehouse, WorkspaceRef

if TYPE_CHECKING:  # the services own this module's caches (Services.query_cache)
    from dashboard.services import Services

logger = logging.getLogger(__name__)

#: Memory budget of the in-memory layer when none is given (entries are evicted least recently
#: used); a server's is ``PULSEBOARD_ANSWER_CACHE_MB``, the same 128 MB by default. Under a load
#: of new date ranges the layer fills with answers asked once, while the steady pages of a
#: 10M-payment workspace need 2-14 MB of it (docs/deploy.md, "Where the memory is").
MEMORY_BYTES = 128 * 1024 * 1024
#: Answers larger than this are not written to the shared (file/Redis) cache.
SHARED_MAX_BYTES = 2 * 1024 * 1024
#: Shared-cache writes waiting for the background writer, at most; beyond, the oldest is dropped.
PENDING_MAX = 512

#: how long a caller waits for another's identical computation before running it itself
INFLIGHT_WAIT_SECONDS = 60.0


@dataclass
class Flight:
    """A query being computed: whether by background work, and set when it is done."""

    background: bool
    done: threading.Event = field(default_factory=threading.Event)


class MemoryLRU:
    """A thread-safe LRU of cache entries bounded by their approximate size in bytes."""

    def __init__(self, max_bytes: int = MEMORY_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The value under ``key`` (None when absent), marked as recently used."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: Any) -> None:
        """Keep ``value``; evicts the least recently used entries beyond the budget."""
        size = approximate_size(value)
        if size > self.max_bytes // 4:  # one huge answer must not flush everything else
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        """The answers' approximate size in bytes, as this LRU counts it against ``max_bytes``."""
        return self._bytes


#: frames of fewer rows are copied into buffers of their own size before they are kept
#: (compact_frames)
COMPACT_ROWS = 16_384


def compact_frames(value: Any, depth: int = 3) -> Any:
    """``value`` with each small polars frame in it copied into buffers of its exact size.

    A frame straight from DuckDB (``.pl()``) keeps DuckDB's Arrow buffers, allocated for a whole
    vector (2,048 values) per column: a one-row KPI answer holds ~50 KB while its
    ``estimated_size`` says ~40 bytes. Kept as they came, tens of thousands of small answers
    grew a server under load past 3 GB with the LRU believing it held 20 MB. The copy costs
    ~3 ms for 8,000 rows; a larger frame's slack is small beside its size and it is kept as is.
    Frames are looked for ``depth`` levels into plain dicts, lists and tuples (cached answers
    nest them at most that deep; a rendered view's JSON is not walked to its leaves), and a
    container is copied only when a frame in it was.
    """
    if isinstance(value, pl.DataFrame):
        if value.height >= COMPACT_ROWS or value.width == 0:
            return value
        return value.select(pl.all().gather(pl.int_range(pl.len())))
    if depth == 0:
        return value
    # Exact types only: a subclass (a named tuple, an OrderedDict) keeps its type, uncopied.
    if type(value) is dict:
        items = {k: compact_frames(v, depth - 1) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if type(value) in (list, tuple):
        items = [compact_frames(v, depth - 1) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if type(value) is list else tuple(items)
    return value


def approximate_size(value: Any) -> int:
    """Bytes a cached value holds, roughly (polars frames by their buffers)."""
    if isinstance(value, pl.DataFrame):
        return int(value.estimated_size()) + 256
    if isinstance(value, dict):
        return 64 + sum(approximate_size(k) + approximate_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 64 + sum(approximate_size(v) for v in value)
    return sys.getsizeof(value)


#: The background writer starts once no answer was cached for this long...
WRITE_QUIET_SECONDS = 0.03
#: ...or once it has waited this long (a steady stream of answers must not starve it).
WRITE_MAX_DELAY_SECONDS = 1.0
#: The writer ends after this long with nothing to write; the next ``set`` starts another. A
#: process that made many caches (tests, one per app) kept a parked thread for each for ever.
WRITER_IDLE_SECONDS = 60.0


class LayeredCache(BaseCache):
    """The process's memory LRU in front of the shared cache (filesystem or Redis).

    A miss in memory that hits the shared cache is copied into memory. ``set`` stores in
    memory at once and hands the shared write to a background writer ("write-behind"):
    pickling and writing a file per answer cost a KPI row up to ~30 ms on its request, and the
    shared copy only serves other processes and restarts. Values handed out are shared between
    callers of this process: treat them as read-only (polars frames are; dicts are handed out
    as shallow copies).
    """

    def __init__(self, shared: BaseCache, memory: MemoryLRU | None = None):
        super().__init__(default_timeout=getattr(shared, "default_timeout", 300))
        self.shared = shared
        self.memory = memory if memory is not None else MemoryLRU()
        self._pending: deque[tuple[str, Any, int | None]] = deque()
        self._pending_lock = threading.Lock()  # the queue and the writer thread
        self._writing = threading.Lock()  # held while one entry is written; clear() waits for it
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._last_set = 0.0  # monotonic time of the latest set (the writer waits for a pause)
        self._closed = False  # close() was called: the writer ends, set() writes memory only
        #: shared writes given up because the queue was full (see PENDING_MAX)
        self.dropped_writes = 0

    def get(self, key: str) -> Any:
        """Memory first, then the shared cache."""
        value = self.memory.get(key)
        if value is None:
            value = self.shared.get(key)
            if value is None:
                return None
            self.memory.set(key, value)
        return dict(value) if isinstance(value, dict) else value

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        """Store in memory now and in the shared cache soon (large answers in memory only)."""
        value = compact_frames(value)
        self.memory.set(key, value)
        self._last_set = time.monotonic()
        size = approximate_size(value)
        if SHARED_MAX_BYTES < size <= self.memory.max_bytes // 4:
            # Pickling a 200k-customer RFM frame (14 MB) into the file cache costs ~70 ms of
            # background work and disk; another process recomputes such answers instead.
            return True
        with self._pending_lock:
            if self._closed:  # the process is shutting down: nobody would write it
                return True
            if len(self._pending) >= PENDING_MAX:
                # The writer fell behind (a file cache at its threshold prunes on every write):
                # the oldest shared copy is dropped, not kept waiting in this process's memory.
                # Under load the queue grew without end (2,800 answers in 40 s) and held them all.
                self._pending.popleft()
                self.dropped_writes += 1
            self._pending.append((key, value, timeout))
            if self._writer is None or not self._writer.is_alive():
                # (started again if something stopped it: dash's test server ends its threads)
                self._writer = threading.Thread(
                    target=self._write_behind, name="pb-cache-writer", daemon=True
                )
                self._writer.start()
        self._wake.set()
        return True

    def _write_behind(self) -> None:
        while True:
            if not self._wake.wait(WRITER_IDLE_SECONDS) or self._closed:
                with self._pending_lock:
                    # Decided under the lock set() queues under: an answer queued after this
                    # finds no writer and starts one; one queued before keeps this one going.
                    if self._closed or not self._pending:
                        self._stop_writer()
                        return
            # Wait for a quiet moment: a cold page fills the cache from several threads at once,
            # and pickling and writing beside them slowed its answer by ~10% on 2 cores.
            waiting_since = time.monotonic()
            while (
                time.monotonic() - self._last_set < WRITE_QUIET_SECONDS
                and time.monotonic() - waiting_since < WRITE_MAX_DELAY_SECONDS
            ):
                time.sleep(WRITE_QUIET_SECONDS)
            while True:
                with self._writing:
                    with self._pending_lock:
                        if not self._pending:
                            if self._closed:  # close() set it under this lock: no wake-up is lost
                                self._stop_writer()
                                return
                            self._wake.clear()
                            break
                        key, value, timeout = self._pending.popleft()
                    try:
                        self.shared.set(key, value, timeout=timeout)
                    except Exception:  # a full disk or a Redis outage costs cache hits, nothing else
                        logger.warning("shared cache write failed for %s", key, exc_info=True)

    def _stop_writer(self) -> None:
        """On the writer, holding ``_pending_lock``: forget it, so the next ``set`` starts another."""
        if self._writer is threading.current_thread():
            self._writer = None

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until queued shared writes are done (tests, shutdown); False on time-out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._writing, self._pending_lock:
                if not self._pending:
                    return True
            time.sleep(0.005)
        return False

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued (up to ``timeout``), then end the writer; False if writes remain."""
        written = self.flush(timeout)
        with self._pending_lock:
            self._closed = True
            writer = self._writer
        self._wake.set()
        if writer is not None and writer is not threading.current_thread():
            writer.join(max(0.1, timeout))
        return written

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        """Store only when the shared cache has no entry yet."""
        value = compact_frames(value)
        added = bool(self.shared.add(key, value, timeout=timeout))
        if added:
            self.memory.set(key, value)
        return added

    def delete(self, key: str) -> bool:
        """Remove from both layers (and from the queued writes)."""
        with self._writing:
            with self._pending_lock:
                self._pending = deque(item for item in self._pending if item[0] != key)
            self.memory.delete(key)
            return bool(self.shared.delete(key))

    def has(self, key: str) -> bool:
        """True when either layer holds ``key``."""
        return self.memory.get(key) is not None or bool(self.shared.has(key))

    def clear(self) -> bool:
        """Empty both layers (the shared one for every process), dropping queued writes."""
        with self._writing:
            with self._pending_lock:
                self._pending.clear()
            self.memory.clear()
            return bool(self.shared.clear())


class QueryCache:
    """The app's query cache and its in-flight computations (one per ``Services``).

    ``cache`` is the memory LRU over the shared filesystem or Redis cache; ``inflight`` maps the
    keys being computed right now to an event set when the answer is in the cache (or failed).
    """

    def __init__(self, settings):
        if settings.redis_url:
            import redis

            client = redis.Redis.from_url(settings.redis_url)
            shared: BaseCache = RedisCache(
                client, key_prefix="pulseboard:", default_timeout=settings.cache_timeout
            )
        else:
            shared = BoundedFileCache(
                str(settings.cache_path / "queries"), max_files=20_000, default_timeout=settings.cache_timeout
            )
        self.cache = LayeredCache(shared, MemoryLRU(settings.answer_cache_mb * 1024 * 1024))
        self.inflight: dict[str, Flight] = {}
        self.inflight_lock = threading.Lock()


def cache_for(services: Services) -> BaseCache:
    """The app's cache: memory LRU over the filesystem or Redis cache (``services.query_cache``)."""
    return services.query_cache.cache


def _code_fingerprint() -> str:
    """A hash of the app's own source code (read once, at import).

    The file-system and Redis caches outlive the process: without this, an upgrade kept
    serving the old release's rendered panels and numbers until the data changed.
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1()
    for package in ("callbacks", "components", "dashboard", "data", "reports"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


#: Part of every cache key: answers cached by another version of the code are not used.
CODE_VERSION = _code_fingerprint()


def cache_key(workspace: WorkspaceRef, version: int, namespace: str, params: Any) -> str:
    """The cache key of one answer: code version, workspace id and locale, data version, namespace, parameters.

    The number locale is part of it: some answers hold formatted text (insight narratives), and
    an owner switching the workspace to de-DE must not be served its en-US sentences.
    """
    raw = (
        f"{CODE_VERSION}|{namespace}|{workspace.id}|{workspace.locale}|{version}|"
        f"{json.dumps(params, sort_keys=True, default=str)}"
    )
    return "q:" + hashlib.sha1(raw.encode()).hexdigest()


class CacheMiss(LookupError):
    """Raised by :func:`cached_call` under :func:`peek_only` when the answer is not cached."""


#: True while a page layout renders what is already cached (see :func:`peek_only`)
_PEEK_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("pb_peek_only", default=False)


@contextmanager
def peek_only() -> Iterator[None]:
    """Within this block :func:`cached_call` never computes: a miss raises :class:`CacheMiss`.

    A page layout renders the panels whose answers are cached (a revisit needs no callback
    round trip); anything else is left to the panels' callbacks, so a layout never waits on a
    query. Threads started with a copy of the context (``_analytics.gather``) peek too.
    """
    token = _PEEK_ONLY.set(True)
    try:
        yield
    finally:
        _PEEK_ONLY.reset(token)


def peeking() -> bool:
    """True inside :func:`peek_only` (in this context): a miss cannot be computed here."""
    return _PEEK_ONLY.get()


def cached_call(
    services: Services,
    workspace: WorkspaceRef,
    namespace: str,
    params: Any,
    fn: Callable[[ScopedWarehouse], Any],
) -> Any:
    """``fn(scoped)`` for ``workspace`` through the cache.

    Keyed by workspace, data version, ``namespace`` and ``params`` (which must name
    everything ``fn``'s answer depends on).
    """
    scoped = services.warehouse.scoped(workspace)
    key = cache_key(workspace, scoped.data_version(), namespace, params)
    queries = services.query_cache
    cache = queries.cache
    hit = cache.get(key)
    if hit is not None:
        return hit
    if _PEEK_ONLY.get():
        raise CacheMiss(namespace)
    # A background thread (insights, projections) lets running page callbacks finish first;
    # before the single-flight entry, so that no page waits on a query that is waiting for it.
    yield_to_pages()
    # Single flight: a page load fires its panels' callbacks at once, and several panels share
    # one frame (RFM chart and grid, say). The first caller computes; the others wait for its
    # answer instead of running the same query side by side on a 2-core machine.
    background = on_background_thread()
    with queries.inflight_lock:
        running = queries.inflight.get(key)
        if running is None:
            queries.inflight[key] = Flight(background)
    if running is not None:
        # A page never waits on a background thread's query: that thread runs at a low
        # priority, behind the other background queries; under load it could take a minute.
        if background or not running.background:
            running.done.wait(INFLIGHT_WAIT_SECONDS)
            hit = cache.get(key)
            if hit is not None:
                return hit
        value = fn(scoped)  # the first caller failed, took too long, or is background work
        cache.set(key, value)
        return value
    try:
        with background_query():
            value = fn(scoped)
        cache.set(key, value)
        return value
    finally:
        with queries.inflight_lock:
            queries.inflight.pop(key).done.set()


def cache_peek(services: Services, workspace: WorkspaceRef, namespace: str, params: Any) -> Any:
    """The cached answer :func:`cached_call` would return for these arguments, or None (never computes).

    For callers that must not wait (a KPI card looking for a projection computed elsewhere).
    """
    scoped = services.warehouse.scoped(workspace)
    return services.query_cache.cache.get(cache_key(workspace, scoped.data_version(), namespace, params))


def metric_frame(
    services: Services,
    ctx: WorkspaceContext,
    name: str,
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    where: dict[str, str] | None = None,
) -> pl.DataFrame:
    """``data.metrics.query_metric`` for the context's workspace, through the cache.

    A metric that is a fixed multiple of another (ARR = MRR x 12) is that metric's cached
    answer scaled: the MRR and ARR cards then cost one computation.
    """
    frames = metric_frames(
        services, ctx, [name], start, end, grain=grain, by=by, compare=compare, where=where
    )
    return frames[name]


def metric_frames(
    services: Services,
    ctx: WorkspaceContext,
    names: list[str] | tuple[str, ...],
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    where: dict[str, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """:func:`metric_frame` of several metrics asked together.

    One cache entry, and one scan per family of metrics summed from the same table
    (``data.metrics.query_metrics``).
    """
    bases = {name: get_metric(name).scaled_from or name for name in names}
    asked = list(dict.fromkeys(bases.values()))
    params = [asked, start, end, grain, by, compare, sorted((where or {}).items())]
    frames = cached_call(
        services,
        ctx.workspace,
        "metrics",
        params,
        lambda scoped: query_metrics(
            scoped, asked, start, end, grain=grain, by=by, compare=compare, where=where
        ),
    )
    return {
        name: frames[name] if base == name else _scaled(get_metric(name), frames[base])
        for name, base in bases.items()
    }


def _scaled(metric: Metric, base: pl.DataFrame) -> pl.DataFrame:
    """``metric``'s frame from the frame of the metric it is a multiple of (``scaled_from``)."""
    factor = metric.scale / get_metric(metric.scaled_from).scale
    scaled = [pl.col(c) * factor for c in ("value", "compare_value")]
    return base.with_columns(e.round(2) if metric.unit == "currency" else e for e in scaled)
