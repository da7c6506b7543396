"""The Dash app. ``create_app(settings)`` builds one; ``app``/``server`` are built on first access.

Run it with ``pulseboard serve`` (waitress, what ``make run`` uses) or any WSGI server:
``gunicorn 'app:server'`` (the server is built from the PULSEBOARD_* settings).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import dash
import dash_bootstrap_components as dbc  # noqa: F401 - registers the component library

from dashboard.server import create_server
from dashboard.settings import Settings

ROOT = Path(__file__).parent
CALLBACK_MODULES = (
    "callbacks.common",
    "callbacks.overview",
    "callbacks.sources",
    "callbacks.revenue",
    "callbacks.campaigns",
    "callbacks.customers",
    "callbacks.settings",
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

    _register_callbacks()
    app.layout = shell
    return app


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
        built = globals().get("_app") or create_app()
        globals()["_app"] = built
        return built if name == "app" else built.server
    raise AttributeError(name)
