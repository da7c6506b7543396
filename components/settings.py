"""Builders of the /settings page: goals list and form, appearance picker, account card (pure)."""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import html

from components import ids

#: The theme choices a user can save, with what the picker shows.
THEME_OPTIONS = (
    ("light", "Light", "bi-sun"),
    ("dark", "Dark", "bi-moon-stars"),
    ("auto", "Auto (follow the system)", "bi-circle-half"),
)
PERIOD_LABELS = {"month": "Monthly", "quarter": "Quarterly", "year": "Yearly"}
#: Status of a goal's period -> (text when on pace, text when not, badge colour when on pace / not).
_STATUS = {
    "current": ("On pace", "Behind pace"),
    "past": ("Met", "Missed"),
}


def section(title: str, body, *, subtitle: str | None = None, section_id: str | None = None) -> dbc.Card:
    """A titled card holding one settings section."""
    header = html.Div(
        [
            html.H2(title, className="h6 mb-0"),
            html.Div(subtitle, className="small text-body-secondary") if subtitle else None,
        ]
    )
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="shadow-sm mb-3", id=section_id)


def period_label(period: str, start: date) -> str:
    """The calendar period a goal covers: ``July 2026``, ``Q3 2026`` or ``2026``."""
    if period == "month":
        return start.strftime("%B %Y")
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def goals_list(rows: list[dict], *, can_edit: bool) -> html.Div:
    """The workspace's goals, newest period first, each with its progress.

    Each row dict has: ``id``, ``label``, ``period``, ``period_start`` (date), ``status``
    (``current`` / ``past`` / ``future``), ``target_text``, ``actual_text``, ``progress``
    (0..n or None) and ``on_pace`` (bool or None).
    """
    if not rows:
        note = "No goals yet." + (" Set one below: pick a metric, a period and a target." if can_edit else "")
        return html.Div(note, className="text-body-secondary small", id=f"{ids.SETTINGS_GOALS}-empty")
    return dbc.ListGroup([_goal_item(row, can_edit) for row in rows], flush=True, className="pb-goals")


def _goal_item(row: dict, can_edit: bool) -> dbc.ListGroupItem:
    pct = None if row["progress"] is None else row["progress"] * 100
    status = row["status"]
    if status == "future":
        badge = dbc.Badge("Not started", color="secondary", className="pb-goal-status")
    elif row["on_pace"] is None:
        badge = dbc.Badge("No data", color="secondary", className="pb-goal-status")
    else:
        good, bad = _STATUS[status]
        badge = dbc.Badge(
            good if row["on_pace"] else bad,
            color="success" if row["on_pace"] else "warning",
            text_color=None if row["on_pace"] else "dark",
            className="pb-goal-status",
        )
    if status == "future":
        detail = f"Target {row['target_text']}"
    else:
        share = "—" if pct is None else f"{pct:.0f}%"
        detail = f"{row['actual_text']} of {row['target_text']} · {share}"
    delete = (
        html.Button(
            html.I(className="bi bi-trash", **{"aria-hidden": "true"}),
            id=ids.goal_delete(row["id"]),
            n_clicks=0,
            type="button",
            className="btn btn-sm btn-outline-danger pb-goal-delete",
            title="Delete this goal",
            **{
                "aria-label": f"Delete the {row['label']} goal for {period_label(row['period'], row['period_start'])}"
            },
        )
        if can_edit
        else None
    )
    return dbc.ListGroupItem(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.Strong(row["label"], className="me-2 text-nowrap"),
                            html.Span(
                                f"{PERIOD_LABELS.get(row['period'], row['period'])} · "
                                f"{period_label(row['period'], row['period_start'])}",
                                className="small text-body-secondary text-nowrap d-block d-sm-inline",
                            ),
                        ],
                        className="pb-goal-title",
                    ),
                    html.Div([badge, delete], className="d-flex align-items-center gap-2 flex-shrink-0"),
                ],
                className="d-flex justify-content-between align-items-start gap-2",
            ),
            dbc.Progress(
                value=0 if pct is None else max(0.0, min(pct, 100.0)),
                color="success" if row["on_pace"] else "warning" if row["on_pace"] is False else "secondary",
                className="pb-goal-bar my-2",  # the text below says the same in words
            ),
            html.Div(detail, className="small text-body-secondary pb-goal-detail"),
        ],
        className="px-0",
        id=f"{ids.SETTINGS_GOALS}-{row['id']}",
    )


