"""The insights detectors' use of the forecasting module (anomalies and goal probabilities).

Two seams of the detectors are filled here:

- :func:`consensus_band` (a :data:`stats.BandFn` for ``unusual_change``): a day is unusual only
  when the insights' own STL band (fitted on the history only) *and* the forecast module's
  anomaly scorer (:func:`dashboard.forecast.anomalies.find_anomalies`, robust STL with repeated
  cleaning) both call it so. Two independent checks agreeing keeps a noisy series from
  producing "unusual day" insights; each is an STL fit, so the check stays fast.
- :func:`forecast_goal_projection` (a projection for ``goal_at_risk``): so far + a fast
  forecast (ETS, else seasonal naive; never Prophet, which takes seconds per fit) of the days
  left, through :func:`dashboard.forecast.projection.project_total`. Levels such as MRR keep
  the run-rate slope of :func:`detect_business.goal_projection`.

The forecast package is imported lazily so importing the insights does not load statsmodels.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from dashboard.insights import detect_business as business
from dashboard.insights import detect_changes as changes
from dashboard.insights import stats
from dashboard.insights.detect_business import goal_projection
from dashboard.insights.impact import Exposure
from dashboard.insights.model import Insight
from dashboard.insights.source import GoalSpec, MetricSource, total, values
from data.metrics import get_metric

#: days of daily history the goal forecast is fitted on (a half-year holds the weekly pattern)
GOAL_HISTORY_DAYS = 182
#: the coverage of the forecast band turned into the projection's standard error
GOAL_INTERVAL = 0.8
#: the fast models tried in order for a goal's remaining days
GOAL_MODELS = ("ets", "snaive")


def consensus_band(
    series: np.ndarray, history: int, width: float = stats.BAND_WIDTH
) -> tuple[np.ndarray, ...]:
    """The STL band, widened on each day of the range the forecast module does not call an anomaly.

    Widening to the day's own value means "inside the band", so ``unusual_change`` reports only
    days both methods flag; the expectation (and so the evidence numbers) stays the STL one.
    """
    from dashboard.forecast.anomalies import find_anomalies

    expected, lower, upper = stats.stl_band(series, history, width)
    y = np.asarray(series, dtype=float)
    filled = stats._interpolate(y)  # missing days take their neighbours' value, as in the STL fit
    flagged = {a.period for a in find_anomalies(list(range(len(y))), filled, "day")}
    lower, upper = lower.copy(), upper.copy()
    for i in range(history, len(y)):
        if i not in flagged and np.isfinite(y[i]):
            lower[i] = min(lower[i], y[i])
            upper[i] = max(upper[i], y[i])
    return expected, lower, upper


def forecast_goal_projection(source: MetricSource, goal: GoalSpec, today: date) -> tuple[float, float, float]:
    """(actual so far, projected value at the period's end, standard error), from a fast forecast.

    Falls back to the run-rate projection for levels (MRR, ARR), for too short a history, or
    when no fast model can be fitted.
    """
    from dashboard.forecast.models import ModelUnavailable, predict
    from dashboard.forecast.projection import project_total

    metric = get_metric(goal.metric)
    upto = min(today, goal.period_end)
    remaining = (goal.period_end - upto).days
    if not metric.additive or remaining <= 0:
        return goal_projection(source, goal, today)
    first = upto - timedelta(days=GOAL_HISTORY_DAYS - 1)
    history = values(source.frames([goal.metric], first, upto, grain="day")[goal.metric])
    if np.isfinite(history).sum() < 28:
        return goal_projection(source, goal, today)
    history = stats._interpolate(history)
    for model in GOAL_MODELS:
        try:
            pred = predict(model, history, horizon=remaining, season=7, interval=GOAL_INTERVAL)
            break
        except ModelUnavailable:
            continue
    else:
        return goal_projection(source, goal, today)
    actual = total(source, goal.metric, goal.period_start, upto) or 0.0
    projected = project_total(
        actual,
        pred.yhat,
        pred.lower,
        pred.upper,
        interval=GOAL_INTERVAL,
        period_start=goal.period_start,
        period_end=goal.period_end,
    )
    return actual, projected.expected, projected.sigma


def unusual_change(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """``unusual_change`` with the consensus of the STL band and the forecast's anomaly scorer."""
    return changes.unusual_change(source, start, end, exposure, band=consensus_band)


def goal_at_risk(source: MetricSource, start: date, end: date, exposure: Exposure) -> list[Insight]:
    """``goal_at_risk`` with the forecast's projection of the period's end."""
    return business.goal_at_risk(source, start, end, exposure, projection=forecast_goal_projection)
