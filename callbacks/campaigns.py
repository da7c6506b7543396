"""Campaigns page callbacks: ad KPIs, splits, campaign grid, email, web, funnel, CAC (thin).

Every number comes from the metric layer (``data.metrics`` through ``an.metric``) or
``data.analytics``; this module only picks frames and builds components.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from dash import Input, Output, callback

from callbacks import _analytics as an
from callbacks.common import Scope, request_scope
from callbacks.revenue import render_drill
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, funnel_figure
from components.grids import data_grid
from data import analytics as A

PAGE = "campaigns"
P = ids.CAMPAIGNS
FILTER_KEYS = ("platform", "campaign")
PANELS = (
    "spend_by_platform",
    "roas_by_platform",
    "spend_by_campaign",
    "roas_by_campaign",
    "campaigns",
    "email",
    "web",
    "funnel",
    "cac",
)
KPI_METRICS = (
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
    "open_rate": "ratio",
    "click_rate": "ratio",
    "ctor": "ratio",
    "unsubscribe_rate": "ratio",
    "bounce_rate": "ratio",
}


def _split(scope: Scope, filters: dict, metric: str, by: str) -> pl.DataFrame:
    """``metric`` split by platform or campaign (its own filter dropped), largest first, no zero rows."""
    f = scope.filters
    kept = {k: v for k, v in filters.items() if k != by}
    frame = an.metric(scope, metric, f.start, f.end, filters=kept, by=by).drop("period", strict=False)
    return frame.filter(pl.col("value").is_not_null() & (pl.col("value") != 0)).sort(
        ["value", by], descending=[True, False]
    )


def frames(scope: Scope, filters: dict) -> dict[str, pl.DataFrame]:
    """Exactly the data behind each chart and grid of the page (what CSV downloads contain)."""
    f = scope.filters
    out: dict[str, pl.DataFrame] = {}
    for by in ("platform", "campaign"):
        out[f"spend_by_{by}"] = _split(scope, filters, "spend", by)
        out[f"roas_by_{by}"] = _split(scope, filters, "roas", by)
    out["campaigns"] = an.cached(
        scope,
        "campaign_table",
        {"s": f.start, "e": f.end, "w": filters},
        lambda s: A.campaign_table(s, f.start, f.end, where=filters or None),
    )
    out["email"] = an.cached(
        scope, "email_table", {"s": f.start, "e": f.end}, lambda s: A.email_table(s, f.start, f.end)
    )
    web = an.metric(scope, "sessions", f.start, f.end, filters=filters, by="channel")
    out["web"] = (
        web.drop("period", strict=False)
        .filter(pl.col("value") != 0)
        .sort(["value", "channel"], descending=[True, False])
    )
    where_by_metric = {name: an.where_for(name, filters) for name, _ in A.FUNNEL_STAGES}
    out["funnel"] = an.cached(
        scope,
        "funnel",
        {"s": f.start, "e": f.end, "w": where_by_metric},
        lambda s: A.funnel(s, f.start, f.end, where_by_metric=where_by_metric),
    )

    def cac(s):
        arpa = A.subscription_kpis(s, f.start, f.end)["arpa"]
        return A.cac_by_channel(s, f.start, f.end, arpa=arpa)

    out["cac"] = an.cached(scope, "cac", {"s": f.start, "e": f.end}, cac)
    return out


def drill_campaign(scope: Scope, filters: dict, value: str):
    """The ad_daily rows (campaign x day) behind one campaign."""
    f = scope.filters
    where = {**{k: v for k, v in filters.items() if k in FILTER_KEYS}, "campaign": value}
    frame = an.cached(
        scope,
        "ad_rows",
        {"s": f.start, "e": f.end, "w": where},
        lambda s: A.ad_rows(s, f.start, f.end, where=where),
    )
    return f"Daily rows of campaign {value}", frame


def options(scope: Scope) -> dict[str, list[str]]:
    """Filter choices from the ad rollup (every platform and campaign seen in the last five years)."""
    f = scope.filters

    def load(s):
        rows = A.ad_rows(s, date(f.end.year - 5, 1, 1), f.end)
        return {k: sorted(v for v in rows[k].unique().to_list() if v) for k in FILTER_KEYS}

    return an.cached(scope, "campaign_options", {"e": f.end.year}, load)


SPEC = an.PageSpec(
    PAGE,
    P,
    FILTER_KEYS,
    frames,
    crossfilter_items={
        "spend_by_platform": "platform",
        "roas_by_platform": "platform",
        "spend_by_campaign": "campaign",
        "roas_by_campaign": "campaign",
    },
    drill_items={"campaigns": drill_campaign},
    options=options,
)
an.register(SPEC)


@callback(
    Output(P["kpis"], "children"),
    *[Output(ids.panel(PAGE, i), "children") for i in PANELS],
    Input(ids.FILTERS_STORE, "data"),
    Input(P["page-filters"], "data"),
    Input(P["crossfilter"], "data"),
)
def update_page(filters_data, page_filters, crossfilter):
    """Every KPI, chart and grid of the page for the global, page and cross filters."""
    scope = request_scope(filters_data)
    filters = an.combined(an.clean_filters(page_filters, FILTER_KEYS), an.clean_crossfilter(crossfilter))
    return render(scope, filters)


def render(scope: Scope, filters: dict) -> list:
    """The page's outputs (KPI row then one child per panel)."""
    currency = scope.ctx.workspace.currency
    counts = an.cached(scope, "row_counts", {}, lambda s: s.row_counts())
    data = frames(scope, filters)
    cards = [an.card(scope, an.metric_kpi(scope, name, filters)) for name in KPI_METRICS]
    no_ads = counts.get("ad_daily", 0) == 0
    ads_missing = empty_state("No ad platform connected.", source_missing=True)

    def bars(item, unit, key):
        if no_ads:
            return ads_missing
        frame = data[item].head(12)
        return graph(
            PAGE,
            item,
            bar_figure(frame, key, unit=unit, currency=currency, selected=filters.get(key), height=280),
        )

    out: list = [kpi_row(cards)]
    out.append(bars("spend_by_platform", "currency", "platform"))
    out.append(bars("roas_by_platform", "number", "platform"))
    out.append(bars("spend_by_campaign", "currency", "campaign"))
    out.append(bars("roas_by_campaign", "number", "campaign"))
    table = data["campaigns"]
    if table.height == 0:
        out.append(ads_missing if no_ads else empty_state("No campaign spend in this date range."))
    else:
        grid = data_grid(
            ids.grid(PAGE, "campaigns"),
            table,
            units=CAMPAIGN_UNITS,
            currency=currency,
            labels={"ctr": "CTR", "cpc": "CPC", "cpm": "CPM", "cpa": "CPA", "roas": "ROAS"},
            height=360,
            row_selection=True,
        )
        for col in grid.columnDefs:
            if col["field"] == "roas":
                col["cellStyle"] = ROAS_STYLE
            if col["field"] == "campaign":
                col["pinned"] = "left"
        out.append(grid)
    email = data["email"]
    out.append(
        empty_state("No email source connected.", source_missing=True)
        if counts.get("email_campaigns", 0) == 0
        else empty_state("No email campaigns sent in this date range.")
        if email.height == 0
        else data_grid(
            ids.grid(PAGE, "email"),
            email,
            units=EMAIL_UNITS,
            currency=currency,
            labels={"ctor": "CTOR", "list_name": "List", "unique_opens": "Opens", "unique_clicks": "Clicks"},
            height=320,
        )
    )
    web = data["web"]
    out.append(
        empty_state("No web analytics source connected.", source_missing=True)
        if counts.get("web_daily", 0) == 0
        else empty_state("No web sessions in this date range.")
        if web.height == 0
        else graph(
            PAGE, "web", bar_figure(web.head(12), "channel", unit="count", currency=currency, height=280)
        )
    )
    out.append(graph(PAGE, "funnel", funnel_figure(data["funnel"])))
    cac = data["cac"]
    out.append(
        empty_state("No paid channel spend or new customers in this date range.")
        if cac.height == 0 or (cac["spend"].sum() == 0 and cac["new_customers"].sum() == 0)
        else data_grid(
            ids.grid(PAGE, "cac"),
            cac,
            units={
                "spend": "currency",
                "cac": "currency",
                "new_customers": "count",
                "payback_months": "number",
            },
            currency=currency,
            labels={"cac": "CAC", "payback_months": "Payback (months)"},
            height=260,
        )
    )
    return out


@callback(
    Output(ids.panel(PAGE, "drill"), "children"),
    Input(P["drill"], "data"),
    Input(ids.FILTERS_STORE, "data"),
    Input(P["page-filters"], "data"),
    Input(P["crossfilter"], "data"),
)
def update_drill(drill, filters_data, page_filters, crossfilter):
    """The daily rows behind the campaign selected in the grid."""
    scope = request_scope(filters_data)
    filters = an.combined(an.clean_filters(page_filters, FILTER_KEYS), an.clean_crossfilter(crossfilter))
    return render_drill(scope, filters, drill, SPEC)
