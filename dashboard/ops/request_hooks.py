"""Per-request bookkeeping: a request id, the latency histograms, one access-log line.

Installed before every other ``before_request`` hook (the log-in guard included), so requests
the guard refuses are timed and logged too. The request id is the caller's ``X-Request-ID``
when it looks like an id (a proxy's or load balancer's, so one id follows the request through
every hop), otherwise a new one; it is sent back in the response's ``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request

from components import ids
from dashboard.dash_guard import UPDATE_PATH
from dashboard.ops import metrics, priority
from dashboard.ops.logs import REQUEST_ID

#: the REST API's routes (dashboard.api.routes): their callers wait for the answer like a page does
API_PATH = "/api/v1/"
#: Dash's layout: a page's layout computes its first screen (callbacks.first_screen)
LAYOUT_PATH = "/_dash-layout"
#: scripts, styles, fonts and Dash's own files: fetched by a page load, never the start of one
STATIC_PREFIXES = ("/assets/", "/_dash-", "/static/", "/_favicon")

HEADER = "X-Request-ID"
#: what an incoming id may look like: uuids, hex, base64-ish trace ids; no spaces or quotes
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}$")
#: where app.py puts the Dash app's callback map: only its outputs become metric labels
CALLBACKS_KEY = "pulseboard.callback_map"
UNKNOWN_ROUTE = "<unmatched>"
UNKNOWN_OUTPUT = "<unknown>"
#: probes hit these every few seconds: their access lines are DEBUG, not INFO
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
#: methods kept as labels; anything else a client invents is counted as "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: a timer-fired callback's body is small; a larger one is not parsed to find out
POLL_MAX_BODY = 16 * 1024

access_log = logging.getLogger("pulseboard.access")


def install(server: Flask) -> None:
    """Register the hooks on ``server``; call it before any other before_request hook."""
    server.before_request(_start)
    server.after_request(_finish)
    server.teardown_request(_clear)


def request_id_from(header: str | None) -> str:
    """The incoming id when it is sane, else a fresh random one."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


def _start() -> None:
    g.pulseboard_started = time.perf_counter()
    g.pulseboard_request_id = request_id_from(request.headers.get(HEADER))
    REQUEST_ID.set(g.pulseboard_request_id)
    # someone waits (a page's layout or callback, a script's API call): background work holds back
    path = request.path
    if (
        (path == UPDATE_PATH and not _is_poll())
        or path == LAYOUT_PATH
        or path.startswith(API_PATH)
        or _is_navigation()
    ):
        g.pulseboard_page_request = priority.page_request_started()


def _is_navigation() -> bool:
    """True for a browser opening a page (the HTML that starts a page load).

    The page's layout request follows 0.1-0.2 s later, once the browser has read its scripts,
    and its drawing after that: background work that went on in between (the Insights panel's
    generation of the range the user just left, say) took the cores the browser needed, and a
    revisit that settles in ~0.3 s on a quiet machine took 0.5-0.7 s. Browsers mark a
    navigation ``Sec-Fetch-Dest: document``; older ones are known by asking for HTML.
    """
    if request.method != "GET" or request.path.startswith(STATIC_PREFIXES):
        return False
    dest = request.headers.get("Sec-Fetch-Dest")
    if dest is not None:
        return dest == "document"
    return "text/html" in request.headers.get("Accept", "")


def _is_poll() -> bool:
    """True for a callback fired only by a timer (progress and projection polls).

    Those come every second or two while background work runs; counting them as page
    activity would keep that work waiting for the very thing the poll is waiting for.
    """
    if (request.content_length or 0) > POLL_MAX_BODY:  # not parsed before the log-in guard saw it
        return False
    body = request.get_json(silent=True)  # parsed once: Dash reads Flask's cached result
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    return bool(changed) and all(_is_timer_tick(str(prop)) for prop in changed)


def _is_timer_tick(prop: str) -> bool:
    """True for an interval's tick that is not a panel's fill trigger (``components.ids.fill``).

    A fill trigger ticks once, when its panel is shown or nears the viewport: someone waits for
    that panel like for any callback (the Insights panel's own first answer, a chart scrolled
    to), so background work holds back for it.
    """
    component, _, prop_name = prop.rpartition(".")
    if prop_name != "n_intervals":
        return False
    if component.startswith("{"):  # a pattern-matching id, as Dash sends it: JSON
        try:
            return json.loads(component).get("type") != ids.FILL
        except (ValueError, AttributeError):
            return True
    return True


def _finish(response):
    started = g.get("pulseboard_started")
    request_id = g.get("pulseboard_request_id")
    if started is None or request_id is None:  # a hook before ours answered; nothing to time
        return response
    seconds = time.perf_counter() - started
    req = request._get_current_object()  # one proxy lookup instead of a dozen (every request pays)
    route = req.url_rule.rule if req.url_rule is not None else UNKNOWN_ROUTE
    status = str(response.status_code)
    method = req.method if req.method in METHODS else metrics.OTHER
    metrics.HTTP_LATENCY.labels(route, method, status).observe(seconds)
    output = None
    if req.path == UPDATE_PATH and req.method == "POST":
        # Refused before Dash read it (no log-in, too large): not worth reading the body now.
        output = UNKNOWN_OUTPUT if response.status_code in (401, 413) else callback_output()
        metrics.CALLBACK_LATENCY.labels(output, status).observe(seconds)
    response.headers[HEADER] = request_id
    level = logging.DEBUG if req.path in QUIET_PATHS else logging.INFO
    if access_log.isEnabledFor(level):
        # The path without its query string: ?code=&state= of an OAuth return must not be logged.
        access_log.log(
            level,
            "%s %s %s %.1fms",
            req.method,
            req.path,
            status,
            seconds * 1000,
            extra={
                "method": req.method,
                "path": req.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                **({"callback": output} if output else {}),
            },
        )
    return response


def callback_output() -> str:
    """The output id of the callback this request asked for, if the app declares it."""
    body = request.get_json(silent=True)  # parsed by Dash already: Flask keeps the result
    output = body.get("output") if isinstance(body, dict) else None
    known = current_app.extensions.get(CALLBACKS_KEY) or {}
    return output if isinstance(output, str) and output in known else UNKNOWN_OUTPUT


def _clear(_exc=None) -> None:
    REQUEST_ID.set(None)
    token = g.pop("pulseboard_page_request", None)
    if token is not None:
        priority.page_request_ended(token)
