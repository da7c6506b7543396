"""X (Twitter) Ads Manager campaign export (CSV) -> ad_daily rows with platform ``x_ads``.

With a daily breakdown each row is one campaign on one day, its day written as a ``Time
period`` range that starts and ends on that day (``Mar 1, 2024 - Mar 1, 2024``); some exports
give a ``Date`` or ``Time`` column instead (X's help calls it "Time: the date associated with the
data on that line"). Counts carry thousands separators, ``–`` means no data, rates are
``2.13%`` strings (recomputed, not read).

An hourly export (Export > By hour) has one row per campaign and HOUR: its ``Time`` (or ``Time
period``) carries a time of day (``2026-11-02 13:00``, ``Nov 2, 2026 1:00 PM``, or an hour range
``2026-11-02 13:00 - 2026-11-02 14:00``), or a day column sits beside an hour-of-day column
(``Time`` ``13:00`` next to ``Date``; ``Hour``/``Hour of day``). The hours of a campaign's day
are summed into one row by :func:`data.connectors._ads.sum_breakdowns` (the merged rows counted
as skipped), as for every ad source's breakdowns.

An export without the daily breakdown has one row per campaign for the whole range (``Nov 1,
2026 - Nov 30, 2026``). X's Export offers daily segments of the same data, so Pulseboard does
not guess how a range's spend fell on its days (an even split would put spend on days a paused
campaign spent nothing): a file made only of such rows is refused whole, naming its first row
and asking for the daily export; a range row among daily rows is rejected on its own with the
same advice. Either way no range is ever stored as one day's spend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _ads
from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions, UnrecognisedFile

SOURCE = "x_ads"
PLATFORM = "x_ads"
FORMATS = (
    "X Ads campaign export (Time period, Campaign name, Funding source name, Spend, Impressions, Engagements, ...)",
)

_REQUIRED = (("Time period", "Date", "Day", "Time"), "Campaign name", "Spend", "Impressions")
_OPTIONAL = (
    "Funding source name",
    "Campaign ID",
    "Campaign objective",
    "Engagements",
    "Engagement rate",
    "Result type",
    "Link clicks",
    "Retweets",
)
_X_ONLY = ("Funding source name", "Retweets", "Engagements", "Result type")
_DAYS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y")


def sniff(head: str) -> float:
    """Score an X Ads export: its header, with X-only columns (Funding source name, Engagements, Retweets) raising the score."""
    score = t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)
    # Spend + Impressions + Campaign name alone could be any ad tool: ask for one X-only column
    x_only = t.header_score(head, [_X_ONLY], max_lines=2)
    return score if x_only >= 0.6 else min(score, 0.5)


#: "Mar 1, 2024 - Mar 7, 2024" (also with an en or em dash, or "to")
_RANGE_SEPARATOR = r"\s+[-\u2013\u2014]\s+|\s+to\s+"
_DAILY_ADVICE = "export it again from X Ads Manager with the daily breakdown (Export > By day)"


#: a time of day after the day: " 13:00", " 13:00:00", "T13:00", " 1:00 PM", " 1 PM"
_CLOCK = r"(?i)(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?|\s(\d{1,2}))(?:\s*([ap])\.?m\.?)?$"


def _split_clock(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(day text, minutes after midnight or null)`` of values like ``2026-11-02 13:00``.

    A bare number after the day (``Mar 1, 2024``'s year is no clock) only counts with AM/PM.
    """
    m = text.str.extract_groups(_CLOCK)
    hour = m.struct.field("1").fill_null(m.struct.field("3")).cast(pl.Int64, strict=False)
    minute = m.struct.field("2").cast(pl.Int64, strict=False).fill_null(0)
    ampm = m.struct.field("4").str.to_lowercase()
    # " 2024" in "Mar 1, 2024" matched the bare-hour branch: not a clock without AM/PM
    bare = m.struct.field("3").is_not_null() & ampm.is_null()
    hour = pl.select(
        pl.when(pl.lit(bare))
        .then(None)
        .when(pl.lit(ampm) == "p")
        .then(pl.lit(hour) % 12 + 12)
        .when(pl.lit(ampm) == "a")
        .then(pl.lit(hour) % 12)
        .otherwise(pl.lit(hour))
    ).to_series()
    ok = hour.is_not_null() & (hour < 24) & (minute < 60)
    minutes = pl.select(pl.when(pl.lit(ok)).then(pl.lit(hour) * 60 + pl.lit(minute))).to_series()
    day = pl.select(
        pl.when(pl.lit(ok)).then(pl.lit(text).str.replace(_CLOCK, "")).otherwise(pl.lit(text))
    ).to_series()
    return day.str.strip_chars(), minutes


