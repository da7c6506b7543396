"""Customers page callbacks: active/new/returning, RFM, geography, CRM pipeline, lead scoring.

The panels are declared here (frame + view) and registered by :mod:`callbacks._analytics`,
one callback per panel. Deals carry no channel, product or country, so the pipeline and lead
scoring panels say so instead of silently ignoring those filters.
"""

from __future__ import annotations

import polars as pl
from dash import html

from callbacks import _analytics as an
from callbacks.common import Scope
from components import ids
from components.analytics import empty_state, graph, kpi_row
from components.figures import bar_figure, calibration_figure, customers_figure, mark_unfinished
from components.formatting import format_percent
from components.grids import data_grid, paged_grid
from dashboard.filters import today_in
from data import analytics as A

PAGE = "customers"
P = ids.CUSTOMERS
FILTER_KEYS = ("channel", "product", "country")
#: the catalogue metrics of the KPI row, each card with its comparison, in display order: the
#: four a reader needs first (a phone shows them before the chart), then the rest, which fold on
#: a phone. Deals have no channel/product/country, so page filters skip the deal metrics.
KPI_METRICS = (
    "active_customers",
    "new_customers",
    "open_pipeline_value",
    "win_rate",
    "returning_customers",
    "average_deal_size",
    "sales_cycle_days",
)
DEALS_IGNORE = {k: f"Not filtered by {k}: deals have no {k}." for k in FILTER_KEYS}
PAYMENTS = {"needs": ("payments",), "source": "payment source"}
CRM = {"needs": ("deals",), "source": "CRM"}
RFM_SUBTITLE = "customers who paid in the selected range; recency to its end"


def counts(scope: Scope, filters: dict) -> pl.DataFrame:
    """Active, new and returning customers per period."""
    f = scope.filters
    return an.cached(
        scope,
        "customer_counts",
        {"s": f.start, "e": f.end, "g": f.grain, "w": filters},
        lambda s: A.customer_counts(s, f.start, f.end, grain=f.grain, where=filters or None),
    )


def rfm_scores(scope: Scope, filters: dict) -> pl.DataFrame:
    """Every customer's RFM scores by customer number over the selected range (recency to its end).

    Cached (in the process: ~10 MB at 200k customers): the segment panels count it, and a
    segment's drill-down or the CSV names only the rows they show.
    """
    f = scope.filters
    days = (f.end - f.start).days + 1
    return an.cached(
        scope,
        "rfm_scores",
        {"s": f.start, "e": f.end, "w": filters},
        lambda s: A.rfm_scores(s, f.end, lookback_days=days, where=filters or None),
    )


def rfm_customers(scope: Scope, filters: dict, segment: str | None = None) -> pl.DataFrame:
    """The RFM scores with customer keys, of every customer or of one ``segment``."""
    f = scope.filters
    return an.cached(
        scope,
        "rfm_customers",
        {"s": f.start, "e": f.end, "w": filters, "g": segment},
        lambda s: A.rfm_named(
            s,
            rfm_scores(scope, filters).filter(pl.col("segment") == segment)
            if segment
            else rfm_scores(scope, filters),
        ),
    )


def rfm_segments(scope: Scope, filters: dict) -> pl.DataFrame:
    """Customers and revenue per RFM segment."""
    return A.rfm_segments(rfm_scores(scope, filters))


def geo(scope: Scope, filters: dict) -> pl.DataFrame:
    """Active customers by country (the country filter highlights its bar)."""
    return an.split_frame(scope, "active_customers", filters, "country")


def pipeline(scope: Scope, filters: dict) -> pl.DataFrame:
    """Open deals by stage, then deals won and lost in the range."""
    f = scope.filters
    return an.cached(
        scope, "deals_by_stage", {"s": f.start, "e": f.end}, lambda s: A.deals_by_stage(s, f.start, f.end)
    )


def lead_scores(scope: Scope) -> dict:
    """The lead scoring model's result for the deals open today (cached per data version).

    Not tied to the page's date range: the model and the open deals it scores are the current
    pipeline, so the two model fits (~0.2 s at 30k deals) run once per data change (and day),
    not once per range a user picks.
    """
    today = today_in(scope.ctx.workspace.timezone)
    return an.cached(scope, "lead_scores", {"as_of": today}, lambda s: A.lead_scores(s, today))


