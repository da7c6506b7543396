"""Log-in, log-out and the one guard that protects every route.

``/login`` is a server-rendered form that works without JavaScript (fields ``email``,
``password`` and a hidden ``csrf_token``). Every other route, including Dash's
``/_dash-layout``, ``/_dash-dependencies`` and ``/_dash-update-component``, needs a logged-in
user: the guard in :func:`install` answers 401 (JSON routes) or redirects to the login page.
Callbacks that act re-check the role themselves with :func:`require_role`.

Sessions are revocable: flask-login stores ``"<user id>:<session version>:<session key>"`` in
the session and the remember-me cookie (see ``User.get_id``). Log-out, a password change or
removal from a workspace bump the version, so every older session of that user, in every
browser, stops working at its next request; the key names the browser's row in
``user_sessions`` (:mod:`dashboard.user_sessions`), and a cookie whose row was revoked on
Settings logs nobody in. Sessions also end after ``session_idle_minutes`` without a request
and ``session_max_hours`` after log-in.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import object_session

from components.formatting import set_number_locale
from dashboard import audit, two_factor, user_sessions
from dashboard.accounts import (
    AccountError,
    WorkspaceContext,
    authenticate,
    context_and_policy,
    end_sessions,
    memberships_of,
    normalise_email,
    workspace_context,
)
from dashboard.dash_guard import check_update_request
from dashboard.models import Role, User
from dashboard.ops.routes import METRICS_ENDPOINT
from dashboard.services import current_services
from dashboard.throttle import API_THROTTLE_KEY, LoginThrottle

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()

#: Routes anyone may reach. Dash's asset files are public too (see ``PUBLIC_ENDPOINTS``) so
#: the login page is styled — but only real files: any other ``/assets/...`` path falls through
#: to Dash's catch-all page route, which must stay behind the log-in.
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/readyz", "/_favicon.ico", "/favicon.ico"})
#: The account pages a stranger must reach: accepting an invitation (and password reset).
PUBLIC_ENDPOINTS = frozenset(
    {"_dash_assets.static", "account.invite", "account.reset_request", "account.reset"}
)
PUBLIC_PREFIXES = ("/assets/",)  # kept for code that imports it; the guard checks the endpoint
CSRF_SESSION_KEY = "_csrf_token"
LOGIN_AT_KEY = "_login_at"
SEEN_AT_KEY = "_seen_at"
#: Anonymous requests may carry a log-in form, nothing bigger: a stranger's 300 MB POST is
#: refused from its Content-Length before a byte of the body is read.
ANONYMOUS_MAX_BODY = 64 * 1024
THROTTLE_KEY = "pulseboard.login_throttle"
RESET_THROTTLE_KEY = "pulseboard.reset_throttle"
REMEMBERED_KEY = "_pb_remembered"
API_BLUEPRINT = "api_v1"


class PermissionDenied(PermissionError):
    """The user's role does not allow this action in this workspace."""


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    user_id, _, rest = str(token).partition(":")
    version, _, key = rest.partition(":")
    try:
        user_id_int, version_int = int(user_id), int(version or 0)
    except ValueError:
        return None
    services = current_services()
    with services.db.session() as db:
        found = user_sessions.find(db, user_id_int, key)  # no row: revoked, or a pre-0008 cookie
        if found is None:
            return None
        user, row = found
        if not user.active or (user.session_version or 0) != version_int:
            return None  # deactivated, or a session ended by log-out/password change
        if not user_sessions.Lifetimes.of(services.settings).alive(row, datetime.now(UTC)):
            return None  # past its absolute (or idle) lifetime, whatever the cookie says
        user.session_key = key
        return user


