"""Revenue page callbacks: one panel each for KPIs, trend, MRR movements, splits, cohorts, top customers.

The panels are declared here (frame = the data behind it, view = the component) and
registered by the shared machinery in :mod:`callbacks._analytics`, one callback per panel.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from dash import html

from callbacks import _analytics as an
from callbacks.common import Scope
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, cohort_heatmap, mark_unfinished, movements_figure, trend_figure
from components.forecast import forecast_switch
from components.formatting import format_date, format_date_range
from components.grids import paged_grid
from dashboard.filters import COMPARES, today_in
from data import analytics as A
from data.metrics import comparison_range, get_metric, period_start

PAGE = "revenue"
P = ids.REVENUE
FILTER_KEYS = ("channel", "product", "country")
KPI_METRICS = ("net_revenue", "gross_revenue", "refunds", "mrr", "arr")
#: subscription KPIs from data.analytics: key -> (label, unit, up is good, description), from the catalogue
SUB_KPIS = {
    m.name: (m.label, m.display_unit, m.up_is_good, m.description)
    for m in map(
        get_metric, ("arpa", "ltv", "customer_churn_rate", "gross_mrr_churn", "net_mrr_churn", "nrr")
    )
}
#: The cards a reader needs first (a phone shows four before the chart, a wide screen six);
#: the rest fold under "More".
LEAD_ORDER = ("net_revenue", "mrr", "net_mrr_churn", "arpa", "gross_revenue", "refunds", "arr", "nrr")
MOVEMENT_GRAIN = {"day": "week", "week": "week", "month": "month"}
#: How many customers the top-customers grid ranks (paged on the server; the CSV has them all).
TOP_LIMIT = 1000
#: Subscriptions carry a plan (the product filter) but no channel or country.
SUBS_IGNORE = {k: f"Not filtered by {k}: subscriptions have no {k}." for k in ("channel", "country")}
DRILL_UNITS = {
    c: "currency" for c in ("gross", "refunds", "net", "fees", "mrr_start", "mrr_end", "change", "revenue")
}


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


def trend(scope: Scope, filters: dict) -> pl.DataFrame:
    """Net revenue per period with the comparison period."""
    f = scope.filters
    return an.metric(scope, "net_revenue", f.start, f.end, filters=filters, grain=f.grain, compare=f.compare)


def split(dim: str):
    """Frame builder: net revenue split by ``dim`` (its own filter dropped, the others kept)."""

    def frame(scope: Scope, filters: dict) -> pl.DataFrame:
        f = scope.filters
        # A split by a dimension keeps the other filters (its own filter would leave a single bar).
        others = {k: v for k, v in filters.items() if k != dim} or None
        return an.cached(
            scope,
            "revenue_by",
            {"s": f.start, "e": f.end, "d": dim, "w": others},
            lambda s: A.revenue_by(s, f.start, f.end, dim, where=others),
        )

    return frame


def cohorts(scope: Scope, filters: dict) -> pl.DataFrame:
    """Cohort retention by first-payment month (filters on the customer's first payment)."""
    f = scope.filters
    return an.cached(
        scope,
        "cohorts",
        {"s": f.start, "e": f.end, "w": filters},
        lambda s: A.cohort_retention(s, f.start, f.end, where=filters),
    )


def top(scope: Scope, filters: dict) -> pl.DataFrame:
    """The range's customers ranked by gross revenue (the top :data:`TOP_LIMIT`)."""
    f = scope.filters
    frame = an.cached(
        scope,
        "top",
        {"s": f.start, "e": f.end, "w": filters, "n": TOP_LIMIT},
        lambda s: A.top_customers(s, f.start, f.end, where=filters, limit=TOP_LIMIT),
    )
    # who and how much first: on a phone the columns after the pinned name are the ones seen
    return frame.select("name", "revenue", "share", "payments", "last_day", "channel", "country", "customer")


# -- views ---------------------------------------------------------------------------------------


def kpis_view(scope: Scope, filters: dict, _frame):
    """Revenue and subscription KPI cards (goal progress only when no page filter narrows them)."""
    f = scope.filters
    # Longest first (the subscription KPIs, then MRR), ARR last: it waits for MRR's answer
    # (ARR is MRR x 12, computed once) and would hold a thread idle meanwhile.
    order = sorted(KPI_METRICS, key=lambda name: (name == "arr", name != "mrr"))
    calls, assemble = an.kpi_calls(scope, order, filters)
    now, before, *answers = an.gather(
        lambda: sub_kpis(scope, filters, f.start, f.end),
        lambda: sub_kpis(scope, filters, *comparison_range(f.start, f.end, f.compare)) if f.compare else {},
        *calls,
    )
    found = assemble(answers)
    kpis = [found[name] for name in KPI_METRICS]
    for key, (label, unit, up, description) in SUB_KPIS.items():
        kpis.append(
            {
                "metric": key,
                "label": label,
                "unit": unit,
                "value": now[key],
                "compare_value": before.get(key),
                "up_is_good": up,
                "series": [],
                "description": description,
            }
        )
    kpis.sort(key=lambda k: LEAD_ORDER.index(k["metric"]) if k["metric"] in LEAD_ORDER else len(LEAD_ORDER))
    goals = an.range_goals(scope, KPI_METRICS, filters)
    cards = an.cards(scope, kpis, goals)
    return an.with_projections(scope, kpi_row(cards, PAGE), PAGE, kpis, filters)


def trend_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Net revenue over time (click a period to drill into its rows)."""
    f = scope.filters
    fig = trend_figure(
        frame,
        label=get_metric("net_revenue").label,
        unit="currency",
        currency=scope.ctx.workspace.currency,
        compare_label=COMPARES[f.compare] if f.compare else None,
        unfinished=an.last_period_unfinished(scope, frame),
    )
    return graph(PAGE, "trend", fig)


def movements_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """The MRR movements chart."""
    fig = movements_figure(frame, currency=scope.ctx.workspace.currency)
    if an.last_period_unfinished(scope, frame, MOVEMENT_GRAIN[scope.filters.grain]):
        mark_unfinished(fig)
    return graph(PAGE, "movements", fig)


def split_view(dim: str):
    """View builder: bars of a split, the filtered value highlighted (click to cross-filter)."""

    def view(scope: Scope, filters: dict, frame: pl.DataFrame):
        fig = bar_figure(
            frame.head(12),
            dim,
            unit="currency",
            currency=scope.ctx.workspace.currency,
            selected=filters.get(dim),
            height=280,
        )
        return graph(PAGE, f"by_{dim}", fig)

    return view


def cohorts_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """The cohort retention heatmap."""
    today = today_in(scope.ctx.workspace.timezone)
    return graph(PAGE, "cohorts", cohort_heatmap(frame, today=today))


def top_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Top customers, paged on the server; says so when the list stops at :data:`TOP_LIMIT`."""
    if frame.height == 0:
        return empty_state("No customers paid in this date range.")
    grid = paged_grid(
        ids.grid(PAGE, "top"),
        frame,
        units={"revenue": "currency", "share": "ratio", "payments": "count"},
        currency=scope.ctx.workspace.currency,
        height=340,
        # the customer number stays in the CSV (and drives the drill-down), not on screen
        column_overrides={"name": {"flex": 2}, "customer": {"hide": True}},
    )
    if frame.height < TOP_LIMIT:
        return grid
    cap = html.Div(
        f"The {TOP_LIMIT:,} customers with the most revenue in the range (the CSV holds the same {TOP_LIMIT:,}).",
        className="small text-body-secondary mb-1",
        id="pb-revenue-top-cap",
    )
    return html.Div([cap, grid])


# -- drill-down ----------------------------------------------------------------------------------


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
    return f"Revenue rows {format_date_range(start, end)}", frame


def drill_movement(scope: Scope, filters: dict, value: str):
    """Customers behind one period's MRR movements."""
    f, plan = scope.filters, _plan(filters)
    grain = MOVEMENT_GRAIN[f.grain]
    detail = an.cached(
        scope,
        "movement_detail",
        {"s": f.start, "e": f.end, "g": grain, "p": plan, "changed": True, "names": True},
        # Only the movements: the unchanged customer-periods are most of the grid (2.5M rows
        # weekly over a year at 10M payments) and the drill-down never shows them.
        lambda s: A.mrr_customer_movements(
            s, f.start, f.end, grain, plan=plan, changed_only=True, with_names=True
        ),
    )
    rows = detail.filter((pl.col("period") == value) & (pl.col("movement") != "unchanged"))
    return f"MRR movements, period starting {format_date(value)}", rows


def _period_end(start: date, grain: str) -> date:
    return A.period_bounds(start, date(start.year + 1, 12, 31), grain)[0][2]


PAYMENTS = {"needs": ("payments",), "source": "payment source"}
SPEC = an.PageSpec(
    PAGE,
    P,
    FILTER_KEYS,
    title="Revenue",
    subtitle="Gross and net revenue, MRR movements, customers and cohorts",
    layout=(
        (("trend", 7), ("movements", 5)),
        (("by_channel", 4), ("by_product", 4), ("by_country", 4)),
        (("drill", 12),),
        (("cohorts", 7), ("top", 5)),
    ),
    kpi_count=6,
    panels=(
        an.Panel(
            "trend",
            trend_view,
            trend,
            title="Net revenue",
            subtitle="click a period for its rows",
            footer=lambda: forecast_switch(ids.REVENUE_FORECAST_TOGGLE, ids.REVENUE_FORECAST_ASK),
            **PAYMENTS,
        ),
        an.Panel(
            "movements",
            movements_view,
            movements,
            needs=("subscriptions",),
            source="subscription source",
            ignores=SUBS_IGNORE,
            title="MRR movements",
            subtitle="click a period",
        ),
        *[
            an.Panel(f"by_{dim}", split_view(dim), split(dim), title=title, **PAYMENTS)
            for dim, title in zip(FILTER_KEYS, ("By channel", "By product / plan", "By country"), strict=True)
        ],
        an.Panel(
            "cohorts",
            cohorts_view,
            cohorts,
            title="Cohort retention",
            subtitle="customers by first-payment month",
            **PAYMENTS,
        ),
        an.Panel(
            "top",
            top_view,
            top,
            paged=True,
            title="Top customers",
            subtitle="by gross revenue in the range",
            **PAYMENTS,
        ),
    ),
    kpis=an.Panel(
        "kpis",
        kpis_view,
        cache_view=False,  # goal progress reads the app DB; the cards themselves are cached
        partial={k: f"MRR, ARR and subscription KPIs: {v[0].lower()}{v[1:]}" for k, v in SUBS_IGNORE.items()},
    ),
    crossfilter_items={"by_channel": "channel", "by_product": "product", "by_country": "country"},
    drill_items={"trend": an.Drill(drill_period), "movements": an.Drill(drill_movement, ignores=SUBS_IGNORE)},
    options=lambda scope: an.payment_options(scope, FILTER_KEYS),
    drill_units=DRILL_UNITS,
    drill_hint="Click a period of the net revenue or MRR movements chart to see the rows behind it.",
    drill_subtitle="rows behind the clicked period",
)
an.register(SPEC)
