"""Campaigns page callbacks: ad KPIs, spend/ROAS splits and by day, campaign grid, email, web, funnel, CAC.

Every number comes from the metric layer (``data.metrics`` through ``an.metric``) or
``data.analytics``; this module declares the panels (frame + view) and the shared machinery
in :mod:`callbacks._analytics` registers one callback per panel.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from callbacks import _analytics as an
from callbacks.common import Scope
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, funnel_figure, mark_unfinished, spend_roas_figure
from components.formatting import format_date_range, grid_formatter
from components.grids import data_grid, paged_grid
from components.labels import SOURCE_LABELS
from data import analytics as A
from data.metrics import dimension_values, period_start

PAGE = "campaigns"
P = ids.CAMPAIGNS
FILTER_KEYS = ("channel", "platform", "campaign")
KPI_METRICS = A.AD_METRICS
#: The cards a reader needs first (four on a phone, six wide); the rest fold under "More".
LEAD_ORDER = ("spend", "conversions", "cpa", "roas", "conversion_value", "clicks")
#: The ad metrics behind the spend-by-day chart, in its frame's column order.
DAY_METRICS = ("spend", "conversions", "conversion_value", "roas")
#: Ad platforms by name in the grid (the row keeps the code: filters and the CSV use it).
PLATFORM_NAMES = {"function": f"({json.dumps(SOURCE_LABELS)})[params.value] || params.value"}
#: ROAS colouring in the campaign grid: green when the campaign paid for itself, red when not.
ROAS_STYLE = {
    "styleConditions": [
        {
            "condition": "params.value != null && params.value >= 1",
            "style": {"color": "#1b7f4b", "fontWeight": "600"},
        },
        {"condition": "params.value != null && params.value < 1", "style": {"color": "#c0392b"}},
    ]
}
CAMPAIGN_UNITS = {
    "spend": "currency",
    "impressions": "count",
    "clicks": "count",
    "ctr": "ratio",
    "cpc": "currency",
    "cpm": "currency",
    "conversions": "count",
    "cpa": "currency",
    "conversion_value": "currency",
    "roas": "number",
}
EMAIL_UNITS = {
    "recipients": "count",
    "delivered": "count",
    "unique_opens": "count",
    "unique_clicks": "count",
    "unsubscribes": "count",
    "bounces": "count",
    "spam_reports": "count",
    "open_rate": "ratio",
    "click_rate": "ratio",
    "ctor": "ratio",
    "unsubscribe_rate": "ratio",
    "bounce_rate": "ratio",
    "spam_report_rate": "ratio",
}
#: The channel every email send belongs to (GA4's default channel group for newsletters).
EMAIL_CHANNEL = "Email"
ADS = {"needs": ("ad_daily",), "source": "ad platform"}
#: Said once, over the KPI row: ad panels follow a channel filter through the platforms buying it.
AD_CHANNEL_NOTE = {"channel": "Ad metrics follow the channel through the platforms that buy it."}


def ads_excluded(filters: dict) -> str | None:
    """Why ad panels are empty for these filters (a channel no ad platform buys), else None."""
    channel = filters.get("channel")
    if channel is None:
        return None
    bought = [p for p, c in A.CHANNEL_OF_PLATFORM.items() if c == channel]
    if not bought:
        return f"No ad platform buys the {channel} channel: there is no ad spend to show."
    if filters.get("platform") and filters["platform"] not in bought:
        return f"{filters['platform']} does not buy the {channel} channel: no ad rows match both filters."
    return None


def _split(metric: str, by: str):
    """Frame builder: ``metric`` split by platform or campaign (its own filter dropped), largest first."""
    return lambda scope, filters: an.split_frame(scope, metric, filters, by)


def _bars(item: str, unit: str, key: str):
    """View builder: the split's top 12 bars, the filtered value highlighted (click to cross-filter)."""

    def view(scope: Scope, filters: dict, frame: pl.DataFrame):
        fig = bar_figure(
            frame.head(12),
            key,
            unit=unit,
            currency=scope.ctx.workspace.currency,
            selected=filters.get(key),
            height=280,
            labels=SOURCE_LABELS if key == "platform" else None,  # "Google Ads", not google_ads
        )
        if unit == "multiple":  # ROAS: 0.5×, not the SI "500m"; hover 2.41× as on its KPI card
            fig.update_xaxes(tickformat=".1~f", ticksuffix="×")
            fig.update_traces(hovertemplate="%{y}: %{x:,.2f}×<extra></extra>")
        return graph(PAGE, item, fig)

    return view


