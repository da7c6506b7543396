"""Overview: the KPIs an owner checks first, and the revenue trend against the comparison."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from callbacks.overview import prefill
from components import ids
from components.analytics import fill_trigger, held_content, lazy_marker
from components.filter_bar import filter_bar, state_from_query
from components.insights import insights_panel
from components.kpi_card import kpi_placeholder
from components.overview import DEFAULT_TREND, KPI_LABELS, OVERVIEW_KPIS, TREND_CHOICES
from components.shell import page_header

dash.register_page(__name__, path="/", title="Overview · Pulseboard", name="Overview", order=0)


def layout(**kwargs):
    """The overview for the filters in the query string."""
    state = state_from_query(kwargs)
    # what the cache already holds is rendered now: a revisit needs no callback round trip
    filled = prefill(kwargs)
    trend = filled.get("trend")  # the chart, when the layout holds it
    placeholders = dbc.Row(
        [dbc.Col(kpi_placeholder(KPI_LABELS[m]), xs=6, md=4, xl=2, className="mb-3") for m in OVERVIEW_KPIS]
    )
    return html.Div(
        [
            page_header("Overview"),
            filter_bar(state, filled.get("downloads")),
            fill_trigger("overview", "kpis", "kpis" in filled),
            # dimmed with a spinner by CSS (.pb-loading) while its own callback runs; the
            # projection poll fills the cards' slots, other components, and never marks it
            html.Div(
                filled.get("kpis", placeholders), id=ids.OVERVIEW_KPIS, className="pb-loading pb-loading-row"
            ),
            insights_panel(None, filled.get("insights")),
            dbc.Card(
                [
                    dbc.CardHeader(
                        html.Div(
                            [
                                html.Label(
                                    "Trend", htmlFor=ids.OVERVIEW_TREND_METRIC, className="fw-semibold m-0"
                                ),
                                dbc.Select(
                                    id=ids.OVERVIEW_TREND_METRIC,
                                    size="sm",
                                    value=DEFAULT_TREND,
                                    options=[{"label": v, "value": k} for k, v in TREND_CHOICES.items()],
                                    className="pb-trend-select",
                                ),
                            ],
                            className="d-flex align-items-center justify-content-between gap-2",
                        )
                    ),
                    dbc.CardBody(
                        # filled with the chart when the card shows (assets/lazy_panels.js): from
                        # the chart the layout holds when it found or computed it (prefill), else
                        # by asking update_trend. On a phone it is below the fold.
                        html.Div(
                            id=ids.OVERVIEW_TREND_BODY,
                            className="pb-panel-body pb-loading",
                            **{"data-pb-fill": lazy_marker("overview", "trend", held=trend is not None)},
                        )
                    ),
                    fill_trigger("overview", "trend", trend is not None, lazy=True),
                    *(held_content("overview", "trend", trend) if trend is not None else ()),
                ],
                className="shadow-sm pb-panel",
            ),
        ]
    )
