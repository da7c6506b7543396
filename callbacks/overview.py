"""Overview callbacks: KPI cards and the trend chart."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from callbacks import _analytics as an
from callbacks.common import layout_scope, request_scope
from callbacks.first_screen import first_screen
from components import ids
from components.analytics import GRAPH_CONFIG, kpi_row
from components.chart_margins import fit_margins
from components.figures import trend_figure
from components.overview import DEFAULT_TREND, OVERVIEW_KPIS, TREND_CHOICES
from dashboard.filters import COMPARES, today_in
from dashboard.queries import metric_frame
from data.metrics import get_metric


@callback(
    Output(ids.OVERVIEW_KPIS, "children"),
    Input(ids.FILTERS_STORE, "data"),
    # asked once when the layout could not render the row from the cache (prefill)
    Input(ids.fill("overview", "kpis"), "n_intervals"),
    prevent_initial_call=True,
)
def update_kpis(filters_data, _fill):
    """One card per overview metric: total for the range, comparison, and a sparkline by grain.

    Each card without a goal is kept in the query cache as Dash JSON (rebuilding six sparkline
    figures cost ~25 ms per call); on a cold cache the metrics are asked by family (one scan for
    the ad metrics) and the families run side by side. Goal progress (app DB) is read fresh.
    """
    return kpi_row_for(request_scope(filters_data))


def kpi_row_for(scope):
    """The overview's KPI row for ``scope`` (what :func:`update_kpis` answers)."""
    if scope.services.warehouse.scoped(scope.ctx.workspace).data_version() == 0:  # nothing imported yet
        return no_data_alert()

    found = an.metric_kpis(scope, OVERVIEW_KPIS, {})
    kpis = [found[name] for name in OVERVIEW_KPIS]
    cards = an.cards(scope, kpis, an.range_goals(scope, OVERVIEW_KPIS))
    return an.with_projections(scope, kpi_row(cards, "overview"), "overview", kpis)


@callback(
    Output(ids.OVERVIEW_TREND_BODY, "children"),
    Input(ids.FILTERS_STORE, "data"),
    Input(ids.OVERVIEW_TREND_METRIC, "value"),
    Input(ids.fill("overview", "trend"), "n_intervals"),  # see update_kpis
    prevent_initial_call=True,
)
def update_trend(filters_data, metric_name, _fill):
    """The chosen metric by grain, with the comparison period overlaid (the card's chart)."""
    return trend_graph(request_scope(filters_data), metric_name)


# The trend chart the layout came with (prefill's "trend"), shown when its card nears the
# viewport: on a laptop at once, without the round trip to update_trend.
clientside_callback(
    an.SHOW_HELD_JS,
    Output(ids.OVERVIEW_TREND_BODY, "children", allow_duplicate=True),
    Input(ids.fill_held("overview", "trend"), "n_intervals"),
    State(ids.held("overview", "trend"), "data"),
    prevent_initial_call=True,
)


def trend_graph(scope, metric_name) -> dict:
    """The trend card's chart of ``metric_name`` for ``scope`` (what :func:`update_trend` answers).

    As Dash's JSON, through the query cache like the analytics panels' views
    (:func:`callbacks._analytics.rendered`): every overview layout holds it, and rebuilding the
    figure each time tripled a warm layout's time (5 to 15-18 ms at 10M payments). The key names
    all the chart reads: the metric, the range, the currency and today (the "to date" mark).
    """
    name = metric_name if metric_name in TREND_CHOICES else DEFAULT_TREND
    f = scope.filters
    workspace = scope.ctx.workspace
    params = {"m": name, "r": [f.start, f.end, f.grain, f.compare], "c": workspace.currency,
              "t": today_in(workspace.timezone)}  # fmt: skip
    return an.rendered(
        scope,
        "overview_trend",
        params,
        lambda: dcc.Graph(
            id=ids.OVERVIEW_TREND,
            figure=fit_margins(trend_for(scope, name)),
            config=GRAPH_CONFIG,
            className="pb-trend-graph",
        ),
    )


def trend_for(scope, metric_name):
    """The trend figure of ``metric_name`` for ``scope`` (what :func:`update_trend` answers)."""
    f = scope.filters
    name = metric_name if metric_name in TREND_CHOICES else DEFAULT_TREND
    metric = get_metric(name)
    frame = metric_frame(scope.services, scope.ctx, name, f.start, f.end, grain=f.grain, compare=f.compare)
    return trend_figure(
        frame,
        label=metric.label,
        unit=metric.display_unit,
        currency=scope.ctx.workspace.currency,
        compare_label=COMPARES[f.compare] if f.compare else None,
        unfinished=an.last_period_unfinished(scope, frame),
    )


def no_data_alert() -> dbc.Alert:
    """The empty state of a workspace with no data at all."""
    return dbc.Alert(
        [
            html.Strong("No data yet. "),
            "Import a Stripe, PayPal, Shopify or ads export on ",
            html.A("Data sources", href="/sources", className="alert-link"),
            " to see your numbers here.",
        ],
        color="info",
        className="mb-3",
    )


def prefill(query: dict) -> dict:
    """What the overview's layout shows at once: the KPI row and the trend chart.

    ``"kpis"`` and ``"trend"`` (the default metric's chart, as Dash JSON), computed as their
    callbacks compute them for the query string's filters, with the workspace from the session:
    from the cache, or computed within a budget (:func:`callbacks.first_screen.first_screen`);
    one not ready by then is left to its callback. The trend is held: the page shows it when its
    card nears the viewport (``assets/lazy_panels.js``), at once on a laptop, and a phone, where
    it is below the fold, does not draw it at load. Asked for by the browser after the page was
    shown, the cold trend took 175 ms at 10M payments, the one callback over the 120 ms target.
    Also ``"insights"`` (when cached) and ``"downloads"`` (the report links).
    """
    from callbacks.insights import cached_panel
    from callbacks.reports import report_links

    scope = layout_scope(query)
    if scope is None:
        return {}
    out: dict = {"downloads": report_links("/", query)}
    insights = cached_panel(query)
    if insights is not None:
        out["insights"] = insights
    answers = first_screen(
        scope.services,
        {
            "kpis": lambda: kpi_row_for(scope),
            "trend": lambda: trend_graph(scope, DEFAULT_TREND),  # Dash's JSON: a store may hold it
        },
    )
    out.update(answers)
    return out
