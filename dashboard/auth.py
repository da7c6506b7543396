"""Log-in, log-out and the one guard that protects every route.

``/login`` is a server-rendered form that works without JavaScript (fields ``email``,
``password`` and a hidden ``csrf_token``). Every other route, including Dash's
``/_dash-layout``, ``/_dash-dependencies`` and ``/_dash-update-component``, needs a logged-in
user: the guard in :func:`install` answers 401 (JSON routes) or redirects to the login page.
Callbacks that act re-check the role themselves with :func:`require_role`.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlparse

from flask import Blueprint, Flask, abort, jsonify, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboard.accounts import WorkspaceContext, authenticate, workspace_context
from dashboard.models import Role, User
from dashboard.services import current_services

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()

#: Routes anyone may reach. Static assets are public so the login page is styled.
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/_favicon.ico", "/favicon.ico"})
PUBLIC_PREFIXES = ("/assets/",)
CSRF_SESSION_KEY = "_csrf_token"


class PermissionDenied(PermissionError):
    """The user's role does not allow this action in this workspace."""


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    with current_services().db.session() as db:
        user = db.get(User, int(user_id))
        return user if user is not None and user.active else None


def install(server: Flask) -> None:
    """Attach flask-login, the auth routes and the global guard to ``server``."""
    login_manager.init_app(server)
    server.register_blueprint(bp)
    server.before_request(_guard)
    server.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})


def _guard():
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    if request.endpoint == "control.run_cli":  # has its own token check
        return None
    if current_user.is_authenticated:
        return None
    if path.startswith(("/_", "/api/")) or request.is_json:  # Dash internals and APIs: no redirect
        return jsonify(error="authentication required", login=url_for("auth.login")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def _csrf_ok() -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    given = request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected, given)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The log-in form; on success, redirect to ``next`` (same-site paths only) or the overview."""
    next_url = _safe_next(request.values.get("next"))
    error = None
    status = 200
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        if not _csrf_ok():
            error, status = "Your session expired. Please try again.", 400
        else:
            with current_services().db.session() as db:
                user = authenticate(db, email, request.form.get("password", ""))
                if user is not None:
                    session.clear()  # a fresh session on log-in (no fixation)
                    login_user(user, remember=bool(request.form.get("remember")))
                    return redirect(next_url)
            error, status = "Wrong email or password.", 401
    return render_template(
        "login.html", error=error, email=email, next=next_url, csrf_token=csrf_token()
    ), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """End the session and go back to the log-in page."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    # Only same-site relative paths: never bounce a user to another host after log-in.
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def current_context() -> WorkspaceContext:
    """The logged-in user's workspace and role; 401 if nobody is logged in, 403 without membership."""
    if not current_user.is_authenticated:
        abort(401)
    with current_services().db.session() as db:
        ctx = workspace_context(db, int(current_user.get_id()), session.get("workspace_id"))
    if ctx is None:
        abort(403)
    return ctx


def require_role(role: Role) -> WorkspaceContext:
    """The current context if the user's role is at least ``role``; else PermissionDenied."""
    ctx = current_context()
    if not ctx.can(role):
        raise PermissionDenied(f"this needs the {role.value} role; you are {ctx.role.value}")
    return ctx
