"""Forecast run records in the warehouse (table ``forecast_runs`` and ``forecast_rows``).

Every computed forecast is recorded with its model, duration, series length and backtest
errors, plus the forecast rows themselves, so the AI-performance page can show how forecasts
are used and later score them against what actually happened. Refusals (too little history)
are recorded too, with their message. Answers served from the cache are not new runs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl

from data.warehouse import ScopedWarehouse


def record_run(
    scoped: ScopedWarehouse,
    *,
    origin: str,
    metric: str,
    grain: str,
    filters: dict | None,
    requested: str,
    model: str | None,
    horizon: int,
    interval: float,
    train_until: date | None,
    series_length: int,
    duration_ms: float,
    backtest: dict | None,
    status: str,
    message: str | None = None,
    rows: list[dict] | None = None,
) -> int:
    """Insert one run (and its forecast rows) in one transaction; returns the run id."""
    chosen = (backtest or {}).get(model or "", {})
    with scoped.warehouse.transaction() as cur:
        run_id = cur.execute(
            """
            INSERT INTO forecast_runs (workspace_id, created_at, origin, metric, grain, filters,
                requested_model, model, horizon, interval_width, train_until, series_length,
                duration_ms, backtest_smape, backtest_mase, backtest, status, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                scoped.workspace.id,
                datetime.now(UTC).replace(tzinfo=None),
                origin,
                metric,
                grain,
                json.dumps(filters or {}, sort_keys=True),
                requested,
                model,
                horizon,
                interval,
                train_until,
                series_length,
                duration_ms,
                chosen.get("smape"),
                chosen.get("mase"),
                json.dumps(backtest or {}, sort_keys=True),
                status,
                message,
            ],
        ).fetchone()[0]
        if rows:
            cur.executemany(
                "INSERT INTO forecast_rows (run_id, workspace_id, period, yhat, lower, upper) VALUES (?, ?, ?, ?, ?, ?)",
                [[run_id, scoped.workspace.id, r["period"], r["yhat"], r["lower"], r["upper"]] for r in rows],
            )
    return int(run_id)


def recent_runs(scoped: ScopedWarehouse, limit: int = 50) -> pl.DataFrame:
    """The workspace's latest forecast runs, newest first (the AI-performance page's list)."""
    return scoped.execute_sql(
        "SELECT id, created_at, origin, metric, grain, requested_model, model, horizon, interval_width, "
        "train_until, series_length, duration_ms, backtest_smape, backtest_mase, status, message "
        "FROM forecast_runs WHERE workspace_id = $ws ORDER BY id DESC LIMIT $limit",
        {"limit": int(limit)},
    )


def run_rows(scoped: ScopedWarehouse, run_id: int) -> pl.DataFrame:
    """The forecast rows of one run of this workspace (empty for another workspace's run)."""
    return scoped.execute_sql(
        "SELECT period, yhat, lower, upper FROM forecast_rows WHERE workspace_id = $ws AND run_id = $run "
        "ORDER BY period",
        {"run": int(run_id)},
    )
