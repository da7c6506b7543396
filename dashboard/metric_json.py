"""The JSON of one metric request: what ``pulseboard metric --json`` prints and the API returns.

One builder for both, so a number read from the terminal equals the one a script reads over
HTTP. Dates are checked against :data:`dashboard.filters.MIN_DATE`..``MAX_DATE`` first: a
``--to 9999-12-31`` gets a clear refusal instead of failing inside the query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from dashboard.filters import DateRangeError, check_range
from data.metrics import CATALOGUE, MetricError, get_metric, query_metric
from data.warehouse import ScopedWarehouse

#: Longest range one request may ask for (ten years of days is ~3,700 rows per series).
MAX_REQUEST_DAYS = 366 * 10


def metric_payload(
    scoped: ScopedWarehouse,
    name: str,
    start: date,
    end: date,
    *,
    grain: str = "total",
    by: str | None = None,
    compare: str | None = None,
    query: Callable[..., pl.DataFrame] | None = None,
) -> dict:
    """``{"metric", "label", "unit", "currency", "from", "to", "grain", "rows"}`` of one request.

    ``query(name, start, end, grain=, by=, compare=)`` answers it (default: ``query_metric`` on
    ``scoped``); the API passes the server's cached answers (``dashboard.queries.metric_frame``).
    Raises MetricError for an unknown metric, grain, dimension or comparison and for dates out
    of range (the message says which and what is accepted).
    """
    definition = get_metric(name)
    try:
        check_range(start, end, max_days=MAX_REQUEST_DAYS)
    except DateRangeError as exc:
        raise MetricError(str(exc)) from None
    if query is None:
        frame = query_metric(scoped, name, start, end, grain=grain, by=by, compare=compare)
    else:
        frame = query(name, start, end, grain=grain, by=by, compare=compare)
    return {
        "metric": definition.name,
        "label": definition.label,
        "unit": definition.unit,
        "currency": scoped.workspace.currency,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "grain": grain,
        "rows": frame.to_dicts(),
    }


def catalogue_payload() -> list[dict]:
    """Every metric of the catalogue, as ``pulseboard metrics --json`` prints it."""
    return [
        {
            "name": m.name,
            "label": m.label,
            "unit": m.unit,
            "description": m.description,
            "formula": m.formula,
            "up_is_good": m.up_is_good,
            # forecast bands and normal ranges stop at 0 unless this is true
            "can_be_negative": m.can_be_negative,
            "additive": m.additive,
            "dimensions": list(m.dimensions),
            "format": m.format,
            "change_unit": m.change_unit,
            "unit_label": m.unit_label,
            "derived": m.derive is not None,
        }
        for m in CATALOGUE.values()
    ]
