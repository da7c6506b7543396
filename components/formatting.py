"""Numbers, dates and column names formatted for people (one place, used by every page).

Every value is formatted from its unit (the catalogue's ``Metric.unit``): currency in the
workspace currency with a true minus sign (U+2212) placed as the workspace's number locale
places it (``−$3,500.00`` in en-US, ``−3.500,00 €`` in de-DE, ``€ −3.500,00`` in nl-NL);
counts as integers; ratios as percentages whose changes are percentage points; durations in
days; dates as a person reads them. Grids get the same rules as ag-grid ``valueFormatter``
expressions (:func:`grid_formatter`), charts as Plotly hover templates (:func:`hover_format`)
and layout separators (:func:`plotly_separators`).

The number locale (separators, grouping, where the currency symbol and the percent sign go)
comes from CLDR through Babel and is held in a context variable: a request sets it once for
its workspace (:func:`dashboard.auth.current_context`), a report render for the report's
workspace (:func:`numbers_as`), so the formatters' many callers need not pass it. Every
formatter starts from the en-US text and only then rewrites it for another locale, so en-US
output never changes. Words (``days``, ``pp``, month names) stay English: the interface is.
CSV, JSON and CLI output are machine formats and never go through these functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
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


# -- number locales -------------------------------------------------------------------------------

#: The locale numbers are written in unless a workspace chose another (today's output).
DEFAULT_LOCALE = "en-US"
#: The number locales a workspace can choose (BCP 47 tag -> name), as Settings offers them.
#: Each places the percent sign after the number, which the formatters rely on.
NUMBER_LOCALES = {
    "en-US": "English (United States)",
    "en-GB": "English (United Kingdom)",
    "en-CA": "English (Canada)",
    "en-AU": "English (Australia)",
    "en-IN": "English (India)",
    "de-DE": "German (Germany)",
    "de-AT": "German (Austria)",
    "de-CH": "German (Switzerland)",
    "fr-FR": "French (France)",
    "fr-CA": "French (Canada)",
    "fr-CH": "French (Switzerland)",
    "es-ES": "Spanish (Spain)",
    "es-MX": "Spanish (Mexico)",
    "it-IT": "Italian (Italy)",
    "nl-NL": "Dutch (Netherlands)",
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "sv-SE": "Swedish (Sweden)",
    "da-DK": "Danish (Denmark)",
    "nb-NO": "Norwegian Bokmål (Norway)",
    "fi-FI": "Finnish (Finland)",
    "pl-PL": "Polish (Poland)",
}


def normalise_locale(value: str | None) -> str | None:
    """``value`` as one of :data:`NUMBER_LOCALES`' tags (``de_DE``, ``de-de`` -> ``de-DE``), else None."""
    if not isinstance(value, str):
        return None
    parts = value.strip().replace("_", "-").split("-")
    if len(parts) != 2:
        return None
    tag = f"{parts[0].lower()}-{parts[1].upper()}"
    return tag if tag in NUMBER_LOCALES else None


@dataclass(frozen=True)
class NumberStyle:
    """How one locale writes numbers: separators, digit grouping, currency and percent affixes.

    Affixes are CLDR's with ``¤`` for the symbol; ``currency_prefix``/``currency_suffix`` are
    (positive, negative) pairs whose ``-`` marks where the minus sign goes.
    """

    locale: str = DEFAULT_LOCALE
    decimal: str = "."
    group: str = ","
    #: digits in the last group, then in each group before it (en-IN: 12,34,567.00)
    grouping: tuple[int, int] = (3, 3)
    currency_prefix: tuple[str, str] = ("¤", "-¤")
    currency_suffix: tuple[str, str] = ("", "")
    percent_suffix: str = "%"

    @property
    def is_default(self) -> bool:
        """Whether this is en-US (whose text every formatter writes first)."""
        return self.locale == DEFAULT_LOCALE

    def number(self, text: str) -> str:
        """An en-US number text (``1,234.5``, digits, commas and a dot) as this locale writes it."""
        if self.is_default:
            return text
        whole, dot, fraction = text.replace(",", "").partition(".")
        return self._grouped(whole) + (self.decimal + fraction if dot else "")

    def _grouped(self, digits: str) -> str:
        primary, secondary = self.grouping
        if len(digits) <= primary or not digits.isdigit():
            return digits
        head, groups = digits[:-primary], [digits[-primary:]]
        while len(head) > secondary:
            head, groups = head[:-secondary], [head[-secondary:], *groups]
        return self.group.join([head, *groups])

    def currency(self, number: str, negative: bool, symbol: str) -> str:
        """``number`` (already in this locale) with the currency ``symbol`` and sign where they go.

        ``symbol`` may end with a space (``CHF ``): it keeps it where the number follows the
        symbol directly, and drops it where the locale puts its own space.
        """
        prefix, suffix = self.currency_prefix[negative], self.currency_suffix[negative]
        if self.is_default:  # today's output, byte for byte
            return (MINUS if negative else "") + symbol + number
        tight = prefix.endswith("¤")  # ¤#,##0.00: the symbol touches the number
        prefix = prefix.replace("¤", symbol if tight else symbol.strip()).replace("-", MINUS)
        suffix = suffix.replace("¤", symbol.strip()).replace("-", MINUS)
        return prefix + number + suffix

    def percent(self, number: str) -> str:
        """``number`` (already in this locale) with the percent sign as the locale writes it."""
        return number + self.percent_suffix


