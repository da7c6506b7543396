"""Synthetic series for the forecast tests."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from dashboard.forecast.series import Series, future_periods


def series_of(
    shape, *, n: int, noise: float = 0.0, grain: str = "day", seed: int = 3, start=date(2024, 1, 1)
) -> Series:
    """``n`` periods of ``shape(t)`` plus normal noise, starting ``start``."""
    t = np.arange(n, dtype=float)
    y = shape(t) + np.random.default_rng(seed).normal(0, noise, n) if noise else shape(t)
    periods = (
        [start] + future_periods(start, grain, n - 1)
        if grain != "day"
        else [start + timedelta(days=i) for i in range(n)]
    )
    return Series(periods=periods, values=np.asarray(y, dtype=float), grain=grain)
