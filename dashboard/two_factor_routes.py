"""``/two-factor``: set up, confirm and turn off TOTP two-factor authentication (server-rendered).

A logged-in page that works without JavaScript; every POST carries ``csrf_token`` and an
``action`` (``start``, ``confirm``, ``disable``). Members of a workspace whose owners require
two-factor authentication are sent here by the guard until they have confirmed it
(:func:`gate`). The recovery codes are shown once, in the answer to ``confirm``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from dashboard import two_factor
from dashboard.accounts import workspace_context
from dashboard.auth import csrf_ok, csrf_token, membership_now
from dashboard.models import User, Workspace
from dashboard.services import current_services

bp = Blueprint("two_factor", __name__, template_folder="templates")

#: What a member who must still enrol may reach: this page, log-out, the workspace switcher.
GATE_OPEN = frozenset(
    {"two_factor.page", "auth.logout", "auth.logout_page", "auth.switch_workspace", "auth.login"}
)


def required_for(user_id: int, workspace_id) -> bool:
    """True when the session's workspace requires two-factor authentication."""
    if user_id == int(current_user.id) and workspace_id == session.get("workspace_id"):
        return membership_now()[1]  # the logged-in user's own question: read once per request
    with current_services().db.session() as db:
        ctx = workspace_context(db, user_id, workspace_id)
        if ctx is None:
            return False
        workspace = db.get(Workspace, ctx.workspace.id)
        return bool(workspace.require_two_factor)


def gate():
    """For the guard: None, or where to send a logged-in member who must enrol first."""
    if getattr(current_user, "totp_enabled_at", None) is not None or request.endpoint in GATE_OPEN:
        return None
    if not required_for(int(current_user.id), session.get("workspace_id")):
        return None
    if request.path.startswith(("/_", "/api/")) or request.is_json:
        return jsonify(error="two-factor authentication required", enrol=url_for("two_factor.page")), 403
    return redirect(url_for("two_factor.page"))


def _page(status: int = 200, **values):
    response = make_response(render_template("two_factor.html", csrf_token=csrf_token(), **values), status)
    response.headers["Cache-Control"] = "no-store"  # secrets and recovery codes: never cached
    return response


@bp.route("/two-factor", methods=["GET", "POST"])
def page():
    """Two-factor status and the set-up / confirm / turn-off forms of the logged-in user."""
    services = current_services()
    secret_key = services.settings.effective_secret_key
    error, codes, status = None, None, 200
    required = required_for(int(current_user.id), session.get("workspace_id"))
    with services.db.session() as db:
        user = db.get(User, int(current_user.id))
        if request.method == "POST":
            action = request.form.get("action", "")
            if not csrf_ok():
                error, status = "Your session expired. Please try again.", 400
            else:
                try:
                    if action == "start":
                        two_factor.start(db, user, secret_key)
                    elif action == "confirm":
                        codes = two_factor.confirm(db, user, request.form.get("otp", ""), secret_key)
                    elif action == "disable":
                        two_factor.disable(db, user, request.form.get("otp", ""), secret_key)
                    else:
                        error, status = "Unknown action.", 400
                except two_factor.TwoFactorError as exc:
                    error, status = f"{str(exc)[:1].upper()}{str(exc)[1:]}.", 400
        enabled = two_factor.is_enabled(user)
        pending = two_factor.pending_secret(user, secret_key)
        left = two_factor.recovery_codes_left(db, user) if enabled else 0
    return _page(
        status,
        title="Two-factor authentication",
        enabled=enabled,
        required=required,
        secret=pending[0] if pending else None,
        uri=pending[1] if pending else None,
        qr=two_factor.qr_svg(pending[1]) if pending else None,
        codes=codes,
        left=left,
        error=error,
    )
