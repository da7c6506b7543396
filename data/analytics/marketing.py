"""Marketing: CAC per paid channel, the acquisition funnel, campaign and email tables, ad rows.

* **CAC** (per paid channel) = ad spend of the platforms of that channel / new customers whose
  first payment came through that channel; **CAC payback** (months) = CAC / monthly revenue per
  paying customer (the catalogue's ``cac`` and ``cac_payback`` define the blended ones).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data.metrics import (
    dimension_sql,
    query_metric,
    query_metrics,
)
from data.warehouse import ScopedWarehouse

#: Which marketing channel (GA4 default channel group) an ad platform's spend buys.
CHANNEL_OF_PLATFORM = {"google_ads": "Paid Search", "meta_ads": "Paid Social"}


def cac_by_channel(
    scoped: ScopedWarehouse,
    start: date,
    end: date,
    *,
    channel: str | None = None,
    revenue_per_month: float | None = None,
) -> pl.DataFrame:
    """CAC and payback per paid channel, plus "All paid" and "Blended" (all new customers) rows.

    Spend is the ``spend`` metric by platform mapped to its channel (:data:`CHANNEL_OF_PLATFORM`);
    new customers is the ``new_customers`` metric by acquisition channel. Payback months = CAC
    / the monthly revenue of one paying customer (the catalogue's ``revenue_per_customer_month``
    over the range, or ``revenue_per_month`` when given), as the ``cac_payback`` metric. CAC
    counts every new paying customer, so it is paid back from the revenue of every paying
    customer: dividing by ARPA (MRR per subscriber) mixed two populations and gave "0.01
    months".
    With ``channel`` only that channel's row is returned (its spend is that of the platforms
    buying it; no row when none does). Columns: channel, spend, new_customers, cac, payback_months.
    """
    spend = query_metric(scoped, "spend", start, end, by="platform")
    new = query_metric(scoped, "new_customers", start, end, by="channel")
    spend = spend.with_columns(
        pl.col("platform").replace_strict(CHANNEL_OF_PLATFORM, default=None).alias("channel")
    ).filter(pl.col("channel").is_not_null())
    per = spend.group_by("channel").agg(pl.col("value").sum().alias("spend"))
    per = per.join(new.select("channel", pl.col("value").alias("new_customers")), on="channel", how="left")
    per = per.with_columns(pl.col("new_customers").fill_null(0.0)).sort("channel")
    totals = pl.DataFrame(
        {
            "channel": ["All paid", "Blended"],
            "spend": [per["spend"].sum(), spend["value"].sum()],
            "new_customers": [per["new_customers"].sum(), new["value"].sum()],
        },
        schema={"channel": pl.Utf8, "spend": pl.Float64, "new_customers": pl.Float64},
    )
    out = pl.concat([per.cast({"spend": pl.Float64, "new_customers": pl.Float64}), totals])
    if channel is not None:
        out = out.filter(pl.col("channel") == channel)
    cac = pl.when(pl.col("new_customers") > 0).then(pl.col("spend") / pl.col("new_customers")).otherwise(None)
    out = out.with_columns(cac.round(2).alias("cac"), pl.col("spend").round(2))
    if revenue_per_month is None:
        revenue_per_month = query_metric(scoped, "revenue_per_customer_month", start, end)["value"][0]
    payback = (
        (pl.col("cac") / revenue_per_month).round(2) if revenue_per_month else pl.lit(None, dtype=pl.Float64)
    )
    return out.with_columns(payback.alias("payback_months"), pl.col("new_customers").cast(pl.Int64))


#: The channels ad spend buys (GA4 default channel groups): the funnel follows only them.
PAID_CHANNELS = tuple(sorted(set(CHANNEL_OF_PLATFORM.values())))
#: (catalogue metric, label) of each funnel step. From sessions on, only the paid channels
#: count: sessions of every channel under paid clicks made the funnel widen (7,151 clicks ->
#: 27,493 sessions), which reads as nonsense. Like is compared with like.
FUNNEL_STAGES = (
    ("impressions", "Ad impressions"),
    ("clicks", "Ad clicks"),
    ("sessions", "Sessions from paid channels"),
    ("key_events", "Key events from paid channels"),
    ("new_customers", "New customers from paid channels"),
)
#: The steps read per channel, of which the paid channels are kept.
_PAID_ONLY = {"sessions", "key_events", "new_customers"}


def funnel(
    scoped: ScopedWarehouse, start: date, end: date, *, where_by_metric: dict[str, dict] | None = None
) -> pl.DataFrame:
    """Ad impressions -> ad clicks -> paid sessions -> paid key events -> paid new customers.

    Each step is a catalogue metric; from sessions on only :data:`PAID_CHANNELS` count (the
    split by channel, summed over the paid ones), so every step follows the people the ads
    brought. ``where_by_metric`` gives each stage's own filter (dimensions differ per source).
    Columns: stage, metric, value, rate (value / previous stage's value).
    """
    where_by_metric = where_by_metric or {}
    values = []
    for name, _ in FUNNEL_STAGES:
        where = where_by_metric.get(name) or None
        if name in _PAID_ONLY:
            split = query_metric(scoped, name, start, end, by="channel", where=where)
            value = split.filter(pl.col("channel").is_in(PAID_CHANNELS))["value"].sum()
        else:
            value = query_metric(scoped, name, start, end, where=where)["value"][0]
        values.append(float(value or 0.0))
    rates = [None] + [(v / p if p else None) for p, v in zip(values, values[1:], strict=False)]
    return pl.DataFrame(
        {
            "stage": [label for _, label in FUNNEL_STAGES],
            "metric": [name for name, _ in FUNNEL_STAGES],
            "value": values,
            "rate": rates,
        },
        schema={"stage": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64, "rate": pl.Float64},
    )


def ad_rows(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """ad_daily rows (platform x campaign x day) behind the campaign numbers, ratios per row."""
    dims, params = dimension_sql(where, {"platform": "platform", "campaign": "campaign"})
    return scoped.execute_sql(
        f"""
        SELECT date, platform, campaign, CAST(spend_reporting AS DOUBLE) AS spend,
               impressions, clicks, conversions,
               CAST(conversion_value_reporting AS DOUBLE) AS conversion_value
        FROM ad_daily
        WHERE workspace_id = $ws AND date BETWEEN $start AND $end{dims}
        ORDER BY date, spend DESC
        """,
        {"start": start, "end": end, **params},
    )


#: The catalogue's ad metrics, in the order the campaign table and the Campaigns KPI row show them.
AD_METRICS = (
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "cpc",
    "cpm",
    "conversions",
    "cpa",
    "conversion_value",
    "roas",
)


def campaign_table(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """One row per platform x campaign with the catalogue's marketing metrics.

    Each ratio is the catalogue metric (``ctr``, ``cpc``, ``cpm``, ``cpa``, ``roas``) computed
    from the campaign's summed parts. Columns: platform, campaign, spend, impressions, clicks,
    ctr, cpc, cpm, conversions, cpa, conversion_value, roas.
    """
    names = AD_METRICS
    dims, params = dimension_sql(where, {"platform": "platform", "campaign": "campaign"})
    # Plain SQL: an ibis compile would cost ~30 ms of the first (cold) answer.
    pairs = scoped.execute_sql(
        f"""
        SELECT DISTINCT CAST(platform AS VARCHAR) AS platform, CAST(campaign AS VARCHAR) AS campaign
        FROM ad_daily WHERE workspace_id = $ws AND date BETWEEN $start AND $end{dims}
        """,
        {"start": start, "end": end, **params},
    )
    schema = {"platform": pl.Utf8, "campaign": pl.Utf8, **{n: pl.Float64 for n in names}}
    if pairs.height == 0:
        return pl.DataFrame(schema=schema)
    out = pairs.cast({"platform": pl.Utf8, "campaign": pl.Utf8})
    # Asked together, the ten metrics share one scan of ad_daily (one by one: ten, ~85 ms cold
    # at 10M payments' ads).
    frames = query_metrics(scoped, names, start, end, by="campaign", where=_ad_where(where))
    for name in names:
        frame = frames[name]
        out = out.join(frame.select("campaign", pl.col("value").alias(name)), on="campaign", how="left")
    return out.select(list(schema)).cast(schema).sort("spend", descending=True)


def _ad_where(where: dict[str, str] | None) -> dict[str, str] | None:
    kept = {k: v for k, v in (where or {}).items() if k in ("platform", "campaign")}
    return kept or None


def email_table(
    scoped: ScopedWarehouse, start: date, end: date, *, where: dict[str, str] | None = None
) -> pl.DataFrame:
    """Email sends in the range with their rates (each rate as the catalogue defines it).

    ``where`` filters by the catalogue's email dimensions: ``campaign`` (the send's title) and
    ``list`` (its list name).
    """
    dims, params = dimension_sql(where, {"campaign": "title", "list": "list_name"})
    raw = scoped.execute_sql(
        f"""
        SELECT sent_at, title, list_name, recipients, delivered, unique_opens, unique_clicks,
               unsubscribes, bounces, complaints AS spam_reports
        FROM email_campaigns
        WHERE workspace_id = $ws AND CAST(sent_at AS DATE) BETWEEN $start AND $end{dims}
        """,
        {"start": start, "end": end, **params},
    )

    def ratio(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)

    return raw.with_columns(
        ratio("unique_opens", "delivered").alias("open_rate"),
        ratio("unique_clicks", "delivered").alias("click_rate"),
        ratio("unique_clicks", "unique_opens").alias("ctor"),
        ratio("unsubscribes", "delivered").alias("unsubscribe_rate"),
        ratio("bounces", "recipients").alias("bounce_rate"),
        # empty, not 0%, for a send whose source does not report spam reports
        ratio("spam_reports", "delivered").alias("spam_report_rate"),
    ).sort("sent_at", descending=True)
