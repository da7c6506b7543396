"""The filter bar fires when a page renders; it must not rewrite a URL that already says the same.

Rewriting it (another key order, or the defaults spelled out) made the page router render the
page again: every callback of every page load ran twice (seen in headless Chromium at 10M rows).
"""

from __future__ import annotations

import pytest

from components import ids


def _filters_to_url(client, preset, compare, grain, search, start=None, end=None):
    body = {
        "output": f"{ids.URL}.search",
        "outputs": {"id": ids.URL, "property": "search"},
        "inputs": [
            {"id": ids.FILTER_RANGE, "property": "value", "value": preset},
            {"id": ids.FILTER_DATES, "property": "start_date", "value": start},
            {"id": ids.FILTER_DATES, "property": "end_date", "value": end},
            {"id": ids.FILTER_COMPARE, "property": "value", "value": compare},
            {"id": ids.FILTER_GRAIN, "property": "value", "value": grain},
        ],
        "changedPropIds": [f"{ids.FILTER_RANGE}.value"],
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
