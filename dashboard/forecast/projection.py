"""Where an unfinished period will land, and how likely a goal is to be reached.

For summed metrics (revenue, spend, sessions ...) the period's total is what has happened so
far plus the forecast of the days still to come. The forecast's band gives a range for each
day; how the days' errors add up decides the total's range:

- ``"full"``: fully correlated (one bad week stays bad), the band's edges summed: cautious;
- ``"independent"``: each day's error on its own (root of the sum of squares): right for pure
  day-to-day noise, far too narrow when the level itself is uncertain (a trend);
- ``"level"``: what the band's widening with the horizon says. A band that grows with the
  horizon grows because the level the series will be at is uncertain, and a level error is
  shared by every later day; the part of a day's variance present from the first day on is
  day-to-day noise. So day ``k``'s error is a noise term (the smallest day's variance) plus a
  random-walk level term whose variance is the rest of its band's variance (never shrinking
  with the horizon); as in every single-source-of-error model, the shock that is one day's
  noise also moves the level after it (see :func:`total_sigma`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.stats import norm

from dashboard.forecast.models import z_of


@dataclass(frozen=True)
class Projection:
    """A period-end projection: the expected total and its range at ``interval`` coverage."""

    period_start: date
    period_end: date
    so_far: float
    expected: float
    lower: float
    upper: float
    interval: float
    #: the standard deviation of the total implied by the band (the larger side's; goal
    #: probabilities read ``lower``/``upper`` themselves, see :func:`goal_probability`)
    sigma: float
    #: too little history to calibrate the range (see :mod:`.calibration`): a card says the
    #: range is uncertain instead of printing ``lower``..``upper``
    rough: bool = False


def project_total(
    so_far: float,
    yhat,
    lower,
    upper,
    *,
    interval: float,
    period_start: date,
    period_end: date,
    correlated: bool = True,
    errors: str | None = None,
) -> Projection:
    """The period's total: ``so_far`` plus the forecasts of its remaining days.

    ``yhat``/``lower``/``upper`` are the forecast of each remaining day (empty when the period
    is over). ``errors`` says how the days' errors add up (see the module doc): ``"full"``,
    ``"independent"`` or ``"level"``; left out, ``correlated`` picks ``"full"`` (the default) or
    ``"independent"``. Summing a month of spiky daily bands as ``"full"`` made a meaningless
    fan (the demo's December: $5k–$556k around $113k, its last twelve months between $63k and
    $116k); ``"independent"`` was too narrow on trending series; ``"level"`` is neither.
    """
    mode = errors or ("full" if correlated else "independent")
    if mode not in ERROR_MODES:
        raise ValueError(f"unknown errors mode {mode!r}; accepted: {', '.join(ERROR_MODES)}")
    yhat, lower, upper = (np.asarray(a, dtype=float) for a in (yhat, lower, upper))
    expected = float(so_far + yhat.sum())
    z = z_of(interval)
    if mode == "full":
        low = float(so_far + lower.sum())
        high = float(so_far + upper.sum())
    elif mode == "independent":
        low = expected - float(np.sqrt(np.sum(np.square(yhat - lower))))
        high = expected + float(np.sqrt(np.sum(np.square(upper - yhat))))
    else:
        low = expected - z * total_sigma((yhat - lower) / z)
        high = expected + z * total_sigma((upper - yhat) / z)
    if mode != "full" and lower.size and lower.min() >= 0:  # nothing below zero to come
        low = max(low, float(so_far))
    sigma = max(high - expected, expected - low, 0.0) / z if z > 0 else 0.0
    return Projection(period_start, period_end, float(so_far), expected, low, high, interval, sigma)


#: how the remaining days' errors add up (see the module doc)
ERROR_MODES = ("full", "independent", "level")


def total_sigma(sigmas) -> float:
    """The standard deviation of the sum of errors with these per-day deviations, ``"level"`` mode.

    Day ``k``'s variance ``v_k`` splits into noise ``q = min(v)`` and a level part
    ``U_k = max(v_1..v_k) - q`` that grows like a random walk's. The forecasts come from
    single-source-of-error models (exponential smoothing, Theta, the naive guesses): the shock
    that is one day's noise is also what moves the level after it, by ``sqrt(U_{k+1} - U_k)``
    in deviation. So a day shares with every later day its level variance plus
    ``sqrt(q * (U_{k+1} - U_k))``, and Var(sum) = sum of the days' variances + 2 * sum over
    i < j of that covariance. For a random walk's band this is exactly ``min(i, j)``-covariance;
    a flat band adds up as independent days. Never more than the fully correlated sum.
    """
    v = np.square(np.maximum(np.asarray(sigmas, dtype=float), 0.0))
    n = v.size
    if n == 0:
        return 0.0
    noise = float(v.min())
    level = np.maximum.accumulate(v) - noise
    diagonal = np.maximum(v, level)
    step = np.diff(level, append=level[-1])  # the level variance the next day adds
    shared = level + np.sqrt(noise * step)  # covariance of day i with each later day
    later = n - 1 - np.arange(n)  # how many later days there are
    variance = float(diagonal.sum() + 2 * np.sum(shared * later))
    full = float(np.sqrt(diagonal).sum())
    return min(float(np.sqrt(variance)), full)


def goal_probability(projection: Projection, target: float, *, up_is_good: bool = True) -> float:
    """The chance (0..1) that the period's total reaches ``target`` (stays under it when down is good).

    Read from the range the card shows, not from a spread of its own: below the expected total
    the chance falls off as a normal whose ``interval`` quantile is the range's low end, above
    it as one whose quantile is the high end (a split normal). So a target at the high end of
    an 80% range has a 10% chance, at the low end 90%, however lopsided the range (refunds
    reach further up than down), and a calibrated range (:mod:`.calibration`) gives a
    calibrated chance.
    """
    z = z_of(projection.interval)
    side = (
        projection.upper - projection.expected
        if target >= projection.expected
        else (projection.expected - projection.lower)
    )
    spread = max(side, 0.0) / z if z > 0 else 0.0
    if spread <= 0:
        reached = projection.expected >= target if up_is_good else projection.expected <= target
        return 1.0 if reached else 0.0
    above = float(norm.sf(target, loc=projection.expected, scale=spread))
    return above if up_is_good else 1.0 - above
