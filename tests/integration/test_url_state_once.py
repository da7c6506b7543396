"""The filter bar asks for a new URL; it must not rewrite a URL that already says the same.

Rewriting it (another key order, or the defaults spelled out) made the page router render the
page again: every callback of every page load ran twice (seen in headless Chromium at 10M rows).
"""

from __future__ import annotations

import json

import pytest

from components import ids


def _filters_to_url(client, preset, compare, grain, search, start=None, end=None):
    """The request the filter bar's ask store sends once a control changed (``FILTERS_GATE_JS``)."""
    controls = [
        (ids.FILTER_RANGE, "value", preset),
        (ids.FILTER_DATES, "start_date", start),
        (ids.FILTER_DATES, "end_date", end),
        (ids.FILTER_COMPARE, "value", compare),
        (ids.FILTER_GRAIN, "value", grain),
    ]
    body = {
        "output": f"{ids.URL}.search",
        "outputs": {"id": ids.URL, "property": "search"},
        "inputs": [
            {
                "id": ids.FILTERS_ASK,
                "property": "data",
                "value": {"values": [list(c) for c in controls], "n": 1},
            }
        ],
        "changedPropIds": [f"{ids.FILTERS_ASK}.data"],
        "state": [{"id": ids.URL, "property": "search", "value": search}],
    }
    return client.post("/_dash-update-component", json=body)


def _written(response) -> str | None:
    """The search string the callback wrote, or None when it left the URL alone."""
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    if response.status_code == 204:
        return None
    return response.get_json()["response"].get(ids.URL, {}).get("search")


@pytest.mark.parametrize(
    "search",
    [
        "?range=last_90_days&grain=day&compare=previous_period",  # another order
        "?compare=previous_period&range=last_90_days&grain=day",
    ],
)
def test_url001_same_state_in_another_order_is_left_alone(client, auth, workspace, search):
    auth.login("viewer@acme.test")
    response = _filters_to_url(client, "last_90_days", "previous_period", "day", search)
    assert _written(response) is None  # no update: the page is not rendered again


def test_url002_the_defaults_are_not_spelled_into_an_empty_url(client, auth, workspace):
    from dashboard.filters import DEFAULTS

    auth.login("viewer@acme.test")
    response = _filters_to_url(client, DEFAULTS["range"], DEFAULTS["compare"], DEFAULTS["grain"], "")
    assert _written(response) is None


def test_url003_a_changed_control_still_writes_the_url_and_keeps_page_filters(client, auth, workspace):
    auth.login("viewer@acme.test")
    response = _filters_to_url(
        client, "last_7_days", "previous_period", "month", "?range=last_90_days&grain=day&channel=Email"
    )
    search = _written(response)
    assert "range=last_7_days" in search and "grain=month" in search and "channel=Email" in search


def _page_filters_to_url(app, client, values, search):
    """The request a page filter's ask store sends: [[dropdown id, value], ...]."""
    output = next(k for k in app.callback_map if k.startswith(f"{ids.URL}.search@"))
    body = {
        "output": output,
        "outputs": {"id": ids.URL, "property": "search"},
        "inputs": [{"id": ids.PAGE_FILTERS_ASK, "property": "data", "value": {"values": [values], "n": 1}}],
        "changedPropIds": [f"{ids.PAGE_FILTERS_ASK}.data"],
        "state": [{"id": ids.URL, "property": "search", "value": search}],
    }
    return client.post("/_dash-update-component", json=body)


def test_url004_page_filter_choices_go_into_the_url_and_forged_keys_do_not(app, client, auth, workspace):
    auth.login("viewer@acme.test")
    channel = {"type": ids.PAGE_FILTER, "page": "revenue", "key": "channel"}
    forged = {"type": ids.PAGE_FILTER, "page": "revenue", "key": "range"}
    response = _page_filters_to_url(app, client, [[channel, "Email"], [forged, "x"]], "?range=last_7_days")
    assert _written(response) == "?range=last_7_days&channel=Email"
    cleared = _page_filters_to_url(app, client, [[channel, None]], "?range=last_7_days&channel=Email")
    assert _written(cleared) == "?range=last_7_days"
    same = _page_filters_to_url(app, client, [[channel, "Email"]], "?channel=Email")
    assert _written(same) is None


def test_url005_no_url_callback_fires_when_a_page_renders(app):
    """The controls render with every page: only a browser-side gate sees that, never the server.

    A server callback whose input arrives with the page and whose output (the URL) is outside
    it is called on every page load whatever ``prevent_initial_call`` says.
    """
    page_inputs = {ids.FILTER_RANGE, ids.FILTER_DATES, ids.FILTER_COMPARE, ids.FILTER_GRAIN, ids.PAGE_FILTER}
    for output, spec in app.callback_map.items():
        if not output.split("@")[0].endswith(f"{ids.URL}.search"):
            continue
        for dep in spec["inputs"]:
            dep_id = dep["id"]
            name = dep_id if not dep_id.startswith("{") else json.loads(dep_id)["type"]
            assert name not in page_inputs, (output, dep)
