"""Shared builders of the analytics pages: panels with loading + CSV, page filters, chips, empty states."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components import ids
from components.chart_margins import fit_margins
from data.metrics import value_text

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


def panel(
    page: str,
    item: str,
    title: str,
    *,
    subtitle: str | None = None,
    csv: bool = True,
    body=None,
    paged: bool = False,
    filled: bool | None = False,
    csv_style: dict | None = None,
    lazy: bool = False,
    held=None,
) -> dbc.Card:
    """A card with a title, a "Download CSV" button and a loading body the page callback fills.

    ``body`` is what the panel shows before its callback answers (nothing by default); a
    ``paged`` panel (a server-paged grid) also holds the store its block requests go through.
    A ``filled`` panel's ``body`` is its content, rendered with the layout from the cache: its
    callback is not asked (see :func:`fill_trigger`; None: a panel without one, the drill-down's
    callback answers clicks only). A ``lazy`` panel asks its callback only once it comes near
    the viewport (``assets/lazy_panels.js``). ``csv_style`` hides the button from viewers.

    A lazy panel may come with its content ``held``: what its callback would answer, found in the
    cache by the layout. It stays in a store until the panel nears the viewport, and is then shown
    by a clientside callback (``callbacks._analytics``), without the round trip to the server; the
    panel's own callback is not asked. Off screen it is not drawn, as for any lazy panel.
    """
    if held is not None:
        lazy, filled = True, False
    watched = {"data-pb-fill": lazy_marker(page, item, held=held is not None)} if lazy and not filled else {}
    header = [
        html.Div(
            [
                html.Span(title, className="fw-semibold"),
                html.Span(f" · {subtitle}", className="text-body-secondary small") if subtitle else None,
            ],
            className="text-truncate",
            # on a phone the subtitle is cut ("click a period for it…"): the tooltip has it whole
            title=f"{title} · {subtitle}" if subtitle else title,
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
                style=csv_style,
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(header, className="d-flex justify-content-between align-items-center gap-2")
            ),
            dbc.CardBody(
                [
                    # the spinner while its callback runs is CSS (.pb-loading), not dcc.Loading
                    html.Div(body, id=ids.panel(page, item), className="pb-panel-body pb-loading", **watched),
                    dcc.Store(id=ids.grid_ask(page, item)) if paged else None,
                    None
                    if filled is None
                    else fill_trigger(page, item, filled or held is not None, lazy=lazy),
                    *(held_content(page, item, held) if held is not None else ()),
                ],
                className="p-2",
            ),
        ],
        className="shadow-sm mb-3 pb-panel",
    )


def lazy_marker(page: str, item: str, *, held: bool = False) -> str:
    """The ``data-pb-fill`` attribute of a lazy panel's body: its fill interval's id.

    With ``held``: the interval that shows the content the layout came with.
    ``assets/lazy_panels.js`` ticks that interval (sets its ``n_intervals``) when the panel shows.
    """
    return json.dumps(ids.fill_held(page, item) if held else ids.fill(page, item), sort_keys=True)


def held_content(page: str, item: str, content) -> tuple[dcc.Store, dcc.Interval]:
    """A lazy panel's cached ``content`` and the interval the browser ticks to show it."""
    return (
        dcc.Store(id=ids.held(page, item), data=content),
        dcc.Interval(id=ids.fill_held(page, item), interval=1, max_intervals=1, disabled=True),
    )


def fill_trigger(page: str, item: str, filled: bool, *, lazy: bool = False) -> dcc.Interval:
    """What asks a panel's callback for its content once the page is shown, unless ``filled``.

    Panel callbacks do not fire when the page renders (``prevent_initial_call``): a layout that
    found the panel's answer in the cache rendered it already, and a callback round trip (with
    Plotly drawing the same chart again) would only delay the page. A panel left empty gets an
    interval that ticks once, right away, and so asks its callback as the page load did before.
    A ``lazy`` one starts disabled: the browser ticks it when the panel nears the viewport,
    so a chart below the fold is neither computed nor drawn while the page loads.
    """
    return dcc.Interval(
        id=ids.fill(page, item), interval=1, max_intervals=0 if filled else 1, disabled=lazy and not filled
    )


