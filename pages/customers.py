"""Customers: who buys and who is at risk — active/new/returning, RFM, geography, pipeline, lead scoring."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.analytics import page_top, panel

dash.register_page(__name__, path="/customers", title="Customers · Pulseboard", name="Customers", order=3)

PAGE = "customers"
FILTER_KEYS = ("channel", "product", "country")
P = ids.CUSTOMERS


def layout(**kwargs):
    """The customers page for the filters in the query string."""
    return html.Div(
        [
            *page_top(
                PAGE,
                P,
                FILTER_KEYS,
                kwargs,
                title="Customers",
                subtitle="Active, new and returning customers, segments, pipeline and lead scores",
                kpi_count=7,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "counts", "New and returning customers", subtitle="per period"), lg=7
                    ),
                    dbc.Col(
                        panel(PAGE, "geo", "Active customers by country", subtitle="click to filter"), lg=5
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(
                            PAGE,
                            "rfm_chart",
                            "RFM segments",
                            subtitle="selected range; click a segment for its customers",
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        panel(
                            PAGE,
                            "rfm",
                            "Segments: customers and revenue",
                            subtitle="customers who paid in the selected range; recency to its end",
                        ),
                        lg=7,
                    ),
                ]
            ),
            html.Div(
                panel(PAGE, "drill", "Details", subtitle="rows behind the clicked segment or stage"),
                id=P["drill-title"],
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "pipeline", "Pipeline by stage", subtitle="click a stage for its deals"),
                        lg=5,
                    ),
                    dbc.Col(panel(PAGE, "leads", "Lead scores", subtitle="open deals"), lg=7),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "calibration", "Lead model calibration", subtitle="held-out deals"), lg=5
                    )
                ]
            ),
        ]
    )
