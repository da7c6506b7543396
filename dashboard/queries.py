"""Cached metric queries for the web app, always scoped to the caller's workspace.

Cache keys hold the workspace id and its data version, so an import invalidates every cached
answer of that workspace at once and no workspace can ever read another's entry. The cache is
a filesystem cache in the shared cache dir (safe across threads and processes) or Redis.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date

import polars as pl
from cachelib import BaseCache, FileSystemCache, RedisCache

from dashboard.accounts import WorkspaceContext
from dashboard.services import Services
from data.metrics import query_metric

_caches: dict[str, BaseCache] = {}
_caches_lock = threading.Lock()


def cache_for(services: Services) -> BaseCache:
    """The process's cache backend for these settings."""
    settings = services.settings
    key = settings.redis_url or str(settings.cache_path)
    with _caches_lock:
        if key not in _caches:
            if settings.redis_url:
                import redis

                client = redis.Redis.from_url(settings.redis_url)
                _caches[key] = RedisCache(client, key_prefix="pulseboard:", default_timeout=settings.cache_timeout)
            else:
                _caches[key] = FileSystemCache(
                    str(settings.cache_path / "queries"), threshold=20_000, default_timeout=settings.cache_timeout
                )
        return _caches[key]


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
) -> pl.DataFrame:
    """``data.metrics.query_metric`` for the context's workspace, through the cache."""
    scoped = services.warehouse.scoped(ctx.workspace)
    version = scoped.data_version()
    raw_key = f"metric|{ctx.workspace.id}|{version}|{name}|{start}|{end}|{grain}|{by}|{compare}"
    key = "m:" + hashlib.sha1(raw_key.encode()).hexdigest()
    cache = cache_for(services)
    hit = cache.get(key)
    if hit is not None:
        return hit
    frame = query_metric(scoped, name, start, end, grain=grain, by=by, compare=compare)
    cache.set(key, frame)
    return frame