# -- views ---------------------------------------------------------------------------------------


def kpis_view(scope: Scope, filters: dict, _frame):
    """Customer KPIs (filtered) and pipeline KPIs (deals carry none of the page's filters)."""
    found = an.metric_kpis(scope, KPI_METRICS, filters)
    kpis = [found[name] for name in KPI_METRICS]
    row = kpi_row(an.cards(scope, kpis, an.range_goals(scope, KPI_METRICS, filters)), PAGE)
    return an.with_projections(scope, row, PAGE, kpis, filters)


def counts_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """New and returning customers per period."""
    fig = customers_figure(frame)
    if an.last_period_unfinished(scope, frame):
        mark_unfinished(fig)
    return graph(PAGE, "counts", fig)


def rfm_chart_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Customers per RFM segment (click a segment for its customers)."""
    if frame.height == 0:
        return empty_state("No customers paid in the selected range.")
    fig = bar_figure(frame, "segment", "customers", unit="count", currency=scope.ctx.workspace.currency)
    return graph(PAGE, "rfm_chart", fig)


def rfm_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Segments with their customers, revenue and average recency."""
    if frame.height == 0:
        return empty_state("No customers paid in the selected range.")
    scores = rfm_scores(scope, filters)  # cached: the frame above was counted from it
    cycle = scores["cycle_days"][0] if "cycle_days" in scores.columns and scores.height else None
    lookback = scores["lookback_days"][0] if "lookback_days" in scores.columns and scores.height else None
    grid = data_grid(
        ids.grid(PAGE, "rfm"),
        frame,
        units={"customers": "count", "revenue": "currency", "avg_recency_days": "duration"},
        currency=scope.ctx.workspace.currency,
        labels={"avg_recency_days": "Avg. time since last payment"},
        height=300,
        timezone=scope.ctx.workspace.timezone,
    )
    return html.Div([grid, html.P(A.recency_rule(cycle, lookback), className="small text-muted mt-2 mb-0")])


def geo_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Active customers by country (click to cross-filter)."""
    fig = bar_figure(
        frame.head(15),
        "country",
        unit="count",
        currency=scope.ctx.workspace.currency,
        selected=filters.get("country"),
    )
    return graph(PAGE, "geo", fig)


def pipeline_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """Open pipeline by stage plus closed won/lost (click a bar for its deals)."""
    fig = bar_figure(
        frame,
        "stage",
        "amount",
        unit="currency",
        currency=scope.ctx.workspace.currency,
        empty_message="No open or closed deals in this date range",
    )
    return graph(PAGE, "pipeline", fig)


def leads_frame(scope: Scope, filters: dict) -> pl.DataFrame:
    """Lead scores of open deals, most likely to win first (empty when there is too little history).

    When the model does no better than always guessing the majority outcome, its probabilities
    would rank deals by noise: the open deals are listed largest first, with no score column.
    """
    leads = lead_scores(scope)
    scores = leads["scores"]
    if leads["beats_baseline"] is False and "win_probability" in scores.columns:
        scores = scores.drop("win_probability").sort("amount", descending=True, nulls_last=True)
    order = ("name", "stage", "win_probability", "amount", "days_open", "created_at", "deal")
    return scores.select([c for c in order if c in scores.columns])


def leads_view(scope: Scope, filters: dict, scores: pl.DataFrame):
    """Lead scores with the model's validation accuracy, or why there is no model."""
    leads = lead_scores(scope)
    if leads["status"] != "ok":
        return html.Div(
            [html.I(className="bi bi-hourglass-split me-2"), leads["message"]],
            className="pb-empty text-body-secondary",
            id="pb-customers-leads-message",
        )
    acc, base = leads["accuracy"], leads["baseline_accuracy"]
    if leads["beats_baseline"]:
        summary = html.Div(
            [
                html.Span(f"Validation accuracy {format_percent(acc, 0)}", className="fw-semibold"),
                f" (always guessing the majority outcome: {format_percent(base, 0)}). {leads['message']}"
                " Scores the deals open today, whatever the date range.",
            ],
            className="small mb-2",
            id="pb-customers-leads-message",
        )
    else:
        # Said plainly, and the grid below carries no score to rank by (leads_frame).
        summary = html.Div(
            [
                html.I(className="bi bi-exclamation-triangle me-2", **{"aria-hidden": "true"}),
                html.Span("No lead scores: ", className="fw-semibold"),
                f"{leads['message']} The deals open today are listed largest first.",
            ],
            className="small mb-2 text-warning-emphasis",
            id="pb-customers-leads-message",
            role="status",
        )
    body = (
        empty_state("No open deals.")
        if scores.height == 0
        else paged_grid(
            ids.grid(PAGE, "leads"),
            scores,
            units={"amount": "currency", "win_probability": "ratio", "days_open": "count"},
            currency=scope.ctx.workspace.currency,
            labels={"win_probability": "Win probability"},
            height=300,
            column_overrides={"name": {"flex": 2}},
        )
    )
    return html.Div([summary, body])


