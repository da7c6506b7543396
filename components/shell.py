"""The app shell: responsive navbar (collapses on phones) around the page container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids


def theme_toggle() -> html.Button:
    """The navbar's light/dark switch: a real button (keyboard and screen-reader friendly).

    Both icons are rendered; CSS shows the moon in light mode and the sun in dark mode, so the
    icon is right from the first paint without waiting for a callback.
    """
    return html.Button(
        [
            html.I(className="bi bi-moon-stars pb-theme-icon-light", **{"aria-hidden": "true"}),
            html.I(className="bi bi-sun pb-theme-icon-dark", **{"aria-hidden": "true"}),
        ],
        id=ids.THEME_TOGGLE,
        n_clicks=0,
        type="button",
        className="btn btn-link nav-link pb-theme-toggle px-2",
        title="Switch between light and dark theme",
        **{"aria-label": "Switch between light and dark theme"},
    )


def logout_form(csrf_token: str) -> html.Form:
    """The log-out button: a plain POST form with the session's CSRF token (works without JS).

    Without a token (a layout built outside a request) it still posts; the server then shows
    its own confirmation form instead of logging out.
    """
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id=ids.LOGOUT_CSRF),
            html.Button(
                [html.I(className="bi bi-box-arrow-right me-1", **{"aria-hidden": "true"}), "Log out"],
                type="submit",
                className="btn btn-link nav-link",
            ),
        ],
        method="POST" if csrf_token else "GET",
        action="/logout",
        className="pb-logout-form m-0",
    )


def workspace_switcher(choices: list[tuple[int, str, bool]], csrf_token: str) -> html.Form | None:
    """A plain POST form to switch workspace, for users in several (None otherwise).

    One submit button per other workspace (its id as the button's value): no JavaScript, and
    no controlled <select> for React to warn about.
    """
    if len(choices) < 2 or not csrf_token:
        return None
    current = next((name for _, name, is_current in choices if is_current), "")
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id=ids.WORKSPACE_CSRF),
            html.Span(current, className="small fw-semibold text-truncate", title="Current workspace"),
            *[
                html.Button(
                    name,
                    type="submit",
                    name="workspace",
                    value=str(ws_id),
                    className="btn btn-sm btn-outline-secondary text-truncate",
                    title=f"Switch to {name}",
                )
                for ws_id, name, is_current in choices
                if not is_current
            ],
        ],
        method="POST",
        action="/workspace",
        id=ids.WORKSPACE_SELECT,
        className="pb-workspace-form d-flex flex-wrap gap-1 align-items-center my-1 my-lg-0 me-lg-2",
    )


def nav_pages() -> list[dict]:
    """The registered pages the navbar links to, in its order.

    A page registered with ``nav=False``, such as "Page not found", is left out.
    """
    pages = [p for p in dash.page_registry.values() if p.get("nav", True)]
    return sorted(pages, key=lambda p: p.get("order", 99))


def navbar(pages: list[dict], csrf_token: str = "", workspaces=()) -> dbc.Navbar:
    """Top navigation with a link per registered page and a log-out button."""
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in pages
        if page.get("nav", True)
    ]
    switcher = workspace_switcher(list(workspaces), csrf_token)
    if switcher is not None:
        links.append(dbc.NavItem(switcher))
    links.append(dbc.NavItem(logout_form(csrf_token)))
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [
                        html.Img(src=dash.get_asset_url("logo.svg"), height="26", className="me-2", alt=""),
                        "Pulseboard",
                    ],
                    href="/",
                    className="d-flex align-items-center",
                ),
                # Outside the collapse so it stays one tap away on phones; last on wide screens.
                html.Div(
                    [theme_toggle(), dbc.NavbarToggler(id=ids.NAVBAR_TOGGLER, n_clicks=0)],
                    className="d-flex align-items-center gap-1 ms-auto ms-lg-2 order-lg-last",
                ),
                dbc.Collapse(
                    dbc.Nav(links, className="ms-lg-auto", navbar=True),
                    id=ids.NAVBAR_COLLAPSE,
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        id=ids.NAVBAR,
        color="body-tertiary",
        dark=False,
        className="pb-navbar border-bottom",
        expand="lg",
        sticky="top",
    )


#: The ids Dash's page router reads and writes (``dash.page_container``); kept exactly.
PAGES_LOCATION, PAGES_CONTENT, PAGES_STORE, PAGES_DUMMY = (
    "_pages_location",
    "_pages_content",
    "_pages_store",
    "_pages_dummy",
)


@dataclass(frozen=True)
class InitialPage:
    """A page rendered into the app's layout: the URL it was built for, its content and title."""

    pathname: str
    search: str  # "" or "?a=b": what ``window.location.search`` holds for the same URL
    content: Any
    title: str


def page_container(page: InitialPage | None = None) -> html.Div:
    """Dash's ``page_container``, optionally holding ``page`` already.

    Dash's router renders a page only once its Location has read the browser's URL, a round trip
    after the layout. A layout built for the URL the browser shows (``app._initial_page``) holds
    the page instead; its Location then starts at that URL, so mounting it changes neither
    ``pathname`` nor ``search`` and the router is not asked. ``callbacks.common`` asks it when
    the URL was guessed wrong.
    """
    if page is None:
        return dash.page_container
    return html.Div(
        [
            dcc.Location(
                id=PAGES_LOCATION, refresh="callback-nav", pathname=page.pathname, search=page.search
            ),
            html.Div(page.content, id=PAGES_CONTENT, disable_n_clicks=True),
            dcc.Store(id=PAGES_STORE, data={"title": page.title}),
            html.Div(id=PAGES_DUMMY, disable_n_clicks=True),
        ]
    )


def shell(csrf_token: str = "", workspaces=(), page: InitialPage | None = None) -> html.Div:
    """The whole-app layout: URL, navbar (its log-out form carries ``csrf_token``), page container.

    The container holds ``page`` when the layout knows which page the browser shows.
    """
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.THEME_STORE),  # the theme picked in this page view (saved by a callback)
            dcc.Store(id=ids.THEME_SAVED),
            # what the filter bar and the page filters ask the URL to become (callbacks.common)
            dcc.Store(id=ids.FILTERS_ASK),
            dcc.Store(id=ids.PAGE_FILTERS_ASK),
            dcc.Store(id=ids.KPI_FOLD_STORE, storage_type="local"),  # which pages show all KPI cards
            navbar(nav_pages(), csrf_token, workspaces),
            dbc.Container(page_container(page), fluid=True, className="pb-main py-3"),
        ]
    )


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    """A page's heading."""
    return html.Div(
        [
            html.H1(title, className="h4 mb-0", id=ids.PAGE_TITLE),
            html.Div(subtitle, className="text-body-secondary small") if subtitle else None,
        ],
        className="pb-page-header",
    )
