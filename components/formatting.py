"""Numbers, dates and column names formatted for people (one place, used by every page).

Every value is formatted from its unit (the catalogue's ``Metric.unit``): currency in the
workspace currency with a true minus sign (U+2212) before the symbol, as en-US writes it
(``−$3,500.00``); counts as integers; ratios as percentages whose changes are percentage
points; durations in days; dates as a person reads them. Grids get the same rules as
ag-grid ``valueFormatter`` expressions (:func:`grid_formatter`), charts as Plotly hover
templates (:func:`hover_format`).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The minus sign typographers use (a hyphen reads as a dash next to digits).
MINUS = "\u2212"
#: What a missing value shows.
MISSING = "—"

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "MXN": "MX$",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "PLN": "PLN ",
}
ZERO_DECIMAL_DISPLAY = {"JPY", "KRW"}
#: Values at or above this are abbreviated (12.3k) when a row of cards needs compact numbers.
COMPACT_FROM = 10_000
#: Compact amounts keep their cents below this (CPC, CPM): rounding would change them by 5% or more.
CENTS_BELOW = 10
#: A full-precision value longer than this does not fit a KPI card at 390 px (two per row).
CARD_CHARS = 9

#: Words that are acronyms in column names (``mrr_start`` -> "MRR at start").
_ACRONYMS = {
    "mrr": "MRR",
    "arr": "ARR",
    "arpa": "ARPA",
    "ltv": "LTV",
    "nrr": "NRR",
    "cac": "CAC",
    "ctr": "CTR",
    "cpc": "CPC",
    "cpm": "CPM",
    "cpa": "CPA",
    "ctor": "CTOR",
    "roas": "ROAS",
    "rfm": "RFM",
    "id": "ID",
    "url": "URL",
    "utm": "UTM",
}
#: Column names whose words alone do not say what they hold.
COLUMN_LABELS = {
    "mrr_start": "MRR at start",
    "mrr_end": "MRR at end",
    "last_day": "Last payment",
    "first_day": "First payment",
    "list_name": "List",
    "unique_opens": "Opens",
    "unique_clicks": "Clicks",
    "payback_months": "Payback (months)",
    "months_since": "Months since first payment",
    "share": "Share",
    "recency_days": "Days since last payment",
    "frequency": "Payments",
    "monetary": "Revenue",
    "day": "Date",
    "period": "Period",
    "closed_at": "Closed",
    "created_at": "Created",
    "expected_close": "Expected close",
    "win_probability": "Win probability",
    "score": "Win probability",
}


def currency_symbol(currency: str) -> str:
    """The symbol (or code and a space) shown before amounts."""
    return CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _sign(value: float, shown: str = "1") -> str:
    """U+2212 for a negative value whose ``shown`` magnitude is not all zeros (never "−$0.00")."""
    return MINUS if value < 0 and any(c in "123456789" for c in shown) else ""


def _compact(value: float) -> str:
    """``value`` (non-negative) in k/M/B with three significant digits: 9.87k, 98.7k, 987k, 1.23M."""
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        scaled = value / threshold
        if scaled >= 0.9995:  # 999,999 reads 1M, not 1000k
            digits = 0 if scaled >= 99.95 else 1 if scaled >= 9.995 else 2
            text = f"{scaled:.{digits}f}"
            return (text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    return f"{value:,.0f}"


def format_value(value: float | None, unit: str, currency: str = "USD", *, compact: bool = False) -> str:
    """Format ``value`` for display: ``$12,345.67``, ``1,234``, ``3.2%``, ``2.41×``, ``12 days``.

    ``compact`` is for rows of KPI cards that need it (see :func:`needs_compact`): amounts
    without cents (but ``$0.55`` under :data:`CENTS_BELOW`) and large numbers abbreviated
    (``$598``, ``$113k``, ``1.2M``), the same rules for every card of the row. Missing values (None, NaN, infinite) read ``—``.
    """
    if _missing(value):
        return MISSING
    value = float(value)
    size = abs(value)
    if unit == "duration":
        return format_days(value)
    if unit == "months":
        return format_months(value)
    if unit == "ratio":
        shown = f"{size * 100:.1f}%"
    elif unit == "multiple":  # ROAS: conversion value per unit of spend, e.g. 2.41×
        shown = f"{size:,.2f}×"
    elif unit == "currency":
        if compact and size >= COMPACT_FROM:
            number = _compact(size)
        else:
            # compact drops the cents, except under CENTS_BELOW where they are the value (a
            # $0.55 CPC is not "$1")
            whole = compact and (size >= CENTS_BELOW or size == 0)
            decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY or whole else 2
            number = f"{size:,.{decimals}f}"
        return _sign(value, number) + currency_symbol(currency) + number
    elif compact and size >= COMPACT_FROM:
        shown = _compact(size)
    elif unit == "count" or size >= 100 or size.is_integer():
        shown = f"{size:,.0f}"
    else:
        shown = f"{size:,.2f}"
    return _sign(value, shown) + shown


def format_tick(value: float, unit: str, currency: str = "USD") -> str:
    """An axis tick label: whole numbers abbreviated from a thousand on (``−$4k``, ``$500``, ``12k``)."""
    size = abs(float(value))
    number = _compact(size) if size >= 1000 else f"{size:,.0f}"
    symbol = currency_symbol(currency) if unit == "currency" else ""
    return _sign(value, number) + symbol + number


def format_days(days: float | None) -> str:
    """A duration in days: ``1 day``, ``3 days``, ``2.5 days`` (one decimal only under ten days)."""
    if _missing(days):
        return MISSING
    days = float(days)
    shown = f"{abs(days):,.1f}".removesuffix(".0") if abs(days) < 10 else f"{abs(days):,.0f}"
    return f"{_sign(days, shown)}{shown} {'day' if shown == '1' else 'days'}"


def format_months(months: float | None) -> str:
    """A duration in months: ``0.4 months``, ``1 month``, ``14 months`` (one decimal under ten)."""
    if _missing(months):
        return MISSING
    months = float(months)
    shown = f"{abs(months):,.1f}".removesuffix(".0") if abs(months) < 10 else f"{abs(months):,.0f}"
    return f"{_sign(months, shown)}{shown} {'month' if shown == '1' else 'months'}"


def needs_compact(values: list[tuple[float | None, str]], currency: str = "USD") -> bool:
    """Whether a row of KPI cards shows compact numbers: when any full value would not fit a card.

    All cards of a row then use compact notation, so ``$598`` sits beside ``$113k`` rather
    than ``$598.00`` beside ``$113.0k``.
    """
    return any(len(format_value(v, unit, currency)) > CARD_CHARS for v, unit in values)


def delta(value: float | None, compare: float | None, unit: str = "currency") -> float | None:
    """The change shown on a card: percentage points (as a fraction) for ratios, else relative.

    None when either value is missing, or for a relative change from zero.
    """
    if _missing(value) or _missing(compare):
        return None
    if unit == "ratio":
        return float(value) - float(compare)
    if compare == 0:
        return 0.0 if value == 0 else None
    return (float(value) - float(compare)) / abs(float(compare))


def is_flat(change: float | None) -> bool:
    """Whether a change (a fraction, or points as a fraction) reads as zero at one decimal: ``0.0%``.

    A flat change is said without a sign, an arrow or a colour: "−0.0 pp" in red would claim a
    fall that the number itself denies. Missing changes are flat too.
    """
    return _missing(change) or round(float(change) * 100, 1) == 0


def change_tone(change: float | None, up_is_good: bool) -> bool | None:
    """True when a change is good news, False when bad, None when flat or missing (neutral colour)."""
    if is_flat(change):
        return None
    return (float(change) > 0) == up_is_good


def format_change(change: float | None, unit: str = "currency") -> str:
    """A change as text: ``+12.3%``; for a ratio (``unit`` ``ratio``) in points, ``−6.8 pp``.

    ``change`` is a fraction (0.123 = +12.3%, or 0.068 = 6.8 points). One that rounds to zero
    reads ``0.0%`` / ``0.0 pp``, never ``−0.0 pp``; the minus sign is U+2212.
    """
    if _missing(change):
        return MISSING
    suffix = " pp" if unit in ("ratio", "points") else "%"
    if is_flat(change):
        return f"0.0{suffix}"
    sign = "+" if change > 0 else MINUS
    return f"{sign}{abs(change) * 100:.1f}{suffix}"


def format_delta(
    value: float | None, compare: float | None, unit: str = "currency"
) -> tuple[str, float | None]:
    """The change as text and as a number: ``+12.3%``, ``−6.8 pp`` for ratios, ``—`` without a base."""
    change = delta(value, compare, unit)
    if change is None:
        return MISSING, None
    return format_change(change, unit), change


# -- dates ----------------------------------------------------------------------------------------


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_date(day: date | datetime | str | None) -> str:
    """A date as a person reads it: ``1 Dec 2026`` (ISO strings accepted)."""
    if day is None or day == "":
        return MISSING
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:  # not a date ("Range", a label): shown as it is
            return day
    return f"{day.day} {day:%b %Y}"


def format_date_range(start: date | str | None, end: date | str | None) -> str:
    """A date range as a person reads it, saying a month or year once when both ends share it.

    ``3 Nov – 2 Dec 2026``, ``1 – 30 Nov 2026``, ``28 Dec 2025 – 3 Jan 2026``; one day reads
    ``3 Nov 2026``. An en dash with spaces between the ends; ISO strings (and timestamps, of
    which the day counts) are accepted; a missing end reads ``—``.
    """
    first, last = _as_date(start), _as_date(end)
    if first is None or last is None:
        return f"{format_date(start)} – {format_date(end)}" if first or last else MISSING
    if first == last:
        return format_date(first)
    if first.year != last.year:
        return f"{format_date(first)} – {format_date(last)}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {format_date(last)}"
    return f"{first.day} – {format_date(last)}"


def _as_date(day: date | datetime | str | None) -> date | None:
    """``day`` as a date (the day of a timestamp, the date of an ISO string); None if it is none."""
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    if isinstance(day, str) and day:
        try:
            return date.fromisoformat(day[:10])
        except ValueError:
            return None
    return None


def format_month(month: date | str | None) -> str:
    """A calendar month as a person reads it: ``Jan 2026`` (``2026-01`` and ISO dates accepted)."""
    if month is None or month == "":
        return MISSING
    if isinstance(month, str):
        try:
            month = date(int(month[:4]), int(month[5:7]), 1)
        except ValueError:  # not a month: shown as it is
            return month
    return f"{month:%b %Y}"


def format_datetime(moment: datetime | None, tz: str | None = "UTC") -> str:
    """A timestamp in the workspace's time zone, to the minute: ``1 Dec 2026, 15:30``.

    Naive timestamps are UTC (the warehouse stores UTC).
    """
    if moment is None:
        return MISSING
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(_zone(tz))
    return f"{format_date(local)}, {local:%H:%M}"


def format_when(moment: datetime | None, tz: str | None, now: datetime) -> str:
    """A past moment in the zone ``tz``: ``Today at 14:03``, ``Yesterday at 09:12``, ``1 Dec 2026, 15:30``.

    Today and yesterday are the zone's calendar days; naive times are UTC.
    """
    if moment is None:
        return MISSING
    zone = _zone(tz)
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(zone)
    days = (
        (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(zone).date() - local.date()
    ).days
    if days == 0:
        return f"Today at {local:%H:%M}"
    if days == 1:
        return f"Yesterday at {local:%H:%M}"
    return format_datetime(local, tz)


def format_last_seen(moment: datetime | None, tz: str | None, now: datetime) -> str:
    """How long ago a session was last used: ``Active now``, ``12 minutes ago``, or :func:`format_when`.

    "Now" covers two minutes: sessions note their use at most once a minute.
    """
    if moment is None:
        return MISSING
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    minutes = int((now - aware).total_seconds() // 60)
    if minutes < 2:
        return "Active now"
    if minutes < 60:
        return f"{minutes} minutes ago"
    return format_when(aware, tz, now)


# -- labels ---------------------------------------------------------------------------------------


def column_label(name: str, labels: dict[str, str] | None = None) -> str:
    """The header of column ``name``: an explicit label, a catalogue metric's label, or its words.

    Words that are acronyms stay capitals ("Mrr start" never shows); an empty name reads
    "Value" so no column is unlabelled.
    """
    if labels and name in labels:
        return labels[name]
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    label = _catalogue_label(name)
    if label:
        return label
    words = [w for w in name.replace("-", "_").split("_") if w]
    if not words:
        return "Value"
    out = [_ACRONYMS.get(w.lower(), w.lower()) for w in words]
    first = out[0]
    out[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(out)


def _catalogue_label(name: str) -> str | None:
    """The catalogue's label of metric ``name`` (None when no metric has that name)."""
    try:
        from data.metrics import get_metric  # data never imports components: no cycle
    except ImportError:  # pragma: no cover - the data package always ships with the app
        return None
    try:
        return get_metric(name).label
    except Exception:  # MetricError (unknown name): not a metric column
        return None


