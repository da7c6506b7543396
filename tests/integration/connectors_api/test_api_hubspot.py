"""HubSpot connector against the fake CRM v3 API: list paging, stage labels, search-based resume."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api import hubspot as hubspot_module
from data.connectors.api.hubspot import HubSpotConnector
from tests.fakes.hubspot import FakeHubSpot, deal

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


def _ms(text: str) -> str:
    return str(int(dt.datetime.fromisoformat(text).timestamp() * 1000))


@pytest.fixture
def api():
    with FakeHubSpot(token=TOKEN) as fake:
        fake.deals = [
            deal(101, dealname="Won big", amount="45362.12", dealstage="closedwon", closedate="2024-02-01T10:00:00Z",
                 createdate="2024-01-05T08:00:00.000Z", hs_lastmodifieddate="2024-02-01T10:00:00.000Z",
                 deal_currency_code="EUR", hubspot_owner_id="77"),
            deal(102, amount="11015.0", dealstage="closedlost", closedate="2024-02-03T00:00:00Z",
                 hs_lastmodifieddate="2024-02-03T00:00:00Z"),
            deal(103, amount="", closedate="2024-06-30T00:00:00Z", hs_lastmodifieddate="2024-02-04T00:00:00Z"),
            deal(104, amount="500", dealstage="12345", hs_lastmodifieddate="2024-02-05T00:00:00Z"),
            deal(105, amount="1", dealstage="closedwon", hs_lastmodifieddate="2024-02-06T12:00:00Z"),
        ]  # fmt: skip
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return HubSpotConnector({"access_token": TOKEN}, base_url=api.url, client=client, sleep=sleeps.append)


def test_api040_first_sync_pages_the_list_endpoint_and_maps_strings(api, connector, drain, rows):
    chunks, state = drain(connector, {}, SyncOptions(reporting_currency="GBP", page_size=2))
    lists = [r for r in api.requests if r.path == "/crm/v3/objects/deals"]
    assert [r.param("after") for r in lists] == [
        None,
        "Mg==",
        "NA==",
    ]  # opaque cursors from paging.next.after
    assert all(r.param("limit") == "2" and "hs_lastmodifieddate" in r.param("properties") for r in lists)
    assert all(r.bearer() == TOKEN for r in api.requests)
    got = {r["source_id"]: r for r in rows(chunks["deals"])}
    assert list(got) == ["101", "102", "103", "104", "105"]
    won = got["101"]
    assert (won["stage"], won["pipeline"], won["won"], won["owner"]) == (
        "Closed Won",
        "Sales Pipeline",
        True,
        "77",
    )
    assert (won["amount"], won["currency"]) == (Decimal("45362.12"), "EUR")
    assert won["created_at"] == dt.datetime(2024, 1, 5, 8) and won["closed_at"] == dt.datetime(2024, 2, 1, 10)
    lost = got["102"]
    assert (lost["stage"], lost["won"], lost["amount"], lost["currency"]) == (
        "Closed Lost",
        False,
        Decimal("11015.00"),
        "GBP",
    )
    open_deal = got["103"]
    assert (open_deal["won"], open_deal["closed_at"], open_deal["amount"], open_deal["currency"]) == (
        None,
        None,
        None,
        None,
    )
    assert got["104"]["stage"] == "12345" and got["104"]["won"] is None  # unknown stage id kept as is
    assert state == {"last_modified": "2024-02-06T12:00:00+00:00"}


def test_api041_resume_uses_search_on_hs_lastmodifieddate(api, connector, drain, rows):
    chunks, state = drain(connector, {"last_modified": "2024-02-04T00:05:00+00:00"}, SyncOptions())
    searches = [r for r in api.requests if r.path == "/crm/v3/objects/deals/search"]
    assert len(searches) == 1
    body = searches[0].json()
    assert body["filterGroups"][0]["filters"] == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": _ms("2024-02-04T00:00:00+00:00")}
    ]
    assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert [r["source_id"] for r in rows(chunks["deals"])] == ["103", "104", "105"]
    assert state == {"last_modified": "2024-02-06T12:00:00+00:00"}


def test_api042_search_restarts_from_the_newest_date_at_the_result_cap(
    api, connector, drain, rows, monkeypatch
):
    monkeypatch.setattr(hubspot_module, "SEARCH_RESULT_CAP", 2)
    chunks, _ = drain(connector, {"last_modified": "2024-01-01T00:05:00+00:00"}, SyncOptions(page_size=2))
    searches = [r.json() for r in api.requests if r.path == "/crm/v3/objects/deals/search"]
    # page 1 (101, 102) reaches the cap -> restart from 102's date with no `after`
    assert searches[1]["filterGroups"][0]["filters"][0]["value"] == _ms("2024-02-03T00:00:00+00:00")
    assert "after" not in searches[1]
    assert {r["source_id"] for r in rows(chunks["deals"])} == {"101", "102", "103", "104", "105"}


def test_api043_missing_pipeline_scope_falls_back_to_stage_ids(api, connector, drain, rows):
    api.pipelines_status = 403
    chunks, _ = drain(connector, {}, SyncOptions())
    got = {r["source_id"]: r for r in rows(chunks["deals"])}
    assert (got["101"]["stage"], got["101"]["won"]) == ("closedwon", True)
    assert (got["102"]["stage"], got["102"]["won"]) == ("closedlost", False)


def test_api044_bad_token_raises_auth_error(api, client, sleeps):
    wrong = "pat-na1-99999999-9999-9999-9999-999999999999"
    connector = HubSpotConnector(
        {"access_token": wrong}, base_url=api.url, client=client, sleep=sleeps.append
    )
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert str(info.value).startswith(
        "HubSpot rejected the access token (401): check the private app access token in Data sources."
    )
    assert wrong not in str(info.value)