def by_day(scope: Scope, filters: dict) -> pl.DataFrame:
    """Spend, conversions, conversion value and ROAS per period of the page's grain."""
    f = scope.filters
    out = None
    for name in DAY_METRICS:
        frame = an.metric(scope, name, f.start, f.end, filters=filters, grain=f.grain).select(
            "period", pl.col("value").alias(name)
        )
        out = frame if out is None else out.join(frame, on="period", how="left")
    return out


def by_day_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Spend bars with ROAS on a second axis (click a period for its daily rows)."""
    fig = spend_roas_figure(frame, currency=scope.ctx.workspace.currency)
    if an.last_period_unfinished(scope, frame):
        mark_unfinished(fig)
    return graph(PAGE, "spend_by_day", fig)


def campaign_table(scope: Scope, filters: dict) -> pl.DataFrame:
    """One row per platform x campaign with the catalogue's marketing metrics."""
    f = scope.filters
    where = an.where_for("spend", filters) or None
    return an.cached(
        scope,
        "campaign_table",
        {"s": f.start, "e": f.end, "w": where},
        lambda s: A.campaign_table(s, f.start, f.end, where=where),
    )


def campaigns_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """The campaign grid (paged on the server; ROAS green when the campaign paid for itself)."""
    if frame.height == 0:
        return empty_state("No campaign spend in this date range.")
    return paged_grid(
        ids.grid(PAGE, "campaigns"),
        # Who and how much first, as in the top-customers grid: the campaign is the one pinned
        # column and its spend is beside it (platform pinned beside it filled a 390 px phone,
        # and no number was on screen without scrolling sideways)
        frame.select("campaign", "spend", "platform", pl.exclude("campaign", "spend", "platform")),
        units=CAMPAIGN_UNITS,
        currency=scope.ctx.workspace.currency,
        labels={"ctr": "CTR", "cpc": "CPC", "cpm": "CPM", "cpa": "CPA", "roas": "ROAS"},
        height=360,
        row_selection=True,
        column_overrides={
            # ROAS as a multiple, as on its KPI card and charts; built per request: the
            # formatter carries the workspace's number locale
            "roas": {"cellStyle": ROAS_STYLE, "valueFormatter": grid_formatter("multiple")},
            "platform": {"valueFormatter": PLATFORM_NAMES},  # "Google Ads", not google_ads
        },
    )


def email(scope: Scope, filters: dict) -> pl.DataFrame:
    """Email sends in the range (a campaign filter keeps the sends of that title)."""
    f = scope.filters
    where = {"campaign": filters["campaign"]} if filters.get("campaign") else None
    return an.cached(
        scope,
        "email_table",
        {"s": f.start, "e": f.end, "w": where},
        lambda s: A.email_table(s, f.start, f.end, where=where),
    )


def email_excluded(filters: dict) -> str | None:
    """Email sends have one channel (Email) and no ad platform: other values rule them all out."""
    channel, platform = filters.get("channel"), filters.get("platform")
    if channel and channel != EMAIL_CHANNEL:
        return f"Email campaigns are all in the {EMAIL_CHANNEL} channel, not {channel}."
    if platform:
        return f"Email campaigns do not run on an ad platform ({platform}): clear the platform filter to see them."
    return None


def email_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Email sends with their rates, paged on the server."""
    if frame.height == 0:
        return empty_state("No email campaigns sent in this date range.")
    return paged_grid(
        ids.grid(PAGE, "email"),
        frame,
        units=EMAIL_UNITS,
        currency=scope.ctx.workspace.currency,
        labels={"ctor": "CTOR", "list_name": "List", "unique_opens": "Opens", "unique_clicks": "Clicks"},
        height=320,
    )


def web(scope: Scope, filters: dict) -> pl.DataFrame:
    """Web sessions by channel (a channel filter highlights its bar; a platform keeps its channel)."""
    return an.split_frame(scope, "sessions", filters, "channel")


def web_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Bars of web sessions by channel."""
    if frame.height == 0:
        return empty_state("No web sessions in this date range.")
    fig = bar_figure(
        frame.head(12),
        "channel",
        unit="count",
        currency=scope.ctx.workspace.currency,
        selected=filters.get("channel"),
        height=280,
    )
    return graph(PAGE, "web", fig)


