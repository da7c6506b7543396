"""Connect a Google account to the Google Ads or GA4 connector through Google's consent screen.

The owner first saves the OAuth client ID and secret of their own Google Cloud OAuth client (a
self-hosted app has no shared client), with ``<this site>/oauth/google/callback`` registered as
an authorised redirect URI. "Connect Google account" then:

1. ``GET /oauth/google/start/<source>`` (owners only) remembers a random ``state`` in the
   session and redirects to Google's consent screen asking for offline access to one scope;
2. Google redirects back to ``GET /oauth/google/callback?code=…&state=…``; the state must match
   the session's (so nobody can attach their Google account to another user's workspace), the
   code is exchanged at the token endpoint for a refresh token, and the refresh token is stored
   encrypted with the connection's other credentials. The browser never sees a token.

Either way the user lands back on ``/sources`` with a message in the query string.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from urllib.parse import urlencode

import httpx
from flask import Blueprint, Flask, abort, redirect, request, session, url_for

from dashboard.auth import current_context, current_services
from dashboard.connections import (
    BASE_URL_KEY,
    ConnectionSetupError,
    get_connection,
    save_connection,
    stored_credentials,
)
from dashboard.models import Role

log = logging.getLogger("pulseboard.oauth")

#: the read-only scope each Google connector asks for
SCOPES = {
    "google_ads": "https://www.googleapis.com/auth/adwords",
    "ga4": "https://www.googleapis.com/auth/analytics.readonly",
}
AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
#: a consent screen left open longer than this must be started again
STATE_SECONDS = 15 * 60
SESSION_KEY = "google_oauth"

blueprint = Blueprint("google_oauth", __name__)


def install(server: Flask) -> None:
    """Register the two routes (the login guard already covers them)."""
    server.register_blueprint(blueprint)


def callback_url() -> str:
    """The redirect URI to register in Google Cloud for this site."""
    return url_for("google_oauth.callback", _external=True)


@blueprint.get("/oauth/google/start/<source>")
def start(source: str):
    """Send an owner to Google's consent screen for ``source``."""
    if source not in SCOPES:
        abort(404)
    context = current_context()
    if not context.can(Role.OWNER):
        abort(403)
    services = current_services()
    if get_connection(services, context.workspace.id, source) is None:
        return _back(source, error="save the OAuth client ID and client secret first")
    credentials = stored_credentials(services, context.workspace.id, source)
    if not credentials.get("client_id") or not credentials.get("client_secret"):
        return _back(source, error="save the OAuth client ID and client secret first")
    state = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {
        "state": state,
        "source": source,
        "workspace_id": context.workspace.id,
        "user_id": context.user_id,
        "expires": time.time() + STATE_SECONDS,
    }
    params = {
        "client_id": credentials["client_id"],
        "redirect_uri": callback_url(),
        "response_type": "code",
        "scope": SCOPES[source],
        "access_type": "offline",  # ask for a refresh token ...
        "prompt": "consent",  # ... every time, or Google omits it on a second connection
        "include_granted_scopes": "true",
        "state": state,
    }
    return redirect(f"{_endpoint(credentials, 'auth')}?{urlencode(params)}")


@blueprint.get("/oauth/google/callback")
def callback():
    """Finish the consent: check the state, trade the code for a refresh token, store it."""
    pending = session.pop(SESSION_KEY, None)
    context = current_context()
    given = request.args.get("state", "")
    if (
        not isinstance(pending, dict)
        or not hmac.compare_digest(str(pending.get("state", "")), given)
        or pending.get("expires", 0) < time.time()
        or pending.get("workspace_id") != context.workspace.id
        or pending.get("user_id") != context.user_id
    ):
        return _back(None, error="the Google sign-in could not be matched to this session; start it again")
    source = pending["source"]
    if not context.can(Role.OWNER):
        abort(403)
    if request.args.get("error"):
        return _back(source, error=f"Google said: {request.args['error'][:100]}")
    code = request.args.get("code")
    if not code:
        return _back(source, error="Google sent no authorisation code")
    services = current_services()
    credentials = stored_credentials(services, context.workspace.id, source)
    try:
        refresh_token = _exchange(credentials, code)
        save_connection(services, context, source, {"refresh_token": refresh_token})
    except (ConnectionSetupError, httpx.HTTPError) as exc:
        log.warning("Google OAuth for %s failed: %s", source, type(exc).__name__)
        return _back(
            source, error=str(exc) if isinstance(exc, ConnectionSetupError) else "Google did not answer"
        )
    log.info("Google account connected for %s in workspace %s", source, context.workspace.slug)
    return _back(source)


def _exchange(credentials: dict[str, str], code: str) -> str:
    """POST the authorization code to the token endpoint; the refresh token or ConnectionSetupError."""
    response = httpx.post(
        _endpoint(credentials, "token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": credentials.get("client_id", ""),
            "client_secret": credentials.get("client_secret", ""),
            "redirect_uri": callback_url(),
        },
        timeout=20.0,
    )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise ConnectionSetupError(f"Google refused the sign-in: {reason}")
    token = body.get("refresh_token")
    if not token:
        raise ConnectionSetupError(
            "Google gave no refresh token: remove Pulseboard's access in your Google account settings "
            "and connect again"
        )
    return token


def _endpoint(credentials: dict[str, str], kind: str) -> str:
    """Google's auth/token URL, or the connection's API address in tests and private deployments."""
    base = credentials.get(BASE_URL_KEY)
    if base:
        return f"{base}/{kind}"
    return AUTH_URL if kind == "auth" else TOKEN_URL


def _back(source: str | None, *, error: str | None = None):
    query = {"oauth_error": error} if error else {"connected": source}
    if error and source:
        query["source"] = source
    return redirect(f"/sources?{urlencode(query)}")
