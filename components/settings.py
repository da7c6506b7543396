"""Builders of the /settings page: goals list and form, appearance picker, account card (pure)."""

from __future__ import annotations

from datetime import date, datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.formatting import (
    DEFAULT_LOCALE,
    NUMBER_LOCALES,
    format_last_seen,
    format_number,
    format_value,
    format_when,
    normalise_locale,
    numbers_as,
    percent_sign,
)

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
    (0..n or None) and ``on_pace`` (bool or None); optionally ``chance_text`` ("72% chance to
    reach $50k") and ``chance_pending`` (the chance is being computed).
    """
    if not rows:
        note = "No goals yet." + (" Set one below: pick a metric, a period and a target." if can_edit else "")
        return html.Div(note, className="text-body-secondary small", id=f"{ids.SETTINGS_GOALS}-empty")
    return dbc.ListGroup([_goal_item(row, can_edit) for row in rows], flush=True, className="pb-goals")


def _chance_line(row: dict):
    """The goal's chance line ("72% chance to reach $50k"), or a quiet note while it is computed."""
    text = row.get("chance_text")
    if text:
        return html.Div(text, className="small pb-goal-chance", id=f"{ids.SETTINGS_GOALS}-{row['id']}-chance")
    if row.get("chance_pending"):
        return html.Div("Estimating the chance…", className="small text-body-secondary pb-goal-chance")
    return None


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
        share = "—" if pct is None else percent_sign(format_number(pct, 0, grouped=False))
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
                            # may wrap: "Monthly revenue per customer" ran under the badge on a phone
                            html.Strong(row["label"], className="me-2"),
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
            _chance_line(row),
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


def number_example(locale: str, currency: str) -> str:
    """What a locale makes of a sample amount, percentage and count: ``1.234,56 € · 12,5 % · 1.234``."""
    with numbers_as(locale):
        return " · ".join(
            [
                format_value(-1234.56, "currency", currency),
                format_value(0.125, "ratio"),
                format_value(12345, "count"),
            ]
        )


def number_locale_picker(value: str, currency: str, *, can_edit: bool, role: str) -> html.Div:
    """Owners choose the workspace's number locale (each option shows a sample); others see it."""
    value = normalise_locale(value) or DEFAULT_LOCALE
    if not can_edit:
        return html.Div(
            [
                html.Div(
                    [
                        html.Span(NUMBER_LOCALES[value], className="fw-semibold"),
                        html.Span(f": {number_example(value, currency)}", className="text-nowrap"),
                    ]
                ),
                html.Div(
                    f"Only owners change this; you are {'an' if role[:1] in 'aeiou' else 'a'} {role}.",
                    className="small text-body-secondary mt-1",
                ),
            ]
        )
    return html.Div(
        [
            dbc.Label("Numbers written as", html_for=ids.SETTINGS_NUMBER_LOCALE, className="small mb-1"),
            dbc.Select(
                id=ids.SETTINGS_NUMBER_LOCALE,
                options=[
                    {"label": f"{name} — {number_example(tag, currency)}", "value": tag}
                    for tag, name in NUMBER_LOCALES.items()
                ],
                value=value,
                className="pb-number-locale",
                style={"maxWidth": "32rem"},
            ),
            html.Div(
                "Saved for everyone in the workspace; pages opened afterwards use it.",
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


def audit_filters(actions: tuple[str, ...]) -> dbc.Row:
    """The audit log's filters: an action and a text search on who acted (owners only)."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Action", html_for=ids.SETTINGS_AUDIT_ACTION, className="small mb-1"),
                    dcc.Dropdown(
                        id=ids.SETTINGS_AUDIT_ACTION,
                        options=[{"label": a.replace("_", " "), "value": a} for a in actions],
                        placeholder="All actions",
                        clearable=True,
                    ),
                ],
                xs=12,
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label("Who", html_for=ids.SETTINGS_AUDIT_ACTOR, className="small mb-1"),
                    dbc.Input(
                        id=ids.SETTINGS_AUDIT_ACTOR,
                        type="search",
                        placeholder="email contains…",
                        debounce=True,
                    ),
                ],
                xs=12,
                md=6,
            ),
        ],
        className="g-2 mb-2",
    )


def audit_table(events: list) -> html.Div:
    """Audit events, newest first: when, who, what, outcome, from where (all rendered as text)."""
    if not events:
        return html.Div(
            "No events match.", className="small text-body-secondary", id=f"{ids.SETTINGS_AUDIT}-empty"
        )
    header = html.Thead(
        html.Tr([html.Th(t, scope="col") for t in ("When (UTC)", "Who", "What", "Outcome", "From")])
    )
    rows = [
        html.Tr(
            [
                html.Td(f"{e.at:%Y-%m-%d %H:%M:%S}", className="text-nowrap"),
                html.Td(e.actor, className="text-break"),
                html.Td(
                    [e.action.replace("_", " "), html.Div(e.detail, className="small text-body-secondary")]
                ),
                html.Td(
                    dbc.Badge(
                        e.outcome, color="success" if e.outcome == "ok" else "danger", className="fw-normal"
                    )
                ),
                html.Td(e.ip or "", className="text-nowrap"),
            ]
        )
        for e in events
    ]
    return html.Div(
        dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="mb-0 small"),
        className="table-responsive",
    )


def owners_only_note() -> html.Div:
    """What non-owners see in place of the audit log."""
    return html.Div("Only owners see the workspace's audit log.", className="small text-body-secondary")


def password_form() -> html.Div:
    """Change your own password: current, new, confirmation (ends your other sessions)."""

    def field(label: str, field_id: str, autocomplete: str) -> dbc.Col:
        return dbc.Col(
            [
                dbc.Label(label, html_for=field_id, className="small mb-1"),
                dbc.Input(id=field_id, type="password", autoComplete=autocomplete, maxLength=1024),
            ],
            xs=12,
            md=4,
        )

    return html.Div(
        [
            html.H3("Change password", className="h6 mt-3"),
            dbc.Row(
                [
                    field("Current password", ids.SETTINGS_PASSWORD_CURRENT, "current-password"),
                    field("New password", ids.SETTINGS_PASSWORD_NEW, "new-password"),
                    field("New password again", ids.SETTINGS_PASSWORD_CONFIRM, "new-password"),
                ],
                className="g-2",
            ),
            html.Div(
                [
                    dbc.Button(
                        "Change password",
                        id=ids.SETTINGS_PASSWORD_SAVE,
                        color="primary",
                        size="sm",
                        n_clicks=0,
                    ),
                    html.Span(
                        "At least 8 characters. Your other devices will be logged out.",
                        className="small text-body-secondary ms-2",
                    ),
                ],
                className="mt-2 d-flex flex-wrap align-items-center gap-1",
            ),
            html.Div(id=ids.SETTINGS_PASSWORD_MESSAGE, className="mt-2", **{"aria-live": "polite"}),
        ]
    )


def sessions_block() -> html.Div:
    """Your sessions: every browser you are logged in on, each revocable, and "sign out everywhere else"."""
    return html.Div(
        [
            dcc.Store(id=ids.SETTINGS_SESSIONS_VERSION, data=0),
            html.H3("Your sessions", className="h6 mt-4"),
            html.Div(
                html.Div("Loading…", className="small text-body-secondary"), id=ids.SETTINGS_SESSIONS_LIST
            ),
            html.Div(
                [
                    dbc.Button(
                        "Sign out everywhere else",
                        id=ids.SETTINGS_SIGNOUT_OTHERS,
                        color="outline-secondary",
                        size="sm",
                        n_clicks=0,
                    ),
                    html.Span(
                        "Logs out every other browser and device; this one stays signed in.",
                        className="small text-body-secondary",
                    ),
                ],
                className="mt-2 d-flex flex-wrap align-items-center gap-2",
            ),
            html.Div(id=ids.SETTINGS_SESSIONS_MESSAGE, className="mt-2", **{"aria-live": "polite"}),
            html.Div(id=ids.SETTINGS_SESSIONS_INFO, className="small text-body-secondary mt-3"),
        ]
    )


def sessions_list(sessions: list, tz: str, now: datetime) -> html.Div:
    """One row per live session (``dashboard.user_sessions.SessionInfo``): device, address, times.

    Times are in the workspace's zone ``tz``; this browser's row is marked and has no button
    (log out with the navbar), every other row has "Sign out".
    """
    if not sessions:
        return html.Div("No active sessions.", className="small text-body-secondary")
    items = []
    for s in sessions:
        title = [html.Strong(s.device, className="text-break")]
        if s.current:
            title.append(dbc.Badge("This device", color="success", className="ms-2 fw-normal"))
        if s.remembered:
            title.append(dbc.Badge("Kept logged in", color="secondary", className="ms-1 fw-normal"))
        facts = html.Div(
            [
                html.Span(f"IP {s.ip or 'unknown'}", className="text-nowrap"),
                html.Span(f"Signed in {format_when(s.created_at, tz, now)}", className="text-nowrap"),
                html.Span(_seen(s, tz, now), className="text-nowrap"),
            ],
            className="small text-body-secondary d-flex flex-wrap column-gap-3",
        )
        action = (
            None
            if s.current
            else html.Button(  # html, not dbc: dbc.Button takes no aria-label
                "Sign out",
                id=ids.session_revoke(s.id),
                type="button",
                className="btn btn-sm btn-outline-danger text-nowrap",
                n_clicks=0,
                **{"aria-label": f"Sign out {s.device}, IP {s.ip or 'unknown'}"},
            )
        )
        items.append(
            dbc.ListGroupItem(
                html.Div(
                    [html.Div([html.Div(title), facts], className="flex-grow-1 min-w-0"), action],
                    className="d-flex align-items-center gap-2",
                ),
                className="px-0",
                id=f"{ids.SETTINGS_SESSIONS_LIST}-{s.id}",
            )
        )
    return html.Div(
        [
            dbc.ListGroup(items, flush=True),
            html.Div(f"Times in {tz}.", className="small text-body-secondary mt-1"),
        ]
    )


def _seen(item, tz: str, now: datetime) -> str:
    seen = "Active now" if item.current else format_last_seen(item.last_seen_at, tz, now)
    if seen == "Active now":
        return seen
    # "Today at 14:03" reads "Last seen today at 14:03"; dates ("1 Dec") start with a digit.
    return f"Last seen {seen[:1].lower()}{seen[1:]}"
