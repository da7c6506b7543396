"""X (Twitter) Ads Manager campaign export (CSV) -> ad_daily rows with platform ``x_ads``.

With a daily breakdown each row is one campaign on one day, its day written as a ``Time
period`` range that starts and ends on that day (``Mar 1, 2024 - Mar 1, 2024``); some exports
give a ``Date`` or ``Time`` column instead (X's help calls it "Time: the date associated with the
data on that line"). Counts carry thousands separators, ``–`` means no data, rates are
``2.13%`` strings (recomputed, not read).

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


def _period_days(period: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The first and last day of each ``Mar 1, 2024 - Mar 7, 2024`` period (a single day is both)."""
    parts = period.str.strip_chars().str.replace(_RANGE_SEPARATOR, "\x00").str.split_exact("\x00", 1)
    first = parts.struct.field("field_0")
    last = parts.struct.field("field_1").fill_null(first)
    return t.parse_date(first, _DAYS), t.parse_date(last, _DAYS)


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
                date_hint="e.g. 'Mar 1, 2024 - Mar 1, 2024' (one day per row)",
                extra_checks=[multi_day],
                blank_rows=reader.take_blank(),
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(), _ads.breakdown_columns(cols, key=(f["date"], f["period"], f["campaign"], f["campaign_id"]))
    )
