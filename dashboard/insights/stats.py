"""Small statistics the detectors share: expected bands, noise-aware significance.

``expected_band`` is the seam for the forecasting module: today it fits an STL decomposition
(statsmodels, weekly seasonality) and takes a robust spread of the history's residuals; a
forecast's anomaly bands can be passed to the detectors instead (any :data:`BandFn`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

#: (series, number of history points at its start) -> (expected, lower, upper), each the series' length
BandFn = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray, np.ndarray]]

#: residual spreads of the band (a normal series leaves it ~1 day in 15,000)
BAND_WIDTH = 4.0
#: how far beyond the history's own extreme deviations a lumpy series' day must go
TAIL_MARGIN = 1.2
#: days beyond the core band on one side that make that side's big days recurrent (a retainer
#: invoice most months): at least this many, and this share of the history
RECURRING_DAYS = 3
RECURRING_SHARE = 0.02


def robust_sd(x: np.ndarray) -> float:
    """Standard deviation estimated from the median absolute deviation (outliers barely move it)."""
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def stl_band(series: np.ndarray, history: int, width: float = BAND_WIDTH) -> tuple[np.ndarray, ...]:
    """Expected value and band of each point: STL trend + weekly season, +- ``width`` robust SDs.

    Either side of the band is widened to the history's own extreme deviations on that side
    (lumpy series), never by the other side's.

    The fit and the spread use the first ``history`` points only, so the period being
    explained cannot move or widen its own band. Missing values are interpolated for the fit.
    """
    from statsmodels.tsa.seasonal import STL

    y = np.asarray(series, dtype=float)
    past_y = _interpolate(y[:history])
    ahead = len(y) - history
    if history >= 21:
        # Fit on the history only (the range being explained must not bend its own
        # expectation), then carry the last trend level and each weekday's season forward.
        # The weekday season is the median of the last eight weeks' seasonal terms: STL's own
        # last week follows the noise of those days.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = STL(past_y, period=7, seasonal=13, robust=True).fit()
        seasonal = np.asarray(fit.seasonal)
        recent = seasonal[-min(history, 56) :]
        offset = history - len(recent)
        weekday = np.array(
            [np.median(recent[[j for j in range(len(recent)) if (offset + j) % 7 == d]]) for d in range(7)]
        )
        season = weekday[np.arange(len(y)) % 7]
        # The level carried forward is the last four weeks' deseasonalised median: STL's trend
        # is least reliable at its very end.
        tail = min(history, 28)
        level = float(np.median(past_y[-tail:] - season[history - tail : history]))
        trend = np.concatenate([np.asarray(fit.trend), np.full(ahead, level)])
        expected = trend + season
    else:  # too short for a weekly season: the history's median is the expectation
        expected = np.full(len(y), float(np.median(past_y)) if history else 0.0)
    resid = y - expected
    past = resid[:history][np.isfinite(resid[:history])]
    # Floor the spread at 2% of the level: a perfectly flat series must not flag rounding noise.
    level = float(np.nanmedian(np.abs(y[:history]))) if history else 0.0
    # In-sample residuals understate the error of a projection (the fit absorbs part of the
    # noise): the spread is inflated by a quarter, measured on the evaluation bench's clean series.
    core = width * max(1.25 * robust_sd(past), 0.02 * level, 1e-9)
    # Each side has its own tail: a channel whose big days are $5,000 invoices has no $5,000
    # refund days, and a band of "-$5,100 to $5,400" around a $150 day would say it has.
    above, below = (_reach(past, core), _reach(-past, core)) if len(past) else (core, core)
    return expected, expected - below, expected + above


def _reach(deviations: np.ndarray, core: float) -> float:
    """How far one side of a band reaches: ``core``, or further for a lumpy history on that side.

    ``deviations`` are the history's residuals signed towards that side. Lumpy series (monthly
    invoices, big one-off projects) have tails a normal spread misses: a day must also beat
    the history's own largest deviations to be unusual, by :data:`TAIL_MARGIN`. A single wild
    day is left out (the 99.5th percentile); but when days beyond the core band recur, one of
    them is due in about any range, and a day must beat the largest of them.
    """
    reach = max(core, TAIL_MARGIN * float(np.quantile(deviations, 0.995)))
    beyond = int(np.sum(deviations > core))
    if beyond >= max(RECURRING_DAYS, RECURRING_SHARE * len(deviations)):
        reach = max(reach, TAIL_MARGIN * float(deviations.max()))
    return reach


def _interpolate(y: np.ndarray) -> np.ndarray:
    ok = np.isfinite(y)
    if ok.all() or not ok.any():
        return np.nan_to_num(y)
    idx = np.arange(len(y))
    return np.interp(idx, idx[ok], y[ok])


def normal_confidence(z: float) -> float:
    """Two-sided confidence that an effect of ``z`` standard errors is not noise: 1 - p."""
    return float(math.erf(abs(z) / math.sqrt(2)))


def two_proportion_z(success_a: float, n_a: float, success_b: float, n_b: float) -> float | None:
    """Z statistic of the difference of two proportions (pooled), None when undefined."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (success_a + success_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return None
    return (success_a / n_a - success_b / n_b) / se


def two_proportion_p(success_a: float, n_a: float, success_b: float, n_b: float) -> float | None:
    """Two-sided p-value of :func:`two_proportion_z`."""
    z = two_proportion_z(success_a, n_a, success_b, n_b)
    return None if z is None else 1.0 - normal_confidence(z)


def slope(y: np.ndarray) -> float:
    """Least-squares slope per step of a series (NaNs ignored)."""
    x = np.arange(len(y), dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return 0.0
    return float(np.polyfit(x[ok], y[ok], 1)[0])