def graph(page: str, item: str, figure) -> dcc.Graph:
    """A chart in a panel (its clicks cross-filter or drill down), its margins fitted to its labels."""
    if isinstance(figure, go.Figure):
        fit_margins(figure)
    return dcc.Graph(id=ids.graph(page, item), figure=figure, config=GRAPH_CONFIG, className="pb-graph")


def empty_state(reason: str, *, source_missing: bool = False) -> html.Div:
    """Why a panel is empty; links to Data sources when no source feeds it."""
    if source_missing:
        return html.Div(
            [html.I(className="bi bi-plug me-2"), reason, " ", html.A("Connect a source", href="/sources")],
            className="pb-empty text-body-secondary",
        )
    return html.Div([html.I(className="bi bi-inbox me-2"), reason], className="pb-empty text-body-secondary")


def filter_note(notes: list[str]) -> html.Div:
    """Small muted lines saying which active filters a panel cannot apply, and why."""
    return html.Div(
        [html.Div([html.I(className="bi bi-funnel me-1"), n]) for n in notes],
        className="pb-filter-note small text-body-secondary mb-1",
    )


def page_filters(
    page: str, keys: tuple[str, ...], values: dict[str, str], options: dict[str, list] | None = None
) -> html.Div:
    """Page filter dropdowns (values come from the URL; ``options`` from the cache, else a callback)."""
    items = []
    for key in keys:
        value = values.get(key)
        known = (options or {}).get(key)
        if known is None:  # the callback fills them; until then the chosen value is the one choice
            known = [{"label": value_text(value), "value": value}] if value else []
        items.append(
            html.Div(
                dcc.Dropdown(
                    id=ids.page_filter(page, key),
                    value=value,
                    placeholder=PLACEHOLDERS.get(key, "All"),
                    options=known,
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
                f"{label}: {value_text(crossfilter.get('value'))} ",
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


#: Cards a row shows before "More": on a phone (two per row) and on a wide screen (six per row).
PHONE_LEAD = 4
WIDE_LEAD = 6


def kpi_row(cards: list, page: str | None = None, *, lead: int = PHONE_LEAD) -> html.Div:
    """KPI cards: 2 per row on phones, 3 on tablets, 6 on wide screens.

    With ``page``, the row leads with its first ``lead`` cards on a phone (the first
    :data:`WIDE_LEAD` on a wide screen) and folds the rest under a "More" button, so the first
    chart is one screen down, not six; a clientside callback opens it and the browser remembers
    the choice per page (``ids.KPI_FOLD_STORE``). Folding is CSS (``pb-kpi-folded``): the cards
    are in the page either way.
    """
    cols = []
    for i, card in enumerate(cards):
        extra = (" pb-kpi-extra" if page and i >= lead else "") + (
            " pb-kpi-extra-wide" if page and i >= WIDE_LEAD else ""
        )
        cols.append(dbc.Col(card, xs=6, md=4, xl=2, className="mb-3" + extra))
    row = dbc.Row(cols)
    if page is None or len(cards) <= lead:
        return row
    phone_more, wide_more = len(cards) - lead, max(len(cards) - WIDE_LEAD, 0)
    toggle = dbc.Button(
        [
            html.Span(f"More ({phone_more})", className="pb-fold-more d-md-none"),
            html.Span(f"More ({wide_more})", className="pb-fold-more d-none d-md-inline"),
            html.Span("Fewer", className="pb-fold-fewer"),
        ],
        id=ids.kpi_fold_toggle(page),
        color="link",
        size="sm",
        className="pb-fold-toggle p-0 mb-3" + ("" if wide_more else " d-md-none"),
        title="Show or hide the other KPI cards",
    )
    return html.Div([row, toggle], id=ids.kpi_fold(page), className="pb-kpi-row pb-kpi-folded")


def page_top(
    page: str,
    page_ids: dict,
    filter_keys: tuple[str, ...],
    query: dict,
    *,
    title: str,
    subtitle: str,
    kpi_count: int,
    filled: dict | None = None,
) -> list:
    """The top of an analytics page: header, filter bars, the page's stores, chips and KPI placeholders.

    Page-filter values come from the query string (trimmed: they are user input); the global
    filter state is parsed the same way every page does. ``filled`` may hold the KPI row
    (``"kpis"``), the filter choices (``"chrome"``) rendered from the cache, and the report
    links (``"downloads"``).
    """
    from components.filter_bar import filter_bar, state_from_query
    from components.kpi_card import kpi_placeholder
    from components.shell import page_header

    values = {k: str(query[k])[:200] for k in filter_keys if query.get(k)}
    filled = filled or {}
    placeholders = [
        dbc.Col(kpi_placeholder("…"), xs=6, md=4, xl=2, className="mb-3") for _ in range(kpi_count)
    ]
    chrome = filled.get("chrome")
    return [
        page_header(title, subtitle),
        filter_bar(state_from_query(query), filled.get("downloads")),
        page_filters(page, filter_keys, values, chrome["options"] if chrome else None),
        fill_trigger(page, "chrome", chrome is not None),
        dcc.Store(id=page_ids["page-filters"], data=values),
        dcc.Store(id=page_ids["crossfilter"]),
        dcc.Store(id=page_ids["drill"]),
        dcc.Store(id=page_ids["click"]),
        dcc.Download(id=page_ids["download"]),
        html.Div(id=page_ids["chips"], className="mb-2"),
        fill_trigger(page, "kpis", "kpis" in filled),
        # the row's own callback only dims it (.pb-loading): the projection poll fills its cards'
        # slots, other components, and never marks the row as loading
        html.Div(
            filled["kpis"] if "kpis" in filled else dbc.Row(placeholders),
            id=page_ids["kpis"],
            className="pb-loading pb-loading-row",
        ),
    ]


def analytics_page(spec, query: dict, filled: dict | None = None) -> html.Div:
    """An analytics page's layout from its spec (``callbacks._analytics.PageSpec``).

    The spec names every panel with its title, the rows they sit in and the KPI row, so a
    page is defined once: the same spec registers its callbacks. ``filled`` holds what the
    layout could render from the cache (``callbacks._analytics.prefill``): ``"kpis"``,
    ``"chrome"`` (filter choices, CSV button style), ``"insights"``, ``"downloads"`` (the
    report links) and ``"panels"`` (item -> content of the first row's chart and grid panels).
    The chart and grid panels are lazy: each is filled when it nears the viewport (:func:`panel`),
    from the content the layout holds for it or else by its callback, so the page is usable once
    what is on screen is drawn.
    """
    from components.insights import insights_panel

    filled = filled or {}
    csv_style = filled["chrome"]["csv_style"] if "chrome" in filled else None
    held_panels = filled.get("panels", {})

    def cell(item: str):
        if item == "drill":
            # nothing is selected when the page renders: the hint, with no callback to wait for
            hint = empty_state(spec.drill_hint)
            return html.Div(
                panel(
                    spec.page,
                    "drill",
                    "Details",
                    subtitle=spec.drill_subtitle,
                    body=hint,
                    paged=True,
                    filled=None,
                    csv_style=csv_style,
                ),
                id=spec.ids["drill-title"],
            )
        shown = next(p for p in spec.panels if p.item == item)
        card = panel(
            spec.page,
            item,
            shown.title,
            subtitle=shown.subtitle,
            paged=shown.paged,
            csv_style=csv_style,
            lazy=True,
            held=held_panels.get(item),
        )
        return [card, shown.footer()] if shown.footer else card

    rows = []
    for row in spec.layout:
        if len(row) == 1 and row[0][1] == 12:
            rows.append(cell(row[0][0]))  # full width: no grid row around it
        else:
            rows.append(dbc.Row([dbc.Col(cell(item), lg=width) for item, width in row]))
    return html.Div(
        [
            *page_top(
                spec.page,
                spec.ids,
                spec.filter_keys,
                query,
                title=spec.title,
                subtitle=spec.subtitle,
                kpi_count=spec.kpi_count,
                filled=filled,
            ),
            insights_panel(spec.page, filled.get("insights")),
            *rows,
        ]
    )
