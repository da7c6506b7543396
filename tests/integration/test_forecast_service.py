"""The forecast service on a real warehouse: anomalies as data, period-end projection, goal chance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.accounts import WorkspaceContext
from dashboard.forecast.series import ForecastError
from dashboard.forecast.service import goal_chance, metric_anomalies, period_projection
from dashboard.models import Role
from tests.conftest import load, payments_frame


def _rows(today: date, days: int, spike_day: date | None = None):
    rows = []
    for i in range(days, 0, -1):
        day = today - timedelta(days=i)
        amount = 100 + 30 * (day.weekday() < 5) + (i * 37 % 23) / 2 - 5.5  # a regular week, some noise
        for channel in ("Email", "Direct"):
            value = amount * (40 if day == spike_day and channel == "Email" else 1)
            rows.append(
                {
                    "id": f"{channel}{i}",
                    "created": f"{day} 12:00",
                    "amount": f"{value:.2f}",
                    "customer": "c",
                    "channel": channel,
                }
            )
    return payments_frame(rows)


@pytest.fixture
def ctx(workspace):
    return WorkspaceContext(user_id=1, role=Role.ANALYST, workspace=workspace)


def test_fcs001_anomalies_are_rows_with_the_documented_keys(services, workspace, ctx):
    today = date.today()  # read by each test, not at import: a run may cross midnight
    spike = today - timedelta(days=20)
    load(services, workspace, "payments", _rows(today, 90, spike_day=spike))
    rows = metric_anomalies(services, ctx, "gross_revenue", today - timedelta(days=89), today)
    assert [r["date"] for r in rows] == [spike.isoformat()]
    row = rows[0]
    assert list(row) == ["date", "metric", "dimension", "expected", "actual", "score"]
    assert row["metric"] == "gross_revenue" and row["dimension"] is None and row["score"] > 3.5
    assert row["actual"] > 20 * row["expected"] / 2
    by = metric_anomalies(services, ctx, "gross_revenue", today - timedelta(days=89), today, by="channel")
    assert [(r["date"], r["dimension"]) for r in by] == [(spike.isoformat(), "channel=Email")]


def test_fcs002_anomalies_refuse_ratios_and_unknown_dimensions(services, workspace, ctx):
    today = date.today()
    with pytest.raises(ForecastError, match="not a sum"):
        metric_anomalies(services, ctx, "ctr", today - timedelta(days=30), today)
    with pytest.raises(ForecastError, match="cannot be split by 'plan'"):
        metric_anomalies(services, ctx, "gross_revenue", today - timedelta(days=30), today, by="plan")


def test_fcs003_period_projection_adds_the_forecast_to_what_happened(services, workspace, ctx):
    today = date.today()
    load(services, workspace, "payments", _rows(today, 200))
    start, end = today - timedelta(days=10), today + timedelta(days=9)
    p = period_projection(services, ctx, "gross_revenue", start, end)
    # 10 whole days so far, plus the forecast of today (not over, no payments yet) and the 9
    # days after it, ~200-260 a day
    so_far = sum(
        2 * (100 + 30 * ((today - timedelta(days=i)).weekday() < 5) + (i * 37 % 23) / 2 - 5.5)
        for i in range(1, 11)
    )
    assert p.so_far == pytest.approx(so_far)
    assert so_far + 10 * 180 < p.expected < so_far + 10 * 280
    assert p.lower <= p.expected <= p.upper
    assert 0.3 < goal_chance(p, p.expected, "gross_revenue") < 0.7
    assert goal_chance(p, p.expected * 3, "gross_revenue") < 0.01
    assert (
        period_projection(
            services, ctx, "gross_revenue", today + timedelta(days=1), today + timedelta(days=5)
        )
        is None
    )
    # MRR is projected to its value on the last day (a snapshot): here there is no MRR history
    with pytest.raises(ForecastError, match="not enough history to forecast mrr"):
        period_projection(services, ctx, "mrr", start, end)
