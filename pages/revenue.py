"""Revenue: where the money came from — trend, MRR movements, splits, cohorts, top customers."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.analytics import page_filters, panel
from components.filter_bar import filter_bar, state_from_query
from components.kpi_card import kpi_placeholder
from components.shell import page_header

dash.register_page(__name__, path="/revenue", title="Revenue · Pulseboard", name="Revenue", order=1)

PAGE = "revenue"
FILTER_KEYS = ("channel", "product", "country")
P = ids.REVENUE


def layout(**kwargs):
    """The revenue page for the filters in the query string."""
    state = state_from_query(kwargs)
    values = {k: str(kwargs[k])[:200] for k in FILTER_KEYS if kwargs.get(k)}
    return html.Div(
        [
            page_header("Revenue", "Gross and net revenue, MRR movements, customers and cohorts"),
            filter_bar(state),
            page_filters(PAGE, FILTER_KEYS, values),
            dcc.Store(id=P["page-filters"], data=values),
            dcc.Store(id=P["crossfilter"]),
            dcc.Store(id=P["drill"]),
            dcc.Download(id=P["download"]),
            html.Div(id=P["chips"], className="mb-2"),
            dcc.Loading(
                html.Div(
                    dbc.Row(
                        [dbc.Col(kpi_placeholder("…"), xs=6, md=4, xl=2, className="mb-3") for _ in range(6)]
                    ),
                    id=P["kpis"],
                ),
                type="dot",
                delay_show=300,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "trend", "Net revenue", subtitle="click a period for its rows"), lg=7
                    ),
                    dbc.Col(panel(PAGE, "movements", "MRR movements", subtitle="click a period"), lg=5),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(panel(PAGE, "by_channel", "By channel"), lg=4),
                    dbc.Col(panel(PAGE, "by_product", "By product / plan"), lg=4),
                    dbc.Col(panel(PAGE, "by_country", "By country"), lg=4),
                ]
            ),
            html.Div(
                panel(PAGE, "drill", "Details", subtitle="rows behind the clicked period"),
                id=P["drill-title"],
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(
                            PAGE, "cohorts", "Cohort retention", subtitle="customers by first-payment month"
                        ),
                        lg=7,
                    ),
                    dbc.Col(panel(PAGE, "top", "Top customers"), lg=5),
                ]
            ),
        ]
    )