def number_style(locale: str | None = None) -> NumberStyle:
    """The :class:`NumberStyle` of ``locale`` (default: the current one, see :func:`numbers_as`).

    From Babel's CLDR data; an unknown locale writes en-US numbers rather than failing a page.
    """
    return _style_of(current_locale() if locale is None else normalise_locale(locale) or DEFAULT_LOCALE)


@lru_cache(maxsize=64)
def _style_of(tag: str) -> NumberStyle:
    if tag == DEFAULT_LOCALE:
        return NumberStyle()
    from babel import Locale  # imported on first use: en-US workspaces never need it
    from babel.numbers import parse_pattern

    try:
        data = Locale.parse(tag, sep="-")
    except (ValueError, LookupError):  # pragma: no cover - every offered tag is in CLDR
        return NumberStyle()
    symbols = data.number_symbols.get("latn", {})
    currency = parse_pattern(data.currency_formats["standard"])
    percent = parse_pattern(data.percent_formats[None])
    primary, secondary = parse_pattern(data.decimal_formats[None]).grouping
    return NumberStyle(
        locale=tag,
        decimal=symbols.get("decimal", "."),
        group=symbols.get("group", ","),
        grouping=(primary, secondary),
        currency_prefix=tuple(currency.prefix),
        currency_suffix=tuple(currency.suffix),
        percent_suffix=percent.suffix[0] or "%",
    )