def funnel(scope: Scope, filters: dict) -> pl.DataFrame:
    """Impressions -> clicks -> sessions -> key events -> new customers, each stage filtered its own way."""
    f = scope.filters
    where_by_metric = {name: an.where_for(name, filters) for name, _ in A.FUNNEL_STAGES}
    return an.cached(
        scope,
        "funnel",
        {"s": f.start, "e": f.end, "w": where_by_metric},
        lambda s: A.funnel(s, f.start, f.end, where_by_metric=where_by_metric),
    )


def funnel_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """The funnel chart."""
    return graph(PAGE, "funnel", funnel_figure(frame))


def _cac_channel(filters: dict) -> str | None:
    """The one channel the CAC table keeps: the channel filter, or the channel a platform buys."""
    if filters.get("channel"):
        return filters["channel"]
    return A.CHANNEL_OF_PLATFORM.get(filters["platform"], an.NO_MATCH) if filters.get("platform") else None


def cac(scope: Scope, filters: dict) -> pl.DataFrame:
    """CAC and payback per paid channel (one channel when the filters name one)."""
    f, channel = scope.filters, _cac_channel(filters)

    def load(s):
        return A.cac_by_channel(s, f.start, f.end, channel=channel)

    return an.cached(scope, "cac", {"s": f.start, "e": f.end, "c": channel}, load)


def cac_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """CAC table, or why there is nothing to divide."""
    if frame.height == 0 or (frame["spend"].sum() == 0 and frame["new_customers"].sum() == 0):
        return empty_state("No paid channel spend or new customers in this date range.")
    return data_grid(
        ids.grid(PAGE, "cac"),
        frame,
        units={"spend": "currency", "cac": "currency", "new_customers": "count", "payback_months": "months"},
        currency=scope.ctx.workspace.currency,
        labels={"cac": "CAC", "payback_months": "CAC payback"},
        height=260,
        timezone=scope.ctx.workspace.timezone,
    )


def kpis_view(scope: Scope, filters: dict, _frame):
    """The ad KPI cards."""
    found = an.metric_kpis(scope, KPI_METRICS, filters)
    order = LEAD_ORDER + tuple(n for n in KPI_METRICS if n not in LEAD_ORDER)
    kpis = [found[name] for name in order]
    row = kpi_row(an.cards(scope, kpis, an.range_goals(scope, KPI_METRICS, filters)), PAGE)
    return an.with_projections(scope, row, PAGE, kpis, filters)


# -- drill-down ----------------------------------------------------------------------------------


def _ad_rows(scope: Scope, start: date, end: date, filters: dict) -> pl.DataFrame:
    where = an.where_for("spend", filters) or None
    return an.cached(
        scope,
        "ad_rows",
        {"s": start, "e": end, "w": where},
        lambda s: A.ad_rows(s, start, end, where=where),
    )


def drill_campaign(scope: Scope, filters: dict, value: str):
    """The ad_daily rows (campaign x day) behind one campaign."""
    f = scope.filters
    return f"Daily rows of campaign {value}", _ad_rows(scope, f.start, f.end, {**filters, "campaign": value})


def drill_day(scope: Scope, filters: dict, value: str):
    """The ad_daily rows behind one period of the spend-by-day chart."""
    f = scope.filters
    day = date.fromisoformat(value[:10])
    start = max(period_start(day, f.grain), f.start)
    end = min(A.period_bounds(start, date(start.year + 1, 12, 31), f.grain)[0][2], f.end)
    return f"Ad rows {format_date_range(start, end)}", _ad_rows(scope, start, end, filters)


def options(scope: Scope) -> dict[str, list[str]]:
    """Filter choices: platforms and campaigns (ads and email titles) of the last five years, channels."""
    f = scope.filters
    since = date(f.end.year - 5, 1, 1)

    def load(s):
        # DISTINCT scans of the rollups (tens of ms), not years of their rows (~1 s at 10M payments).
        ads = dimension_values(s, "ad_daily", ("platform", "campaign"), since, f.end)
        titles = s.execute_sql(
            "SELECT DISTINCT title FROM email_campaigns "
            "WHERE workspace_id = $ws AND CAST(sent_at AS DATE) BETWEEN $start AND $end",
            {"start": since, "end": f.end},
        )["title"].to_list()
        channels = dimension_values(s, "payments_daily", ("channel",), since, f.end)["channel"]
        channels += [*A.CHANNEL_OF_PLATFORM.values(), EMAIL_CHANNEL]
        return {
            "platform": ads["platform"],
            "campaign": sorted({v for v in ads["campaign"] + titles if v}),
            "channel": sorted({v for v in channels if v}),
        }

    return an.cached(scope, "campaign_options", {"e": f.end.year}, load)


