"""Revenue by dimension and the payment rows behind a period (drill-down)."""

from __future__ import annotations

from datetime import date

import polars as pl

from data.metrics import (
    NONE_LABEL,
    UNKNOWN_LABEL,
    dimension_sql,
    period_start,
    query_metric,
)
from data.metrics.catalogue import PAYMENT_DIMS
from data.warehouse import ScopedWarehouse


def revenue_by(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    dimension: str,
    *,
    metric: str = "net_revenue",
    where: dict[str, str] | None = None,
    compare: str | None = None,
) -> pl.DataFrame:
    """A revenue metric split by channel, product or country, largest first, unknown last.

    Columns: the dimension, value, compare_value, share (of the split's total), label (what a
    person reads: "Unknown" for rows without a value). The rows without a value keep the
    dimension value ``(none)`` (what a filter on them matches) and come last whatever their
    size: they are not a country (or channel) and must not be ranked as one.
    """
    frame = query_metric(scoped, metric, start, end, by=dimension, where=where or None, compare=compare)
    total = frame["value"].sum()
    unknown = pl.col(dimension) == NONE_LABEL
    frame = frame.drop("period").with_columns(
        (pl.col("value") / total if total else pl.lit(None, dtype=pl.Float64)).alias("share"),
        pl.when(unknown).then(pl.lit(UNKNOWN_LABEL)).otherwise(pl.col(dimension)).alias("label"),
    )
    frame = frame.filter(pl.col("value") != 0)
    return frame.sort([unknown, "value", dimension], descending=[False, True, False])


def revenue_rows(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """The payments_daily rollup rows behind revenue numbers (day x channel x product x country)."""
    # Plain SQL: a drill-down would otherwise pay an ibis compile (tens of ms) on every click.
    dims, params = dimension_sql(where, PAYMENT_DIMS)
    return scoped.execute_sql(
        f"""
        SELECT day, channel, product, country, succeeded,
               CAST(gross AS DOUBLE) AS gross, CAST(refunds AS DOUBLE) AS refunds,
               CAST(gross - refunds AS DOUBLE) AS net, CAST(fees AS DOUBLE) AS fees
        FROM payments_daily
        WHERE workspace_id = $ws AND day BETWEEN $start AND $end{dims}
        ORDER BY day, net DESC
        """,
        {"start": start, "end": end, **params},
    )


def period_of(day: date, grain: str) -> date:
    """The start of the ``grain`` period containing ``day`` (re-exported for drill-down)."""
    return period_start(day, grain)
