"""Shopify connector against the fake Admin API: Link-header cursors, refunds, cancellations, resume by updated_at."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import AuthError, SyncOptions
from data.connectors.api.shopify import ShopifyConnector
from tests.fakes.shopify import FakeShopify, order

TOKEN = "shpat_test_token"


@pytest.fixture
def api():
    with FakeShopify(token=TOKEN) as fake:
        fake.orders = [
            order(1001, "2024-03-01T10:00:00-05:00", "120.00", email="Ada@Example.com"),
            order(1002, "2024-03-02T10:00:00Z", "45.50", line_items=[{"title": "A"}, {"title": "B"}]),
            order(
                1003,
                "2024-03-03T10:00:00Z",
                "10.00",
                cancelled_at="2024-03-03T11:00:00Z",
                financial_status="voided",
            ),
            order(1004, "2024-03-04T10:00:00Z", "99.99", financial_status="pending"),
            order(1005, "2024-03-05T10:00:00Z", "5.00", financial_status="mystery"),
        ]
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return ShopifyConnector(
        {"shop": "acme.myshopify.com", "access_token": TOKEN},
        base_url=api.url,
        client=client,
        sleep=sleeps.append,
    )


def _options(**kw) -> SyncOptions:
    return SyncOptions(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), **kw)


def test_sha001_pages_follow_the_link_header(api, connector, drain, rows):
    chunks, state = drain(connector, {}, _options(page_size=2))
    lists = [r for r in api.requests if r.path.endswith("/orders.json")]
    assert len(lists) == 3
    assert lists[0].param("status") == "any" and lists[0].param("page_info") is None
    assert all(set(r.query) == {"limit", "page_info"} for r in lists[1:])  # nothing else with page_info
    got = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert list(got) == ["#1001", "#1002", "#1003", "#1004"]
    first = got["#1001"]
    assert (first["amount"], first["amount_refunded"], first["status"], first["currency"]) == (
        Decimal("120.00"),
        Decimal("0.00"),
        "succeeded",
        "USD",
    )
    assert first["created"] == dt.datetime(2024, 3, 1, 15, 0) and first["country"] == "US"
    assert got["#1002"]["product"] == "multiple" and got["#1003"]["status"] == "failed"
    assert got["#1004"]["status"] == "pending"
    [err] = [e for c in chunks["payments"] for e in c.errors]
    assert err.column == "status" and "mystery" in err.reason
    assert state == {"orders_updated": "2024-03-05T10:00:00Z"}


def test_sha002_a_refund_brings_the_old_order_back(api, connector, drain, rows):
    _, state = drain(connector, {}, _options())
    api.refund("#1001", "2024-03-20T12:00:00Z", "20.00")
    api.requests.clear()
    chunks, state2 = drain(connector, state, _options())
    got = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert list(got) == ["#1001"]
    assert (got["#1001"]["amount_refunded"], got["#1001"]["net"], got["#1001"]["status"]) == (
        Decimal("20.00"),
        Decimal("100.00"),
        "succeeded",
    )
    assert api.requests[0].param("updated_at_min") == "2024-03-05T09:55:00Z"
    assert state2 == {"orders_updated": "2024-03-20T12:00:00Z"}


def test_sha003_bad_token_and_bad_shop(api, client, sleeps):
    bad = ShopifyConnector(
        {"shop": "acme", "access_token": "shpat_SECRET"}, base_url=api.url, client=client, sleep=sleeps.append
    )
    with pytest.raises(AuthError) as info:
        bad.test_connection()
    assert "Invalid API key" in str(info.value) and "SECRET" not in str(info.value)
    with pytest.raises(AuthError, match="not a myshopify.com name"):
        ShopifyConnector({"shop": "https://evil.example/x", "access_token": TOKEN})


def test_sha004_shop_domain_forms(connector):
    for typed in ("acme", "acme.myshopify.com", "https://acme.myshopify.com/"):
        c = ShopifyConnector({"shop": typed, "access_token": TOKEN})
        try:
            assert c.base_url == "https://acme.myshopify.com"
        finally:
            c.close()
    assert connector.test_connection() == "Connected to Shopify (Acme Store)."
