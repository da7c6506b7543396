"""Settings: the workspace's goals (owners set them), light/dark theme, and who you are."""

import dash
from dash import dcc, html

from components import ids
from components.settings import section
from components.shell import page_header

# Last in the navbar: the analytics pages come first, then data sources, then settings.
dash.register_page(__name__, path="/settings", title="Settings · Pulseboard", name="Settings", order=90)


def layout(**kwargs):
    """The page skeleton; callbacks.settings fills each section for the caller's role."""
    loading = html.Div("Loading…", className="small text-body-secondary")
    return html.Div(
        [
            page_header("Settings", "Goals for the workspace, and how Pulseboard looks for you."),
            dcc.Store(id=ids.SETTINGS_INIT, data=0),
            dcc.Store(id=ids.SETTINGS_GOALS_VERSION, data=0),
            section(
                "Goals",
                [
                    dcc.Loading(html.Div(loading, id=ids.SETTINGS_GOALS), type="dot", delay_show=300),
                    html.Hr(className="my-3"),
                    html.Div(loading, id=ids.SETTINGS_GOAL_FORM),
                    html.Div(id=ids.SETTINGS_GOAL_MESSAGE, **{"aria-live": "polite"}),
                ],
                subtitle="A target per metric and calendar period; KPI cards show progress and pace.",
                section_id="goals",
            ),
            section("Appearance", html.Div(loading, id=ids.SETTINGS_APPEARANCE), section_id="appearance"),
            section("Account", html.Div(loading, id=ids.SETTINGS_ACCOUNT), section_id="account"),
        ],
        className="pb-settings",
    )
