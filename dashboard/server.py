"""The Flask server factory: ``create_server(settings)`` builds the WSGI app Dash runs on."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from dashboard import auth, control, oauth
from dashboard.services import EXTENSION_KEY, Services
from dashboard.settings import Settings

#: Headers on every response. Everything is served from the app itself, so the CSP can be
#: strict about origins; Dash needs inline styles and eval-free scripts from 'self'.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'; font-src 'self' data:; frame-ancestors 'none'"
    ),
}


def create_server(settings: Settings | None = None) -> Flask:
    """Build the Flask app: config, app DB (migrated), auth guard, control endpoint."""
    settings = settings or Settings()
    server = Flask("pulseboard", root_path=str(settings.data_path))
    server.config.update(
        SECRET_KEY=settings.effective_secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        MAX_CONTENT_LENGTH=512 * 1024 * 1024,
    )
    services = Services(settings)
    services.db.upgrade()
    server.extensions[EXTENSION_KEY] = services
    auth.install(server)
    control.install(server)
    oauth.install(server)

    @server.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return server