def install(server: Flask) -> None:
    """Attach flask-login, the auth routes, the login throttle and the global guard to ``server``."""
    from dashboard.throttle import storage_for

    settings = server.extensions["pulseboard"].settings
    login_manager.init_app(server)
    storage = storage_for(settings.redis_url)
    server.extensions[THROTTLE_KEY] = LoginThrottle(
        storage, settings.login_limit_account, settings.login_limit_ip
    )
    # Reset requests get the log-in limits with their own counts: every request counts.
    server.extensions[RESET_THROTTLE_KEY] = LoginThrottle(
        storage, settings.login_limit_account, settings.login_limit_ip, namespace="reset"
    )
    # API requests with a wrong token: the log-in's per-address limit, with their own counts
    # (a script stuck on a revoked token must not lock its office out of the log-in page).
    server.extensions[API_THROTTLE_KEY] = LoginThrottle(
        storage, settings.login_limit_account, settings.login_limit_ip, namespace="api"
    )
    server.register_blueprint(bp)
    from dashboard.account_routes import bp as account_bp  # imports this module: not at the top

    server.register_blueprint(account_bp)
    from dashboard.two_factor_routes import bp as two_factor_bp

    server.register_blueprint(two_factor_bp)
    # Each request starts in en-US numbers: a pooled server thread must not carry the number
    # locale of the last workspace it served into a request that never resolves one.
    server.before_request(_default_numbers)
    server.teardown_request(_default_numbers)
    server.before_request(_guard)
    server.before_request(check_update_request)  # after the guard: strangers get 401, not 400


def _default_numbers(_exc=None) -> None:
    set_number_locale(None)


def _is_public() -> bool:
    return request.path in PUBLIC_PATHS or request.endpoint in PUBLIC_ENDPOINTS


def _guard():
    if not current_user.is_authenticated:
        length = request.content_length or 0
        if length > ANONYMOUS_MAX_BODY and request.endpoint != "control.run_cli":
            return jsonify(error="request body too large"), 413
    if _is_public():
        return None
    if request.endpoint in ("control.run_cli", METRICS_ENDPOINT):  # each has its own token check
        return None
    if request.blueprint == API_BLUEPRINT:  # token-authenticated: dashboard.api checks every call
        return None
    if current_user.is_authenticated and _session_alive():
        from dashboard.two_factor_routes import gate  # imports this module: not at the top

        return gate()  # None, unless the workspace requires two-factor and this user has none
    if request.path.startswith(("/_", "/api/")) or request.is_json:  # Dash internals, API: no redirect
        return jsonify(error="authentication required", login=url_for("auth.login")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _session_alive() -> bool:
    """Enforce idle and absolute expiry; False (and logged out) when the session is too old."""
    settings = current_services().settings
    now = time.time()
    login_at = session.get(LOGIN_AT_KEY)
    if login_at is None:
        # A session restored from a remember-me cookie: its clock starts now; the cookie itself
        # was set at log-in and expires session_max_hours later (REMEMBER_COOKIE_DURATION), as
        # does its session row (checked by the user loader).
        session[LOGIN_AT_KEY] = login_at = now
        session[REMEMBERED_KEY] = True
        session[SEEN_AT_KEY] = now
        _touch_session_row()
    seen_at = session.get(SEEN_AT_KEY, now)
    idle = settings.session_idle_minutes * 60
    # "Remember me" asks to stay logged in on this device: no idle limit, only the absolute one.
    too_idle = idle and not session.get(REMEMBERED_KEY) and now - seen_at > idle
    if too_idle or now - login_at > settings.session_max_hours * 3600:
        with current_services().db.session() as db:
            user_sessions.end(db, getattr(current_user, "session_key", None))
        logout_user()
        for key in (LOGIN_AT_KEY, SEEN_AT_KEY, REMEMBERED_KEY):
            session.pop(key, None)
        return False
    if now - seen_at > user_sessions.TOUCH_EVERY.total_seconds():
        # At most once a minute: fewer session cookie rewrites and session-row writes.
        session[SEEN_AT_KEY] = now
        _touch_session_row()
    return True


def _touch_session_row() -> None:
    key = getattr(current_user, "session_key", None)
    if key:
        with current_services().db.session() as db:
            user_sessions.touch(db, key, ip=request.remote_addr, user_agent=request.user_agent.string)


def csrf_token() -> str:
    """The session's CSRF token, created on first use ("" outside a request)."""
    if not has_request_context():
        return ""
    token = session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def _csrf_ok() -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    given = request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected, given)


