"""``/healthz``, ``/readyz`` and ``/metrics``: what load balancers, orchestrators and Prometheus ask.

``/healthz`` and ``/readyz`` are public (dashboard.auth.PUBLIC_PATHS) and say nothing about any
workspace. ``/metrics`` has its own bearer token (``PULSEBOARD_METRICS_TOKEN``) rather than a
log-in: without a configured token it does not exist (404), with a wrong or missing one it
answers 401. The token is compared in constant time.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from dashboard.ops import metrics
from dashboard.ops.readiness import readiness
from dashboard.services import current_services

bp = Blueprint("ops", __name__)
#: the endpoint the log-in guard lets through: it checks its own token
METRICS_ENDPOINT = "ops.metrics"


@bp.route("/healthz")
def healthz():
    """The process is up and answering (touches no store)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """200 when the app DB, the warehouse and Redis (if configured) answer; 503 naming what does not."""
    ready, body = readiness(current_services())
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics", endpoint="metrics")
def metrics_page():
    """This process's metrics in Prometheus text format, for the holder of the metrics token."""
    expected = current_services().settings.metrics_token
    if not expected:
        return jsonify(error="not found"), 404
    if not token_matches(request.headers.get("Authorization", ""), expected):
        response = jsonify(error="a valid metrics token is required (Authorization: Bearer <token>)")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="pulseboard-metrics"'
        return response
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def token_matches(header: str, expected: str) -> bool:
    """True when ``header`` is ``Bearer <expected>``; the comparison takes the same time either way."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        given = ""
    return hmac.compare_digest(given.strip().encode(), expected.encode())
