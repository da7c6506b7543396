"""Shared builders of the analytics pages: panels with loading + CSV, page filters, chips, empty states."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

PLACEHOLDERS = {
    "channel": "All channels",
    "campaign": "All campaigns",
    "product": "All products",
    "country": "All countries",
    "platform": "All platforms",
}
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
FILTER_LABELS = {
    "channel": "Channel",
    "campaign": "Campaign",
    "product": "Product",
    "country": "Country",
    "platform": "Platform",
}


def panel(page: str, item: str, title: str, *, subtitle: str | None = None, csv: bool = True) -> dbc.Card:
    """A card with a title, a "Download CSV" button and a loading body the page callback fills."""
    header = [
        html.Div(
            [
                html.Span(title, className="fw-semibold"),
                html.Span(f" · {subtitle}", className="text-body-secondary small") if subtitle else None,
            ],
            className="text-truncate",
        )
    ]
    if csv:
        header.append(
            dbc.Button(
                [html.I(className="bi bi-download me-1"), "CSV"],
                id=ids.csv_button(page, item),
                size="sm",
                color="link",
                className="p-0 text-nowrap pb-csv",
                title="Download CSV of exactly this data (analysts and up)",
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(header, className="d-flex justify-content-between align-items-center gap-2")
            ),
            dbc.CardBody(
                dcc.Loading(
                    html.Div(id=ids.panel(page, item), className="pb-panel-body"),
                    type="default",
                    delay_show=200,
                ),
                className="p-2",
            ),
        ],
        className="shadow-sm mb-3 pb-panel",
    )


def graph(page: str, item: str, figure) -> dcc.Graph:
    """A chart in a panel (its clicks cross-filter or drill down)."""
    return dcc.Graph(id=ids.graph(page, item), figure=figure, config=GRAPH_CONFIG, className="pb-graph")


def empty_state(reason: str, *, source_missing: bool = False) -> html.Div:
    """Why a panel is empty; links to Data sources when no source feeds it."""
    if source_missing:
        return html.Div(
            [html.I(className="bi bi-plug me-2"), reason, " ", html.A("Connect a source", href="/sources")],
            className="pb-empty text-body-secondary",
        )
    return html.Div([html.I(className="bi bi-inbox me-2"), reason], className="pb-empty text-body-secondary")


def page_filters(page: str, keys: tuple[str, ...], values: dict[str, str]) -> html.Div:
    """Page filter dropdowns (options loaded by a callback; values come from the URL)."""
    items = []
    for key in keys:
        value = values.get(key)
        items.append(
            html.Div(
                dcc.Dropdown(
                    id=ids.page_filter(page, key),
                    value=value,
                    placeholder=PLACEHOLDERS.get(key, "All"),
                    options=[{"label": value, "value": value}] if value else [],
                    clearable=True,
                    searchable=True,
                    className="pb-page-filter",
                ),
                className="pb-filter-item pb-page-filter-item",
            )
        )
    return html.Div(items, className="pb-filter-controls pb-page-filters mb-2")


def chips(crossfilter: dict | None, clear_id) -> list:
    """The active cross-filter as a dismissible chip."""
    if not crossfilter:
        return []
    label = FILTER_LABELS.get(crossfilter.get("key"), str(crossfilter.get("key")))
    return [
        dbc.Badge(
            [
                f"{label}: {crossfilter.get('value')} ",
                html.Button(
                    "×",
                    id=clear_id,
                    className="btn-close-chip",
                    title="Clear this filter",
                    **{"aria-label": "Clear cross-filter"},
                ),
            ],
            color="primary",
            pill=True,
            className="pb-chip me-2",
        )
    ]


def kpi_row(cards: list) -> dbc.Row:
    """KPI cards: 2 per row on phones, 3 on tablets, 6 on wide screens."""
    return dbc.Row([dbc.Col(c, xs=6, md=4, xl=2, className="mb-3") for c in cards])