def calibration_frame(scope: Scope, filters: dict) -> pl.DataFrame:
    """Predicted vs observed win rate per bin on the held-out deals."""
    return lead_scores(scope)["calibration"]


def calibration_view(scope: Scope, filters: dict, frame: pl.DataFrame):
    """The calibration chart."""
    return graph(PAGE, "calibration", calibration_figure(frame))


# -- drill-down ----------------------------------------------------------------------------------


def drill_segment(scope: Scope, filters: dict, value: str):
    """The customers of one RFM segment."""
    if value not in A.RFM_SEGMENTS:
        raise ValueError(value)
    return f"Customers in segment {value}", rfm_customers(scope, filters, value)


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


SPEC = an.PageSpec(
    PAGE,
    P,
    FILTER_KEYS,
    title="Customers",
    subtitle="Active, new and returning customers, segments, pipeline and lead scores",
    layout=(
        (("counts", 7), ("geo", 5)),
        (("rfm_chart", 5), ("rfm", 7)),
        (("drill", 12),),
        (("pipeline", 5), ("leads", 7)),
        (("calibration", 5),),
    ),
    kpi_count=len(KPI_METRICS),
    panels=(
        an.Panel(
            "counts",
            counts_view,
            counts,
            title="New and returning customers",
            subtitle="per period",
            **PAYMENTS,
        ),
        an.Panel(
            "rfm_chart",
            rfm_chart_view,
            rfm_segments,
            title="RFM segments",
            subtitle="selected range; click a segment for its customers",
            **PAYMENTS,
        ),
        an.Panel(
            "rfm",
            rfm_view,
            rfm_segments,
            title="Segments: customers and revenue",
            subtitle=RFM_SUBTITLE,
            **PAYMENTS,
        ),
        an.Panel(
            "geo", geo_view, geo, title="Active customers by country", subtitle="click to filter", **PAYMENTS
        ),
        an.Panel(
            "pipeline",
            pipeline_view,
            pipeline,
            ignores=DEALS_IGNORE,
            title="Pipeline by stage",
            subtitle="click a stage for its deals",
            **CRM,
        ),
        an.Panel(
            "leads",
            leads_view,
            leads_frame,
            ignores=DEALS_IGNORE,
            paged=True,
            title="Lead scores",
            subtitle="open deals",
            **CRM,
        ),
        an.Panel(
            "calibration",
            calibration_view,
            calibration_frame,
            ignores=DEALS_IGNORE,
            title="Lead model calibration",
            subtitle="held-out deals",
            **CRM,
        ),
    ),
    kpis=an.Panel(
        "kpis",
        kpis_view,
        cache_view=False,  # goal progress reads the app DB; the cards themselves are cached
        partial={k: f"Pipeline KPIs are not filtered by {k}: deals have no {k}." for k in FILTER_KEYS},
    ),
    crossfilter_items={"geo": "country"},
    drill_items={
        "rfm_chart": an.Drill(drill_segment),
        "pipeline": an.Drill(drill_stage, ignores=DEALS_IGNORE),
    },
    options=lambda scope: an.payment_options(scope, FILTER_KEYS),
    drill_units={"monetary": "currency", "amount": "currency"},
    drill_hint="Click an RFM segment or a pipeline stage to see the customers or deals behind it.",
    drill_subtitle="rows behind the clicked segment or stage",
)
an.register(SPEC)
