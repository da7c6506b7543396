"""The read-only REST API under ``/api/v1`` (personal API tokens, rate-limited, OpenAPI).

``install(server)`` registers the blueprint and its rate limiter. Every route authenticates
``Authorization: Bearer <token>`` itself (the browser-session guard in dashboard.auth leaves
this blueprint to it) and answers JSON only, errors included.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter

from dashboard.api.routes import bp, rate_limit_key

LIMITER_KEY = "pulseboard.api_limiter"


def install(server: Flask) -> None:
    """Register ``/api/v1`` on ``server`` with the per-token rate limit from the settings."""
    settings = server.extensions["pulseboard"].settings
    limiter = Limiter(
        key_func=rate_limit_key,
        app=server,
        storage_uri=settings.redis_url or "memory://",
        headers_enabled=True,  # X-RateLimit-* and Retry-After tell scripts when to come back
        strategy="moving-window",
    )
    limiter.limit(settings.api_rate_limit)(bp)
    server.extensions[LIMITER_KEY] = limiter
    server.register_blueprint(bp)
