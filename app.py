"""The Dash app. ``create_app(settings)`` builds one; ``app``/``server`` are built on first access.

Run it with ``pulseboard serve`` (waitress, what ``make run`` uses) or any WSGI server:
``gunicorn 'app:server'`` (the server is built from the PULSEBOARD_* settings).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import mimetypes
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dash
import dash_bootstrap_components as dbc  # noqa: F401 - registers the component library
from dash._pages import _parse_query_string, _path_to_page
from dash.fingerprint import check_fingerprint
from flask import Response, has_request_context, request

from dashboard import static_gzip
from dashboard.server import SCRIPT_HASHES_KEY, create_server
from dashboard.settings import Settings

ROOT = Path(__file__).parent
#: plotly.js with only the trace types our figures use (vendor/plotly/README.md).
SLIM_PLOTLY_JS = ROOT / "vendor" / "plotly" / "plotly.min.js"
#: Where dcc.Graph loads plotly.js from when the first chart mounts (dash-renderer's
#: ``window._dashPlotlyJSURL`` under serve_locally), below the app's path prefix.
PLOTLY_JS_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
CALLBACK_MODULES = (
    "callbacks.common",
    "callbacks.overview",
    "callbacks.sources",
    "callbacks.revenue",
    "callbacks.campaigns",
    "callbacks.customers",
    "callbacks.kpi_projections",
    "callbacks.settings",
    "callbacks.privacy",
    "callbacks.people",
    "callbacks.sessions",
    "callbacks.reports",
    "callbacks.report_logo",
    "callbacks.forecasts",
    "callbacks.insights",
)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app on a fresh Flask server for ``settings``."""
    settings = settings or Settings()
    server = create_server(settings)
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title="Pulseboard",
        update_title=None,
        suppress_callback_exceptions=True,  # each page's components exist only while it is shown
        serve_locally=True,  # never a CDN: self-hosted installs are often offline
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "theme-color", "content": "#4361ee"},
        ],
    )
    from components.shell import shell
    from dashboard.auth import csrf_token, workspace_choices
    from dashboard.ops.request_hooks import CALLBACKS_KEY

    # The map Dash fills on its first request: callback metrics are labelled only by its outputs.
    server.extensions[CALLBACKS_KEY] = app.callback_map

    _cache_versioned_assets(app)
    # Dash's scripts and /assets, gzipped once each (dashboard/static_gzip.py)
    static_gzip.install(
        app.server,
        (
            app.config.routes_pathname_prefix + "_dash-component-suites/",
            app.config.routes_pathname_prefix + app.config.assets_url_path.strip("/") + "/",
        ),
    )
    if settings.plotly_bundle == "slim":
        _serve_slim_plotly(app)
    _answer_404_off_the_pages(app)
    _register_callbacks()
    # A function, so each page load renders the session's CSRF token into the log-out form, and
    # the page the browser shows (one round trip less before anything of the page is drawn).
    app.layout = lambda: shell(csrf_token(), workspace_choices(), _initial_page(app))
    # Inline scripts run only when Dash generated them: the CSP names their hashes instead of
    # allowing 'unsafe-inline' (the clientside callbacks and the renderer's start-up script).
    server.config[SCRIPT_HASHES_KEY] = lambda: _script_hashes(app)
    return app


def _initial_page(app: dash.Dash):
    """The page at the URL the layout was asked from (its ``Referer``), as Dash's router renders it.

    None when that URL is unknown or is not a page: the router then renders the page a round trip
    later, as it always did. Dash asks for ``/_dash-layout`` from the page itself, and the
    ``Referrer-Policy`` (same-origin) sends the page's full URL with it. A wrong guess costs a
    second render, not a wrong page: the browser checks the URL the layout was built for against
    its own (``callbacks.common``). Outside a request (Dash validates the layout at start-up):
    None.
    """
    from components.shell import InitialPage

    if not has_request_context():
        return None  # Dash validates the layout once at start-up, outside any request
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path:
        return None  # no Referer (a privacy setting or proxy stripped it) or another site's
    path = app.strip_relative_path(referrer.path)
    if path is None:
        return None  # outside the app's path prefix
    page, path_variables = _path_to_page(path)
    if not page:
        return None  # the router shows its not-found page
    search = f"?{referrer.query}" if referrer.query else ""
    layout, title = page.get("layout", ""), page["title"]
    try:
        if callable(layout):
            layout = layout(**{**(path_variables or {}), **_parse_query_string(search)})
        if callable(title):
            title = title(**(path_variables or {}))
    except Exception:  # noqa: BLE001 - the router renders the page and reports its error as it did
        logging.getLogger(__name__).exception("rendering %s into the layout failed", referrer.path)
        return None
    return InitialPage(pathname=referrer.path, search=search, content=layout, title=title)


