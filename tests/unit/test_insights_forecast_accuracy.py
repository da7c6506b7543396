"""Past forecast runs scored against the actuals that arrived since (the AI-performance page)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.forecast.runs import record_run
from dashboard.insights.forecast_accuracy import accuracy_by_week, score_runs

DAY0 = date(2026, 2, 1)


def _record(
    scoped, *, model="ets", grain="day", yhat=(100.0, 100.0, 100.0), start=DAY0, status="ok", filters=None
):
    step = {"day": 1, "week": 7}[grain]
    rows = [
        {"period": start + timedelta(days=step * i), "yhat": y, "lower": y * 0.8, "upper": y * 1.2}
        for i, y in enumerate(yhat)
    ]
    return record_run(
        scoped, origin="cli", metric="net_revenue", grain=grain, filters=filters, requested="auto", model=model,
        horizon=len(rows), interval=0.8, train_until=start - timedelta(days=1), series_length=200,
        duration_ms=12.0, backtest={model: {"smape": 9.5, "mase": 0.8}}, status=status, rows=rows,
    )  # fmt: skip


def _actuals(values: dict, calls: list):
    def fn(metric, grain, filters, first, last_day):
        calls.append((metric, grain, filters, first, last_day))
        return {p: v for p, v in values.items() if first <= p <= last_day}

    return fn


def test_ins050_runs_scored_on_finished_periods_only(services, workspace):
    scoped = services.warehouse.scoped(workspace)
    exact = _record(scoped, model="ets")
    off = _record(scoped, model="naive", yhat=(50.0, 50.0, 50.0))
    _record(scoped, model="theta", status="refused", yhat=())
    actual = {DAY0 + timedelta(days=i): 100.0 for i in range(3)}
    calls = []
    # the third day is today: not over, not scored
    scored = score_runs(scoped, _actuals(actual, calls), DAY0 + timedelta(days=1))
    assert scored["run_id"].to_list() == [exact, off]
    assert scored["periods"].to_list() == [2, 2]
    assert scored["smape"][0] == pytest.approx(0.0)
    assert scored["smape"][1] == pytest.approx(200 * 50 / 150)  # |100-50| / ((100+50)/2)
    assert scored["model"].to_list() == ["ets", "naive"]
    assert len(calls) == 1  # one metric-layer question per metric, grain and filters


def test_ins051_weeks_are_scored_once_whole(services, workspace):
    scoped = services.warehouse.scoped(workspace)
    monday = date(2026, 2, 2)
    _record(scoped, grain="week", yhat=(700.0, 700.0), start=monday)
    actual = {monday: 770.0, monday + timedelta(days=7): 10.0}
    scored = score_runs(scoped, _actuals(actual, []), monday + timedelta(days=10))
    assert scored["periods"].to_list() == [1]  # the second week is under way
    assert scored["smape"][0] == pytest.approx(200 * 70 / 1470)


def test_ins052_other_workspaces_runs_are_not_scored(services, workspace, other_workspace):
    _record(services.warehouse.scoped(other_workspace))
    scoped = services.warehouse.scoped(workspace)
    scored = score_runs(scoped, _actuals({DAY0: 1.0}, []), DAY0 + timedelta(days=5))
    assert scored.is_empty()


def test_ins053_a_metric_the_layer_refuses_is_left_out(services, workspace):
    scoped = services.warehouse.scoped(workspace)
    _record(scoped)

    def refuse(*_):
        raise ValueError("unknown metric")

    assert score_runs(scoped, refuse, DAY0 + timedelta(days=5)).is_empty()


def test_ins054_accuracy_by_week_per_model(services, workspace):
    scoped = services.warehouse.scoped(workspace)
    _record(scoped, model="ets")
    _record(scoped, model="ets", yhat=(80.0, 80.0, 80.0))
    _record(scoped, model="naive", yhat=(50.0, 50.0, 50.0))
    actual = {DAY0 + timedelta(days=i): 100.0 for i in range(3)}
    weekly = accuracy_by_week(score_runs(scoped, _actuals(actual, []), DAY0 + timedelta(days=5)))
    today = datetime.now(UTC).date()  # runs record created_at in UTC
    week = today - timedelta(days=today.weekday())
    assert weekly.select("week", "model", "runs").rows() == [(week, "ets", 2), (week, "naive", 1)]
    assert weekly["smape"][0] == pytest.approx(200 * 20 / 180 / 2)
    assert accuracy_by_week(score_runs(scoped, _actuals({}, []), DAY0)).is_empty()
