"""Periods and ranges: grains, period starts, comparisons (days in the workspace's time zone).

Weeks start on Monday. A range's first and last periods may be partial: every function here
clips to the range where that matters.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from data.metrics.errors import MetricError

GRAINS = ("total", "day", "week", "month")


COMPARISONS = ("previous_period", "previous_year")


#: Days in an average month (365.25 / 12): how a period's length is said in months.
DAYS_PER_MONTH = 30.4375


def comparison_range(start: date, end: date, compare: str) -> tuple[date, date]:
    """The range a comparison looks at: the same length just before, or the same dates a year ago."""
    if compare == "previous_period":
        length = (end - start).days + 1
        return start - timedelta(days=length), start - timedelta(days=1)
    if compare == "previous_year":
        return minus_year(start), minus_year(end)
    raise MetricError(f"unknown comparison {compare!r}; accepted: {', '.join(COMPARISONS)}")


def periods(start: date, end: date, grain: str) -> list[date]:
    """Start dates of the periods of ``grain`` that overlap [start, end] (weeks start Monday)."""
    if grain == "total":
        return [start]
    first = period_start(start, grain)
    out, current = [], first
    while current <= end:
        out.append(current)
        current = next_period(current, grain)
    return out


def period_start(day: date, grain: str) -> date:
    """The first day of the ``grain`` period containing ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def whole_periods(start: date, end: date, grain: str) -> tuple[date, date]:
    """``(first, until)``: the whole ``grain`` periods inside [start, end] are [first, until).

    The days before ``first`` and from ``until`` on are the range's partial first and last
    periods; ``first >= until`` means the range holds no whole period.
    """
    opening = period_start(start, grain)
    first = opening if opening == start else next_period(opening, grain)
    return first, period_start(end + timedelta(days=1), grain)


def period_days(start: date, end: date, grain: str) -> pl.Series:
    """Days of each period of the range, clipped to the range (in :func:`periods` order)."""
    if grain == "total":
        return pl.Series("days", [(end - start).days + 1], dtype=pl.Float64)
    days = [
        (min(next_period(p, grain) - timedelta(days=1), end) - max(p, start)).days + 1
        for p in periods(start, end, grain)
    ]
    return pl.Series("days", days, dtype=pl.Float64)


def next_period(day: date, grain: str) -> date:
    """The first day of the period after the one starting ``day``."""
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    if grain == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise MetricError(f"unknown grain {grain!r}")


def minus_year(day: date) -> date:
    """The same date a year earlier (29 February maps to 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def midnight(day: date) -> datetime:
    """The instant ``day`` begins."""
    return datetime.combine(day, time())


def period_bounds(start: date, end: date, grain: str) -> list[tuple[date, date, date]]:
    """(period label date, first day, last day) of each period of ``grain`` clipped to the range."""
    if grain == "total":
        return [(start, start, end)]
    return [
        (p, max(p, start), min(next_period(p, grain) - timedelta(days=1), end))
        for p in periods(start, end, grain)
    ]
