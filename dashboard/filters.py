"""The global filter state (date range, comparison, grain) and its URL query-string form.

The URL is the source of truth: a link reproduces the view. Pages parse the query string with
:meth:`FilterState.from_query`, which never fails: unknown or malformed values fall back to the
defaults, so a hand-edited link still opens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from components.formatting import format_date_range

PRESETS = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "month_to_date": "Month to date",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "last_month": "Last month",
    "custom": "Custom range",
}
COMPARES = {"previous_period": "Previous period", "previous_year": "Previous year", "none": "No comparison"}
GRAIN_LABELS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
DEFAULTS = {"range": "last_30_days", "compare": "previous_period", "grain": "day"}
MAX_DAYS = 366 * 5
#: The dates any view, export or API call may ask for. Wide enough for any real business's
#: history and plans, narrow enough that a comparison (a year or a period earlier) and a
#: period's end (a day later) stay inside Python's and DuckDB's calendars: a hand-edited
#: ``from=0001-01-01`` or ``to=9999-12-31`` used to fail deep in a query with a 500.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2199, 12, 31)


class DateRangeError(ValueError):
    """A date range outside MIN_DATE..MAX_DATE, reversed, or longer than MAX_DAYS."""


def check_range(start: date, end: date, *, max_days: int | None = None) -> None:
    """DateRangeError (with a message a person can act on) unless ``start..end`` is usable."""
    for label, value in (("from", start), ("to", end)):
        if not MIN_DATE <= value <= MAX_DATE:
            raise DateRangeError(
                f"{label} {value.isoformat()} is out of range: use dates between "
                f"{MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"
            )
    if start > end:
        raise DateRangeError(
            f"the date range is reversed: from {start.isoformat()} is after to {end.isoformat()}"
        )
    if max_days is not None and (end - start).days > max_days:
        raise DateRangeError(f"the range is {(end - start).days + 1} days long; at most {max_days + 1} days")


def clamp(value: date) -> date:
    """``value`` moved into MIN_DATE..MAX_DATE."""
    return min(max(value, MIN_DATE), MAX_DATE)


@dataclass(frozen=True)
class FilterState:
    """A resolved filter: preset name, inclusive dates, comparison (or None) and grain."""

    range: str
    start: date
    end: date
    compare: str | None
    grain: str

    @classmethod
    def from_query(cls, query: dict, today: date) -> FilterState:
        """Parse ``range``, ``from``, ``to``, ``compare``, ``grain`` from a query dict (never raises)."""
        preset = query.get("range") if query.get("range") in PRESETS else DEFAULTS["range"]
        compare = query.get("compare") if query.get("compare") in COMPARES else DEFAULTS["compare"]
        grain = query.get("grain") if query.get("grain") in GRAIN_LABELS else DEFAULTS["grain"]
        if preset == "custom":
            start, end = _parse(query.get("from")), _parse(query.get("to"))
            if start is None or end is None or not (_in_range(start) and _in_range(end)):
                # Unreadable or out-of-calendar dates: the default view, not a failing page.
                preset = DEFAULTS["range"]
            elif start > end:
                start, end = end, start
        if preset != "custom":
            start, end = preset_range(preset, today)
        if (end - start).days > MAX_DAYS:
            start = end - timedelta(days=MAX_DAYS)
        return cls(preset, start, end, None if compare == "none" else compare, grain)

    def to_query(self) -> str:
        """The query string (with leading ``?``) that reproduces this state."""
        params = {"range": self.range}
        if self.range == "custom":
            params |= {"from": self.start.isoformat(), "to": self.end.isoformat()}
        params |= {"compare": self.compare or "none", "grain": self.grain}
        return "?" + urlencode(params)

    def to_store(self) -> dict:
        """JSON-friendly form for a dcc.Store."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data

    @classmethod
    def from_store(cls, data: dict | None, today: date) -> FilterState:
        """Rebuild from :meth:`to_store` output (client data: validated, never trusted)."""
        data = data if isinstance(data, dict) else {}
        start, end = _parse(data.get("start")), _parse(data.get("end"))
        if start is None or end is None:
            return cls.from_query({}, today)
        start, end = clamp(start), clamp(end)
        if start > end:
            start, end = end, start
        if (end - start).days > MAX_DAYS:
            start = end - timedelta(days=MAX_DAYS)
        preset = data.get("range") if data.get("range") in PRESETS else "custom"
        if preset != "custom":  # presets move with the calendar: re-resolve in the caller's "today"
            start, end = preset_range(preset, today)
        compare = data.get("compare") if data.get("compare") in COMPARES else None
        grain = data.get("grain") if data.get("grain") in GRAIN_LABELS else DEFAULTS["grain"]
        return cls(preset, start, end, None if compare == "none" else compare, grain)

    @property
    def compare_label(self) -> str | None:
        """Human label of the comparison, or None."""
        return {"previous_period": "prev. period", "previous_year": "prev. year"}.get(self.compare or "")

    @property
    def label(self) -> str:
        """Human description of the range, e.g. ``Last 30 days · 3 Nov – 2 Dec 2026``.

        The pages' one range format (:func:`components.formatting.format_date_range`): days
        without a leading zero, a month or year said once when both ends share it.
        """
        span = format_date_range(self.start, self.end)
        return f"{PRESETS[self.range]} · {span}" if self.range != "custom" else span


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive dates of a preset, ending today (or at the end of last month)."""
    if preset.startswith("last_") and preset.endswith("_days"):
        days = int(preset.split("_")[1])
        return today - timedelta(days=days - 1), today
    if preset == "month_to_date":
        return today.replace(day=1), today
    if preset == "quarter_to_date":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year_to_date":
        return date(today.year, 1, 1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(f"unknown preset {preset!r}")


def today_in(timezone: str) -> date:
    """Today's date in the workspace's time zone."""
    return datetime.now(ZoneInfo(timezone)).date()


def _in_range(value: date) -> bool:
    return MIN_DATE <= value <= MAX_DATE


def _parse(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
