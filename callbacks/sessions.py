"""Settings → Account → Your sessions: every browser the user is logged in on, and revoking them.

Only the logged-in user's own sessions are listed or touched: the user comes from the session,
never from the browser, and a session id from a button's pattern id is looked up among that
user's rows only (:mod:`dashboard.user_sessions`). A forged id of someone else's session
changes nothing, says nothing about it, and is audited as ``denied``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dash
from dash import ALL, Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate
from flask import abort, session
from flask_login import current_user

from callbacks.common import next_version as _version
from components import ids
from components.settings import message, sessions_list
from dashboard import audit, user_sessions
from dashboard.accounts import end_sessions, workspace_context
from dashboard.auth import current_session_key, renew_login
from dashboard.models import User
from dashboard.services import current_services


def _user_id() -> int:
    if not current_user.is_authenticated:
        abort(401)
    return int(current_user.id)


@callback(
    Output(ids.SETTINGS_SESSIONS_LIST, "children"),
    Output(ids.SETTINGS_SESSIONS_INFO, "children"),
    Input(ids.SETTINGS_INIT, "data"),
    Input(ids.SETTINGS_SESSIONS_VERSION, "data"),
)
def render_sessions(_init, _version_value):
    """The user's live sessions (this one marked) and whether two-factor authentication is on."""
    user_id = _user_id()
    services = current_services()
    with services.db.session() as db:
        items = user_sessions.listing(
            db, user_id, current_session_key(), user_sessions.Lifetimes.of(services.settings)
        )
        context = workspace_context(db, user_id, session.get("workspace_id"))
    tz = context.workspace.timezone if context is not None else "UTC"
    on = getattr(current_user, "totp_enabled_at", None) is not None
    info = html.Div(
        [
            f"Two-factor authentication is {'on' if on else 'off'}. ",
            html.A(
                "Manage two-factor authentication" if on else "Set it up",
                href="/two-factor",
                className="ms-1",
                **{"data-pb-external": "1"},
            ),
        ]
    )
    return sessions_list(items, tz or "UTC", datetime.now(UTC)), info


@callback(
    Output(ids.SETTINGS_SESSIONS_MESSAGE, "children"),
    Output(ids.SETTINGS_SESSIONS_VERSION, "data"),
    Input(ids.SETTINGS_SIGNOUT_OTHERS, "n_clicks"),
    State(ids.SETTINGS_SESSIONS_VERSION, "data"),
    prevent_initial_call=True,
)
def sign_out_elsewhere(n_clicks, version=None):
    """End every other session of the logged-in user; this browser keeps its session."""
    if not isinstance(n_clicks, int) or isinstance(n_clicks, bool) or n_clicks < 1:
        raise PreventUpdate
    user_id = _user_id()
    with current_services().db.session() as db:
        user = db.get(User, user_id)
        end_sessions(user, keep_key=current_session_key())
        audit.record(
            db, "sessions_ended", actor=user.email, user_id=user.id, detail="signed out everywhere else"
        )
        db.commit()
        # This browser: the same session row, workspace, CSRF token and log-in time, under the
        # new version (and a rewritten remember-me cookie, if it has one).
        renew_login(user)
    return message("Every other session has been signed out.", True), _version(version)


@callback(
    Output(ids.SETTINGS_SESSIONS_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SETTINGS_SESSIONS_VERSION, "data", allow_duplicate=True),
    Input(ids.session_revoke(ALL), "n_clicks"),
    State(ids.SETTINGS_SESSIONS_VERSION, "data"),
    prevent_initial_call=True,
)
def revoke_session(_clicks, version):
    """Sign out the one session whose button was clicked, if it is the caller's (audited)."""
    triggered = dash.ctx.triggered_id
    if not isinstance(triggered, dict) or not dash.ctx.triggered or not dash.ctx.triggered[0].get("value"):
        raise PreventUpdate  # a button that just appeared, not a click
    wanted = triggered.get("session")
    user_id = _user_id()
    key = current_session_key()
    with current_services().db.session() as db:
        user = db.get(User, user_id)
        if user_sessions.is_current(db, user_id, wanted, key):
            return message("That is this browser: use Log out to end it.", False), no_update
        revoked = user_sessions.revoke(db, user_id, wanted)
        if revoked is None:
            audit.record(
                db,
                "session_revoked",
                actor=user.email,
                user_id=user.id,
                outcome="denied",
                detail=f"no session {str(wanted)[:40]} among this user's sessions",
            )
            return message("That session has already ended.", False), _version(version)
        audit.record(
            db,
            "session_revoked",
            actor=user.email,
            user_id=user.id,
            detail=f"{revoked.device}, IP {revoked.ip or 'unknown'}, signed in {revoked.created_at:%Y-%m-%d %H:%M} UTC",
        )
    return message(f"Signed out {revoked.device} ({revoked.ip or 'unknown address'}).", True), _version(
        version
    )
