"""The series a forecast is fitted on: whole periods, cleaned of what would mislead a model.

Metric frames from :mod:`data.metrics` hold every period of the asked range, zeros included.
Before fitting, three things real data does are handled here, once, for every model:

- a series that starts mid-range (a business that opened in March of a range starting in
  January) has leading zeros that are not history: they are cut;
- the last period may be unfinished (this month so far): it is never fitted, because it would
  look like a drop; it is dropped and reported, so the caller can show it as "so far";
- single wild outliers (a refund batch, a one-off invoice) are damped in the copy the models
  fit on; the actual values stay untouched for charts and anomaly detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

#: season length (in periods) per grain: a week of days, a year of weeks or of months
SEASON = {"day": 7, "week": 52, "month": 12}
#: fewest whole periods a forecast is made from; below this the answer is a clear refusal
MIN_POINTS = {"day": 14, "week": 8, "month": 6}
GRAINS = tuple(SEASON)
#: a point further than this many robust standard deviations from its neighbours is damped
OUTLIER_Z = 6.0


class ForecastError(ValueError):
    """A forecast that cannot be made (bad request or too little history), in plain words."""


@dataclass(frozen=True)
class Series:
    """A metric's whole periods, ready to fit: ``values[i]`` belongs to ``periods[i]``."""

    periods: list[date]
    values: np.ndarray
    grain: str
    #: the dropped unfinished last period and its value so far, if there was one
    partial: tuple[date, float] | None = None

    @property
    def season(self) -> int:
        """Season length in periods (7, 52 or 12)."""
        return SEASON[self.grain]

    def __len__(self) -> int:
        return len(self.values)


def next_period(day: date, grain: str) -> date:
    """The start of the period after the one starting on ``day``."""
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def period_end(start: date, grain: str) -> date:
    """The last day of the period starting on ``start``."""
    return next_period(start, grain) - timedelta(days=1)


def future_periods(last: date, grain: str, horizon: int) -> list[date]:
    """The ``horizon`` period starts after the period starting on ``last``."""
    out, current = [], last
    for _ in range(horizon):
        current = next_period(current, grain)
        out.append(current)
    return out


def prepare(periods: list[date], values, grain: str, *, last_day: date) -> Series:
    """Whole periods up to ``last_day``, leading zeros cut, nulls read as zero.

    ``last_day`` is the last day with data that counts (today, or ``--train-until``): a period
    ending after it is unfinished and is dropped from the fit (kept in ``partial``).
    """
    if grain not in SEASON:
        raise ForecastError(f"unknown grain {grain!r}; accepted: {', '.join(GRAINS)}")
    y = np.array([0.0 if v is None else float(v) for v in values], dtype=float)
    y = np.where(np.isfinite(y), y, 0.0)
    keep = [i for i, p in enumerate(periods) if p <= last_day]
    periods = [periods[i] for i in keep]
    y = y[keep]
    partial = None
    if periods and period_end(periods[-1], grain) > last_day:
        partial = (periods[-1], float(y[-1]))
        periods, y = periods[:-1], y[:-1]
    nonzero = np.flatnonzero(y != 0)
    if nonzero.size:
        periods, y = periods[nonzero[0] :], y[nonzero[0] :]
    else:
        periods, y = [], y[:0]
    return Series(periods=periods, values=y, grain=grain, partial=partial)


def check_length(series: Series, *, what: str = "this metric") -> None:
    """Raise a ForecastError saying how much history is needed when there is too little."""
    need = MIN_POINTS[series.grain]
    if len(series) < need:
        have = len(series)
        raise ForecastError(
            f"not enough history to forecast {what} by {series.grain}: it needs at least {need} "
            f"whole {series.grain}s with data, and has {have}. Pick a finer grain or wait for more data."
        )


def damp_outliers(y: np.ndarray, season: int) -> np.ndarray:
    """A copy of ``y`` where isolated extreme points are replaced by their neighbourhood median.

    Robust: the reference is a centred rolling median and the spread its median absolute
    deviation, so the outliers themselves do not widen the yardstick. A series whose spread is
    zero (mostly constant) is returned unchanged.
    """
    n = len(y)
    if n < 5:
        return y.copy()
    # Take the seasonal shape out first (median per phase), or every quiet Sunday of a
    # weekday business would look like an outlier next to its Friday neighbours.
    profile = np.zeros(n)
    if n >= 2 * season:
        phases = np.arange(n) % season
        shape = np.array([np.median(y[phases == k]) for k in range(season)])
        profile = (shape - np.median(shape))[phases]
    z = y - profile
    half = 3
    ref = np.array([np.median(z[max(0, i - half) : i + half + 1]) for i in range(n)])
    resid = z - ref
    mad = np.median(np.abs(resid - np.median(resid))) * 1.4826
    if mad <= 0:
        return y.copy()
    out = y.copy()
    wild = np.abs(resid) > OUTLIER_Z * mad
    out[wild] = ref[wild] + profile[wild]
    return out
