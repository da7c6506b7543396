"""Square, Shopify and PayPal API syncs end to end: fake API -> run_sync -> warehouse -> revenue metrics."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from data.connectors.api import SyncOptions
from data.metrics import query_metric
from tests.fakes.paypal import FakePayPal, transaction
from tests.fakes.shopify import FakeShopify, order
from tests.fakes.square import FakeSquare, payment

MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
OPTIONS = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))


def _sync(services, workspace, client, source: str, credentials: dict, url: str):
    owner = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)
    connections.save_connection(services, owner, source, credentials, base_url=url)
    result = connections.run_sync(
        services, workspace, source, client=client, sleep=lambda s: None, options=OPTIONS
    )
    assert result.status == "ok", result.error
    return result


def _metric(services, workspace, name: str) -> float:
    return float(query_metric(services.warehouse.scoped(workspace), name, *MARCH)["value"][0] or 0)


def test_r2s001_square(services, workspace, client):
    with FakeSquare(token="tok") as api:
        api.payments = [
            payment("P1", "2024-03-01T17:00:00Z", 3019),
            payment("P2", "2024-03-02T17:00:00Z", 10000),
        ]
        api.refund("P2", "2024-03-03T10:00:00Z", 2500)
        result = _sync(services, workspace, client, "square", {"access_token": "tok"}, api.url)
    assert result.inserted == 2
    assert _metric(services, workspace, "gross_revenue") == pytest.approx(130.19)
    assert _metric(services, workspace, "refunds") == pytest.approx(25.00)


def test_r2s002_shopify(services, workspace, client):
    with FakeShopify(token="shpat_x") as api:
        api.orders = [
            order(1001, "2024-03-01T10:00:00Z", "120.00"),
            order(1002, "2024-03-02T10:00:00Z", "80.00"),
        ]
        api.refund("#1002", "2024-03-05T10:00:00Z", "80.00")
        _sync(services, workspace, client, "shopify", {"shop": "acme", "access_token": "shpat_x"}, api.url)
    assert _metric(services, workspace, "gross_revenue") == pytest.approx(200.00)
    assert _metric(services, workspace, "refunds") == pytest.approx(80.00)


def test_r2s003_paypal(services, workspace, client):
    with FakePayPal(client_id="cid", secret="sec") as api:
        api.transactions = [
            transaction("A1", "2024-03-01T10:00:00+0000", "100.00", fee="-3.20"),
            transaction("A2", "2024-03-04T10:00:00+0000", "-40.00", "T1107", fee="1.00"),
            transaction("A3", "2024-03-05T10:00:00+0000", "-500.00", "T0400"),
        ]
        result = _sync(
            services, workspace, client, "paypal", {"client_id": "cid", "client_secret": "sec"}, api.url
        )
    assert result.inserted == 2
    assert _metric(services, workspace, "gross_revenue") == pytest.approx(100.00)
    assert _metric(services, workspace, "refunds") == pytest.approx(40.00)
