"""How the derived catalogue metrics are computed from other answers, per period.

Each function takes a :class:`DeriveInput` (the request, and ``values`` to ask the catalogue
for other metrics over the same periods) and returns ``period_index`` and ``value``; a period
it leaves out, or a null, has no value (never a made-up zero).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from data.metrics.calendar import DAYS_PER_MONTH, midnight, next_period, period_days, periods
from data.metrics.service import service_of
from data.metrics.sql import dimension_sql
from data.metrics.subscriptions import subscription_kpi_frame


@dataclass(frozen=True)
class DeriveInput:
    """What a derive function gets: one workspace, the request, and the catalogue to ask."""

    scoped: Any  # ScopedWarehouse (or a stand-in with execute_sql)
    start: date
    end: date
    grain: str
    where: dict[str, str]
    #: the metric's dimension -> column (what ``where`` may filter on)
    dimensions: dict[str, str]
    #: ``values(names, where)``: period_index and one column per named catalogue metric
    values: Callable[[list[str], dict[str, str]], pl.DataFrame]


def safe_ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """``num / den``, null when the denominator is zero or missing."""
    return pl.when(den.is_not_null() & (den != 0)).then(num / den).otherwise(None)


def subscription_kpi(key: str) -> Callable[[DeriveInput], pl.DataFrame]:
    """A derive function reading column ``key`` of the subscription KPIs of each period."""

    def derive(x: DeriveInput) -> pl.DataFrame:
        frame = subscription_kpi_frame(x.scoped, x.start, x.end, x.grain, plan=x.where.get("plan"))
        return frame.select(pl.int_range(pl.len()).alias("period_index"), pl.col(key).alias("value"))

    return derive


def revenue_per_customer_month(x: DeriveInput) -> pl.DataFrame:
    """Net revenue per active customer per month of each period."""
    values = x.values(["net_revenue", "active_customers"], x.where)
    months = period_days(x.start, x.end, x.grain) / DAYS_PER_MONTH
    per = safe_ratio(pl.col("net_revenue"), pl.col("active_customers") * pl.lit(months))
    return values.select("period_index", per.alias("value"))


def cac(x: DeriveInput) -> pl.DataFrame:
    """Blended CAC: ad spend per new paying customer."""
    values = x.values(["spend", "new_customers"], {})
    return values.select("period_index", safe_ratio(pl.col("spend"), pl.col("new_customers")).alias("value"))


def cac_payback(x: DeriveInput) -> pl.DataFrame:
    """Months of one paying customer's revenue that pay back the CAC."""
    spent = cac(x).rename({"value": "cac"})
    per = revenue_per_customer_month(x).rename({"value": "per"})
    both = spent.join(per, on="period_index")
    return both.select("period_index", safe_ratio(pl.col("cac"), pl.col("per")).alias("value"))


def returning_customers(x: DeriveInput) -> pl.DataFrame:
    """Active customers who are not new in the period (never below zero)."""
    values = x.values(["active_customers", "new_customers"], x.where)
    returning = (pl.col("active_customers") - pl.col("new_customers")).clip(lower_bound=0)
    return values.select("period_index", returning.alias("value"))


def _deals(scoped, where: dict, dimensions: dict) -> pl.DataFrame:
    """Every deal of the workspace matching ``where``: created_at, until (close, or never), amount.

    Kept per data version: a KPI row asks for it three times (the range, its comparison and the
    sparkline) and the open-pipeline metrics twice each (value and count).
    """

    def fetch() -> pl.DataFrame:
        filters, params = dimension_sql(where, dimensions, "w")
        return scoped.execute_sql(
            f"""
            SELECT created_at, CASE WHEN won IS NULL THEN TIMESTAMP '9999-12-31' ELSE closed_at END AS until,
                   CAST(coalesce(amount_reporting, 0) AS DOUBLE) AS amount
            FROM deals WHERE workspace_id = $ws AND created_at IS NOT NULL{filters}
            """,
            params,
        )

    if getattr(scoped, "bypass_cache", False) or not hasattr(scoped, "data_version"):
        return fetch()  # data.metrics.explain_metric shows every statement
    key = (scoped.workspace.id, scoped.data_version(), tuple(sorted(where.items())))
    return service_of(scoped).deals.get(key, fetch)


def open_pipeline(part: str) -> Callable[[DeriveInput], pl.DataFrame]:
    """A derive function for the deals open at the end of each period: their ``value`` or ``count``.

    Open at a cutoff instant = created before it and not closed by it (a deal closed later was
    still open then), the rule of ``data.analytics.open_pipeline``. Deals are few (a CRM's
    thousands), so they are fetched once and counted at every cutoff by a binary search over
    the sorted cutoffs and a difference array, as the MRR snapshot does.
    """

    def derive(x: DeriveInput) -> pl.DataFrame:
        deals = _deals(x.scoped, x.where, x.dimensions)
        after = x.end + timedelta(days=1)
        ends = (
            [after]
            if x.grain == "total"
            else [min(next_period(p, x.grain), after) for p in periods(x.start, x.end, x.grain)]
        )
        cut = np.array([midnight(d) for d in ends], dtype="datetime64[us]")
        k = len(cut)
        # open at cutoff c when created_at < c <= until: cutoffs first .. last-1
        first = np.searchsorted(cut, deals["created_at"].cast(pl.Datetime("us")).to_numpy(), side="right")
        until = deals["until"].cast(pl.Datetime("us")).fill_null(datetime(9999, 12, 31)).to_numpy()
        last = np.searchsorted(cut, until, side="right")
        live = last > first
        weights = deals["amount"].to_numpy()[live] if part == "value" else np.ones(int(live.sum()))
        diff = np.bincount(first[live], weights=weights, minlength=k + 1)
        diff -= np.bincount(last[live], weights=weights, minlength=k + 1)
        return pl.DataFrame(
            {"period_index": list(range(k)), "value": np.cumsum(diff)[:k].astype(np.float64)},
            schema={"period_index": pl.Int64, "value": pl.Float64},
        )

    return derive
