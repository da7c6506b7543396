"""Relative report periods (``last_month``, ``last_week`` ...) resolved against a day.

A scheduled report covers the period before the moment it is sent, in the workspace's time
zone: the Monday 08:00 report with ``last_week`` covers Monday..Sunday of the week before.
"""

from __future__ import annotations

from datetime import date, timedelta

from components.formatting import format_date, format_date_range

#: period name -> label shown on covers, forms and in ``--help``
PERIODS = {
    "yesterday": "Yesterday",
    "last_week": "Last week",
    "last_month": "Last month",
    "last_quarter": "Last quarter",
    "month_to_date": "Month to date",
    "year_to_date": "Year to date",
    "custom": "Custom range",
}
#: comparison name -> label (``none`` means no comparison column)
COMPARES = {"previous_period": "Previous period", "previous_year": "Previous year", "none": "No comparison"}


class PeriodError(ValueError):
    """An unknown period or comparison, or a bad custom range."""


def resolve_period(period: str, today: date) -> tuple[date, date]:
    """The inclusive dates ``period`` covers when the report is made on ``today``.

    ``month_to_date`` and ``year_to_date`` include today; the others are whole past periods.
    On the first day of a month ``month_to_date`` would be a single unfinished day, which is
    still what the name says, so it is returned as is.
    """
    if period == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if period == "last_week":  # weeks start on Monday (ISO), as the metric layer's week grain
        this_monday = today - timedelta(days=today.weekday())
        return this_monday - timedelta(days=7), this_monday - timedelta(days=1)
    if period == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if period == "last_quarter":
        quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end = quarter_start - timedelta(days=1)
        return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
    if period == "month_to_date":
        return today.replace(day=1), today
    if period == "year_to_date":
        return date(today.year, 1, 1), today
    accepted = ", ".join(p for p in PERIODS if p != "custom")
    raise PeriodError(f"unknown period {period!r}; accepted: {accepted} (or --from/--to)")


def check_compare(compare: str | None) -> str | None:
    """``compare`` as the metric layer wants it (None for ``none``); PeriodError if unknown."""
    if compare in (None, "", "none"):
        return None
    if compare not in COMPARES:
        raise PeriodError(f"unknown comparison {compare!r}; accepted: {', '.join(COMPARES)}")
    return compare


def period_label(start: date, end: date) -> str:
    """``1 – 31 Oct 2026``, ``28 Sep – 4 Oct 2026`` or ``Tue 3 Nov 2026`` for one day.

    The pages' :func:`~components.formatting.format_date_range`; a one-day report names its
    weekday too (a "yesterday" report is read as "Tuesday's").
    """
    if start == end:
        return f"{start:%a} {format_date(start)}"
    return format_date_range(start, end)


def trend_grain(start: date, end: date) -> str:
    """The grain a report's trend charts use: days up to a month, weeks up to a quarter, else months."""
    days = (end - start).days + 1
    if days <= 31:
        return "day"
    if days <= 92:
        return "week"
    return "month"
