"""Campaigns: which campaigns paid for themselves — ad KPIs, splits, grid, email, web, funnel, CAC."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.analytics import page_top, panel

dash.register_page(__name__, path="/campaigns", title="Campaigns · Pulseboard", name="Campaigns", order=2)

PAGE = "campaigns"
FILTER_KEYS = ("channel", "platform", "campaign")
P = ids.CAMPAIGNS


def layout(**kwargs):
    """The campaigns page for the filters in the query string."""
    return html.Div(
        [
            *page_top(
                PAGE,
                P,
                FILTER_KEYS,
                kwargs,
                title="Campaigns",
                subtitle="Ad spend and return, email, web traffic, funnel and acquisition cost",
                kpi_count=10,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "spend_by_platform", "Spend by platform", subtitle="click to filter"),
                        lg=6,
                    ),
                    dbc.Col(
                        panel(PAGE, "roas_by_platform", "ROAS by platform", subtitle="click to filter"), lg=6
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        panel(PAGE, "spend_by_campaign", "Spend by campaign", subtitle="click to filter"),
                        lg=6,
                    ),
                    dbc.Col(
                        panel(PAGE, "roas_by_campaign", "ROAS by campaign", subtitle="click to filter"), lg=6
                    ),
                ]
            ),
            panel(
                PAGE,
                "spend_by_day",
                "Spend and ROAS over time",
                subtitle="per period; click one for its ad rows",
            ),
            panel(PAGE, "campaigns", "Campaigns", subtitle="select a row for its daily rows"),
            html.Div(
                panel(PAGE, "drill", "Details", subtitle="ad rows of the selected campaign or period"),
                id=P["drill-title"],
            ),
            dbc.Row(
                [
                    dbc.Col(panel(PAGE, "funnel", "Funnel", subtitle="impressions to new customers"), lg=6),
                    dbc.Col(panel(PAGE, "cac", "CAC and payback by channel"), lg=6),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(panel(PAGE, "email", "Email campaigns"), lg=8),
                    dbc.Col(panel(PAGE, "web", "Web sessions by channel"), lg=4),
                ]
            ),
        ]
    )