def goal_form(metric_options: list[dict]) -> html.Div:
    """The owner's form: metric, period, this or next period, target; saving replaces an existing goal."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Metric", html_for=ids.SETTINGS_GOAL_METRIC, className="small mb-1"),
                            dbc.Select(
                                id=ids.SETTINGS_GOAL_METRIC,
                                options=metric_options,
                                value=_default_metric(metric_options),
                            ),
                        ],
                        xs=12,
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Period", html_for=ids.SETTINGS_GOAL_PERIOD, className="small mb-1"),
                            dbc.Select(
                                id=ids.SETTINGS_GOAL_PERIOD,
                                options=[{"label": v, "value": k} for k, v in PERIOD_LABELS.items()],
                                value="month",
                            ),
                        ],
                        xs=6,
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("For", html_for=ids.SETTINGS_GOAL_WHEN, className="small mb-1"),
                            dbc.Select(
                                id=ids.SETTINGS_GOAL_WHEN,
                                options=[
                                    {"label": "This period", "value": "current"},
                                    {"label": "Next period", "value": "next"},
                                ],
                                value="current",
                            ),
                        ],
                        xs=6,
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Target", html_for=ids.SETTINGS_GOAL_TARGET, className="small mb-1"),
                            dbc.Input(
                                id=ids.SETTINGS_GOAL_TARGET,
                                type="number",
                                # no min=0: the browser would drop "-5" silently; the server says why it is refused
                                step="any",
                                inputMode="decimal",
                                placeholder="e.g. 20000",
                                debounce=False,
                            ),
                        ],
                        xs=7,
                        md=2,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Save goal",
                            id=ids.SETTINGS_GOAL_SAVE,
                            n_clicks=0,
                            color="primary",
                            className="w-100 text-nowrap",
                        ),
                        xs=5,
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2",
            ),
            html.Div(
                "A goal for a metric and period that already has one replaces it.",
                className="small text-body-secondary mt-2",
            ),
        ],
        className="pb-goal-form",
    )


def _default_metric(options: list[dict]) -> str | None:
    """Net revenue when offered (the goal most owners set first), else the first option."""
    values = [o["value"] for o in options]
    return "net_revenue" if "net_revenue" in values else (values[0] if values else None)


def read_only_note(role: str) -> dbc.Alert:
    """What non-owners see instead of the form."""
    return dbc.Alert(
        [
            html.I(className="bi bi-lock me-2", **{"aria-hidden": "true"}),
            f"Only owners can set goals; you are {'an' if role[:1] in 'aeiou' else 'a'} {role}.",
        ],
        color="light",
        className="mb-0 border small",
        id=f"{ids.SETTINGS_GOAL_FORM}-readonly",
    )


def message(text: str, ok: bool) -> dbc.Alert:
    """A short success or error message under a form (its container is an aria-live region)."""
    return dbc.Alert(text, color="success" if ok else "danger", className="py-2 mb-0 mt-2 small")


def theme_picker(value: str) -> html.Div:
    """Light / dark / auto; applied at once and saved for this user only."""
    return html.Div(
        [
            dbc.RadioItems(
                id=ids.theme_choice("settings"),
                options=[
                    {
                        "label": html.Span(
                            [html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), label]
                        ),
                        "value": key,
                    }
                    for key, label, icon in THEME_OPTIONS
                ],
                value=value if value in {k for k, _, _ in THEME_OPTIONS} else "light",
                inline=True,
                className="pb-theme-picker",
            ),
            html.Div(
                "Saved for your account on every device; the moon/sun button in the top bar switches too.",
                className="small text-body-secondary mt-1",
            ),
        ]
    )


def account_card(
    *, email: str, name: str | None, workspace: str, role: str, currency: str, timezone: str
) -> html.Dl:
    """Who is logged in, in which workspace and role."""
    items = [
        ("Signed in as", f"{name} ({email})" if name else email),
        ("Workspace", workspace),
        ("Role", role.capitalize()),
        ("Currency · time zone", f"{currency} · {timezone}"),
    ]
    children = []
    for term, value in items:
        children += [
            html.Dt(term, className="col-sm-4 col-lg-3 small text-body-secondary fw-normal"),
            html.Dd(value, className="col-sm-8 col-lg-9 text-break"),
        ]
    return html.Dl(children, className="row mb-0")
