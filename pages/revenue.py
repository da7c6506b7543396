"""Revenue: where the money came from — trend, MRR movements, splits, cohorts, top customers."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.analytics import page_top, panel

dash.register_page(__name__, path="/revenue", title="Revenue · Pulseboard", name="Revenue", order=1)

PAGE = "revenue"
FILTER_KEYS = ("channel", "product", "country")
P = ids.REVENUE


def layout(**kwargs):
    """The revenue page for the filters in the query string."""
    return html.Div(
        [
            *page_top(
                PAGE,
                P,
                FILTER_KEYS,
                kwargs,
                title="Revenue",
                subtitle="Gross and net revenue, MRR movements, customers and cohorts",
                kpi_count=6,
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
                    dbc.Col(
                        panel(PAGE, "top", "Top customers", subtitle="by gross revenue in the range"), lg=5
                    ),
                ]
            ),
        ]
    )
