"""Forecast accuracy over time: past forecast runs scored against the actuals that arrived since.

Every forecast the forecasting module computes is recorded (``forecast_runs`` with its rows in
``forecast_rows``, migration 0007). Once a forecast period is over, its actual value is known:
each run is scored by the sMAPE of its finished periods (the same measure its backtest used,
:func:`dashboard.forecast.backtest.smape`), so the AI-performance page can show whether the
forecasts shown to users held up, per model and over time.

The actuals come from a function (the metric layer in the web app, a fake in tests), asked
once per metric, grain and filter set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from data.metrics.calendar import next_period

#: (metric, grain, filters, first period, last day) -> {period start: actual value}
ActualsFn = Callable[[str, str, dict, date, date], dict[date, float]]

SCORED_COLUMNS = {
    "run_id": pl.Int64,
    "created_at": pl.Datetime,
    "metric": pl.Utf8,
    "grain": pl.Utf8,
    "model": pl.Utf8,
    "periods": pl.Int64,
    "smape": pl.Float64,
    "backtest_smape": pl.Float64,
}


def _runs_with_rows(scoped) -> pl.DataFrame:
    """The workspace's successful runs joined with their forecast rows (one line per period)."""
    return scoped.execute_sql(
        """
        SELECT r.id AS run_id, r.created_at, r.metric, r.grain, r.filters, r.model,
               r.backtest_smape, f.period, f.yhat
        FROM forecast_runs r JOIN forecast_rows f ON f.run_id = r.id AND f.workspace_id = $ws
        WHERE r.workspace_id = $ws AND r.status = 'ok' AND f.yhat IS NOT NULL
        ORDER BY r.id, f.period
        """
    )


def _finished(period: date, grain: str, last_day: date) -> bool:
    """Whether the ``grain`` period starting ``period`` is wholly on or before ``last_day``."""
    return next_period(period, grain) - timedelta(days=1) <= last_day


def score_runs(scoped, actuals: ActualsFn, last_day: date) -> pl.DataFrame:
    """One row per run with at least one finished forecast period: its sMAPE on those periods.

    ``last_day`` is the last whole day of data (yesterday in the workspace's time zone): a
    period still under way is not scored, its actual being partial. Runs whose metric the
    metric layer no longer answers are left out rather than failing the page.
    """
    from dashboard.forecast.backtest import smape

    rows = _runs_with_rows(scoped)
    if rows.is_empty():
        return pl.DataFrame(schema=SCORED_COLUMNS)
    rows = rows.with_columns(pl.col("period").cast(pl.Date))
    rows = rows.filter(
        pl.struct(["period", "grain"]).map_elements(
            lambda r: _finished(r["period"], r["grain"], last_day), return_dtype=pl.Boolean
        )
    )
    out = []
    for (metric, grain, filters), group in rows.group_by(["metric", "grain", "filters"], maintain_order=True):
        try:
            known = actuals(metric, grain, json.loads(filters or "{}"), group["period"].min(), last_day)
        except ValueError:  # a metric dropped from the catalogue, a filter no longer valid
            continue
        for run_id, run in group.group_by("run_id", maintain_order=True):
            pairs = [(known[p], y) for p, y in zip(run["period"], run["yhat"], strict=True) if p in known]
            if not pairs:
                continue
            first = run.row(0, named=True)
            out.append(
                {
                    "run_id": run_id[0],
                    "created_at": first["created_at"],
                    "metric": metric,
                    "grain": grain,
                    "model": first["model"] or "",
                    "periods": len(pairs),
                    "smape": smape([a for a, _ in pairs], [f for _, f in pairs]),
                    "backtest_smape": first["backtest_smape"],
                }
            )
    if not out:
        return pl.DataFrame(schema=SCORED_COLUMNS)
    return pl.DataFrame(out, schema=SCORED_COLUMNS).sort("run_id")


def accuracy_by_week(scored: pl.DataFrame) -> pl.DataFrame:
    """Mean realised sMAPE per week the forecasts were made in, per model (the chart's lines)."""
    if scored.is_empty():
        return pl.DataFrame(
            schema={"week": pl.Date, "model": pl.Utf8, "runs": pl.UInt32, "smape": pl.Float64}
        )
    return (
        scored.with_columns(week=pl.col("created_at").dt.date().dt.truncate("1w"))
        .group_by(["week", "model"])
        .agg(runs=pl.len(), smape=pl.col("smape").mean())
        .sort(["week", "model"])
    )
