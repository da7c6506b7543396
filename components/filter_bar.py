"""The global filter bar: date preset (or custom dates), comparison and grain."""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from dashboard.filters import COMPARES, GRAIN_LABELS, PRESETS, FilterState


def _select(component_id: str, options: dict[str, str], value: str, label: str) -> html.Div:
    # A visually hidden <label> names the control for screen readers (dbc.Select has no aria-label).
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="visually-hidden"),
            dbc.Select(
                id=component_id,
                options=[{"label": text, "value": key} for key, text in options.items()],
                value=value,
                size="sm",
                className="pb-filter-select",
            ),
        ],
        className="pb-filter-item",
    )


def filter_bar(state: FilterState, downloads: tuple | None = None) -> html.Div:
    """The controls, initialised from ``state``, plus the store callbacks read.

    ``downloads``: the PDF and Excel links of the current view (``callbacks.reports.report_links``),
    shown to analysts and up; None hides them.
    """
    return html.Div(
        [
            dcc.Store(id=ids.FILTERS_STORE, data=state.to_store()),
            html.Div(
                [
                    _select(ids.FILTER_RANGE, PRESETS, state.range, "Date range"),
                    html.Div(
                        dcc.DatePickerRange(
                            id=ids.FILTER_DATES,
                            start_date=state.start.isoformat(),
                            end_date=state.end.isoformat(),
                            display_format="YYYY-MM-DD",
                            minimum_nights=0,
                            number_of_months_shown=1,
                            clearable=False,
                            with_portal=False,
                        ),
                        id=ids.FILTER_DATES_WRAP,
                        className="pb-filter-dates" + ("" if state.range == "custom" else " d-none"),
                    ),
                    _select(ids.FILTER_COMPARE, COMPARES, state.compare or "none", "Compare with"),
                    _select(ids.FILTER_GRAIN, GRAIN_LABELS, state.grain, "Time grain"),
                ],
                className="pb-filter-controls",
            ),
            html.Div(
                state.label, id=ids.FILTER_SUMMARY, className="pb-filter-summary small text-body-secondary"
            ),
            report_downloads(downloads),
        ],
        className="pb-filter-bar",
        role="search",
    )


def report_downloads(downloads: tuple | None = None) -> html.Div:
    """PDF and Excel of the current view (``downloads``: their hrefs and class); hidden without."""
    link = "btn btn-sm btn-outline-secondary"
    pdf, xlsx, cls = downloads or (None, None, "pb-report-downloads d-none")
    return html.Div(
        [
            html.A(
                [html.I(className="bi bi-file-earmark-pdf me-1"), "PDF"],
                id=ids.REPORT_PDF_LINK,
                href=pdf,
                className=link,
            ),
            html.A(
                [html.I(className="bi bi-file-earmark-spreadsheet me-1"), "Excel"],
                id=ids.REPORT_XLSX_LINK,
                href=xlsx,
                className=link,
            ),
        ],
        id=ids.REPORT_DOWNLOADS,
        className=cls,
    )


def state_from_query(query: dict) -> FilterState:
    """Filter state from a page's query-string kwargs (presets resolved against today's date).

    Callbacks re-resolve presets in the workspace's time zone, so the server's date here only
    sets the controls' initial display.
    """
    return FilterState.from_query(query, date.today())
