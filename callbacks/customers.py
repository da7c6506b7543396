"""Customers page callbacks: active/new/returning, RFM, geography, CRM pipeline, lead scoring (thin)."""

from __future__ import annotations

from datetime import date

import polars as pl
from dash import Input, Output, callback, html

from callbacks import _analytics as an
from callbacks.common import Scope, request_scope
from callbacks.revenue import render_drill
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, calibration_figure, customers_figure
from components.grids import data_grid
from data import analytics as A

PAGE = "customers"
P = ids.CUSTOMERS
FILTER_KEYS = ("channel", "product", "country")
PANELS = ("counts", "rfm_chart", "rfm", "geo", "pipeline", "leads", "calibration")
#: deal KPIs (catalogue metrics; deals have no channel/product/country, so page filters skip them)
DEAL_METRICS = ("win_rate", "average_deal_size", "sales_cycle_days")


def frames(scope: Scope, filters: dict) -> dict[str, pl.DataFrame]:
    """Exactly the data behind each chart and grid of the page (what CSV downloads contain)."""
    f = scope.filters
    out = {
        "counts": an.cached(
            scope,
            "customer_counts",
            {"s": f.start, "e": f.end, "g": f.grain, "w": filters},
            lambda s: A.customer_counts(s, f.start, f.end, grain=f.grain, where=filters or None),
        )
    }
    segments = rfm_segments(scope, filters)
    out["rfm"] = segments
    out["rfm_chart"] = segments
    geo_filters = {k: v for k, v in filters.items() if k != "country"}
    geo = an.metric(scope, "active_customers", f.start, f.end, filters=geo_filters, by="country")
    out["geo"] = (
        geo.drop("period", strict=False)
        .filter(pl.col("value") != 0)
        .sort(["value", "country"], descending=[True, False])
    )
    out["pipeline"] = an.cached(
        scope, "deals_by_stage", {"s": f.start, "e": f.end}, lambda s: A.deals_by_stage(s, f.start, f.end)
    )
    leads = lead_scores(scope)
    out["leads"] = leads["scores"]
    out["calibration"] = leads["calibration"]
    return out


def rfm_customers(scope: Scope, filters: dict) -> pl.DataFrame:
    """Every customer's RFM scores and segment as of the range end (365-day lookback)."""
    end = scope.filters.end
    return an.cached(
        scope,
        "rfm_customers",
        {"e": end, "w": filters},
        lambda s: A.rfm_customers(s, end, where=filters or None),
    )


def rfm_segments(scope: Scope, filters: dict) -> pl.DataFrame:
    """Customers and revenue per RFM segment."""
    return A.rfm_segments(rfm_customers(scope, filters))


def lead_scores(scope: Scope) -> dict:
    """The lead scoring model's result as of the range end (cached per data version)."""
    end = scope.filters.end
    return an.cached(scope, "lead_scores", {"e": end}, lambda s: A.lead_scores(s, end))


def pipeline_stats(scope: Scope) -> dict:
    """Open pipeline value and the range's win rate, average deal size and sales cycle."""
    f = scope.filters
    return an.cached(
        scope, "pipeline_stats", {"s": f.start, "e": f.end}, lambda s: A.pipeline_stats(s, f.start, f.end)
    )


def drill_segment(scope: Scope, filters: dict, value: str):
    """The customers of one RFM segment."""
    if value not in A.RFM_SEGMENTS:
        raise ValueError(value)
    rows = rfm_customers(scope, filters).filter(pl.col("segment") == value)
    return f"Customers in segment {value}", rows


def drill_stage(scope: Scope, filters: dict, value: str):
    """The deals behind one bar of the pipeline chart (open stage, Closed won or Closed lost)."""
    f = scope.filters
    deals = an.cached(
        scope, "deals_frame", {"s": f.start, "e": f.end}, lambda s: A.deals_frame(s, f.start, f.end)
    )
    end = pl.lit(f.end)
    closed_in_range = pl.col("closed_at").is_not_null() & (pl.col("closed_at").dt.date() <= end)
    if value == "Closed won":
        rows = deals.filter(closed_in_range & pl.col("won").eq(True))
    elif value == "Closed lost":
        rows = deals.filter(closed_in_range & pl.col("won").eq(False))
    else:
        is_open = pl.col("won").is_null() | (pl.col("closed_at").dt.date() > end)
        stage = pl.col("stage").cast(pl.Utf8).fill_null(A.NONE_LABEL)
        rows = deals.filter(is_open & (stage == value))
    return f"Deals: {value}", rows


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
    crossfilter_items={"geo": "country"},
    drill_items={"rfm_chart": drill_segment, "pipeline": drill_stage},
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