def csrf_ok() -> bool:
    """True when the posted form's ``csrf_token`` is this session's token."""
    return _csrf_ok()


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session (no fixation), with the idle/absolute clocks started.

    Records the session (device, address, times) so that it shows in the user's session list
    and can be revoked on its own; ``user`` must belong to an open app-DB session, whose
    commit makes the row (and so the log-in) valid.
    """
    session.clear()
    services = current_services()
    user.session_key = user_sessions.create(
        object_session(user),
        user.id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        remembered=remember,
        lifetimes=user_sessions.Lifetimes.of(services.settings),
    )
    login_user(user, remember=remember)
    session[LOGIN_AT_KEY] = session[SEEN_AT_KEY] = time.time()
    session[REMEMBERED_KEY] = remember


def renew_login(user: User) -> None:
    """Log this browser in again as ``user`` after its session version changed.

    Keeps this browser's session row (and its key, log-in time, workspace and CSRF token) and
    rewrites its remember-me cookie, if it has one, under the new version.
    """
    user.session_key = getattr(current_user, "session_key", None)
    login_user(user, remember=bool(session.get(REMEMBERED_KEY)))


def current_session_key() -> str | None:
    """The key of this browser's session row (None outside a logged-in request)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return getattr(current_user, "session_key", None)


def _throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE_KEY]


def _account_key(email: str) -> str:
    try:
        return normalise_email(email)
    except AccountError:
        return (email or "").strip().lower()[:320]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The log-in form; on success, redirect to ``next`` (same-site paths only) or the overview."""
    next_url = _safe_next(request.values.get("next"))
    error = None
    status = 200
    email = ""
    show_otp = False
    if request.method == "POST":
        email = request.form.get("email", "")[:320]
        if not _csrf_ok():
            error, status = "Your session expired. Please try again.", 400
        else:
            error, status = _attempt_login(email, request.form.get("password", ""), request.form.get("otp"))
            if error is None:
                return redirect(next_url)
            show_otp = status == OTP_NEEDED or bool(request.form.get("otp"))
            status = 401 if status == OTP_NEEDED else status
    return render_template(
        "login.html", error=error, email=email, next=next_url, csrf_token=csrf_token(), show_otp=show_otp
    ), status


#: _attempt_login's status when the password was right and the two-factor code is missing.
OTP_NEEDED = 299


def _attempt_login(email: str, password: str, otp: str | None = None) -> tuple[str | None, int]:
    """Check the throttle, the password, then the two-factor code; (None, 200) when logged in."""
    account, ip = _account_key(email), request.remote_addr or "unknown"
    throttle = _throttle()
    with current_services().db.session() as db:
        wait = throttle.wait_seconds(account, ip)
        if wait:
            # The right password does not help now: a guesser must not learn it was right.
            target = db.scalar(select(User.id).where(User.email == account))
            audit.record(
                db,
                "login_locked",
                actor=account,
                user_id=target,
                outcome="denied",
                detail=f"retry in {wait}s",
            )
            minutes = max(1, round(wait / 60))
            return f"Too many failed attempts. Try again in {minutes} minute{'s' * (minutes != 1)}.", 429
        user = authenticate(db, email, password[:1024])
        if user is None:
            throttle.failed(account, ip)
            # Tied to the account when it exists, so its owners see attacks on their members.
            target = db.scalar(select(User.id).where(User.email == account))
            audit.record(db, "login_failed", actor=account, user_id=target, outcome="failed")
            return "Wrong email or password.", 401
        if two_factor.is_enabled(user):
            if not otp:
                db.rollback()  # not logged in yet: no last-login update
                return "Enter the code from your authenticator app (or a recovery code).", OTP_NEEDED
            if (
                two_factor.verify(db, user, otp[:64], current_services().settings.effective_secret_key)
                is None
            ):
                db.rollback()
                throttle.failed(account, ip)  # six digits are guessable: codes count like passwords
                audit.record(
                    db, "login_failed", actor=account, user_id=user.id, outcome="failed", detail="wrong code"
                )
                return "Wrong code. Type the 6 digits your app shows now, or a recovery code.", 401
        throttle.succeeded(account)
        start_session(user, remember=bool(request.form.get("remember")))  # a fresh session: no fixation
        audit.record(db, "login", actor=user.email, user_id=user.id)
    return None, 200


@bp.route("/logout", methods=["POST"])
def logout():
    """End every session of this user (all browsers, remember-me included), then show the log-in page.

    POST with the CSRF token only: a GET would let any page log a user out with an <img> tag.
    """
    if not _csrf_ok():
        abort(400, "missing or wrong CSRF token")
    if current_user.is_authenticated:
        with current_services().db.session() as db:
            user = db.get(User, current_user.id)
            if user is not None:
                end_sessions(user)
                audit.record(db, "logout", actor=user.email, user_id=user.id)
    # Clear first, then log out: logout_user() leaves the marker that deletes the remember-me
    # cookie in the (new, empty) session; clearing after it would lose the marker.
    session.clear()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/logout", methods=["GET"], endpoint="logout_page")
def logout_page():
    """A no-JavaScript confirmation form for old links and bookmarks to /logout."""
    return render_template("logout.html", csrf_token=csrf_token())


@bp.route("/workspace", methods=["POST"])
def switch_workspace():
    """Make another of the user's workspaces the current one (POST with the CSRF token)."""
    if not current_user.is_authenticated:
        abort(401)
    if not _csrf_ok():
        abort(400, "missing or wrong CSRF token")
    try:
        wanted = int(request.form.get("workspace", ""))
    except ValueError:
        abort(400, "workspace must be a workspace id")
    with current_services().db.session() as db:
        member_of = {w.id for _, w in memberships_of(db, int(current_user.id))}
    if wanted not in member_of:
        abort(403)  # not a member: the session keeps its workspace
    session["workspace_id"] = wanted
    return redirect(_safe_next(request.form.get("next")))