def _answer_404_off_the_pages(app: dash.Dash) -> None:
    """An address that is none of the pages answers 404, not 200.

    Dash serves its page shell for every path (its router then shows pages/not_found_404.py), so a
    link checker, a proxy's cache or a script could not tell a mistyped address from a page. The
    shell is still sent, with status 404, so a person sees "Page not found" and the navbar.
    """
    catchall = app.config.routes_pathname_prefix + "<path:path>"

    @app.server.after_request
    def _not_found_status(response: Response) -> Response:
        rule = request.url_rule
        if rule is None or rule.rule != catchall or response.status_code != 200:
            return response  # a page, the root, a Dash route, an asset, a redirect to log in
        path = app.strip_relative_path(request.path)
        if path is not None and not _path_to_page(path)[0]:
            response.status_code = 404
        return response


def _cache_versioned_assets(app: dash.Dash) -> None:
    """Let browsers keep ``/assets/...?m=<mtime>`` files instead of asking for them on every page.

    Dash names each asset with its file's modification time, so a changed file gets a new URL;
    Flask still serves them as "ask again each time", which costs every page load a round trip
    per stylesheet and script, render-blocking ones included (theme.js, Bootstrap). Only the
    versioned URLs are marked: a bare ``/assets/logo.svg`` is still revalidated.
    """
    prefix = app.config.routes_pathname_prefix + app.config.assets_url_path.strip("/") + "/"

    @app.server.after_request
    def _immutable(response):
        if request.path.startswith(prefix) and request.args.get("m") and response.status_code in (200, 304):
            response.cache_control.public = True
            response.cache_control.max_age = 31536000  # a year: the URL changes with the file
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response


def _serve_slim_plotly(app: dash.Dash) -> None:
    """Answer dcc.Graph's request for plotly.js with the slim bundle in vendor/plotly/.

    Dash serves the python plotly package's full bundle (4.8 MB, every trace type); a browser
    spends ~0.8 s compiling it on a first visit. The slim one holds only the trace types the app
    draws (a quarter of the size). Served at Dash's own URL, so dcc.Graph needs no change, and
    like Dash serves it: revalidated by ETag (the URL carries no version), 304 when unchanged.
    PULSEBOARD_PLOTLY_BUNDLE=full leaves Dash's bundle in place.
    """
    data = SLIM_PLOTLY_JS.read_bytes()
    etag = hashlib.sha256(data).hexdigest()[:32]
    path = app.config.routes_pathname_prefix + PLOTLY_JS_PATH
    mimetype = mimetypes.types_map.get(".js", "text/javascript")

    @app.server.before_request
    def _slim_plotly():
        # Also the fingerprinted name Dash writes into the page with eager_loading.
        if request.method not in ("GET", "HEAD") or check_fingerprint(request.path)[0] != path:
            return None
        response = Response(data, mimetype=mimetype)
        response.set_etag(etag)
        return response.make_conditional(request)


def _script_hashes(app: dash.Dash) -> list[str]:
    """The CSP hashes of the app's inline scripts (clientside callbacks, the renderer's start).

    Asked per response: Dash gathers some inline scripts only while it sets itself up on its
    first request, so the list is kept once that has happened (hashing costs ~50 µs).
    """
    kept = getattr(app, "_pb_script_hashes", None)
    if kept is not None:
        return kept
    hashes = app.csp_hashes()
    if app._got_first_request.get("setup_server"):
        app._pb_script_hashes = hashes
    return hashes


def _register_callbacks() -> None:
    """(Re-)register our callbacks with the app being built.

    ``dash.callback`` collects callbacks in module-level lists that the first app to start
    takes; re-importing the callback modules lets each app built in this process (tests build
    many) get the full set, and clearing first avoids duplicates from an app never started.
    """
    from dash import _callback

    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    for name in CALLBACK_MODULES:
        if name in sys.modules:
            importlib.reload(sys.modules[name])
        else:
            importlib.import_module(name)


def __getattr__(name: str):
    # Built lazily so tests can import create_app without touching ./var.
    if name in ("app", "server"):
        built = globals().get("_app")
        if built is None:
            from dashboard.ops.logs import configure_logging

            settings = Settings()
            configure_logging(settings)  # a WSGI server on app:server logs like `pulseboard serve`
            built = create_app(settings)
        globals()["_app"] = built
        return built if name == "app" else built.server
    raise AttributeError(name)
