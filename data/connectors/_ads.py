"""Shared last step of the ad-report connectors added in round 2 (LinkedIn, X): parsed columns -> an ad_daily chunk.

Each connector finds its vendor's columns and parses them with ``_text.parse_columns`` under the
canonical names (date, impressions, clicks, spend, conversions, conversion_value, currency);
this module applies the rules every ad report shares: "no data" counts as zero, negative
counts or spend are rejected, the row key is (platform, campaign id or name, day).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk

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
    platform: str,
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
    extra_checks: Sequence[t.Check] = (),
    blank_rows: int = 0,
) -> Chunk:
    """Build the ad_daily chunk.

    ``headers`` maps canonical names to the file's own headers (for error messages); ``extra_checks`` are the
    vendor's own rejection rules, applied before the common ones; ``blank_rows`` blank lines dropped
    before this batch are counted as read and skipped.
    """
    n = raw.height
    values = {
        "impressions": parsed["impressions"].fill_null(0),
        "clicks": parsed["clicks"].fill_null(0),
        "spend": parsed["spend"].fill_null(0).cast(t.MONEY),
        "conversions": parsed["conversions"].fill_null(0.0),
        "conversion_value": parsed["conversion_value"].fill_null(0).cast(t.MONEY),
    }
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
            "source_id": t.stable_id(
                pl.Series([platform] * n), campaign_id.fill_null(campaign), parsed["date"]
            ),
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
        blank_rows=blank_rows,
    )
