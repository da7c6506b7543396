"""A period's total from its forecast: so far, plus the days left, with a range.

The glue between a daily forecast and a KPI card's "On track for ..." line, shared by the
service (a workspace's metric) and the benchmark and tests (a series in memory): the days
still to come are summed (:func:`.projection.project_total`), and their range either added up
from the daily bands or, ``errors="calibrated"``, read from the projection's own errors on
earlier periods (:mod:`.calibration`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from dashboard.forecast import calibration
from dashboard.forecast.models import z_of
from dashboard.forecast.projection import Projection, project_total

#: the ``errors`` mode whose range comes from the projection's own past errors (the cards')
CALIBRATED = "calibrated"


def period_total(
    so_far: float,
    today_actual: float,
    rows: list[dict],
    fitted: tuple,
    period_start_day: date,
    period_end_day: date,
    *,
    today: date,
    interval: float,
    errors: str,
    non_negative: bool,
) -> Projection:
    """So far plus the forecast ``rows`` of the days left; ``fitted`` = (history days, values, model).

    ``errors="calibrated"`` reads the range from the projection's own past errors
    (:mod:`.calibration`); with too little history for that it keeps the ``"level"`` range,
    marked rough.
    """
    # The forecast starts at the first unfitted day: today, then the days left in the period.
    rows = [r for r in rows if today <= date.fromisoformat(r["period"]) <= period_end_day]
    yhat = [r["yhat"] for r in rows]
    lower = [r["lower"] for r in rows]
    upper = [r["upper"] for r in rows]
    if rows and rows[0]["period"] == today.isoformat():
        yhat[0], lower[0], upper[0] = (max(v, today_actual) for v in (yhat[0], lower[0], upper[0]))
    projection = project_total(
        so_far,
        yhat,
        lower,
        upper,
        interval=interval,
        period_start=period_start_day,
        period_end=period_end_day,
        errors="level" if errors == CALIBRATED else errors,
    )
    if errors != CALIBRATED or not rows:
        return projection
    history, values, model = fitted
    spread = calibration.total_spread(
        history,
        values,
        model=model,
        today=today,
        remaining=len(rows),
        interval=interval,
        non_negative=non_negative,
    )
    if spread is None:
        return replace(projection, rough=True)
    expected = projection.expected
    low, high = expected + spread[0], expected + spread[1]
    if non_negative or np.min(values, initial=0.0) >= 0:  # the days to come add nothing below zero
        low = max(low, so_far + today_actual)
    low, high = min(low, expected), max(high, expected)
    z = z_of(interval)
    sigma = max(high - expected, expected - low) / z
    return replace(projection, lower=low, upper=high, sigma=sigma)
