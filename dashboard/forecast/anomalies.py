"""Anomalies: periods whose actual value falls far outside what the series' own pattern expects.

The expected value of each period is its trend plus its seasonal shape, from a robust STL
decomposition when the history holds two seasons (7 days, 52 weeks, 12 months), else a centred
rolling median. The score is the residual in robust standard deviations (median absolute
deviation x 1.4826), so a few wild points do not hide each other; ``|score| >= threshold``
(3.5 by default: about one false alarm in 2,000 ordinary periods) is an anomaly. Positive scores are spikes, negative ones dips.

:func:`find_anomalies` works on plain arrays; :func:`metric_anomalies` in
:mod:`dashboard.forecast.service` runs it on a catalogue metric of a workspace and returns the
rows other parts (insights) use: ``date, metric, dimension, expected, actual, score``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np

from dashboard.forecast.series import SEASON

THRESHOLD = 3.5
#: fewest periods on which anomalies are looked for at all
MIN_POINTS = 8


@dataclass(frozen=True)
class Anomaly:
    """One period outside its expected band."""

    period: date
    expected: float
    actual: float
    score: float


def expected_values(y: np.ndarray, season: int, *, robust: bool = False) -> np.ndarray:
    """Each period's expected value: STL trend + season when two seasons exist, else a rolling median.

    The STL windows are wide (four seasons) so trend and season follow the pattern, not the
    noise: a flexible fit would swallow the very points we are looking for.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if season > 1 and n >= 2 * season + 1:
        from statsmodels.tsa.seasonal import STL

        window = 4 * season + 1  # odd, as STL needs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = STL(y, period=season, seasonal=window, trend=window, robust=robust).fit()
        return np.asarray(fit.trend) + np.asarray(fit.seasonal)
    half = 2
    return np.array([np.median(y[max(0, i - half) : i + half + 1]) for i in range(n)])


#: a spread below this share of the series' typical size is not believed: a wobble of 1% is
#: not "unusual" to a business, however regular its other days were
MIN_RELATIVE_SPREAD = 0.01


def _spread(resid: np.ndarray, y: np.ndarray) -> float:
    """A robust standard deviation (MAD x 1.4826; the plain one when most residuals are 0).

    Floored at 1% of the series' median size, so a near-perfectly regular series does not turn
    rounding-size wobbles into anomalies.
    """
    sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    if sigma <= 0:
        sigma = float(np.std(resid))
    return max(sigma, MIN_RELATIVE_SPREAD * float(np.median(np.abs(y))))


def find_anomalies(periods: list[date], values, grain: str, *, threshold: float = THRESHOLD) -> list[Anomaly]:
    """The periods of a series whose robust score is at least ``threshold`` in size, oldest first.

    Too short a series (fewer than 8 periods) or one with no spread gives no anomalies: nothing
    can be called unusual without a usual.
    """
    y = np.asarray([0.0 if v is None else float(v) for v in values], dtype=float)
    if len(y) < MIN_POINTS or np.ptp(y) == 0:
        return []
    season = SEASON[grain]
    expected = expected_values(y, season)
    resid = y - expected
    sigma = _spread(resid, y)
    if sigma <= 0:
        return []
    # Further passes: the points found are replaced by their expected value and the pattern
    # fitted again, so a big spike neither bends the expectation of its neighbours (and of the
    # same weekday a week away) nor hides a smaller one.
    wild = np.abs(resid) >= threshold * sigma
    # Found points are filled with a robust fit's expectation, which they did not bend.
    filler = expected_values(y, season, robust=True) if wild.any() else expected
    for _ in range(3):
        if not wild.any():
            break
        cleaned = np.where(wild, filler, y)
        expected = expected_values(cleaned, season)
        resid = y - expected
        sigma = _spread(cleaned - expected, y)
        if sigma <= 0:
            return []
        found = wild | (np.abs(resid) >= threshold * sigma)
        if np.array_equal(found, wild):
            break
        wild = found
    scores = resid / sigma
    return [
        Anomaly(periods[i], round(float(expected[i]), 2), round(float(y[i]), 2), round(float(scores[i]), 2))
        for i in np.flatnonzero(np.abs(scores) >= threshold)
    ]
