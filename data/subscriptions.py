"""Every subscription of a workspace, fetched once per data version.

The revenue page reads the same subscriptions many times for one answer: MRR and ARR (total,
comparison and series), the subscription KPIs at the range's end and its comparison's, the MRR
movements. One fetch (~35 ms at 100k subscriptions) serves them all until the data changes;
each reader then filters the frame in memory.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import polars as pl

from data.warehouse import ScopedWarehouse

#: warehouse -> {(workspace, data version, plan): frame}, most recently used last
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()
#: frames kept per warehouse (plans x workspaces x versions in use at once)
KEEP = 8
#: key -> lock held while one thread fetches it, so concurrent readers wait for that fetch
#: instead of running the same query side by side (a KPI row asks from four threads at once)
_FETCHING: dict[tuple, threading.Lock] = {}


def all_subscriptions(scoped: ScopedWarehouse, plan: str | None = None) -> pl.DataFrame:
    """Every subscription of the workspace (of ``plan``; ``(none)`` means no plan).

    Columns: customer (vendor id, else email hash), code (dense customer number 0..n-1; null
    customers are one customer), first_start (the customer's first subscription start),
    start_at, end_at (null while active), cents (MRR in the reporting currency in integer
    cents: ``mrr_reporting`` is DECIMAL(18,2), so sums of cents are exact).

    Plain SQL with bound parameters (an ibis compile alone costs tens of milliseconds). The
    frame is shared: callers must not change it (polars frames are immutable anyway).
    """
    key = (id(scoped.warehouse), scoped.workspace.id, scoped.data_version(), plan)
    cached = _lookup(scoped, key)
    if cached is not None:
        return cached
    with _KEPT_LOCK:
        fetching = _FETCHING.setdefault(key, threading.Lock())
    with fetching:
        cached = _lookup(scoped, key)  # another thread may have fetched it while we waited
        if cached is not None:
            return cached
        try:
            frame = _fetch(scoped, plan)
            with _KEPT_LOCK:
                kept = _KEPT.setdefault(scoped.warehouse, OrderedDict())
                kept[key] = frame
                while len(kept) > KEEP:
                    kept.popitem(last=False)
        finally:  # kept (or failed: the next reader tries again), so no one waits on this key
            with _KEPT_LOCK:
                _FETCHING.pop(key, None)
    return frame


def _lookup(scoped: ScopedWarehouse, key: tuple) -> pl.DataFrame | None:
    with _KEPT_LOCK:
        kept = _KEPT.setdefault(scoped.warehouse, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    return None


def _fetch(scoped: ScopedWarehouse, plan: str | None) -> pl.DataFrame:
    from data.metrics import dimension_sql  # data.metrics reads snapshots through this module

    plan_sql, params = dimension_sql({"plan": plan} if plan else None, {"plan": "plan"})
    return scoped.execute_sql(
        f"""
        WITH s AS (
            SELECT coalesce(customer_id, customer_email_hash) AS customer, start_at, end_at,
                   CAST(round(coalesce(mrr_reporting, 0) * 100) AS BIGINT) AS cents
            FROM subscriptions
            WHERE workspace_id = $ws AND start_at IS NOT NULL{plan_sql}
        ),
        c AS (  -- a GROUP BY (hash) is cheaper than window functions (a sort)
            SELECT customer, min(start_at) AS first_start, row_number() OVER () - 1 AS code
            FROM s GROUP BY customer
        )
        SELECT s.customer, c.code, c.first_start, s.start_at, s.end_at, s.cents
        FROM s JOIN c ON s.customer IS NOT DISTINCT FROM c.customer
        """,
        params,
    )
