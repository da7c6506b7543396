"""Revenue page callbacks: KPIs, charts and grids from the metric layer and data.analytics (thin)."""

from __future__ import annotations

from datetime import date

import polars as pl
from dash import Input, Output, callback, html

from callbacks import _analytics as an
from callbacks.common import Scope, request_scope
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, cohort_heatmap, movements_figure, trend_figure
from components.grids import data_grid
from dashboard.filters import COMPARES, today_in
from dashboard.goals import goals_for, progress
from data import analytics as A
from data.metrics import comparison_range, period_start

PAGE = "revenue"
P = ids.REVENUE
FILTER_KEYS = ("channel", "product", "country")
PANELS = ("trend", "movements", "by_channel", "by_product", "by_country", "cohorts", "top")
KPI_METRICS = ("net_revenue", "gross_revenue", "refunds", "mrr", "arr")
#: subscription KPIs from data.analytics: key -> (label, unit, up is good)
SUB_KPIS = {
    "arpa": ("ARPA", "currency", True),
    "ltv": ("LTV", "currency", True),
    "customer_churn_rate": ("Customer churn", "ratio", False),
    "gross_mrr_churn": ("Gross MRR churn", "ratio", False),
    "net_mrr_churn": ("Net MRR churn", "ratio", False),
    "nrr": ("NRR", "ratio", True),
}
MOVEMENT_GRAIN = {"day": "week", "week": "week", "month": "month"}


def _plan(filters: dict) -> str | None:
    return filters.get("product")


def sub_kpis(scope: Scope, filters: dict, start: date, end: date) -> dict:
    """data.analytics.subscription_kpis through the cache."""
    plan = _plan(filters)
    return an.cached(
        scope,
        "sub_kpis",
        {"s": start, "e": end, "p": plan},
        lambda s: A.subscription_kpis(s, start, end, plan=plan),
    )


def movements(scope: Scope, filters: dict) -> pl.DataFrame:
    """MRR movements per period of the page's movement grain."""
    f, plan = scope.filters, _plan(filters)
    grain = MOVEMENT_GRAIN[f.grain]
    return an.cached(
        scope,
        "movements",
        {"s": f.start, "e": f.end, "g": grain, "p": plan},
        lambda s: A.mrr_movements(s, f.start, f.end, grain, plan=plan),
    )


def frames(scope: Scope, filters: dict) -> dict[str, pl.DataFrame]:
    """Exactly the data behind each chart and grid of the page (what CSV downloads contain)."""
    f = scope.filters
    out = {
        "trend": an.metric(
            scope, "net_revenue", f.start, f.end, filters=filters, grain=f.grain, compare=f.compare
        ),
        "movements": movements(scope, filters),
    }
    for dim in ("channel", "product", "country"):
        out[f"by_{dim}"] = an.cached(
            scope,
            "revenue_by",
            {"s": f.start, "e": f.end, "d": dim, "w": filters},
            lambda s, dim=dim: A.revenue_by(s, f.start, f.end, dim, where=_drop(filters, dim)),
        )
    out["cohorts"] = an.cached(
        scope,
        "cohorts",
        {"s": f.start, "e": f.end, "w": filters},
        lambda s: A.cohort_retention(s, f.start, f.end, where=filters),
    )
    out["top"] = an.cached(
        scope,
        "top",
        {"s": f.start, "e": f.end, "w": filters},
        lambda s: A.top_customers(s, f.start, f.end, where=filters),
    )
    return out


def _drop(filters: dict, key: str) -> dict:
    # A split by a dimension keeps the other filters (its own filter would leave a single bar).
    return {k: v for k, v in filters.items() if k != key} or None


def drill_period(scope: Scope, filters: dict, value: str):
    """Rows behind one period of the revenue trend (payments_daily rollup rows)."""
    f = scope.filters
    day = date.fromisoformat(value[:10])
    start = max(period_start(day, f.grain), f.start)
    end = min(_period_end(start, f.grain), f.end)
    frame = an.cached(
        scope,
        "revenue_rows",
        {"s": start, "e": end, "w": filters},
        lambda s: A.revenue_rows(s, start, end, where=filters),
    )
    return f"Revenue rows {start:%d %b %Y} – {end:%d %b %Y}", frame


def drill_movement(scope: Scope, filters: dict, value: str):
    """Customers behind one period's MRR movements."""
    f, plan = scope.filters, _plan(filters)
    grain = MOVEMENT_GRAIN[f.grain]
    detail = an.cached(
        scope,
        "movement_detail",
        {"s": f.start, "e": f.end, "g": grain, "p": plan},
        lambda s: A.mrr_customer_movements(s, f.start, f.end, grain, plan=plan),
    )
    rows = detail.filter((pl.col("period") == value) & (pl.col("movement") != "unchanged"))
    return f"MRR movements, period starting {value}", rows


def _period_end(start: date, grain: str) -> date:
    from data.analytics import period_bounds

    return period_bounds(start, date(start.year + 1, 12, 31), grain)[0][2]


