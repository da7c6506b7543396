"""Callbacks shared by every page: the navbar toggle and the global filter bar -> URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update
from flask import has_request_context
from werkzeug.exceptions import HTTPException

from components import ids
from components.shell import PAGES_LOCATION
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

# The KPI rows' "More" button: fold or unfold in the browser, remembered per page in local storage.
clientside_callback(
    ClientsideFunction(namespace="pulseboard", function_name="foldKpis"),
    Output({"type": ids.KPI_FOLD, "page": ALL}, "className"),
    Output(ids.KPI_FOLD_STORE, "data"),
    Input({"type": ids.KPI_FOLD_TOGGLE, "page": ALL}, "n_clicks"),
    State(ids.KPI_FOLD_STORE, "data"),
    State({"type": ids.KPI_FOLD_TOGGLE, "page": ALL}, "id"),
)


@dataclass(frozen=True)
class Scope:
    """What a data callback needs: the stores, who is asking, and the filters they chose."""

    services: Services
    ctx: WorkspaceContext
    filters: FilterState


def next_version(value) -> int:
    """The next value of a "version" store that re-renders a list (1 for a missing or forged one)."""
    return value + 1 if isinstance(value, int) and not isinstance(value, bool) else 1


def request_scope(filters_data: dict | None) -> Scope:
    """Resolve the caller's workspace (server-side, from the session) and the filter store.

    The store comes from the browser, so it is validated here; the workspace never does.
    """
    ctx = current_context()
    filters = FilterState.from_store(filters_data, today_in(ctx.workspace.timezone))
    return Scope(current_services(), ctx, filters)


def layout_scope(query: dict):
    """The session's scope for a layout's query string, as its callbacks would get it, or None.

    None outside a request (a layout built by a test or Dash's validation) and when nobody is
    logged in (the page redirects): a layout then prefills nothing.
    """
    from components.filter_bar import state_from_query

    if not has_request_context():
        return None
    try:
        return request_scope(state_from_query(query).to_store())
    except HTTPException:
        return None


#: Query keys owned by the global filter bar; every other key belongs to the page.
GLOBAL_KEYS = frozenset({"range", "from", "to", "compare", "grain"})


#: The layout may hold a page already, built for the URL the browser sent as its Referer
#: (``app._initial_page``). The page router's Location reads the browser's URL when it mounts
#: (it sets ``href``): when the layout was built for another URL, or for none, this hands the
#: router the browser's own pathname and search, and the router renders the right page.
INITIAL_PAGE_CHECK_JS = """
function(_href, pathname, search) {
    const here = window.location;
    if (pathname === here.pathname && (search || "") === here.search) {
        return [dash_clientside.no_update, dash_clientside.no_update];
    }
    return [here.pathname, here.search];
}
"""

clientside_callback(
    INITIAL_PAGE_CHECK_JS,
    Output(PAGES_LOCATION, "pathname"),
    Output(PAGES_LOCATION, "search"),
    Input(PAGES_LOCATION, "href"),
    State(PAGES_LOCATION, "pathname"),
    State(PAGES_LOCATION, "search"),
    prevent_initial_call=True,
)

#: A filter control's change, passed on to the server only when there is one. The controls
#: render with every page, and Dash calls a callback whose inputs arrive with a page and whose
#: output is outside it (the URL, in the shell) whatever ``prevent_initial_call`` says, as if
#: the controls had changed: the URL callbacks cost a round trip on every page load, and held
#: back the callbacks reading the URL (the report links) by one more. These gates answer that
#: call in the browser: controls that still show what the page was rendered with (its stores)
#: ask nothing. The server still compares with the URL (``filters_to_url``, ``merge_search``).
FILTERS_GATE_JS = """
function(preset, start, end, compare, grain, rendered) {
    const r = rendered || {};
    const same = preset === r.range && (compare || "none") === (r.compare || "none")
        && grain === r.grain && (preset !== "custom" || (start === r.start && end === r.end));
    if (same) { return dash_clientside.no_update; }
    window.pbAsks = (window.pbAsks || 0) + 1;  // the same values again are a new ask
    const values = dash_clientside.callback_context.inputs_list.map(i => [i.id, i.property, i.value]);
    return {values: values, n: window.pbAsks};
}
"""
#: The page filters' gate (see ``FILTERS_GATE_JS``): the dropdowns against the page's filter store.
PAGE_FILTERS_GATE_JS = """
function(values, rendered) {
    const r = rendered || {};
    const dropdowns = dash_clientside.callback_context.inputs_list[0];
    const given = v => (v === null || v === undefined || v === "") ? null : v;
    if (dropdowns.every(d => given(d.value) === given(r[d.id.key]))) { return dash_clientside.no_update; }
    window.pbAsks = (window.pbAsks || 0) + 1;
    return {values: [dropdowns.map(d => [d.id, given(d.value)])], n: window.pbAsks};
}
"""

clientside_callback(
    FILTERS_GATE_JS,
    Output(ids.FILTERS_ASK, "data"),
    Input(ids.FILTER_RANGE, "value"),
    Input(ids.FILTER_DATES, "start_date"),
    Input(ids.FILTER_DATES, "end_date"),
    Input(ids.FILTER_COMPARE, "value"),
    Input(ids.FILTER_GRAIN, "value"),
    State(ids.FILTERS_STORE, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.URL, "search"),
    Input(ids.FILTERS_ASK, "data"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def filters_ask_to_url(ask, current_search):
    """A filter control changed (``FILTERS_GATE_JS``): the query string for the new filters."""
    values = ask.get("values") if isinstance(ask, dict) else None
    if not isinstance(values, list) or len(values) != 5:  # browser state: a forged one gets nothing
        return no_update
    found = [v[2] if isinstance(v, list) and len(v) == 3 else None for v in values]
    return filters_to_url(*found, current_search)


def filters_to_url(preset, start, end, compare, grain, current_search):
    """Write the filter controls into the query string; the page re-renders from the URL."""
    query = {"range": preset, "from": start, "to": end, "compare": compare, "grain": grain}
    today = today_in(current_context().workspace.timezone)
    state = FilterState.from_query(query, today)
    # Keep the page's own filters (channel, product, cross-filters ...) that ride in the same URL.
    current_search = current_search if isinstance(current_search, str) else ""  # browser state
    current = parse_qsl(current_search.lstrip("?"))
    # The controls render with the page and fire this once: when the URL already says what they
    # show (in another order, or by defaults left out), writing it would render the page twice.
    if FilterState.from_query(dict(current), today) == state:
        return no_update
    kept = {k: v for k, v in current if k not in GLOBAL_KEYS}
    return state.to_query() + ("&" + urlencode(kept) if kept else "")


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.PAGE_FILTERS_ASK, "data"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def page_filters_ask_to_url(ask, search):
    """Page filter choices (``PAGE_FILTERS_GATE_JS``) go into the query string next to the global filters."""
    from callbacks._analytics import FILTER_KEYS, merge_search  # that module builds on this one

    values = ask.get("values") if isinstance(ask, dict) else None
    chosen = values[0] if isinstance(values, list) and values and isinstance(values[0], list) else []
    pairs = {}
    for entry in chosen:  # [[id, value], ...]: browser state, only known keys and text are used
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], dict):
            key = entry[0].get("key")
            if key in FILTER_KEYS and (entry[1] is None or isinstance(entry[1], str)):
                pairs[key] = entry[1]
    return merge_search(search, pairs) if pairs else no_update