def _ad_panel(item: str, view, frame, title: str, subtitle: str = "click to filter") -> an.Panel:
    return an.Panel(item, view, frame, excludes=ads_excluded, title=title, subtitle=subtitle, **ADS)


SPEC = an.PageSpec(
    PAGE,
    P,
    FILTER_KEYS,
    title="Campaigns",
    subtitle="Ad spend and return, email, web traffic, funnel and acquisition cost",
    layout=(
        (("spend_by_platform", 6), ("roas_by_platform", 6)),
        (("spend_by_campaign", 6), ("roas_by_campaign", 6)),
        (("spend_by_day", 12),),
        (("campaigns", 12),),
        (("drill", 12),),
        (("funnel", 6), ("cac", 6)),
        (("email", 8), ("web", 4)),
    ),
    kpi_count=10,
    panels=(
        _ad_panel(
            "spend_by_platform",
            _bars("spend_by_platform", "currency", "platform"),
            _split("spend", "platform"),
            "Spend by platform",
        ),
        _ad_panel(
            "roas_by_platform",
            _bars("roas_by_platform", "multiple", "platform"),
            _split("roas", "platform"),
            "ROAS by platform",
        ),
        _ad_panel(
            "spend_by_campaign",
            _bars("spend_by_campaign", "currency", "campaign"),
            _split("spend", "campaign"),
            "Spend by campaign",
        ),
        _ad_panel(
            "roas_by_campaign",
            _bars("roas_by_campaign", "multiple", "campaign"),
            _split("roas", "campaign"),
            "ROAS by campaign",
        ),
        _ad_panel(
            "spend_by_day",
            by_day_view,
            by_day,
            "Spend and ROAS over time",
            "per period; click one for its ad rows",
        ),
        an.Panel(
            "campaigns",
            campaigns_view,
            campaign_table,
            excludes=ads_excluded,
            paged=True,
            title="Campaigns",
            subtitle="select a row for its daily rows",
            **ADS,
        ),
        an.Panel(
            "email",
            email_view,
            email,
            paged=True,
            needs=("email_campaigns",),
            source="email source",
            excludes=email_excluded,
            title="Email campaigns",
        ),
        an.Panel(
            "web",
            web_view,
            web,
            needs=("web_daily",),
            source="web analytics source",
            ignores={"campaign": "Not filtered by campaign: web sessions have no campaign."},
            partial={"platform": "Platform filter applied as the channel it buys."},
            title="Web sessions by channel",
        ),
        an.Panel(
            "funnel",
            funnel_view,
            funnel,
            needs=("ad_daily", "web_daily", "payments"),
            source="ad, web or payment source",
            title="Funnel",
            subtitle="impressions to new customers",
            partial={
                "campaign": "Campaign filters impressions and clicks only: sessions, key events and "
                "new customers have no campaign.",
                "platform": "Sessions, key events and new customers follow the channel the platform buys.",
                "channel": "Impressions and clicks follow the channel through the platforms that buy it.",
            },
        ),
        an.Panel(
            "cac",
            cac_view,
            cac,
            needs=("ad_daily", "payments"),
            source="ad platform or payment source",
            ignores={"campaign": "Not filtered by campaign: new customers have no campaign."},
            excludes=ads_excluded,
            title="CAC and payback by channel",
        ),
    ),
    kpis=an.Panel("kpis", kpis_view, partial=AD_CHANNEL_NOTE, cache_view=False),  # goals read the app DB
    crossfilter_items={
        "spend_by_platform": "platform",
        "roas_by_platform": "platform",
        "spend_by_campaign": "campaign",
        "roas_by_campaign": "campaign",
        "web": "channel",
    },
    drill_items={"campaigns": an.Drill(drill_campaign), "spend_by_day": an.Drill(drill_day)},
    options=options,
    drill_units={"spend": "currency", "conversion_value": "currency"},
    drill_subtitle="ad rows of the selected campaign or period",
    drill_hint="Click a period of the spend chart or select a campaign to see its ad rows.",
)
an.register(SPEC)