# -- grids and charts -----------------------------------------------------------------------------


def _js_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def grid_formatter(unit: str, currency: str = "USD", *, integer: bool = False) -> dict:
    """An ag-grid ``valueFormatter`` applying :func:`format_value`'s rules in the browser.

    d3-format writes negative numbers with U+2212 already; the currency symbol goes after the
    sign, as :func:`format_value` places it.
    """
    v = "params.value"
    if unit == "currency":
        decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY else 2
        symbol = _js_string(currency_symbol(currency))
        body = f"({v} < 0 ? '{MINUS}' : '') + {symbol} + d3.format(',.{decimals}f')(Math.abs({v}))"
    elif unit == "ratio":
        body = f"d3.format('.1%')({v})"
    elif unit == "multiple":
        body = f"d3.format(',.2f')({v}) + '×'"
    elif unit == "duration":
        body = f"d3.format(Math.abs({v}) < 10 ? ',.1~f' : ',.0f')({v}) + (Math.abs({v}) === 1 ? ' day' : ' days')"
    elif unit == "months":
        body = f"d3.format(Math.abs({v}) < 10 ? ',.1~f' : ',.0f')({v}) + (Math.abs({v}) === 1 ? ' month' : ' months')"
    elif unit == "count" or integer:
        body = f"d3.format(',.0f')({v})"
    else:
        body = f"d3.format(Math.abs({v}) >= 100 ? ',.0f' : ',.2~f')({v})"
    return {"function": f"{v} == null || {v} === '' ? '{MISSING}' : {body}"}


def hover_format(unit: str, currency: str = "USD", axis: str = "y") -> str:
    """A Plotly hover template piece for a value on ``axis`` carrying its unit: ``$%{y:,.2f}``.

    ``axis`` is any template variable (``x``, ``y``, ``customdata[0]``). For values that can be
    negative use :func:`hover_texts`: Plotly writes ``$-3,500.00`` (hyphen, after the symbol).
    """
    ref = "%{" + axis
    if unit == "currency":
        decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY else 2
        return currency_symbol(currency) + ref + f":,.{decimals}f}}"
    if unit == "ratio":
        return ref + ":.1%}"
    if unit == "multiple":
        return ref + ":,.2f}×"
    if unit == "duration":
        return ref + ":,.1f} days"
    if unit == "months":
        return ref + ":,.1f} months"
    return ref + ":,.0f}"


def hover_texts(values, unit: str, currency: str = "USD") -> list[str]:
    """``values`` as :func:`format_value` writes them, for a trace's ``text`` (hover ``%{text}``).

    Plotly's number formats write a hyphen after a prefix (``$-3,500.00``); a series that goes
    below zero (MRR churn, net movement, a net loss) hovers this text instead: ``−$3,500.00``.
    """
    return [format_value(v, unit, currency) for v in values]
