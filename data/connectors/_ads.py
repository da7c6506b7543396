"""Shared steps of the ad-report connectors: parsed columns -> an ad_daily chunk; breakdown rows summed per day.

Each connector finds its vendor's columns and parses them with ``_text.parse_columns`` under the
canonical names (date, impressions, clicks, spend, conversions, conversion_value, currency);
``ad_daily_chunk`` (Google Ads, Meta, LinkedIn, X) applies the rules every ad report shares: "no
data" counts as zero, negative counts or spend are rejected, the row key is (platform, campaign
id or name, day) - Meta's platform key also names the platform and placement, so Instagram and
each placement stay rows of their own.

Breakdowns: an export segmented by hour, device, age, network, ad set ... has one row per
campaign, day AND segment value, while ad_daily keeps one row per campaign and day. Such rows
share the stored key; :func:`sum_breakdowns` adds them up (every ad metric is additive), where
an upsert would have kept only the last segment of each day. Every connector of ad_daily
(Google Ads, Meta, LinkedIn, X) passes its stream through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import polars as pl

from data.connectors import _text as t
from data.connectors.base import SKIP_BREAKDOWN, SKIP_NOT_A_ROW, Chunk
from data.schema import conform

#: Segment / breakdown columns of ad exports (Google Ads segments, Meta breakdowns, LinkedIn and
#: X columns): a file that has one, and does not build the stored key from it, holds several
#: rows per campaign and day.
BREAKDOWNS = (
    # time of day
    "Hour of day",
    "Hour",
    "Hour of the day",
    "Time of day (ad account time zone)",
    "Time of day (viewer's time zone)",
    "Day of week",
    # device and delivery
    "Device",
    "Impression device",
    "Device platform",
    "Platform",
    "Placement",
    "Network",
    "Network (with search partners)",
    "Ad network type",
    "Top vs. Other",
    "Click type",
    # audience
    "Age",
    "Gender",
    "Country",
    "Country/Territory",
    "Region",
    "DMA region",
    # levels below the campaign
    "Ad group",
    "Ad group name",
    "Ad group ID",
    "Ad set name",
    "Ad set ID",
    "Ad name",
    "Ad ID",
    "Creative name",
    "Creative ID",
)
_BREAKDOWN_NAMES = frozenset(t.norm(b) for b in BREAKDOWNS)
#: ad_daily columns added up over a day's breakdown rows
SUMMED = (
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "conversion_value",
    "spend_reporting",
    "conversion_value_reporting",
)

#: canonical name -> the parse kind used for it
METRIC_KINDS = {
    "impressions": "int",
    "clicks": "int",
    "spend": "money",
    "conversions": "float",
    "conversion_value": "money",
}


def ad_daily_chunk(
    source: str,
    platform: str | pl.Series,
    raw: pl.DataFrame,
    parsed: pl.DataFrame,
    bad: dict[str, pl.Series],
    headers: dict[str, str | None],
    *,
    campaign: pl.Series,
    campaign_id: pl.Series,
    currency: pl.Series,
    reporting_currency: str,
    date_hint: str,
    keep: pl.Series | None = None,
    skip_reason: str = SKIP_NOT_A_ROW,
    extra_checks: Sequence[t.Check] = (),
    blank_rows: int = 0,
    platform_key: pl.Series | None = None,
    money: pl.Decimal = t.MONEY,
) -> Chunk:
    """Build the ad_daily chunk.

    ``headers`` maps canonical names to the file's own headers (for error messages); ``extra_checks`` are the
    vendor's own rejection rules, applied before the common ones; rows where ``keep`` is False are
    skipped with ``skip_reason`` (summary rows); ``blank_rows`` blank lines dropped before this batch
    are counted as read and skipped. ``platform`` is one value or a Series per row (Meta's
    ``facebook``/``instagram``); ``platform_key`` (default: ``platform``) is what the row id is
    built from. ``money`` is the dtype spend and conversion value keep (``t.PRECISE_MONEY`` where the
    vendor writes more than cents: Meta's 8 decimals, Google's micros).
    """
    n = raw.height
    values = {
        "impressions": parsed["impressions"].fill_null(0),
        "clicks": parsed["clicks"].fill_null(0),
        "spend": parsed["spend"].fill_null(0).cast(money),
        "conversions": parsed["conversions"].fill_null(0.0),
        "conversion_value": parsed["conversion_value"].fill_null(0).cast(money),
    }
    if platform_key is None:
        platform_key = platform if isinstance(platform, pl.Series) else pl.Series([platform] * n)
    campaign = campaign.str.strip_chars()
    checks = [
        *extra_checks,
        t.Check(
            bad["date"] | parsed["date"].is_null(), "date", headers.get("date"), t.reason_date(date_hint)
        ),
        t.Check(campaign.is_null(), "campaign", headers.get("campaign"), lambda v: "empty campaign name"),
        *(t.Check(bad[k], k, headers.get(k), t.reason_number) for k in METRIC_KINDS),
        t.Check(currency.is_null(), "currency", headers.get("currency"), t.reason_currency),
        *(
            t.Check((values[k] < 0).fill_null(False), k, headers.get(k), t.reason_negative)
            for k in ("impressions", "clicks", "spend", "conversions")
        ),
    ]
    rep = reporting_currency.upper()
    return t.build_chunk(
        "ad_daily",
        source,
        raw,
        {
            "source_id": t.stable_id(platform_key, campaign_id.fill_null(campaign), parsed["date"]),
            "date": parsed["date"],
            "platform": platform,
            "campaign_id": campaign_id,
            "campaign": campaign,
            "currency": currency,
            "spend_reporting": t.reporting(values["spend"], currency, rep),
            "conversion_value_reporting": t.reporting(values["conversion_value"], currency, rep),
            **values,
        },
        checks,
        keep=keep,
        skip_reason=skip_reason,
        blank_rows=blank_rows,
    )


def breakdown_columns(columns: Iterable[str], *, key: Iterable[str | None] = ()) -> list[str]:
    """The file's breakdown columns that the stored key is not built from.

    ``key`` names the file's own headers the connector builds the row key from (its campaign
    column; Meta's Platform/Placement): a breakdown in the key keeps its rows apart already.
    """
    keyed = {t.norm(k) for k in key if k}
    return [c for c in columns if t.norm(c) in _BREAKDOWN_NAMES and t.norm(c) not in keyed]


def sum_breakdowns(chunks: Iterable[Chunk], breakdowns: Sequence[str]) -> Iterator[Chunk]:
    """The file's ad_daily rows with the rows of each stored key summed into one row per day.

    Without ``breakdowns`` the chunks pass through as they are (a repeated key is then a repeated
    row, and the last one wins like any repeated id). With them the whole file is gathered first,
    since a day's segments may fall in different chunks, and one chunk comes out: its rows'
    counts and money summed per key (a reporting amount stays empty when a segment's is: ingest
    converts the day's sum), the first row's line number and dimensions, every rejected row
    (rejected on its own, never summed), and the rows merged into another counted as skipped
    (``SKIP_BREAKDOWN``), so read = imported + rejected + skipped still holds. Ad exports are
    small next to payments files (a year of hourly rows for 100 campaigns is under 1M rows).
    """
    if not breakdowns:
        yield from chunks
        return
    parts = list(chunks)
    if not parts:
        return
    frames = [c.frame for c in parts if c.frame.height]
    lines = [c.row_numbers for c in parts if c.frame.height]
    skipped: dict[str, int] = {}
    for chunk in parts:
        for reason, count in chunk.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
    summed, numbers = None, None
    if frames:
        frame = pl.concat(frames, how="vertical_relaxed")
        numbered = all(n is not None for n in lines)
        if numbered:
            frame = frame.with_columns(pl.concat(lines).alias("__line"))
        others = [c for c in frame.columns if c not in ("source", "source_id", *SUMMED)]
        summed = frame.group_by("source", "source_id", maintain_order=True).agg(
            *(pl.col(c).first() for c in others),
            *(
                # an all-empty (or partly empty) reporting amount stays empty: ingest converts the sum
                pl.when(pl.col(c).is_null().any()).then(None).otherwise(pl.col(c).sum()).alias(c)
                for c in SUMMED
                if c in frame.columns
            ),
        )
        if summed.height < frame.height:
            skipped[SKIP_BREAKDOWN] = skipped.get(SKIP_BREAKDOWN, 0) + frame.height - summed.height
        if numbered:
            numbers = summed["__line"].cast(pl.Int64).rename("row_number")
            summed = summed.drop("__line")
    table = parts[0].table
    yield Chunk(
        table,
        conform(table, summed) if summed is not None else parts[0].frame,
        errors=sorted((e for c in parts for e in c.errors), key=lambda e: e.row_number),
        rows_read=sum(c.rows_read for c in parts),
        row_numbers=numbers,
        skipped=skipped,
        source_columns={k: v for c in parts for k, v in c.source_columns.items()},
    )
