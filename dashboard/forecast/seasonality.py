"""Seasonal adjustment as the M3 competition's benchmarks do it.

A series is deseasonalised only when a seasonality test says it has a season: the
autocorrelation at the season's lag must exceed its 90% critical value
(``1.645 * sqrt((1 + 2 * sum of the squared lower-lag autocorrelations) / n)``). The season is
then measured by classical multiplicative decomposition (a centred moving average as the trend,
the mean ratio of each phase to it as the seasonal index, indices scaled to average 1).

Multiplicative needs strictly positive data; :func:`seasonal_indices` answers None otherwise.
"""

from __future__ import annotations

import numpy as np

#: the one-sided normal quantile of the 90% test (the M3 benchmarks' threshold)
TEST_Z = 1.645


def has_season(y: np.ndarray, season: int) -> bool:
    """True when the autocorrelation at lag ``season`` is significant at 90% (see the module doc)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if season < 2 or n < 3 * season:
        return False
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom == 0:
        return False
    acf = np.array([np.dot(x[: n - k], x[k:]) / denom for k in range(1, season + 1)])
    limit = TEST_Z * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / n)
    return bool(abs(acf[-1]) > limit)


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray | None:
    """The ``season`` multiplicative indices (phase 0 = ``y[0]``'s), or None when not seasonal.

    None when the data are not strictly positive, too short (under three seasons: the test
    has too little to go on), or the test finds no season.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if season < 2 or n < 3 * season or y.min() <= 0 or not has_season(y, season):
        return None
    trend = _centred_average(y, season)
    ratios = y / trend  # NaN at the ends, where the centred average is undefined
    phases = np.arange(n) % season
    index = np.array([np.nanmean(ratios[phases == k]) for k in range(season)])
    if not np.all(np.isfinite(index)) or index.min() <= 0:
        return None
    return index / index.mean()


def _centred_average(y: np.ndarray, season: int) -> np.ndarray:
    """The centred moving average over one season (2 x m for an even m), NaN where undefined."""
    n = len(y)
    odd = np.full(season, 1.0 / season)
    weights = odd if season % 2 else np.r_[0.5, np.ones(season - 1), 0.5] / season
    half = len(weights) // 2
    out = np.full(n, np.nan)
    out[half : n - half] = np.convolve(y, weights, mode="valid")
    return out
