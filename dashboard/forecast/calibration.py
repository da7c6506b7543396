"""A period total's range calibrated on the series' own history (split conformal).

A model's daily band says how unsure the model is of each day, under its own assumptions; how
those errors add up over the rest of a month is a further assumption (see
:mod:`.projection`). Backtested on the demo workspace, every way of adding them missed: the
"level" ranges held 89-100% of month totals and were wider than the totals themselves (a card
read "$40.7k-$340k" for months of $56k-$111k), the independent ones held as few as 39%.

So the range of a period's total is read from the errors the same projection made before:

1. **Origins at the same position.** The same day of earlier periods (today's day of the month
   in each earlier month, for a month card): from each, the chosen model is refitted on the
   history before it and its forecast of the next ``remaining`` days summed, exactly as the
   card sums today's. Origins are whole months apart, as many as ``remaining`` days make (so
   the windows compared do not overlap, but for a day or two): a quarter card ten days in
   steps back whole quarters.
2. **Relative errors.** Each error (actual minus forecast total) is divided by the scale of the
   series at its origin (``remaining`` times the mean absolute day of the four weeks before), so
   a business that doubled since is compared on the same footing. Signed: refunds that spike
   upwards get a range that reaches further up than down.
3. **Conformal quantiles.** With ``n`` errors, the range's ends are the ``floor((n+1)a/2)``-th
   and ``ceil((n+1)(1-a/2))``-th smallest (``a`` = 1 - coverage), the finite-sample rule that
   holds the stated coverage when past and future errors are alike: the fewer the errors, the
   further out the chosen ones (with 9 to 18 errors for an 80% range, the smallest and largest).
4. **Fallback.** Fewer than ``2/a - 1`` errors (9 for 80%) cannot give such a range at all: the
   history is too short (a new workspace, a year card early in the year). Then there is no
   calibrated range; the caller keeps the model's own ("level") range and marks it rough, and
   the card says the range is uncertain rather than print it.

Cost: one point forecast of the chosen model per origin (two for the combination of ETS and
Theta, without Theta's costly band), at most :data:`MAX_ORIGINS`.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from dashboard.forecast.engine import COMBO, COMBO_PARTS
from dashboard.forecast.models import ModelUnavailable, predict
from dashboard.forecast.series import SEASON, damp_outliers

#: the most earlier origins a range is calibrated on (each costs a fit or two: a year of months)
MAX_ORIGINS = 12
#: the fewest days of history a calibration origin's model is fitted on (four weeks)
MIN_TRAIN = 28
#: the days before an origin whose mean absolute value sets the scale of its error
SCALE_DAYS = 28


def shift_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative: back), the day kept where it exists."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_next = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_next - timedelta(days=1)).day))


def origins(periods: list[date], today: date, remaining: int, limit: int = MAX_ORIGINS) -> list[int]:
    """Earlier origins at today's position, as training lengths (indexes into ``periods``), latest first.

    ``periods`` are consecutive days ending the day before ``today``. An origin is today moved
    back by whole months, ``remaining`` days rounded to months at a time (at least one), so that
    the windows of ``remaining`` days after each hardly overlap; each needs :data:`MIN_TRAIN`
    days before it and its whole window inside the history.
    """
    if not periods:
        return []
    step = max(1, round(remaining / 30.44))
    first = periods[0]
    out: list[int] = []
    k = 1
    while len(out) < limit:
        day = shift_months(today, -k * step)
        length = (day - first).days
        if length < MIN_TRAIN:
            break
        if length + remaining <= len(periods):
            out.append(length)
        k += 1
    return out


def scale(y_before: np.ndarray, remaining: int) -> float:
    """The size of a ``remaining``-day total before an origin: ``remaining`` x the recent mean |day|.

    The last :data:`SCALE_DAYS` days, or the whole history when they are all zero (refunds that
    paused); zero only for a history of zeros.
    """
    recent = np.abs(y_before[-SCALE_DAYS:])
    mean = float(recent.mean()) if recent.size else 0.0
    if mean == 0 and y_before.size:
        mean = float(np.abs(y_before).mean())
    return remaining * mean


def point_total(model: str, fitted: np.ndarray, horizon: int, *, non_negative: bool) -> float:
    """The sum of ``model``'s point forecasts of the next ``horizon`` days after ``fitted``.

    As :func:`.engine.forecast` forecasts: the combination is the plain average of its parts,
    forecasts are floored at zero for a metric that cannot be negative. ``fitted`` is the
    history with its outliers damped, as the engine fits it.
    """
    season = SEASON["day"]
    parts = COMBO_PARTS if model == COMBO else (model,)
    yhat = np.mean(
        [predict(m, fitted, horizon=horizon, season=season, bands=False).yhat for m in parts], axis=0
    )
    if non_negative:
        yhat = np.maximum(yhat, 0.0)
    return float(yhat.sum())


def relative_errors(
    y: np.ndarray, fitted: np.ndarray, cuts: list[int], remaining: int, model: str, *, non_negative: bool
) -> np.ndarray:
    """(actual - forecast) / scale of the ``remaining``-day total after each origin in ``cuts``.

    ``y`` is the history as it happened (the actual totals), ``fitted`` the same with its
    outliers damped (what the models fit and the scale is measured on). An origin whose model
    cannot be fitted (too short for it) or whose scale is zero is left out.
    """
    out = []
    for cut in cuts:
        size = scale(fitted[:cut], remaining)
        if size <= 0:
            continue
        try:
            forecast = point_total(model, fitted[:cut], remaining, non_negative=non_negative)
        except ModelUnavailable:
            continue
        out.append((float(y[cut : cut + remaining].sum()) - forecast) / size)
    return np.asarray(out, dtype=float)


def fewest_errors(interval: float) -> int:
    """The fewest errors a conformal range of this coverage can be read from (9 for 80%)."""
    return math.ceil(2 / (1 - interval) - 1 - 1e-9)


def conformal_bounds(errors, interval: float) -> tuple[float, float] | None:
    """The split-conformal ends of a central ``interval`` range from these errors; None if too few.

    The ``floor((n+1)a/2)``-th and ``ceil((n+1)(1-a/2))``-th smallest of ``n`` errors
    (``a = 1 - interval``): a new error like these falls between them with at least the stated
    probability (at most ``(hi_rank - lo_rank) / (n+1)``, e.g. 83% for 80% from 11 errors).
    """
    e = np.sort(np.asarray(errors, dtype=float))
    n = e.size
    alpha = 1 - interval
    low_rank = math.floor((n + 1) * alpha / 2 + 1e-9)
    high_rank = math.ceil((n + 1) * (1 - alpha / 2) - 1e-9)
    if low_rank < 1 or high_rank > n:
        return None
    return float(e[low_rank - 1]), float(e[high_rank - 1])


def total_spread(
    periods: list[date],
    values,
    *,
    model: str,
    today: date,
    remaining: int,
    interval: float,
    non_negative: bool,
) -> tuple[float, float] | None:
    """How far below and above the projected total the ``interval`` range reaches (low <= high).

    ``periods``/``values`` are the daily history up to yesterday, ``model`` the one the
    projection forecast with, ``remaining`` the days from today to the period's end. The
    offsets are added to the projected total; None when the history is too short to calibrate
    (see the module doc).
    """
    y = np.asarray(values, dtype=float)
    cuts = origins(list(periods), today, remaining)
    if len(cuts) < fewest_errors(interval):
        return None
    # Damped once, on the whole history, not again before each origin: damping a history costs
    # as much as a fit, and it looks only three days ahead to call a day wild.
    fitted = damp_outliers(y, SEASON["day"])
    errors = relative_errors(y, fitted, cuts, remaining, model, non_negative=non_negative)
    bounds = conformal_bounds(errors, interval)
    if bounds is None:
        return None
    size = scale(fitted, remaining)
    return bounds[0] * size, bounds[1] * size