def _card(scope: Scope, key: str, label: str, unit: str, value, up: bool = True):
    return an.card(
        scope,
        {
            "metric": key,
            "label": label,
            "unit": unit,
            "value": value,
            "compare_value": None,
            "up_is_good": up,
            "series": [],
            "description": label,
        },
    )


def render(scope: Scope, filters: dict) -> list:
    """The page's outputs (KPI row then one child per panel)."""
    f, currency = scope.filters, scope.ctx.workspace.currency
    counts = an.cached(scope, "row_counts", {}, lambda s: s.row_counts())
    data = frames(scope, filters)
    total = an.cached(
        scope,
        "customer_counts",
        {"s": f.start, "e": f.end, "g": "total", "w": filters},
        lambda s: A.customer_counts(s, f.start, f.end, where=filters or None),
    )
    stats = pipeline_stats(scope)
    cards = [
        an.card(scope, an.metric_kpi(scope, "active_customers", filters)),
        an.card(scope, an.metric_kpi(scope, "new_customers", filters)),
        _card(scope, "returning_customers", "Returning customers", "count", total["returning"][0]),
        _card(scope, "open_pipeline", "Open pipeline", "currency", stats["open_value"]),
        *[an.card(scope, an.metric_kpi(scope, name, {})) for name in DEAL_METRICS],
    ]
    no_payments = counts.get("payments", 0) == 0
    no_deals = counts.get("deals", 0) == 0
    pay_missing = empty_state("No payment source connected.", source_missing=True)
    crm_missing = empty_state("No CRM connected.", source_missing=True)

    out: list = [kpi_row(cards)]
    out.append(pay_missing if no_payments else graph(PAGE, "counts", customers_figure(data["counts"])))
    rfm = data["rfm"]
    if no_payments:
        out += [pay_missing, pay_missing]
    elif rfm.height == 0:
        none = empty_state("No customers paid in the 365 days before the range end.")
        out += [none, none]
    else:
        out.append(
            graph(PAGE, "rfm_chart", bar_figure(rfm, "segment", "customers", unit="count", currency=currency))
        )
        out.append(
            data_grid(
                ids.grid(PAGE, "rfm"),
                rfm,
                units={"customers": "count", "revenue": "currency", "avg_recency_days": "number"},
                currency=currency,
                labels={"avg_recency_days": "Avg days since last payment"},
                height=300,
            )
        )
    geo = data["geo"]
    out.append(
        pay_missing
        if no_payments
        else graph(
            PAGE,
            "geo",
            bar_figure(
                geo.head(15), "country", unit="count", currency=currency, selected=filters.get("country")
            ),
        )
    )
    out.append(
        crm_missing
        if no_deals
        else graph(
            PAGE,
            "pipeline",
            bar_figure(
                data["pipeline"],
                "stage",
                "amount",
                unit="currency",
                currency=currency,
                empty_message="No open or closed deals in this date range",
            ),
        )
    )
    leads = lead_scores(scope)
    if no_deals:
        out += [crm_missing, crm_missing]
    else:
        out.append(_leads_panel(leads, currency))
        out.append(graph(PAGE, "calibration", calibration_figure(leads["calibration"])))
    return out


def _leads_panel(leads: dict, currency: str):
    """Lead scores of open deals with the model's validation accuracy, or why there is no model."""
    if leads["status"] != "ok":
        return html.Div(
            [html.I(className="bi bi-hourglass-split me-2"), leads["message"]],
            className="pb-empty text-body-secondary",
            id="pb-customers-leads-message",
        )
    acc, base = leads["accuracy"], leads["baseline_accuracy"]
    summary = html.Div(
        [
            html.Span(f"Validation accuracy {acc:.0%}", className="fw-semibold"),
            f" (always guessing the majority outcome: {base:.0%}). {leads['message']}",
        ],
        className="small mb-2",
        id="pb-customers-leads-message",
    )
    scores = leads["scores"]
    body = (
        empty_state("No open deals to score.")
        if scores.height == 0
        else data_grid(
            ids.grid(PAGE, "leads"),
            scores,
            units={"amount": "currency", "win_probability": "ratio", "days_open": "count"},
            currency=currency,
            labels={"win_probability": "Win probability"},
            height=300,
        )
    )
    return html.Div([summary, body])


@callback(
    Output(ids.panel(PAGE, "drill"), "children"),
    Input(P["drill"], "data"),
    Input(ids.FILTERS_STORE, "data"),
    Input(P["page-filters"], "data"),
    Input(P["crossfilter"], "data"),
)
def update_drill(drill, filters_data, page_filters, crossfilter):
    """The customers of the clicked RFM segment or the deals of the clicked pipeline stage."""
    scope = request_scope(filters_data)
    filters = an.combined(an.clean_filters(page_filters, FILTER_KEYS), an.clean_crossfilter(crossfilter))
    return render_drill(scope, filters, drill, SPEC)
