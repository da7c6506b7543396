"""PayPal connector against the fake Transaction Search API: OAuth, 31-day windows, paging, what counts as money received."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api.paypal import PayPalConnector
from tests.fakes.paypal import FakePayPal, transaction

CREDS = {"client_id": "AcLIENT", "client_secret": "EsECRET"}


@pytest.fixture
def api():
    with FakePayPal(**{"client_id": "AcLIENT", "secret": "EsECRET"}) as fake:
        fake.transactions = [
            transaction("1AB", "2024-01-05T10:00:00+0000", "1011.70", fee="-35.61"),
            transaction("2CD", "2024-02-20T09:30:00-0800", "50.00", fee="-2.04", email="Other@Example.com"),
            transaction("3EF", "2024-02-21T10:00:00+0000", "-50.00", "T1107", fee="1.74", ref="2CD"),
            transaction("4GH", "2024-02-22T10:00:00+0000", "-500.00", "T0400", item=None),  # withdrawal
            transaction("5IJ", "2024-02-23T10:00:00+0000", "-20.00", "T0006"),  # money this account sent
            transaction("6KL", "2024-03-01T10:00:00+0000", "15.00", status="P"),
            transaction("7MN", "2024-03-02T10:00:00+0000", "abc"),
        ]
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return PayPalConnector(CREDS, base_url=api.url, client=client, sleep=sleeps.append)


def _options(**kw) -> SyncOptions:
    return SyncOptions(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 10), **kw)


def test_pp001_windows_of_31_days_pages_and_one_token(api, connector, drain, rows):
    chunks, state = drain(connector, {}, _options(page_size=1))
    searches = [r for r in api.requests if r.path == "/v1/reporting/transactions"]
    windows = sorted({(r.param("start_date"), r.param("end_date")) for r in searches})
    assert windows == [
        ("2024-01-01T00:00:00-0000", "2024-01-31T23:59:59-0000"),
        ("2024-02-01T00:00:00-0000", "2024-03-02T23:59:59-0000"),
        ("2024-03-03T00:00:00-0000", "2024-03-10T23:59:59-0000"),
    ]
    assert [r.path for r in api.requests].count("/v1/oauth2/token") == 1
    got = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert sorted(got) == ["1AB", "2CD", "3EF", "6KL"]  # no withdrawal, no money sent
    first = got["1AB"]
    assert (first["kind"], first["amount"], first["fee"], first["net"], first["status"]) == (
        "charge",
        Decimal("1011.70"),
        Decimal("35.61"),
        Decimal("976.09"),
        "succeeded",
    )
    assert got["2CD"]["created"] == dt.datetime(2024, 2, 20, 17, 30)
    refund = got["3EF"]
    assert (refund["kind"], refund["status"], refund["amount"], refund["fee"], refund["net"]) == (
        "refund",
        "refunded",
        Decimal("50.00"),
        Decimal("-1.74"),
        Decimal("-48.26"),
    )
    assert got["6KL"]["status"] == "pending"
    [err] = [e for c in chunks["payments"] for e in c.errors]
    assert err.column == "amount" and "7MN" in err.reason
    assert state == {"last_date": "2024-03-10"}


def test_pp002_next_sync_starts_lookback_days_before_the_last_date(api, connector, drain):
    drain(connector, {"last_date": "2024-03-05"}, _options(lookback_days=3))
    first = next(r for r in api.requests if r.path == "/v1/reporting/transactions")
    assert first.param("start_date") == "2024-03-02T00:00:00-0000"


def test_pp003_bad_secret_is_an_auth_error_without_the_secret(api, client, sleeps):
    bad = PayPalConnector(
        {"client_id": "AcLIENT", "client_secret": "wrong-SECRET"},
        base_url=api.url,
        client=client,
        sleep=sleeps.append,
    )
    with pytest.raises(AuthError) as info:
        bad.test_connection()
    message = str(info.value)
    assert (
        "client ID and secret" in message
        and "Client Authentication failed" in message
        and "SECRET" not in message
    )
