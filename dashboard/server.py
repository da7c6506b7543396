"""The Flask server factory: ``create_server(settings)`` builds the WSGI app Dash runs on."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, jsonify, request

from dashboard import api, auth, control, jobs, oauth, ops, privacy_routes, report_routes
from dashboard.hardening import prepare_data_dir
from dashboard.services import EXTENSION_KEY, Services
from dashboard.settings import Settings

#: Headers on every response. Everything is served from the app itself, so the CSP allows
#: only this origin. Scripts: files from 'self' plus the inline scripts Dash writes into its
#: page (the renderer start-up and inline clientside callbacks), allowed by their hashes
#: (``SCRIPT_HASHES_KEY``, set by app.py from ``app.csp_hashes()``) rather than by
#: 'unsafe-inline'. No 'unsafe-eval': nothing the pages run builds code from strings (the slim
#: plotly.js has no Function constructor; dash-ag-grid reads the grids' {"function": ...}
#: formatters with its own parser; the webpack and polyfill fallbacks that would call Function
#: run only where globalThis or Reflect is missing). React sets inline styles.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
SCRIPT_HASHES_KEY = "PULSEBOARD_SCRIPT_HASHES"


def content_security_policy(script_hashes=()) -> str:
    """The CSP header value, allowing inline scripts only by hash."""
    # Without hashes, inline scripts need 'unsafe-inline' (with hashes browsers ignore it).
    scripts = " ".join(["'self'", *(script_hashes or ["'unsafe-inline'"])])
    return (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        f"script-src {scripts}; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def create_server(settings: Settings | None = None) -> Flask:
    """Build the Flask app: config, app DB (migrated), auth guard, control endpoint."""
    settings = settings or Settings()
    prepare_data_dir(settings)
    # No Flask static route: Dash serves /assets itself, and nothing else is public.
    server = Flask("pulseboard", root_path=str(settings.data_path), static_folder=None)
    server.config.update(
        SECRET_KEY=settings.effective_secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_DURATION=timedelta(hours=settings.session_max_hours),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        # Flask refuses larger bodies with 413 before reading them; `pulseboard serve` gives
        # waitress the same cap so it never buffers more either.
        MAX_CONTENT_LENGTH=settings.max_request_mb * 1024 * 1024,
    )
    services = Services(settings)
    services.db.upgrade()
    jobs.use_queue(settings)  # threads of this process, or Celery workers (PULSEBOARD_JOB_QUEUE)
    server.extensions[EXTENSION_KEY] = services
    ops.install(server)  # first: its request-id and timing hooks see every request, refused ones too
    auth.install(server)
    api.install(server)
    control.install(server)
    oauth.install(server)
    report_routes.install(server)
    privacy_routes.install(server)

    @server.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(_script_hashes(server))
        )
        if request.is_secure or settings.session_cookie_secure:
            # Only behind HTTPS: HSTS on plain HTTP would be ignored, or lock out a test install.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @server.errorhandler(413)
    def _too_large(_error):
        limit = settings.max_request_mb
        return jsonify(error=f"request body too large (the limit is {limit} MB)"), 413

    return server


def _script_hashes(server: Flask) -> list[str]:
    """The inline scripts' CSP hashes app.py registered (a list, or a function giving one)."""
    hashes = server.config.get(SCRIPT_HASHES_KEY, ())
    return list(hashes() if callable(hashes) else hashes)
