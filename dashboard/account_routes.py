"""Server-rendered account pages a stranger can reach: accepting an invitation, password reset.

``/invite/<token>`` works without JavaScript: a form with ``name``, ``password``,
``password_confirm`` and ``csrf_token`` creates the invited person's account; someone who
already has an account logs in (``next`` brings them back) and confirms with one button.
Unusable links (unknown, expired, used, withdrawn) get a page that says which, never a 500.

``/reset`` (fields ``email``, ``csrf_token``) answers the same whether or not the address has
an account, and is throttled like the log-in; ``/reset/<token>`` (``password``,
``password_confirm``, ``csrf_token``) sets the new password and ends every session.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session
from flask_login import current_user

from dashboard import account_mail, password_reset
from dashboard.accounts import AccountError
from dashboard.auth import RESET_THROTTLE_KEY, csrf_ok, csrf_token, start_session
from dashboard.invitations import InvitationError, accept_existing, accept_new_user, open_invitation
from dashboard.services import current_services

bp = Blueprint("account", __name__, template_folder="templates")
log = logging.getLogger(__name__)

#: HTTP status of each kind of unusable link.
_STATUS = {"invalid": 404, "expired": 410, "used": 410, "other": 403}


def _page(template: str, status: int = 200, **values):
    response = make_response(render_template(template, csrf_token=csrf_token(), **values), status)
    # The token is in the URL: keep the page out of caches (and Referrer-Policy is same-origin).
    response.headers["Cache-Control"] = "no-store"
    return response


def _unusable(exc: InvitationError):
    return _page("account_message.html", _STATUS.get(exc.status, 400), title="Invitation", message=str(exc))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """Accept an invitation: set a name and password, or join with the logged-in account."""
    db_factory = current_services().db
    with db_factory.session() as db:
        try:
            opened = open_invitation(db, token)
        except InvitationError as exc:
            return _unusable(exc)
    logged_in = current_user.is_authenticated
    error = None
    if request.method == "POST":
        if not csrf_ok():
            error = "Your session expired. Please try again."
        else:
            try:
                with db_factory.session() as db:
                    if logged_in:
                        workspace_id = accept_existing(db, token, int(current_user.id))
                    else:
                        user = accept_new_user(
                            db,
                            token,
                            request.form.get("name", "")[:400],
                            request.form.get("password", "")[:2048],
                            request.form.get("password_confirm", "")[:2048],
                        )
                        workspace_id = opened.workspace_id
                        start_session(user)
                session["workspace_id"] = workspace_id
                return redirect("/")
            except InvitationError as exc:
                return _unusable(exc)
            except AccountError as exc:
                error = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    if logged_in:
        email = getattr(current_user, "email", "")
        if email != opened.email:
            return _unusable(
                InvitationError(
                    f"This invitation is for {opened.email}, and you are logged in as {email}: "
                    "log out, then open the link again.",
                    "other",
                )
            )
    return _page(
        "invite.html",
        400 if error else 200,
        invitation=opened,
        logged_in=logged_in,
        error=error,
        name=request.form.get("name", "")[:200] if request.method == "POST" else "",
        login_url=f"/login?next=/invite/{token}",
        action=f"/invite/{token}",
    )


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    """Ask for a password-reset link by email; the same answer whether or not the account exists."""
    if request.method == "GET":
        return _page("reset_request.html", title="Reset your password", error=None, sent=False, email="")
    email = request.form.get("email", "")[:320]
    if not csrf_ok():
        return _page(
            "reset_request.html",
            400,
            title="Reset your password",
            error="Your session expired. Please try again.",
            sent=False,
            email=email,
        )
    throttle = current_app.extensions[RESET_THROTTLE_KEY]
    account, ip = email.strip().lower(), request.remote_addr or "unknown"
    wait = throttle.wait_seconds(account, ip)
    if wait:
        minutes = max(1, round(wait / 60))
        error = f"Too many requests. Try again in {minutes} minute{'s' * (minutes != 1)}."
        return _page(
            "reset_request.html", 429, title="Reset your password", error=error, sent=False, email=email
        )
    throttle.failed(account, ip)  # every request counts: each one may send an email
    services = current_services()
    with services.db.session() as db:
        requested = password_reset.request_reset(db, email)
    if requested is not None:
        _send_reset(services.settings, requested)
    return _page("reset_request.html", title="Reset your password", error=None, sent=True, email="")


def _send_reset(settings, requested) -> None:
    """Email the link from a thread, so the page answers as fast for an unknown address."""
    if not settings.public_url:
        # The request's Host header is the client's to choose: a link built on it could send
        # the token to an attacker's site. Without a configured address, no email.
        log.warning("password reset for an account not emailed: set PULSEBOARD_PUBLIC_URL")
        return
    link = f"{account_mail.base_url(settings)}/reset/{requested.token}"
    message = account_mail.build(
        settings,
        requested.email,
        "Reset your Pulseboard password",
        [
            "Someone (we hope you) asked to reset the password of your Pulseboard account.",
            "The link works once, for one hour. If you did not ask, ignore this email: "
            "your password stays as it is.",
        ],
        link,
        "Set a new password",
    )
    threading.Thread(target=account_mail.send, args=(settings, message), daemon=True).start()


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Set a new password through a reset link; every session of the account ends."""
    db_factory = current_services().db
    with db_factory.session() as db:
        try:
            email = password_reset.open_reset(db, token)
        except password_reset.LinkError as exc:
            return _page(
                "account_message.html", _STATUS.get(exc.status, 400), title="Password reset", message=str(exc)
            )
    error = None
    if request.method == "POST":
        if not csrf_ok():
            error = "Your session expired. Please try again."
        else:
            try:
                with db_factory.session() as db:
                    password_reset.reset_password(
                        db,
                        token,
                        request.form.get("password", "")[:2048],
                        request.form.get("password_confirm", "")[:2048],
                    )
            except password_reset.LinkError as exc:
                return _page(
                    "account_message.html",
                    _STATUS.get(exc.status, 400),
                    title="Password reset",
                    message=str(exc),
                )
            except AccountError as exc:
                error = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
            else:
                if current_user.is_authenticated:
                    session.clear()  # this browser's session ended with the others
                return _page(
                    "account_message.html",
                    title="Password changed",
                    ok=True,
                    message="Your password is changed and every session of your account has ended. "
                    "Log in with the new password.",
                )
    return _page(
        "reset.html",
        400 if error else 200,
        title="Set a new password",
        email=email,
        error=error,
        action=f"/reset/{token}",
    )
