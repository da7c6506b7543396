"""The "Customer privacy" card: render it for owners, and erase a customer after a confirmation.

Every callback resolves the caller's workspace and role from the session; the role is checked
again on each action (the button being hidden for others is not the protection). A non-owner's
forged call gets the owners-only note and changes nothing; a refused erasure is audited.
"""

from __future__ import annotations

import contextlib

from dash import Input, Output, State, callback, ctx
from dash.exceptions import PreventUpdate

from components import ids
from components import privacy as ui
from dashboard.auth import PermissionDenied, csrf_token, current_context
from dashboard.privacy import PRIVACY_ROLE, check_owner, erase_customer, preview
from dashboard.services import current_services
from data.privacy import PrivacyError, normalise_email

_HIDDEN = ui.CONFIRM_CLASS + " d-none"


@callback(Output(ui.PRIVACY_BODY, "children"), Input(ids.SETTINGS_INIT, "data"))
def render_privacy(_init):
    """The form for owners; a note for everyone else."""
    context = current_context()
    if not context.can(PRIVACY_ROLE):
        return ui.owners_only()
    return ui.privacy_form(csrf_token())


@callback(
    Output(ui.PRIVACY_CONFIRM_AREA, "className"),
    Output(ui.PRIVACY_CONFIRM_TEXT, "children"),
    Output(ui.PRIVACY_PENDING, "data"),
    Output(ui.PRIVACY_MESSAGE, "children"),
    Input(ui.PRIVACY_ERASE, "n_clicks"),
    Input(ui.PRIVACY_CONFIRM, "n_clicks"),
    Input(ui.PRIVACY_CANCEL, "n_clicks"),
    State(ui.PRIVACY_EMAIL, "value"),
    State(ui.PRIVACY_PENDING, "data"),
    prevent_initial_call=True,
)
def privacy_action(_erase, _confirm, _cancel, email, pending):
    """Erase… asks (naming the rows), Erase for good erases, Cancel forgets the question."""
    trigger = ctx.triggered_id
    if trigger not in (ui.PRIVACY_ERASE, ui.PRIVACY_CONFIRM, ui.PRIVACY_CANCEL):
        raise PreventUpdate
    context = current_context()
    services = current_services()
    if not context.can(PRIVACY_ROLE):
        if trigger == ui.PRIVACY_CONFIRM:  # an erasure attempt, however it was sent: on record
            with contextlib.suppress(PermissionDenied):
                check_owner(services, context, "customer_erased")
        return _HIDDEN, "", None, ui.owners_only()
    if trigger == ui.PRIVACY_CANCEL:
        return _HIDDEN, "", None, ""
    try:
        address = normalise_email(email)
        found = preview(services, context, address)
    except (PrivacyError, PermissionDenied) as exc:
        return _HIDDEN, "", None, ui.message(str(exc), False)
    rows = found.rows_to_change()
    tables = {n: c for n, c in found.counts().items() if n not in found.derived}
    if rows == 0:
        return _HIDDEN, "", None, ui.message(f"This workspace holds nothing about {address}.", True)
    confirmed = isinstance(pending, dict) and pending.get("email") == address and pending.get("rows") == rows
    if trigger == ui.PRIVACY_ERASE or not confirmed:
        # Asked first, and asked again if the address or the rows changed since the question.
        return ui.CONFIRM_CLASS, ui.confirm_text(address, rows, tables), {"email": address, "rows": rows}, ""
    try:
        result = erase_customer(services, context, address)
    except PermissionDenied:
        return _HIDDEN, "", None, ui.owners_only()
    except Exception:  # noqa: BLE001 - rolled back and audited; the owner gets a sentence, not a 500
        return (
            _HIDDEN,
            "",
            None,
            ui.message("Nothing was erased: the erasure failed and was rolled back.", False),
        )
    return (
        _HIDDEN,
        "",
        None,
        ui.message(f"Erased {address}: {result.rows} rows pseudonymised. Metrics are unchanged.", True),
    )
