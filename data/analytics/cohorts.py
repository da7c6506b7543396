"""Cohort retention: customers by the month of their first payment, and who paid again later."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from data.metrics import (
    dimension_sql,
    whole_periods,
)
from data.metrics.catalogue import PAYMENT_DIMS
from data.warehouse import ScopedWarehouse


def _month(day: date) -> date:
    return day.replace(day=1)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohort_retention(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    *,
    min_cohorts: int = 12,
    where: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Customers and revenue by first-payment month (cohort) and months since it.

    Cohorts are the months of the range, extended back to at least ``min_cohorts`` months
    before the end; activity is counted up to ``end``. ``where`` filters on the customer's
    acquisition channel/product/country (their first payment's). Columns: cohort (YYYY-MM),
    months_since, customers, revenue, cohort_customers, customer_retention (customers /
    cohort_customers), revenue_retention (revenue / the cohort's month-0 revenue),
    to_date (the month is not over at ``end``: its numbers are so far, not a drop).

    Only months that have happened by ``end`` have rows: a month after ``end`` is absent (not
    0%), so a heatmap leaves its cell empty.
    """
    first_month = min(_month(start), _shift_months(_month(end), -(min_cohorts - 1)))
    dims, params = dimension_sql(where, PAYMENT_DIMS)
    # Whole months come from customer_monthly (one row per customer and month: a row count is
    # the distinct customers); a month cut short by ``end`` is summed from customer_daily.
    # Customers are joined by their integer number. Plain SQL: an ibis compile costs tens of ms.
    _, whole_until = whole_periods(first_month, end, "month")
    raw = scoped.execute_sql(
        f"""
        WITH f AS (
            SELECT customer_no, CAST(date_trunc('month', first_day) AS DATE) AS cohort
            FROM customer_first
            WHERE workspace_id = $ws AND first_day BETWEEN $first AND $end{dims}
        ),
        activity AS (
            SELECT month, customer_no, gross FROM customer_monthly
            WHERE workspace_id = $ws AND month >= $first AND month < $whole_until
            UNION ALL
            SELECT CAST(date_trunc('month', day) AS DATE) AS month, customer_no, sum(gross) AS gross
            FROM customer_daily
            WHERE workspace_id = $ws AND day >= $whole_until AND day <= $end
            GROUP BY ALL
        )
        SELECT f.cohort, a.month, count(*) AS customers, CAST(sum(a.gross) AS DOUBLE) AS revenue
        FROM activity a JOIN f ON f.customer_no = a.customer_no
        GROUP BY ALL
        """,
        {"first": first_month, "end": end, "whole_until": whole_until, **params},
    )
    schema = {
        "cohort": pl.Utf8,
        "months_since": pl.Int64,
        "customers": pl.Int64,
        "revenue": pl.Float64,
        "cohort_customers": pl.Int64,
        "customer_retention": pl.Float64,
        "revenue_retention": pl.Float64,
        "to_date": pl.Boolean,
    }
    if raw.height == 0:
        return pl.DataFrame(schema=schema)
    raw = raw.with_columns(
        (
            (pl.col("month").dt.year() - pl.col("cohort").dt.year()) * 12
            + pl.col("month").dt.month().cast(pl.Int64)
            - pl.col("cohort").dt.month().cast(pl.Int64)
        )
        .cast(pl.Int64)
        .alias("months_since")
    )
    base = raw.filter(pl.col("months_since") == 0).select(
        "cohort", pl.col("customers").alias("cohort_customers"), pl.col("revenue").alias("base_revenue")
    )
    out = raw.join(base, on="cohort", how="left").with_columns(
        (pl.col("customers") / pl.col("cohort_customers")).alias("customer_retention"),
        pl.when(pl.col("base_revenue") > 0)
        .then(pl.col("revenue") / pl.col("base_revenue"))
        .otherwise(None)
        .alias("revenue_retention"),
        pl.col("cohort").dt.strftime("%Y-%m").alias("cohort"),
        pl.col("revenue").round(2),
        # the month containing ``end`` is cut short unless ``end`` is its last day
        ((pl.col("month") == _month(end)) & pl.lit(_month(end + timedelta(days=1)) == _month(end))).alias(
            "to_date"
        ),
    )
    return out.select(list(schema)).cast(schema).sort(["cohort", "months_since"])


def _shift_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)