def workspace_choices() -> list[tuple[int, str, bool]]:
    """(id, name, is current) of the logged-in user's workspaces, for the navbar switcher."""
    if not has_request_context() or not current_user.is_authenticated:
        return []
    with current_services().db.session() as db:
        rows = memberships_of(db, int(current_user.id))
        current = workspace_context(db, int(current_user.id), session.get("workspace_id"))
    return [(w.id, w.name or w.slug, current is not None and w.id == current.workspace.id) for _, w in rows]


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    # Only same-site relative paths: never bounce a user to another host after log-in.
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:  # browsers read /\evil.com as //evil.com
        return "/"
    return target


def membership_now() -> tuple[WorkspaceContext | None, bool]:
    """(context, workspace requires two-factor) of the logged-in user, read once per request.

    The guard's two-factor gate and every callback's :func:`current_context` ask the same
    question; one app-DB read per request answers both (they were ~30% of the CPU of a cached
    dashboard request). Kept in ``flask.g``, so a later request always reads again, and keyed by
    user and workspace, so a request that switches workspace reads the new one.
    """
    user_id, workspace_id = int(current_user.id), session.get("workspace_id")
    key = (user_id, workspace_id)
    memo = g.get("_pb_membership")
    if memo is not None and memo[0] == key:
        return memo[1]
    with current_services().db.read() as connection:
        ctx, requires_two_factor = context_and_policy(connection, user_id, workspace_id)
    g._pb_membership = (key, (ctx, requires_two_factor))
    return ctx, requires_two_factor


def current_context() -> WorkspaceContext:
    """The logged-in user's workspace and role; 401 if nobody is logged in, 403 without membership.

    The workspace's number locale becomes this request's (every callback that shows a number
    resolves its workspace here first), so the formatters write its numbers.
    """
    if not current_user.is_authenticated:
        abort(401)
    ctx, _ = membership_now()
    if ctx is None:
        abort(403)
    set_number_locale(ctx.workspace.locale)
    return ctx


def require_role(role: Role) -> WorkspaceContext:
    """The current context if the user's role is at least ``role``; else PermissionDenied."""
    ctx = current_context()
    if not ctx.can(role):
        raise PermissionDenied(f"this needs the {role.value} role; you are {ctx.role.value}")
    return ctx
