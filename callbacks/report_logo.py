"""Settings → Reports callbacks: the report logo's preview, and the owner's upload and remove.

The workspace and the role come from the session (``current_context``) on every call, never
from a callback input; :mod:`dashboard.logo_admin` checks the owner role again and audits the
change. The uploaded bytes are decoded and re-encoded by :mod:`dashboard.logos`; a refused file
leaves the current logo as it was.
"""

from __future__ import annotations

import base64
import binascii

import dash
from dash import ALL, Input, Output, State, callback
from dash.exceptions import PreventUpdate

from components import ids
from components import report_logo as ui
from components.settings import message
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied, current_context
from dashboard.logo_admin import LOGO_ROLE, UPLOAD_FORMATS, check_owner, clear_logo, current_logo, set_logo
from dashboard.logos import LogoError, check_size
from dashboard.services import Services, current_services

_NOT_WHOLE = "the upload did not arrive whole; try again"


# -- plain functions (tested without Dash) ---------------------------------------------------------
def decode_upload(contents) -> bytes:
    """The file of a ``dcc.Upload`` data URL; LogoError for anything else or a file over the limit.

    The size is checked on the base64 text, before anything is decoded. The MIME type the browser
    put in the URL is ignored: only the content decides what the file is.
    """
    if not isinstance(contents, str) or not contents.startswith("data:") or "," not in contents:
        raise LogoError(_NOT_WHOLE)
    header, payload = contents.split(",", 1)
    if not header.endswith(";base64"):
        raise LogoError(_NOT_WHOLE)
    check_size(len(payload) * 3 // 4)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise LogoError(_NOT_WHOLE) from None


def upload_logo(services: Services, ctx: WorkspaceContext, contents, filename) -> str:
    """Store an uploaded logo for ``ctx``'s workspace; the message to show.

    PermissionDenied for non-owners (checked before the file is even decoded); LogoError with
    the reason for a file that is not a PNG or JPEG image.
    """
    name = _name(filename)
    check_owner(services, ctx, f"set {name}".strip())  # before decoding anything a non-owner sent
    set_logo(services, ctx, decode_upload(contents), filename=name, formats=UPLOAD_FORMATS)
    return f"Logo saved{f' from {name}' if name else ''}: the next PDF reports show it on their cover."


def _name(filename) -> str:
    return filename[:120] if isinstance(filename, str) else ""


def _first(values):
    """The single value of a pattern-matched input (ALL arrives as a list; anything else is junk)."""
    return values[0] if isinstance(values, list) and values else None


# -- callbacks -------------------------------------------------------------------------------------
_UPLOAD_ALL = {"type": ids.SETTINGS_LOGO_UPLOAD, "where": ALL}
_REMOVE_ALL = {"type": ids.SETTINGS_LOGO_REMOVE, "where": ALL}


@callback(Output(ids.SETTINGS_LOGO, "children"), Input(ids.SETTINGS_INIT, "data"))
def render_logo(_init):
    """The current logo, and the upload and remove controls for owners (a note for others)."""
    context = current_context()
    png = current_logo(current_services(), context)
    ws = context.workspace
    return ui.logo_panel(png, ws.name or ws.slug, can_edit=context.can(LOGO_ROLE), role=context.role.value)


@callback(
    Output(ids.SETTINGS_LOGO_MESSAGE, "children"),
    Output(ids.SETTINGS_LOGO_PREVIEW, "children"),
    Output(_REMOVE_ALL, "disabled"),
    Output(_UPLOAD_ALL, "contents"),
    Input(_UPLOAD_ALL, "contents"),
    Input(_REMOVE_ALL, "n_clicks"),
    State(_UPLOAD_ALL, "filename"),
    prevent_initial_call=True,
)
def logo_action(uploads, removes, filenames):
    """Save the chosen file as the logo, or remove the logo; refresh the preview.

    The upload's contents are cleared either way, so the same file can be chosen again and the
    image is not sent back with later requests.
    """
    triggered = dash.ctx.triggered_id
    if not isinstance(triggered, dict) or not (dash.ctx.triggered and dash.ctx.triggered[0].get("value")):
        raise PreventUpdate  # controls that just appeared, not a choice or a click
    context = current_context()
    services = current_services()
    cleared = [None] * len(uploads) if isinstance(uploads, list) else []
    name = _name(_first(filenames))
    try:
        if triggered.get("type") == ids.SETTINGS_LOGO_REMOVE:
            removed = clear_logo(services, context)
            text = (
                "Logo removed: PDF covers show the Pulseboard mark."
                if removed
                else "There was no logo to remove."
            )
        else:
            text = upload_logo(services, context, _first(uploads), name)
        ok = True
    except PermissionDenied as exc:
        text, ok = str(exc), False
    except LogoError as exc:
        text, ok = f"{name or 'The file'} was not used: {exc}. The current logo is unchanged.", False
    png = current_logo(services, context)
    ws = context.workspace
    disabled = [png is None] * len(removes) if isinstance(removes, list) else []
    return message(text, ok), ui.logo_preview(png, ws.name or ws.slug), disabled, cleared
