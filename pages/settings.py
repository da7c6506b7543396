"""Settings: goals (owners set them), theme, number format, who you are, people, report logo, audit, privacy."""

import dash
from dash import dcc, html

from components import ids
from components.privacy import privacy_section
from components.settings import password_form, section, sessions_block
from components.shell import page_header

# Last in the navbar: the analytics pages come first, then data sources, then settings.
dash.register_page(__name__, path="/settings", title="Settings · Pulseboard", name="Settings", order=90)


def layout(**kwargs):
    """The page skeleton; callbacks.settings fills each section for the caller's role."""
    loading = html.Div("Loading…", className="small text-body-secondary")
    return html.Div(
        [
            page_header(
                "Settings",
                "Goals, appearance, number format, your account, people, the report logo, the audit log and "
                "customer privacy.",
            ),
            dcc.Store(id=ids.SETTINGS_INIT, data=0),
            dcc.Store(id=ids.SETTINGS_GOALS_VERSION, data=0),
            # re-renders the goals while their chances are computed (the callback turns it off)
            dcc.Interval(id=ids.SETTINGS_GOALS_POLL, interval=1500, max_intervals=80, disabled=True),
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
            section(
                "Number format",
                [
                    html.Div(loading, id=ids.SETTINGS_NUMBERS),
                    html.Div(id=ids.SETTINGS_NUMBERS_MESSAGE, **{"aria-live": "polite"}),
                ],
                subtitle="How this workspace writes amounts, percentages and counts: on every page, in "
                "reports and emails. CSV files and the API keep plain numbers.",
                section_id="numbers",
            ),
            section(
                "Account",
                [html.Div(loading, id=ids.SETTINGS_ACCOUNT), password_form(), sessions_block()],
                section_id="account",
            ),
            section(
                "People",
                [
                    dcc.Store(id=ids.SETTINGS_PEOPLE_VERSION, data=0),
                    html.Div(loading, id=ids.SETTINGS_PEOPLE),
                    html.Div(id=ids.SETTINGS_PEOPLE_MESSAGE, **{"aria-live": "polite"}),
                    html.Div(id=ids.SETTINGS_INVITE_RESULT, **{"aria-live": "polite"}),
                ],
                subtitle="Who can see this workspace, and in which role.",
                section_id="people",
            ),
            section(
                "Reports",
                [
                    html.Div(loading, id=ids.SETTINGS_LOGO),
                    html.Div(id=ids.SETTINGS_LOGO_MESSAGE, **{"aria-live": "polite"}),
                ],
                subtitle="The logo on the cover of the workspace's PDF reports (owners change it).",
                section_id="reports",
            ),
            section(
                "Audit log",
                html.Div(loading, id=ids.SETTINGS_AUDIT),
                subtitle="Log-ins, downloads, API tokens, connector and membership changes.",
                section_id="audit",
            ),
            privacy_section(),
        ],
        className="pb-settings",
    )
