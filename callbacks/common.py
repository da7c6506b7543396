"""Callbacks shared by every page: the navbar toggle and the global filter bar -> URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from components import ids
from dashboard.accounts import WorkspaceContext
from dashboard.auth import current_context
from dashboard.filters import FilterState, today_in
from dashboard.services import Services, current_services

# The navbar toggles in the browser: no round trip for opening a menu.
clientside_callback(
    ClientsideFunction(namespace="pulseboard", function_name="toggleNavbar"),
    Output(ids.NAVBAR_COLLAPSE, "is_open"),
    Input(ids.NAVBAR_TOGGLER, "n_clicks"),
    State(ids.NAVBAR_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)


@dataclass(frozen=True)
class Scope:
    """What a data callback needs: the stores, who is asking, and the filters they chose."""

    services: Services
    ctx: WorkspaceContext
    filters: FilterState


def request_scope(filters_data: dict | None) -> Scope:
    """Resolve the caller's workspace (server-side, from the session) and the filter store.

    The store comes from the browser, so it is validated here; the workspace never does.
    """
    ctx = current_context()
    filters = FilterState.from_store(filters_data, today_in(ctx.workspace.timezone))
    return Scope(current_services(), ctx, filters)


#: Query keys owned by the global filter bar; every other key belongs to the page.
GLOBAL_KEYS = frozenset({"range", "from", "to", "compare", "grain"})


@callback(
    Output(ids.URL, "search"),
    Input(ids.FILTER_RANGE, "value"),
    Input(ids.FILTER_DATES, "start_date"),
    Input(ids.FILTER_DATES, "end_date"),
    Input(ids.FILTER_COMPARE, "value"),
    Input(ids.FILTER_GRAIN, "value"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def filters_to_url(preset, start, end, compare, grain, current_search):
    """Write the filter controls into the query string; the page re-renders from the URL."""
    query = {"range": preset, "from": start, "to": end, "compare": compare, "grain": grain}
    ctx = current_context()
    state = FilterState.from_query(query, today_in(ctx.workspace.timezone))
    # Keep the page's own filters (channel, product, cross-filters ...) that ride in the same URL.
    kept = {k: v for k, v in parse_qsl((current_search or "").lstrip("?")) if k not in GLOBAL_KEYS}
    search = state.to_query() + ("&" + urlencode(kept) if kept else "")
    return no_update if search == current_search else search
