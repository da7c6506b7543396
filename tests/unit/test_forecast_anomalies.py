"""Anomaly scores, the period-end projection and goal probability."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from dashboard.forecast.anomalies import find_anomalies
from dashboard.forecast.models import z_of
from dashboard.forecast.projection import goal_probability, project_total

DAYS = [date(2026, 1, 1) + timedelta(days=i) for i in range(84)]


def weekly(noise_seed=1):
    t = np.arange(84)
    return 100 + 20 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(noise_seed).normal(0, 2, 84)


def test_fca001_a_spike_and_a_dip_are_found_with_their_sign():
    y = weekly()
    y[40] += 80
    y[60] -= 70
    found = {a.period: a for a in find_anomalies(DAYS, y, "day")}
    assert set(found) == {DAYS[40], DAYS[60]}
    assert found[DAYS[40]].score > 3 and found[DAYS[60]].score < -3
    assert found[DAYS[40]].actual == pytest.approx(round(y[40], 2))
    assert abs(found[DAYS[40]].expected - (y[40] - 80)) < 10


def test_fca002_a_regular_weekly_pattern_is_not_anomalous():
    y = np.where(np.arange(84) % 7 >= 5, 5.0, 100.0) + np.random.default_rng(2).normal(0, 1, 84)
    assert find_anomalies(DAYS, y, "day") == []


def test_fca003_short_flat_or_empty_series_have_no_anomalies():
    assert find_anomalies(DAYS[:5], [1, 2, 100, 2, 1], "day") == []
    assert find_anomalies(DAYS, [7.0] * 84, "day") == []
    assert find_anomalies([], [], "day") == []


def test_fca004_short_series_use_the_rolling_median():
    y = [10, 11, 9, 10, 12, 10, 11, 60, 10, 9, 11, 10]
    found = find_anomalies(DAYS[:12], y, "day")
    assert [a.period for a in found] == [DAYS[7]]


def test_fcp001_projection_adds_the_remaining_forecast_to_what_happened():
    p = project_total(
        1000, [100, 100], [80, 90], [130, 110], interval=0.8, period_start=DAYS[0], period_end=DAYS[30]
    )
    assert (p.expected, p.lower, p.upper) == (1200, 1170, 1240)
    assert p.sigma == pytest.approx(40 / z_of(0.8))


def test_fcp002_goal_probability_is_half_at_the_expected_total_and_monotonic():
    p = project_total(1000, [100], [80], [120], interval=0.8, period_start=DAYS[0], period_end=DAYS[1])
    assert goal_probability(p, 1100) == pytest.approx(0.5)
    assert goal_probability(p, 1000) > 0.9 > 0.1 > goal_probability(p, 1200)
    # at the band's upper edge of an 80% band: a 10% chance of doing better
    assert goal_probability(p, 1120) == pytest.approx(0.1, abs=1e-6)
    # a cost goal (down is good): staying under 1200 is likely
    assert goal_probability(p, 1200, up_is_good=False) > 0.9


def test_fcp003_a_finished_period_is_certain():
    p = project_total(500, [], [], [], interval=0.8, period_start=DAYS[0], period_end=DAYS[1])
    assert goal_probability(p, 400) == 1.0 and goal_probability(p, 600) == 0.0


def test_fcp004_projection_and_goal_texts():
    from components.forecast import goal_text, projection_text

    p = project_total(
        30_000,
        [5_600, 5_600],
        [4_000, 4_000],
        [7_000, 7_000],
        interval=0.8,
        period_start=DAYS[0],
        period_end=DAYS[30],
    )
    assert projection_text(p, "currency", "USD") == "On track for $41.2k this month, 80% range $38k–$44k"
    assert goal_text(0.624) == "62% chance of reaching the goal"
    assert (
        goal_text(0.004) == "<1% chance of reaching the goal"
        and goal_text(1.0) == "100% chance of reaching the goal"
    )
