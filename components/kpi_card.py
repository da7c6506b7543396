"""The KPI card: value, change vs the comparison (coloured by whether up is good), sparkline."""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import dash_bootstrap_components as dbc
from dash import dcc, html
from plotly.io.json import to_json_plotly

from components import ids
from components.figures import sparkline_figure
from components.formatting import format_delta, format_value

GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": True}


@lru_cache(maxsize=3)
def _sparkline_base(good: bool | None) -> dict:
    """The sparkline figure with no points, as plain JSON data (one per colour)."""
    return json.loads(to_json_plotly(sparkline_figure([], good=good)))


def sparkline(values: list[float | None], *, good: bool | None = None) -> dict:
    """:func:`components.figures.sparkline_figure` as the plain dict Dash sends (same JSON).

    Building a plotly Figure runs its validators over the whole template: ~4 ms a card, more
    than the cached queries behind it. Only the points differ between sparklines, so the
    validated figure is built once per colour and the points are set on a copy.
    """
    fig = copy.deepcopy(_sparkline_base(good))
    fig["data"][0]["y"] = [None if v is None else float(v) for v in values]
    return fig


def kpi_card(
    *,
    metric: str,
    label: str,
    unit: str,
    currency: str,
    value: float | None,
    compare_value: float | None,
    up_is_good: bool,
    series: list[float | None],
    compare_label: str | None,
    description: str = "",
) -> dbc.Card:
    """One KPI card. ``series`` feeds the sparkline; ``compare_value`` may be None (no comparison)."""
    card_id = ids.kpi_card(metric)
    delta_text, change = format_delta(value, compare_value)
    good = None if change is None or change == 0 else (change > 0) == up_is_good
    badge_class = {True: "pb-delta-good", False: "pb-delta-bad", None: "pb-delta-flat"}[good]
    arrow = "" if change is None or change == 0 else ("▲ " if change > 0 else "▼ ")
    compare_line = (
        html.Div(
            [
                html.Span(arrow + delta_text, className=f"pb-delta {badge_class}", id=f"{card_id}-delta"),
                html.Span(f" vs {compare_label}", className="text-body-secondary pb-delta-context"),
            ],
            className="small text-nowrap text-truncate",
        )
        if compare_label
        else html.Div("\u00a0", className="small")
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(label, className="pb-kpi-label text-body-secondary", title=description),
                html.Div(
                    format_value(value, unit, currency, compact=True),
                    className="pb-kpi-value",
                    id=f"{card_id}-value",
                    title=format_value(value, unit, currency),
                    **{"data-value": "" if value is None else repr(value)},
                ),
                compare_line,
                dcc.Graph(
                    figure=sparkline(series, good=good),
                    config=GRAPH_CONFIG,
                    className="pb-sparkline",
                    style={"height": "44px"},
                ),
            ],
            className="p-3",
        ),
        id=card_id,
        className="pb-kpi h-100 shadow-sm",
    )


def kpi_placeholder(label: str) -> dbc.Card:
    """A card-shaped placeholder shown while KPIs load."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(label, className="pb-kpi-label text-body-secondary"),
                html.Div(
                    className="placeholder-glow",
                    children=html.Span(className="placeholder col-8 pb-kpi-value"),
                ),
            ],
            className="p-3",
        ),
        className="pb-kpi h-100 shadow-sm",
    )
