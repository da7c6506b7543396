"""The layout holds the page the browser shows (app._initial_page): one round trip less per load."""

from __future__ import annotations

import json

import pytest

from components import ids
from components.shell import PAGES_CONTENT, PAGES_LOCATION, PAGES_STORE

HOST = "http://localhost"  # the test client's host: a Referer from the same site


def _layout(client, referrer: str | None) -> dict:
    headers = {"Referer": referrer} if referrer is not None else {}
    response = client.get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def _find(node, component_id):
    """The component with ``component_id`` in a layout's JSON (None when absent)."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        return _find(node.get("props", {}).get("children"), component_id)
    if isinstance(node, list):
        for child in node:
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _text(node) -> str:
    return json.dumps(node)


def test_ipg001_the_layout_holds_the_page_of_its_referer(client, auth, workspace):
    auth.login()
    layout = _layout(client, f"{HOST}/revenue?range=last_30_days")
    location = _find(layout, PAGES_LOCATION)["props"]
    # the Location starts at the URL the page was built for: mounting it asks the router nothing
    assert (location["pathname"], location["search"]) == ("/revenue", "?range=last_30_days")
    content = _find(layout, PAGES_CONTENT)
    assert _find(content, ids.PAGE_TITLE)["props"]["children"] == "Revenue"
    assert "last_30_days" in _text(content)  # rendered for the query string, as the router would
    assert _find(layout, PAGES_STORE)["props"]["data"]["title"]


def test_ipg002_a_url_without_a_query_starts_with_an_empty_search(client, auth, workspace):
    """``window.location.search`` is "" then: a None would read as a change and ask the router."""
    auth.login()
    location = _find(_layout(client, f"{HOST}/customers"), PAGES_LOCATION)["props"]
    assert (location["pathname"], location["search"]) == ("/customers", "")


@pytest.mark.parametrize(
    "referrer",
    [None, "http://evil.example/revenue", f"{HOST}/no-such-page", f"{HOST}/login?next=/", "not a url"],
    ids=["none", "other-site", "unknown-page", "not-a-dash-page", "garbage"],
)
def test_ipg003_without_a_known_page_the_router_renders_it_as_before(client, auth, workspace, referrer):
    auth.login()
    layout = _layout(client, referrer)
    location = _find(layout, PAGES_LOCATION)["props"]
    assert location.get("pathname") is None  # the router reads the browser's URL and renders the page
    assert not _find(layout, PAGES_CONTENT)["props"].get("children")


def test_ipg004_the_layout_still_needs_a_login_whatever_the_referer(client, workspace):
    response = client.get("/_dash-layout", headers={"Referer": f"{HOST}/revenue"})
    assert response.status_code == 401
    assert "Revenue" not in response.get_data(as_text=True)


def _router_content(app, client, pathname: str, search: str):
    """What Dash's page router answers for the URL (its callback, as the browser asks it)."""
    client.get("/_dash-dependencies")  # Dash registers its router on the first request
    key = next(k for k in app.callback_map if f"{PAGES_CONTENT}.children" in k)
    body = {
        "output": key,
        "outputs": [
            {"id": PAGES_CONTENT, "property": "children"},
            {"id": PAGES_STORE, "property": "data"},
        ],
        "inputs": [
            {"id": PAGES_LOCATION, "property": "pathname", "value": pathname},
            {"id": PAGES_LOCATION, "property": "search", "value": search},
        ],
        "state": [],
        "changedPropIds": [f"{PAGES_LOCATION}.pathname"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_json()["response"][PAGES_CONTENT]["children"]


@pytest.mark.parametrize("url", ["/revenue?range=last_30_days&compare=previous_period", "/sources", "/"])
def test_ipg005_the_page_in_the_layout_is_the_page_the_router_renders(app, client, auth, workspace, url):
    """Same page function, same arguments, same session: a page held in the layout is the page
    the router would have rendered a round trip later (its workspace and role checks included)."""
    auth.login()
    pathname, _, query = url.partition("?")
    search = f"?{query}" if query else ""
    held = _find(_layout(client, f"{HOST}{url}"), PAGES_CONTENT)["props"]["children"]
    assert held == _router_content(app, client, pathname, search)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/revenue", 200),
        ("/revenue/", 200),
        ("/settings", 200),
        ("/not-found", 200),  # the not-found page asked for by its own address
        ("/no-such-page", 404),
        ("/revenue/extra", 404),
        ("/.env", 404),
    ],
)
def test_ipg006_an_address_off_the_pages_answers_404_with_the_page_shell(
    client, auth, workspace, path, status
):
    """A mistyped address answers 404 (a link checker can tell), still with Dash's page shell,
    whose router shows "Page not found"; a visitor not logged in is sent to log in, as anywhere."""
    assert client.get(path).status_code == 302  # not logged in: to the login form
    auth.login()
    response = client.get(path)
    assert response.status_code == status
    assert "_dash-config" in response.get_data(as_text=True)  # the shell the router runs in


def test_ipg007_dash_routes_and_assets_keep_their_own_status(client, auth, workspace):
    auth.login()
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    assert client.get("/assets/no-such-file.css").status_code == 404
    assert client.get("/healthz").status_code == 200
