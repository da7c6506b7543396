"""The insights detectors on the forecasting module's anomalies and period-end projections."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from dashboard.insights import detect_business as business
from dashboard.insights import forecast_bridge as bridge
from dashboard.insights import stats
from dashboard.insights.engine import detect
from dashboard.insights.impact import Exposure
from dashboard.insights.source import GoalSpec
from tests.unit.insights_fakes import noisy
from tests.unit.test_insights_detectors import DAYS, END, START, run, workspace

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def test_ins040_consensus_band_is_never_narrower_than_the_stl_band():
    series = noisy(DAYS, 1000, 120, seed=3, weekly=100)
    series[-3] *= 6
    history = DAYS - 28
    expected, lower, upper = bridge.consensus_band(series, history)
    stl_expected, stl_lower, stl_upper = stats.stl_band(series, history)
    assert np.allclose(expected, stl_expected)
    assert np.all(lower <= stl_lower) and np.all(upper >= stl_upper)
    # the planted day is an anomaly for both methods: it stays outside
    assert series[-3] > upper[-3]
    # ordinary days of the range are inside the (consensus) band
    ordinary = [i for i in range(history, DAYS) if i != DAYS - 3]
    assert all(lower[i] <= series[i] <= upper[i] for i in ordinary)


def test_ins041_consensus_band_tolerates_missing_days():
    series = noisy(DAYS, 500, 50, seed=4)
    series[DAYS - 10] = np.nan
    expected, lower, upper = bridge.consensus_band(series, DAYS - 28)
    assert len(expected) == len(lower) == len(upper) == DAYS
    assert np.all(np.isfinite(expected[: DAYS - 28]))


def test_ins042_engine_finds_a_spike_with_the_forecast_anomalies():
    src = workspace()
    spike = DAYS - 5
    src.parts["sessions"][(("channel", "Organic"),)][spike] *= 4
    found = run(bridge.unusual_change, src)
    hits = [i for i in found if i.metric == "sessions"]
    assert hits and hits[0].period_from == src.day(spike)
    assert hits[0].value > hits[0].evidence["upper"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ins043_clean_series_no_unusual_day(seed):
    assert run(bridge.unusual_change, workspace(seed)) == []


@pytest.mark.parametrize(("target", "expected"), [(200_000.0, 1), (50_000.0, 0)])
def test_ins044_goal_at_risk_on_the_forecast_projection(target, expected):
    end = date(2026, 3, 2)
    src = workspace()
    src._goals = [GoalSpec("net_revenue", "month", *MARCH, target)]
    goal = src._goals[0]
    actual, projected, error = bridge.forecast_goal_projection(src, goal, end)
    # ~2,700 a day over three channels: the month lands near 84k, with some uncertainty
    assert 70_000 < projected < 100_000 and error > 0
    # March 1 and 2 are the last two days of the fake's history
    assert actual == pytest.approx(sum(part[-2:].sum() for part in src.parts["net_revenue"].values()))
    found = bridge.goal_at_risk(src, START, end, Exposure.measure(src, START, end))
    assert len(found) == expected
    if found:
        assert found[0].baseline == target and found[0].value == pytest.approx(projected)
        assert found[0].evidence["probability_of_missing"] > 0.9


def test_ins045_levels_and_finished_periods_keep_the_run_rate_projection():
    src = workspace()
    over = GoalSpec("net_revenue", "month", date(2026, 2, 1), date(2026, 2, 28), 1.0)
    assert bridge.forecast_goal_projection(src, over, END) == business.goal_projection(src, over, END)


def test_ins046_engine_uses_the_forecast_detectors():
    src = workspace()
    src._goals = [GoalSpec("net_revenue", "month", *MARCH, 200_000.0)]
    found = detect(src, START, date(2026, 3, 2))
    goal = [i for i in found if i.type == "goal_at_risk"]
    assert len(goal) == 1
    _, projected, _ = bridge.forecast_goal_projection(src, src._goals[0], date(2026, 3, 2))
    assert goal[0].value == pytest.approx(projected)


def test_ins047_a_server_stopping_ends_detection_instead_of_failing_each_detector(monkeypatch, caplog):
    """Services.close() interrupts the warehouse's queries: detection stops there (no detector
    after it runs, none is logged as failed), while any other error still costs one detector."""
    import duckdb

    from dashboard.insights import engine

    ran = []

    def interrupted(*args):
        ran.append("unusual_change")
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    def trend(*args):
        ran.append("trend_change")
        return []

    monkeypatch.setattr(engine.forecast_bridge, "unusual_change", interrupted)
    monkeypatch.setattr(engine.changes, "trend_change", trend)
    with pytest.raises(duckdb.InterruptException):
        detect(workspace(), START, END)
    assert ran == ["unusual_change"]
    assert "failed" not in caplog.text

    def broken(*args):
        raise ValueError("a bug in one detector")

    monkeypatch.setattr(engine.forecast_bridge, "unusual_change", broken)
    detect(workspace(), START, END)  # the others still run
    assert ran[-1] == "trend_change"
    assert "insight detector broken failed" in caplog.text