def _period_days(period: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The first and last day of each ``Mar 1, 2024 - Mar 7, 2024`` period (a single day is both).

    A value with a time of day is one slot of an hourly export: ``2026-11-02 13:00`` is that day,
    and a range ends just before its end time, so ``2026-11-02 23:00 - 2026-11-03 00:00`` is one
    day while ``2026-11-01 00:00 - 2026-11-30 23:00`` still spans 30.
    """
    parts = period.str.strip_chars().str.replace(_RANGE_SEPARATOR, "\x00").str.split_exact("\x00", 1)
    first_text, first_clock = _split_clock(parts.struct.field("field_0"))
    last_text, last_clock = _split_clock(
        parts.struct.field("field_1").fill_null(parts.struct.field("field_0"))
    )
    first, last = t.parse_date(first_text, _DAYS), t.parse_date(last_text, _DAYS)
    start = pl.select(
        pl.lit(first).cast(pl.Datetime("us")) + pl.duration(minutes=pl.lit(first_clock).fill_null(0))
    )
    end = pl.select(
        pl.lit(last).cast(pl.Datetime("us")) + pl.duration(minutes=pl.lit(last_clock).fill_null(0))
    )
    start, end = start.to_series(), end.to_series()
    timed_range = last_clock.is_not_null() & (end > start).fill_null(False)
    last = pl.select(
        pl.when(pl.lit(timed_range))
        .then((pl.lit(end) - pl.duration(microseconds=1)).dt.date())
        .otherwise(pl.lit(last))
    ).to_series()
    return first, last


def _hourly(path: Path, cols: list[str], header: str) -> bool:
    """Whether the first rows' day values carry a time of day (an hourly export)."""
    i = cols.index(header)
    values = [
        cells[i] for cells in map(t.split_line, t.head_lines(t.read_head(path), 50)[1:]) if len(cells) > i
    ]
    _day, minutes = _split_clock(pl.Series(values, dtype=pl.Utf8).str.split(" - ").list.first())
    return bool(minutes.is_not_null().any())


def _refuse_ranges(
    path: Path, raw: pl.DataFrame, header: str, campaign: pl.Series, start: pl.Series, end: pl.Series
) -> None:
    """Refuse a file whose dated rows all span several days (an export without the daily breakdown)."""
    dated = start.is_not_null() & end.is_not_null()
    multi = dated & (end > start)
    if not multi.any() or (dated & ~multi).any():
        return
    i = int(multi.arg_true()[0])
    line = int(raw[t.LINE_COL][i]) if t.LINE_COL in raw.columns else i + 2
    days = (end[i] - start[i]).days + 1
    raise UnrecognisedFile(
        f"{path.name}: this X Ads export has one row per campaign for a whole period, not one per day "
        f"(line {line}: campaign {campaign[i]!r}, {header} {raw[header][i]!r}, {days} days; "
        f"{int(multi.sum())} such row(s)). Pulseboard stores ad spend per day and does not guess how X "
        f"spread it over the days: {_DAILY_ADVICE}"
    )


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield ad_daily chunks (days as X reports them, in the ad account's time zone)."""
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "period": t.find_column(cols, "Time period"),
        "date": t.find_column(cols, "Date", "Day", "Time"),
        "campaign": t.find_column(cols, "Campaign name"),
        "campaign_id": t.find_column(cols, "Campaign ID"),
        "impressions": t.find_column(cols, "Impressions"),
        "clicks": t.find_column(cols, "Clicks", "Link clicks"),
        "spend": t.find_column(cols, "Spend", "Billed charge"),
        "conversions": t.find_column(cols, "Conversions", "Website conversions", "Purchases"),
        "conversion_value": t.find_column(cols, "Conversion value", "Purchase value", "Sales"),
        "currency": t.find_column(cols, "Currency"),
    }
    t.missing_columns(
        path, "an X Ads campaign export", cols, **{"Time period or Date": f["period"] or f["date"]}
    )
    rep = options.reporting_currency.upper()
    day_header = f["date"] or f["period"]
    # a Time column beside the day column is X's hour-of-day segment ("13:00"): a breakdown
    hour_header = t.find_column(cols, "Time")
    hour_segment = [hour_header] if hour_header is not None and hour_header != day_header else []
    if not hour_segment and _hourly(path, cols, day_header):
        # the day column itself carries the hour ("2026-11-02 13:00"): its hours share a day's key
        hour_segment = [day_header]
    first = True

    def chunks() -> Iterator[Chunk]:
        nonlocal first
        for raw in reader.iter(options.batch_rows):
            specs = {k: t.Spec(kind, f[k]) for k, kind in _ads.METRIC_KINDS.items()}
            specs["currency"] = t.Spec("currency", f["currency"])
            p, bad = t.parse_columns(raw, specs)
            # a Date column may hold a range too: every day column is read as "first - last"
            day, last = _period_days(t.col(raw, day_header))
            if first:
                _refuse_ranges(path, raw, day_header, t.col(raw, f["campaign"]), day, last)
                first = False
            p = p.with_columns(day.alias("date"))
            raw_day = t.col(raw, day_header)
            bad["date"] = (raw_day.is_not_null() & (day.is_null() | last.is_null() | (last < day))).fill_null(
                False
            )
            currency = p["currency"] if f["currency"] else p["currency"].fill_null(rep)
            multi_day = t.Check(
                (last > day).fill_null(False),
                "date",
                day_header,
                lambda v: (
                    f"{day_header} {v!r} spans several days and is not split into days: {_DAILY_ADVICE}"
                ),
            )
            yield _ads.ad_daily_chunk(
                SOURCE,
                PLATFORM,
                raw,
                p,
                bad,
                {**f, "date": day_header},
                campaign=t.col(raw, f["campaign"]),
                campaign_id=t.col(raw, f["campaign_id"]),
                currency=currency,
                reporting_currency=rep,
                date_hint="e.g. 'Mar 1, 2024 - Mar 1, 2024' (one day per row) or '2026-11-02 13:00' (one hour)",
                extra_checks=[multi_day],
                blank_rows=reader.take_blank(),
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(),
        [
            *_ads.breakdown_columns(cols, key=(f["date"], f["period"], f["campaign"], f["campaign_id"])),
            *hour_segment,
        ],
    )
