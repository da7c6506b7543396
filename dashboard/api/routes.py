"""``/api/v1`` routes: the metric catalogue, one metric, and the OpenAPI document.

The JSON of a metric is exactly what ``pulseboard metric --json`` prints (both come from
:func:`dashboard.metric_json.metric_payload`). The workspace comes from the token, never from
a parameter: there is no way to name another workspace in a request.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from dashboard import audit
from dashboard.api.openapi import openapi_document
from dashboard.api.tokens import API_ROLE, TwoFactorMissing, context_for_token
from dashboard.filters import today_in
from dashboard.metric_json import catalogue_payload, metric_payload
from dashboard.queries import metric_frame
from dashboard.services import current_services
from dashboard.throttle import API_THROTTLE_KEY
from data.metrics import GRAINS, MetricError
from data.warehouse import WarehouseError

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

#: Days a metric request covers when it names no dates.
DEFAULT_DAYS = 30
PARAMS = ("from", "to", "grain", "by", "compare")


def rate_limit_key() -> str:
    """Rate-limit bucket: the token (hashed), or the client address for requests without one."""
    token = _bearer()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-ip:" + (request.remote_addr or "unknown")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _error(status: int, message: str, **extra):
    response = jsonify(error=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pulseboard"'
    return response


@bp.before_request
def _authenticate():
    """Resolve the token to a workspace context (g.api_ctx), or answer 401/403/429.

    Wrong tokens count like wrong passwords: past the log-in's per-address limit
    (``PULSEBOARD_LOGIN_LIMIT_IP``) an address gets 429 until the window has passed, right
    token or not, so nobody can guess tokens by varying them (each guess would otherwise be
    a fresh bucket of the per-token rate limit).
    """
    token = _bearer()
    if token is None:
        return _error(401, "authentication required: send Authorization: Bearer <API token>")
    throttle, ip = current_app.extensions[API_THROTTLE_KEY], request.remote_addr or "unknown"
    wait = throttle.wait_seconds(None, ip)
    if wait:
        response = _error(429, f"too many requests with invalid API tokens; retry in {wait} seconds")
        response.headers["Retry-After"] = str(wait)
        return response
    with current_services().db.session() as db:
        try:
            ctx = context_for_token(db, token)
        except TwoFactorMissing as exc:
            audit.record(
                db,
                "api_request_denied",
                actor=exc.email,
                user_id=exc.user_id,
                workspace_id=exc.workspace_id,
                outcome="denied",
                detail=f"two-factor required: {request.path[:200]}",
            )
            return _error(403, str(exc), enrol="/two-factor")
        if ctx is not None and not ctx.can(API_ROLE):
            audit.record(
                db,
                "api_request_denied",
                actor=str(ctx.user_id),
                user_id=ctx.user_id,
                workspace_id=ctx.workspace.id,
                outcome="denied",
                detail=request.path[:200],
            )
        if ctx is None:
            throttle.failed(None, ip)
            audit.record(
                db,
                "api_request_denied",
                actor="(API token)",
                outcome="failed",
                detail=f"invalid token: {request.path[:200]}",
            )
    if ctx is None:
        return _error(401, "invalid or revoked API token")
    if not ctx.can(API_ROLE):
        return _error(403, f"the API needs the {API_ROLE.value} role; the token's owner is {ctx.role.value}")
    g.api_ctx = ctx
    return None


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error(exc.code or 500, exc.description or exc.name)


@bp.get("/metrics")
def metrics():
    """The metric catalogue (as ``pulseboard metrics --json``)."""
    return jsonify(catalogue_payload())


@bp.get("/metrics/<name>")
def metric(name: str):
    """One metric for the token's workspace (as ``pulseboard metric --json``)."""
    ctx = g.api_ctx
    args = request.args
    unknown = sorted(set(args) - set(PARAMS))
    if unknown:
        return _error(400, f"unknown parameter {unknown[0]!r}; accepted: {', '.join(PARAMS)}")
    try:
        end = _date_arg("to", today_in(ctx.workspace.timezone))
        start = _date_arg("from", end - timedelta(days=DEFAULT_DAYS - 1))
    except ValueError as exc:
        return _error(400, str(exc))
    grain = args.get("grain") or "total"
    if grain not in GRAINS:
        return _error(400, f"unknown grain {grain!r}; accepted: {', '.join(GRAINS)}")
    try:
        services = current_services()
        payload = metric_payload(
            services.warehouse.scoped(ctx.workspace),
            name,
            start,
            end,
            grain=grain,
            by=args.get("by") or None,
            compare=args.get("compare") or None,
            # the pages' cached answers: a script polling the API costs a cache read, as a page does
            query=lambda *a, **kw: metric_frame(services, ctx, *a, **kw),
        )
    except MetricError as exc:
        status = 404 if str(exc).startswith("unknown metric") else 400
        return _error(status, str(exc))
    except WarehouseError as exc:
        return _error(503, f"the warehouse is not available: {exc}")
    return jsonify(payload)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document())


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} {raw[:40]!r} is not a date; use YYYY-MM-DD") from None
