"""Data sources: import vendor exports, set up API connectors, see the import history and rejected rows."""

import dash
from dash import dcc, html

from components import ids
from components.shell import page_header
from components.sources import oauth_notice, section

dash.register_page(__name__, path="/sources", title="Data sources · Pulseboard", name="Data sources", order=7)


def layout(**kwargs):
    """The page skeleton; the sections are filled for the caller's role by callbacks.sources."""
    loading = html.Div("Loading…", className="small text-body-secondary")
    return html.Div(
        [
            page_header("Data sources", "Import exports from your tools, or connect their APIs."),
            oauth_notice(kwargs),
            dcc.Store(id=ids.SOURCES_INIT, data=0),
            dcc.Store(id=ids.SOURCES_REFRESH, data=0),
            dcc.Store(id=ids.SOURCES_JOBS, data={"ids": []}, storage_type="session"),
            dcc.Interval(id=ids.SOURCES_JOBS_POLL, interval=700, disabled=True),
            section(
                "Import files",
                [
                    html.Div(loading, id=ids.SOURCES_UPLOAD_SECTION),
                    html.Div(id=ids.SOURCES_UPLOAD_ALERT, className="mt-2"),
                    html.Div(id=ids.SOURCES_JOBS_PANEL, className="mt-2"),
                ],
                subtitle="CSV or XLSX exports; importing the same file again never double counts.",
            ),
            section(
                "Connectors",
                html.Div(loading, id=ids.SOURCES_CONNECTORS),
                subtitle="Sync straight from the vendor's API; keys are stored encrypted and never shown again.",
            ),
            section(
                "Import history",
                dcc.Loading(html.Div(loading, id=ids.SOURCES_RUNS), type="dot", delay_show=300),
            ),
            section(
                "Rejected rows",
                dcc.Loading(html.Div(loading, id=ids.SOURCES_QUARANTINE), type="dot", delay_show=300),
                subtitle="Rows that could not be imported, with the reason.",
            ),
        ],
        className="pb-sources",
    )