def options(scope: Scope) -> dict[str, list[str]]:
    """Filter choices from the revenue rollup (every value seen in the last five years)."""
    f = scope.filters

    def load(s):
        rows = A.revenue_rows(s, date(f.end.year - 5, 1, 1), f.end)
        return {k: sorted(v for v in rows[k].unique().to_list() if v) for k in FILTER_KEYS}

    return an.cached(scope, "revenue_options", {"e": f.end.year}, load)


SPEC = an.PageSpec(
    PAGE,
    P,
    FILTER_KEYS,
    frames,
    crossfilter_items={"by_channel": "channel", "by_product": "product", "by_country": "country"},
    drill_items={"trend": drill_period, "movements": drill_movement},
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
    f, currency = scope.filters, scope.ctx.workspace.currency
    counts = an.cached(scope, "row_counts", {}, lambda s: s.row_counts())
    data = frames(scope, filters)
    goals = goals_for(scope.services, scope.ctx, today_in(scope.ctx.workspace.timezone))
    today = today_in(scope.ctx.workspace.timezone)
    cards = []
    for name in KPI_METRICS:
        kpi = an.metric_kpi(scope, name, filters)
        goal = (
            progress(scope.services, scope.ctx, goals[name], today) if name in goals and not filters else None
        )
        cards.append(an.card(scope, kpi, goal))
    now = sub_kpis(scope, filters, f.start, f.end)
    before = sub_kpis(scope, filters, *comparison_range(f.start, f.end, f.compare)) if f.compare else {}
    for key, (label, unit, up) in SUB_KPIS.items():
        cards.append(
            an.card(
                scope,
                {
                    "metric": key,
                    "label": label,
                    "unit": unit,
                    "value": now[key],
                    "compare_value": before.get(key),
                    "up_is_good": up,
                    "series": [],
                    "description": label,
                },
            )
        )
    no_payments = counts.get("payments", 0) == 0
    no_subs = counts.get("subscriptions", 0) == 0

    def chart(item, fig):
        return graph(PAGE, item, fig)

    out: list = [kpi_row(cards)]
    if no_payments:
        missing = empty_state("No payment source connected.", source_missing=True)
        trend = missing
    else:
        trend = chart(
            "trend",
            trend_figure(
                data["trend"],
                label="Net revenue",
                unit="currency",
                currency=currency,
                compare_label=COMPARES[f.compare] if f.compare else None,
            ),
        )
    out.append(trend)
    out.append(
        empty_state("No subscription source connected.", source_missing=True)
        if no_subs
        else chart("movements", movements_figure(data["movements"], currency=currency))
    )
    sel = filters
    for dim in ("channel", "product", "country"):
        frame = data[f"by_{dim}"]
        out.append(
            empty_state("No payment source connected.", source_missing=True)
            if no_payments
            else chart(
                f"by_{dim}",
                bar_figure(
                    frame.head(12), dim, unit="currency", currency=currency, selected=sel.get(dim), height=280
                ),
            )
        )
    out.append(
        empty_state("No payment source connected.", source_missing=True)
        if no_payments
        else chart("cohorts", cohort_heatmap(data["cohorts"]))
    )
    top = data["top"]
    out.append(
        empty_state("No customers paid in this date range.")
        if top.height == 0
        else data_grid(
            ids.grid(PAGE, "top"),
            top.select("name", "country", "channel", "payments", "revenue", "share", "last_day"),
            units={"revenue": "currency", "share": "ratio", "payments": "count"},
            currency=currency,
            height=340,
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
    """The rows behind the clicked period (trend) or MRR movement period."""
    scope = request_scope(filters_data)
    filters = an.combined(an.clean_filters(page_filters, FILTER_KEYS), an.clean_crossfilter(crossfilter))
    return render_drill(scope, filters, drill, SPEC)


def render_drill(scope: Scope, filters: dict, drill, spec: an.PageSpec):
    """The drill-down grid for a validated selection (shared by the three pages)."""
    sel = drill if isinstance(drill, dict) else {}
    builder = spec.drill_items.get(sel.get("item"))
    if builder is None or not isinstance(sel.get("value"), str):
        return empty_state("Click a period or a campaign to see the rows behind it.")
    try:
        title, frame = builder(scope, filters, sel["value"][:200])
    except ValueError:
        return empty_state("That selection is not valid for these filters.")
    units = {
        c: "currency"
        for c in (
            "gross",
            "refunds",
            "net",
            "fees",
            "mrr_start",
            "mrr_end",
            "change",
            "spend",
            "conversion_value",
            "revenue",
            "monetary",
            "amount",
        )
    }
    body = (
        empty_state("No rows behind this selection.")
        if frame.height == 0
        else data_grid(
            ids.grid(spec.page, "drill"),
            frame,
            units=units,
            currency=scope.ctx.workspace.currency,
            height=320,
        )
    )
    return html.Div(
        [html.Div(title, className="small fw-semibold mb-2", id=f"pb-{spec.page}-drill-caption"), body]
    )
