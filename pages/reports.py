"""Reports: build a report with preview and downloads, schedule it by email, see the history."""

import dash
from dash import dcc, html

from components import ids
from components.reports import edit_dialog
from components.settings import section
from components.shell import page_header

dash.register_page(__name__, path="/reports", title="Reports · Pulseboard", name="Reports", order=6)


def layout(**kwargs):
    """The page skeleton; callbacks.reports fills each part for the caller's role."""
    loading = html.Div("Loading…", className="small text-body-secondary")
    return html.Div(
        [
            page_header(
                "Reports", "PDF, Excel and CSV from the same numbers as the dashboard, on a schedule."
            ),
            dcc.Store(id=ids.REPORTS_INIT, data=0),
            dcc.Store(id=ids.REPORTS_VERSION, data=0),
            dcc.Store(id=ids.REPORTS_EDIT_ID, data=None),
            edit_dialog(),
            html.Div(id=ids.REPORTS_NOTICES),
            section("Build a report", html.Div(loading, id=ids.REPORTS_BUILDER), section_id="build"),
            section(
                "Schedule it",
                html.Div(loading, id=ids.REPORTS_SCHEDULE_FORM),
                subtitle="Emailed as a briefing with the files attached, in the recipients' time zone.",
                section_id="schedule",
            ),
            section("Scheduled reports", html.Div(loading, id=ids.REPORTS_SCHEDULES), section_id="schedules"),
            section("History", html.Div(loading, id=ids.REPORTS_HISTORY), section_id="history"),
        ],
        className="pb-reports",
    )
