"""Campaigns: which campaigns paid for themselves — ad KPIs, splits, grid, email, web, funnel, CAC."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.analytics import page_filters, panel
from components.filter_bar import filter_bar, state_from_query
from components.kpi_card import kpi_placeholder
from components.shell import page_header

dash.register_page(__name__, path="/campaigns", title="Campaigns · Pulseboard", name="Campaigns", order=2)

PAGE = "campaigns"
FILTER_KEYS = ("platform", "campaign")
P = ids.CAMPAIGNS


def layout(**kwargs):
    """The campaigns page for the filters in the query string."""
    state = state_from_query(kwargs)
    values = {k: str(kwargs[k])[:200] for k in FILTER_KEYS if kwargs.get(k)}
    return html.Div(
        [
            page_header("Campaigns", "Ad spend and return, email, web traffic, funnel and acquisition cost"),
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
                        [dbc.Col(kpi_placeholder("…"), xs=6, md=4, xl=2, className="mb-3") for _ in range(10)]
                    ),
                    id=P["kpis"],
                ),
                type="dot",
                delay_show=300,
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
            panel(PAGE, "campaigns", "Campaigns", subtitle="select a row for its daily rows"),
            html.Div(
                panel(PAGE, "drill", "Details", subtitle="daily rows of the selected campaign"),
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
