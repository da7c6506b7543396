"""The Settings page's "Customer privacy" card: export or erase one customer's data (pure builders).

The card's body is filled by callbacks.privacy for owners only. Export is a plain form POST to
``/privacy/export`` (dashboard.privacy_routes), so the address never rides in a URL and the
browser downloads the ZIP itself; erasure asks first, naming the rows it will change.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.settings import section

# Component ids (kept here, not in components.ids, so this card merges without touching others).
PRIVACY_BODY = "pb-privacy-body"
PRIVACY_EMAIL = "pb-privacy-email"
PRIVACY_ERASE = "pb-privacy-erase"
PRIVACY_CONFIRM_AREA = "pb-privacy-confirm-area"
PRIVACY_CONFIRM_TEXT = "pb-privacy-confirm-text"
PRIVACY_CONFIRM = "pb-privacy-confirm"
PRIVACY_CANCEL = "pb-privacy-cancel"
PRIVACY_PENDING = "pb-privacy-pending"
PRIVACY_MESSAGE = "pb-privacy-message"
EXPORT_PATH = "/privacy/export"
#: the confirmation panel's classes when shown; hidden adds d-none
CONFIRM_CLASS = "border border-danger-subtle rounded p-2 mt-2"


def privacy_section() -> dbc.Card:
    """The card as the Settings page lays it out (its body comes from a callback)."""
    loading = html.Div("Loading…", className="small text-body-secondary")
    return section(
        "Customer privacy",
        html.Div(loading, id=PRIVACY_BODY),
        subtitle="Export or erase everything this workspace holds about one customer (GDPR).",
        section_id="privacy",
    )


def owners_only() -> html.Div:
    """What members other than owners see in the card."""
    return html.Div(
        "Only owners can export or erase a customer's data.", className="small text-body-secondary"
    )


def privacy_form(csrf_token: str) -> html.Div:
    """The owner's form: the address, Export (a download) and Erase (asks first)."""
    return html.Div(
        [
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                    dbc.Label("Customer email", html_for=PRIVACY_EMAIL, className="small mb-1"),
                    html.Div(
                        [
                            dbc.Input(
                                id=PRIVACY_EMAIL,
                                name="email",
                                type="email",
                                placeholder="customer@example.com",
                                autoComplete="off",
                                maxLength=320,
                                required=True,
                                # room for a long address on a phone, not a whole 1440 px row
                                style={"flex": "1 1 16rem", "maxWidth": "28rem"},
                            ),
                            dbc.Button(
                                [html.I(className="bi bi-file-earmark-zip me-1"), "Export"],
                                type="submit",
                                color="primary",
                                size="sm",
                            ),
                            dbc.Button(
                                [html.I(className="bi bi-eraser me-1"), "Erase…"],
                                id=PRIVACY_ERASE,
                                type="button",
                                color="danger",
                                outline=True,
                                size="sm",
                                n_clicks=0,
                            ),
                        ],
                        className="d-flex flex-wrap align-items-center gap-2",
                    ),
                ],
                action=EXPORT_PATH,
                method="POST",
            ),
            html.Div(
                "Export downloads a ZIP: one CSV per table and a manifest. Erasure replaces the "
                "customer's email, name and ids with a pseudonym everywhere; revenue stays.",
                className="small text-body-secondary mt-2",
            ),
            html.Div(
                [
                    html.Div(id=PRIVACY_CONFIRM_TEXT, className="small mb-2"),
                    html.Div(
                        [
                            dbc.Button(
                                "Erase for good", id=PRIVACY_CONFIRM, color="danger", size="sm", n_clicks=0
                            ),
                            dbc.Button(
                                "Cancel",
                                id=PRIVACY_CANCEL,
                                color="secondary",
                                outline=True,
                                size="sm",
                                n_clicks=0,
                            ),
                        ],
                        className="d-flex gap-2",
                    ),
                ],
                id=PRIVACY_CONFIRM_AREA,
                className=CONFIRM_CLASS + " d-none",
            ),
            dcc.Store(id=PRIVACY_PENDING, data=None),
            html.Div(id=PRIVACY_MESSAGE, className="mt-2", **{"aria-live": "polite"}),
        ]
    )


def confirm_text(email: str, rows: int, tables: dict[str, int]) -> list:
    """The confirmation's question: who, how many rows, in which tables."""
    detail = ", ".join(f"{name} {count}" for name, count in sorted(tables.items()))
    return [
        html.Strong(f"Erase {email}? "),
        f"{rows} row{'s' if rows != 1 else ''} will change ({detail}). "
        "Their email, name and ids become a pseudonym; amounts and dates stay. This cannot be undone.",
    ]


def message(text: str, ok: bool) -> dbc.Alert:
    """A short result under the form."""
    return dbc.Alert(text, color="success" if ok else "danger", className="py-2 mb-0 small")
