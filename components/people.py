"""Builders of the Settings page's People section: members, invite form, pending invitations (pure)."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

ROLE_OPTIONS = [
    {"label": "Owner", "value": "owner"},
    {"label": "Manager", "value": "manager"},
    {"label": "Analyst", "value": "analyst"},
    {"label": "Viewer", "value": "viewer"},
]


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else "never"


def members_list(members: list) -> html.Div:
    """One row per member (``dashboard.people.Member``): who, role select, last log-in, remove."""
    if not members:
        return html.Div("No members.", className="small text-body-secondary")
    items = []
    for m in members:
        who = [html.Strong(m.name or m.email, className="text-break")]
        if m.name:
            who.append(html.Div(m.email, className="small text-body-secondary text-break"))
        if m.is_you:
            who.append(dbc.Badge("you", color="secondary", className="ms-1 fw-normal"))
        remove = dcc.ConfirmDialogProvider(
            html.Button(
                "Remove",
                type="button",
                className="btn btn-sm btn-outline-danger",
                **{"aria-label": f"Remove {m.email} from the workspace"},
            ),
            id=ids.member_remove(m.user_id),
            message=f"Remove {m.email} from this workspace? Their sessions end at once.",
        )
        items.append(
            dbc.ListGroupItem(
                dbc.Row(
                    [
                        dbc.Col(who, xs=12, md=5),
                        dbc.Col(
                            # A wrapping label names the select (dbc.Select takes no aria-label).
                            html.Label(
                                [
                                    html.Span(f"Role of {m.email}", className="visually-hidden"),
                                    dbc.Select(
                                        id=ids.member_role(m.user_id),
                                        options=ROLE_OPTIONS,
                                        value=m.role,
                                        size="sm",
                                    ),
                                ],
                                className="w-100 mb-0",
                            ),
                            xs=8,
                            md=3,
                        ),
                        # On a phone Remove sits beside the role; from md on it is the last column.
                        dbc.Col(remove, xs=4, md=1, className="text-end order-md-last"),
                        dbc.Col(
                            html.Span(f"Last log-in: {_when(m.last_login_at)}", className="small"),
                            xs=12,
                            md=3,
                            className="text-body-secondary",
                        ),
                    ],
                    className="g-2 align-items-center",
                ),
                className="px-0",
                id=f"{ids.SETTINGS_PEOPLE}-member-{m.user_id}",
            )
        )
    return dbc.ListGroup(items, flush=True, className="pb-people")


def invite_form() -> html.Div:
    """Invite someone by email with a role (owners only)."""
    return html.Div(
        [
            html.H3("Invite someone", className="h6 mt-3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Email", className="small mb-1"),
                            dbc.Input(
                                id=ids.invite_field(ids.SETTINGS_INVITE_EMAIL),
                                type="email",
                                placeholder="ann@example.com",
                                maxLength=320,
                            ),
                        ],
                        xs=12,
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Role", className="small mb-1"),
                            dbc.Select(
                                id=ids.invite_field(ids.SETTINGS_INVITE_ROLE),
                                options=ROLE_OPTIONS,
                                value="viewer",
                            ),
                        ],
                        xs=6,
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Send invitation",
                            id=ids.invite_field(ids.SETTINGS_INVITE_SEND),
                            n_clicks=0,
                            color="primary",
                            className="w-100 text-nowrap",
                        ),
                        # half the row on a phone: at 5/12 of 390 px "Send invitation" ran past the button
                        xs=6,
                        md=3,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2",
            ),
            html.Div(
                "The link works once and expires after 7 days.",
                className="small text-body-secondary mt-2",
            ),
        ]
    )


def invite_result(text: str, ok: bool, link: str | None = None) -> dbc.Alert:
    """The outcome of an invitation; ``link`` is shown to copy when no email went out."""
    body = [html.Div(text)]
    if link:
        body.append(
            html.Div(
                [
                    html.Code(
                        link,
                        className="d-block mt-2 p-2 border rounded bg-body text-break user-select-all",
                        id=f"{ids.SETTINGS_INVITE_RESULT}-link",
                    ),
                    dcc.Clipboard(target_id=f"{ids.SETTINGS_INVITE_RESULT}-link", className="ms-2 mt-2"),
                ],
                className="d-flex align-items-center",
            )
        )
    return dbc.Alert(body, color="success" if ok else "danger", className="py-2 mb-0 mt-2 small")


def pending_list(invitations: list) -> html.Div:
    """Invitations not yet accepted (``dashboard.invitations.Pending``), each with a revoke button."""
    if not invitations:
        return html.Div()
    items = [
        dbc.ListGroupItem(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(inv.email, className="text-break"),
                            html.Span(
                                f" · {inv.role} · expires {_when(inv.expires_at)}",
                                className="small text-body-secondary",
                            ),
                        ]
                    ),
                    html.Button(
                        "Revoke",
                        id=ids.invite_revoke(inv.id),
                        n_clicks=0,
                        type="button",
                        className="btn btn-sm btn-outline-secondary",
                        **{"aria-label": f"Revoke the invitation of {inv.email}"},
                    ),
                ],
                className="d-flex justify-content-between align-items-center gap-2",
            ),
            className="px-0",
        )
        for inv in invitations
    ]
    return html.Div([html.H3("Pending invitations", className="h6 mt-3"), dbc.ListGroup(items, flush=True)])


def people_note(role: str) -> html.Div:
    """What non-owners see in place of the People section."""
    article = "an" if role[:1] in "aeiou" else "a"
    return html.Div(
        f"Only owners manage the workspace's people; you are {article} {role}.",
        className="small text-body-secondary",
    )


def require_two_factor_switch(on: bool) -> html.Div:
    """Owners: require two-factor authentication of every member of the workspace."""
    return html.Div(
        [
            html.H3("Security", className="h6 mt-3"),
            dbc.Switch(
                id=ids.invite_field(ids.SETTINGS_REQUIRE_2FA),
                label="Require two-factor authentication of every member",
                value=on,
            ),
            html.Div(
                "Members without it are sent to set it up before they see anything else.",
                className="small text-body-secondary",
            ),
        ]
    )
