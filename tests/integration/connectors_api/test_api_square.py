"""Square connector against the fake Payments API: cursor paging, minor units, refunds of old payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api.square import SquareConnector
from tests.fakes.square import FakeSquare, payment

TOKEN = "EAAAl-square-test-token"


@pytest.fixture
def api():
    with FakeSquare(token=TOKEN) as fake:
        fake.payments = [
            payment(
                "P1", "2024-03-01T17:15:02Z", 3019, buyer_email_address="Ada@Example.com", customer_id="CUS1"
            ),
            payment("P2", "2024-03-01T20:40:11Z", 119625),
            payment("P3", "2024-03-02T10:00:00Z", 1000, "JPY"),
            payment("P4", "2024-03-03T10:00:00Z", 800, status="FAILED", processing_fee=[]),
        ]
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return SquareConnector({"access_token": TOKEN}, base_url=api.url, client=client, sleep=sleeps.append)


def _options(**kw) -> SyncOptions:
    return SyncOptions(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), **kw)


def test_sqa001_first_sync_pages_with_cursor_and_maps_minor_units(api, connector, drain, rows):
    chunks, state = drain(connector, {}, _options(page_size=2))
    lists = [r for r in api.requests if r.path == "/v2/payments"]
    assert [r.param("cursor") is None for r in lists] == [True, False]
    assert all(r.param("limit") == "2" and r.bearer() == TOKEN and r.headers["square-version"] for r in lists)
    got = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert list(got) == ["P1", "P2", "P3", "P4"]
    p1 = got["P1"]
    assert (p1["amount"], p1["fee"], p1["net"], p1["currency"], p1["status"]) == (
        Decimal("30.19"),
        Decimal("1.18"),
        Decimal("29.01"),
        "USD",
        "succeeded",
    )
    assert p1["created"] == dt.datetime(2024, 3, 1, 17, 15, 2) and p1["customer_id"] == "CUS1"
    assert got["P3"]["amount"] == Decimal("1000.00")  # JPY has no minor unit
    assert got["P4"]["status"] == "failed"
    assert state == {"payments_created": "2024-03-03T10:00:00Z", "refunds_created": "2024-03-03T10:00:00Z"}


def test_sqa002_refund_of_an_old_payment_is_picked_up_next_sync(api, connector, drain, rows):
    _, state = drain(connector, {}, _options())
    api.refund("P2", "2024-03-10T09:00:00Z", 119625, fee_back=3499)
    api.requests.clear()
    chunks, state2 = drain(connector, state, _options())
    got = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert got["P2"]["status"] == "refunded"
    assert (got["P2"]["amount_refunded"], got["P2"]["fee"]) == (Decimal("1196.25"), Decimal("0.00"))
    assert "/v2/payments/P2" in api.paths()
    assert state2["refunds_created"] == "2024-03-10T09:00:00Z"
    # the payment list restarted from the mark minus the overlap, not from the beginning
    first = next(r for r in api.requests if r.path == "/v2/payments")
    assert first.param("begin_time") == "2024-03-03T09:55:00Z"


def test_sqa003_bad_token_is_an_auth_error_without_the_token(api, client, sleeps):
    connector = SquareConnector(
        {"access_token": "wrong-SECRET"}, base_url=api.url, client=client, sleep=sleeps.append
    )
    with pytest.raises(AuthError) as info:
        connector.test_connection()
    assert "access token" in str(info.value) and "SECRET" not in str(info.value)
    assert "could not be authorized" in str(info.value)


def test_sqa004_test_connection_names_locations(connector):
    assert connector.test_connection() == "Connected to Square (Main St)."


def test_sqa005_retries_a_429_then_continues(api, connector, drain, rows, sleeps):
    api.fail_next(
        429,
        {"errors": [{"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED"}]},
        headers={"Retry-After": "2"},
    )
    chunks, _ = drain(connector, {}, _options())
    assert len(rows(chunks["payments"])) == 4 and sleeps == [2.0]


def test_sqa006_unknown_status_is_a_row_error(api, connector, drain, rows):
    api.payments.append(payment("P9", "2024-03-04T10:00:00Z", 100, status="WEIRD"))
    chunks, _ = drain(connector, {}, _options())
    [err] = [e for c in chunks["payments"] for e in c.errors]
    assert err.column == "status" and "WEIRD" in err.reason