#: The number locale of the work in hand (a request's workspace, a report being rendered).
_LOCALE: ContextVar[str] = ContextVar("pulseboard_number_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    """The number locale the formatters use now (:data:`DEFAULT_LOCALE` unless one was set)."""
    return _LOCALE.get()


def set_number_locale(locale: str | None) -> Token:
    """Make ``locale`` the current number locale (an unknown one means en-US); returns the reset token.

    For a request, which resets it when the next one starts; elsewhere use :func:`numbers_as`.
    """
    return _LOCALE.set(normalise_locale(locale) or DEFAULT_LOCALE)


@contextmanager
def numbers_as(locale: str | None) -> Iterator[str]:
    """Format numbers as ``locale`` writes them inside the block (a report render, a background job)."""
    token = set_number_locale(locale)
    try:
        yield _LOCALE.get()
    finally:
        _LOCALE.reset(token)


def _style() -> NumberStyle:
    return _style_of(_LOCALE.get())


def format_percent(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage in the current locale: ``12.5%`` (en-US), ``12,5 %`` (de-DE)."""
    if _missing(value):
        return MISSING
    value = float(value)
    shown = f"{abs(value) * 100:,.{decimals}f}"
    return _sign(value, shown) + _style().percent(_style().number(shown))


def format_number(value: float | None, decimals: int = 0, *, grouped: bool = True) -> str:
    """A plain number in a sentence or a cell, in the current locale: ``1,234`` or ``0.123``.

    In en-US exactly what ``f"{value:,.{decimals}f}"`` writes (``f"{value:.{decimals}f}"``
    without ``grouped``), hyphen-minus included, so text that wrote numbers with an f-string
    stays byte for byte; in another locale its separators (``1.234``, ``0,123``) and U+2212.
    For units (money, ratios, days) use :func:`format_value`.
    """
    if _missing(value):
        return MISSING
    comma = "," if grouped else ""
    whole = isinstance(value, int) and decimals == 0  # f"{n:,}": no float round trip for ints
    text = f"{value:{comma}}" if whole else f"{value:{comma}.{decimals}f}"
    style = _style()
    if style.is_default:
        return text
    magnitude = text.lstrip("-")
    number = style.number(magnitude) if grouped else magnitude.replace(".", style.decimal)
    return _sign(float(value), magnitude) + number


def percent_sign(number: str) -> str:
    """``number`` with the locale's percent sign: ``12.5%`` in en-US, ``12,5 %`` in de-DE.

    ``number`` is already formatted (:func:`format_number`), or a Plotly placeholder of a value
    already in percent (``%{y:.1f}``: the figure's separators localise its digits).
    """
    return _style().percent(number)


def plotly_percents_fit() -> bool:
    """Whether Plotly's own percent formats (``.1%``) write percents as the current locale does.

    d3-format always puts ``%`` right after the number, and Plotly passes no percent sign to it
    (only ``separators``): fine in en-US (``12.5%``), not where CLDR puts a space before the
    sign (de-DE and fr-FR ``12,5 %``), whose figures hover and label percents from text instead.
    """
    return _style().percent_suffix == "%"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _sign(value: float, shown: str = "1") -> str:
    """U+2212 for a negative value whose ``shown`` magnitude is not all zeros (never "−$0.00")."""
    return MINUS if value < 0 and any(c in "123456789" for c in shown) else ""


def _compact(value: float) -> str:
    """``value`` (non-negative) in k/M/B with three significant digits: 9.87k, 98.7k, 987k, 1.23M.

    The letters are the same in every locale (cards must fit); the decimal sign is the locale's.
    """
    style = _style()
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        scaled = value / threshold
        if scaled >= 0.9995:  # 999,999 reads 1M, not 1000k
            digits = 0 if scaled >= 99.95 else 1 if scaled >= 9.995 else 2
            text = f"{scaled:.{digits}f}"
            return style.number(text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    return style.number(f"{value:,.0f}")


def format_value(
    value: float | None,
    unit: str,
    currency: str = "USD",
    *,
    compact: bool = False,
    compact_from: float | None = None,
) -> str:
    """Format ``value`` for display: ``$12,345.67``, ``1,234``, ``3.2%``, ``2.41×``, ``12 days``.

    ``compact`` is for rows of KPI cards that need it (see :func:`needs_compact`): amounts
    without cents (but ``$0.55`` under :data:`CENTS_BELOW`) and large numbers abbreviated
    (``$598``, ``$113k``, ``1.2M``), the same rules for every card of the row. ``compact_from``
    lowers the size abbreviated from (default :data:`COMPACT_FROM`): numbers read together, such
    as a range's two ends, then share one notation (``$7.67k–$33.1k``, not ``$7,668–$33.1k``).
    Missing values (None, NaN, infinite) read ``—``.
    """
    if compact_from is None:
        compact_from = COMPACT_FROM
    if _missing(value):
        return MISSING
    value = float(value)
    size = abs(value)
    if unit == "duration":
        return format_days(value)
    if unit == "months":
        return format_months(value)
    style = _style()
    if unit == "ratio":
        shown = style.percent(style.number(f"{size * 100:.1f}"))
    elif unit == "multiple":  # ROAS: conversion value per unit of spend, e.g. 2.41×
        shown = style.number(f"{size:,.2f}") + "×"
    elif unit == "currency":
        if compact and size >= compact_from:
            number = _compact(size)
        else:
            # compact drops the cents, except under CENTS_BELOW where they are the value (a
            # $0.55 CPC is not "$1")
            whole = compact and (size >= CENTS_BELOW or size == 0)
            decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY or whole else 2
            number = style.number(f"{size:,.{decimals}f}")
        return style.currency(number, bool(_sign(value, number)), currency_symbol(currency))
    elif compact and size >= compact_from:
        shown = _compact(size)
    elif unit == "count" or size >= 100 or size.is_integer():
        shown = style.number(f"{size:,.0f}")
    else:
        shown = style.number(f"{size:,.2f}")
    return _sign(value, shown) + shown


def format_tick(value: float, unit: str, currency: str = "USD") -> str:
    """An axis tick label: whole numbers abbreviated from a thousand on (``−$4k``, ``$500``, ``12k``)."""
    size = abs(float(value))
    number = _compact(size) if size >= 1000 else f"{size:,.0f}"
    if unit == "currency":
        return _style().currency(number, bool(_sign(value, number)), currency_symbol(currency))
    return _sign(value, number) + number


def format_days(days: float | None) -> str:
    """A duration in days: ``1 day``, ``3 days``, ``2.5 days`` (one decimal only under ten days)."""
    if _missing(days):
        return MISSING
    days = float(days)
    shown = f"{abs(days):,.1f}".removesuffix(".0") if abs(days) < 10 else f"{abs(days):,.0f}"
    shown = _style().number(shown)
    return f"{_sign(days, shown)}{shown} {'day' if shown == '1' else 'days'}"


def format_months(months: float | None) -> str:
    """A duration in months: ``0.4 months``, ``1 month``, ``14 months`` (one decimal under ten)."""
    if _missing(months):
        return MISSING
    months = float(months)
    shown = f"{abs(months):,.1f}".removesuffix(".0") if abs(months) < 10 else f"{abs(months):,.0f}"
    shown = _style().number(shown)
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
    style = _style()
    points = unit in ("ratio", "points")
    if is_flat(change):
        shown = style.number("0.0")
        return shown + " pp" if points else style.percent(shown)
    sign = "+" if change > 0 else MINUS
    shown = style.number(f"{abs(change) * 100:,.1f}")  # +1,319.5%, grouped as every number is
    return sign + (shown + " pp" if points else style.percent(shown))


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


def _js_locale(style: NumberStyle) -> str:
    """A d3-format locale object for ``style`` (decimal, thousands, grouping and percent sign)."""
    primary, secondary = style.grouping
    # d3 cycles the list: en-IN's 3-then-2s (12,34,56,789) is spelled out for 15 digits
    sizes = [primary] if primary == secondary else [primary] + [secondary] * 6
    grouping = "[" + ", ".join(map(str, sizes)) + "]"
    return (
        f"d3.formatLocale({{decimal: {_js_string(style.decimal)}, thousands: {_js_string(style.group)}, "
        f"grouping: {grouping}, currency: ['', ''], percent: {_js_string(style.percent_suffix)}}})"
    )


def grid_formatter(unit: str, currency: str = "USD", *, integer: bool = False) -> dict:
    """An ag-grid ``valueFormatter`` applying :func:`format_value`'s rules in the browser.

    d3-format writes negative numbers with U+2212 already; the currency symbol goes after the
    sign, as :func:`format_value` places it. In another number locale than en-US, the numbers
    come from a ``d3.formatLocale`` with that locale's separators and the symbol and sign go
    where the locale puts them (``−3.500,00 €``).
    """
    v = "params.value"
    style = _style()
    fmt = "d3.format" if style.is_default else _js_locale(style) + ".format"
    if unit == "currency":
        decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY else 2
        number = f"{fmt}(',.{decimals}f')(Math.abs({v}))"
        if style.is_default:
            symbol = _js_string(currency_symbol(currency))
            body = f"({v} < 0 ? '{MINUS}' : '') + {symbol} + {number}"
        else:
            # the affixes around a placeholder number: (positive, negative) as format_value writes them
            prefixes, suffixes = zip(
                *(style.currency("#", neg, currency_symbol(currency)).split("#") for neg in (False, True)),
                strict=True,
            )
            body = (
                f"({v} < 0 ? {_js_string(prefixes[1])} : {_js_string(prefixes[0])}) + {number}"
                f" + ({v} < 0 ? {_js_string(suffixes[1])} : {_js_string(suffixes[0])})"
            )
    elif unit == "ratio":
        body = f"{fmt}('.1%')({v})"
    elif unit == "multiple":
        body = f"{fmt}(',.2f')({v}) + '×'"
    elif unit == "duration":
        body = f"{fmt}(Math.abs({v}) < 10 ? ',.1~f' : ',.0f')({v}) + (Math.abs({v}) === 1 ? ' day' : ' days')"
    elif unit == "months":
        body = f"{fmt}(Math.abs({v}) < 10 ? ',.1~f' : ',.0f')({v}) + (Math.abs({v}) === 1 ? ' month' : ' months')"
    elif unit == "count" or integer:
        body = f"{fmt}(',.0f')({v})"
    else:
        body = f"{fmt}(Math.abs({v}) >= 100 ? ',.0f' : ',.2~f')({v})"
    return {"function": f"{v} == null || {v} === '' ? '{MISSING}' : {body}"}


def plotly_separators() -> str | None:
    """The current locale's decimal and thousands signs for a figure's ``layout.separators``.

    None in en-US (Plotly's default ``.,``), so en-US figures stay as they were.
    """
    style = _style()
    return None if style.is_default else style.decimal + style.group


def currency_affixes(currency: str) -> tuple[str, str]:
    """(prefix, suffix) around a positive amount in the current locale: ``("$", "")``, ``("", " €")``."""
    prefix, suffix = _style().currency("#", False, currency_symbol(currency)).split("#")
    return prefix, suffix


def hover_format(unit: str, currency: str = "USD", axis: str = "y") -> str:
    """A Plotly hover template piece for a value on ``axis`` carrying its unit: ``$%{y:,.2f}``.

    ``axis`` is any template variable (``x``, ``y``, ``customdata[0]``). For values that can be
    negative use :func:`hover_texts`: Plotly writes ``$-3,500.00`` (hyphen, after the symbol).
    The figure's ``separators`` (:func:`plotly_separators`) localise the digits; the currency
    symbol goes where the locale puts it (``%{y:,.2f} €``).
    """
    ref = "%{" + axis
    if unit == "currency":
        decimals = 0 if currency.upper() in ZERO_DECIMAL_DISPLAY else 2
        prefix, suffix = currency_affixes(currency)
        return prefix + ref + f":,.{decimals}f}}" + suffix
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
