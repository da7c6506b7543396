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

from dashboard.forecast.choices import COMBO, COMBO_PARTS
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
    return float(point_path(model, fitted, horizon, non_negative=non_negative).sum())


def point_path(
    model: str, fitted: np.ndarray, horizon: int, *, non_negative: bool, cache: dict | None = None, **fit
) -> np.ndarray:
    """``model``'s point forecasts of the next ``horizon`` periods after ``fitted``, as the engine makes them.

    The combination is the plain average of its parts; a metric that cannot be negative is
    floored at zero. ``fit`` goes on to :func:`.models.predict` (``season``, default a week of
    days, and Prophet's ``periods``/``grain``/``country``). ``cache`` keeps each part's forecast
    by (model, length of ``fitted``, horizon), so the combination and its parts, or two
    calibrations reaching the same origin, fit once: one cache serves cuts of one history only.
    """
    fit.setdefault("season", SEASON["day"])
    parts = COMBO_PARTS if model == COMBO else (model,)
    made = []
    for part in parts:
        key = (part, len(fitted), horizon)
        yhat = cache.get(key) if cache is not None else None
        if yhat is None:
            yhat = predict(part, fitted, horizon=horizon, bands=False, **fit).yhat
            if cache is not None:
                cache[key] = yhat
        made.append(yhat)
    yhat = np.mean(made, axis=0)
    return np.maximum(yhat, 0.0) if non_negative else yhat


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


# -- the daily band ----------------------------------------------------------------------------
#
# A model's own band is no better than its assumptions. Backtested on the demo's daily series
# (30-day forecasts from ten origins three weeks apart), the 80% bands of the quick models held
# 97-98% of the days, and net revenue's were five times as wide as the day itself: ETS's and
# Theta's bands grow like a random walk's, while the days are noise around a steady level. So,
# as for a period's total, the band is read from the chosen model's own errors on earlier cuts
# of the history, split conformally, one range per horizon bucket (the error a day ahead is not
# the error a month ahead), each error relative to the series' scale at its origin.

#: the most origins a daily band is calibrated on (the backtest's own, free, count among them)
BAND_ORIGINS = 12
#: the fewest origins a horizon bucket's errors must come from: one origin's days share its
#: level error, so many errors from a few origins would make a band far too sure of itself
BAND_MIN_ORIGINS = 6
#: the last step (1-based) of each horizon bucket: weeks first, then doubling
BAND_BUCKETS = (7, 14, 28, 56, 112, 224, 448, 1000)


def band_stride(horizon: int, season: int) -> int:
    """Periods between two calibration origins: at least half the origins reach ``horizon``.

    Whole seasons when the season is a week or shorter, so every origin starts on the same
    weekday as the forecast does.
    """
    stride = max(1, math.ceil(horizon / (BAND_ORIGINS // 2)))
    if 1 < season <= 7:
        stride = season * math.ceil(stride / season)
    return stride


def band_origins(n: int, horizon: int, season: int, min_train: int, reused=()) -> list[int]:
    """Calibration origins (training lengths), latest first: ``reused`` ones, then one every stride.

    ``reused`` are origins whose forecasts are already made (the backtest's); the others step
    back from the end of the history by :func:`band_stride`, never with fewer than
    ``min_train`` periods before them, up to :data:`BAND_ORIGINS` in all.
    """
    out = [o for o in reused if min_train <= o < n]
    stride = band_stride(horizon, season)
    k = 1
    while len(out) < BAND_ORIGINS and n - k * stride >= min_train:
        origin = n - k * stride
        if origin not in out:
            out.append(origin)
        k += 1
    return sorted(set(out), reverse=True)[:BAND_ORIGINS]


def step_errors(y: np.ndarray, fitted: np.ndarray, forecasts: dict[int, np.ndarray], horizon: int):
    """Relative errors by step: ``(steps, origins, errors)`` arrays, one entry per error.

    ``forecasts`` maps an origin to the point forecasts made from the history before it;
    each error is (actual - forecast) divided by the mean |day| of the four weeks before the
    origin (:func:`scale`, on the damped history ``fitted``). Origins whose scale is zero are
    left out.
    """
    steps, where, errors = [], [], []
    for origin, path in forecasts.items():
        size = scale(fitted[:origin], 1)
        if size <= 0:
            continue
        k = min(len(path), horizon, len(y) - origin)
        for j in range(k):
            steps.append(j + 1)
            where.append(origin)
            errors.append((y[origin + j] - path[j]) / size)
    return np.asarray(steps, dtype=int), np.asarray(where, dtype=int), np.asarray(errors, dtype=float)


def band_offsets(steps, where, errors, horizon: int, interval: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Relative offsets (low <= 0 <= high) of each step's band, and how many steps are calibrated.

    Each horizon bucket (:func:`bucket_ends`) gets the conformal ends of its errors (see
    :func:`conformal_bounds`), when there are enough of them from at least
    :data:`BAND_MIN_ORIGINS` origins. A band never narrows further out: each bucket reaches at
    least as far as the one before. Calibration stops at the first bucket that cannot be read
    (too few errors): the steps after it have no offsets (NaN).
    """
    low = np.full(horizon, np.nan)
    high = np.full(horizon, np.nan)
    first, reach_low, reach_high, done = 1, 0.0, 0.0, 0
    for end in bucket_ends(horizon):
        mine = (steps >= first) & (steps <= end)
        if np.unique(where[mine]).size < BAND_MIN_ORIGINS:
            break
        bounds = conformal_bounds(errors[mine], interval)
        if bounds is None:
            break
        reach_low, reach_high = min(reach_low, bounds[0]), max(reach_high, bounds[1])
        low[first - 1 : end] = reach_low
        high[first - 1 : end] = reach_high
        done = end
        first = end + 1
    return low, high, done


def bucket_ends(horizon: int) -> list[int]:
    """The last step of each horizon bucket up to ``horizon`` (:data:`BAND_BUCKETS`, cut there).

    A last bucket of less than a week joins the one before: a 29-day forecast's 29th day alone
    would hold one error per origin, too few to read a range from.
    """
    ends = [e for e in BAND_BUCKETS if e < horizon] + [horizon]
    if len(ends) > 1 and ends[-1] - ends[-2] < 7:
        del ends[-2]
    return ends


def daily_band(
    y: np.ndarray,
    fitted: np.ndarray,
    yhat: np.ndarray,
    forecasts: dict[int, np.ndarray],
    interval: float,
    *,
    non_negative: bool,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The calibrated band around ``yhat``: ``(lower, upper, calibrated steps)``, or None.

    ``forecasts`` are the chosen model's point forecasts from earlier origins (see
    :func:`band_origins`); ``y`` the history as it happened, ``fitted`` the same damped. The
    steps past the calibrated ones (a horizon longer than the history can check) are NaN for
    the caller to fill from the model's own band; None when not even the first week can be
    calibrated. A metric that cannot be negative never gets a lower end below zero.
    """
    horizon = len(yhat)
    steps, where, errors = step_errors(y, fitted, forecasts, horizon)
    low, high, done = band_offsets(steps, where, errors, horizon, interval)
    if done == 0:
        return None
    size = scale(fitted, 1)
    lower, upper = yhat + low * size, yhat + high * size
    if non_negative:
        lower = np.where(np.isnan(lower), lower, np.maximum(lower, 0.0))
    return lower, upper, done
