"""Overview KPI row over HTTP: the cached row equals the metrics and follows new data."""

from __future__ import annotations

import json
from datetime import date, timedelta

from components.formatting import format_value
from data.metrics import query_metric
from tests.conftest import load, payments_frame
from tests.integration.test_callbacks_security import _kpi_request


def _row(client, compare=None) -> str:
    store = {"range": "last_7_days", "start": str(date.today() - timedelta(days=6)), "end": str(date.today()),
             "compare": compare, "grain": "day"}  # fmt: skip
    response = client.post("/_dash-update-component", json=_kpi_request(store))
    assert response.status_code == 200
    return json.dumps(response.get_json())


def _pay(services, workspace, pid: str, amount: str) -> None:
    created = f"{date.today() - timedelta(days=1)} 12:00"
    load(services, workspace, "payments", payments_frame([{"id": pid, "created": created, "amount": amount}]),
         name=pid)  # fmt: skip


def test_ovw001_kpi_row_is_cached_and_follows_an_import(app, client, auth, services, workspace):
    app.server.extensions["pulseboard"] = services  # the app reads the warehouse handle the test writes
    _pay(services, workspace, "a1", "1234.00")
    auth.login("owner@acme.test")
    first = _row(client)
    assert first == _row(client)  # the cached row answers the same
    value = query_metric(
        services.warehouse.scoped(workspace), "net_revenue", date.today() - timedelta(days=6), date.today()
    )
    assert value["value"][0] == 1234
    assert format_value(1234.0, "currency", "USD", compact=True) in first
    assert all(f"pb-kpi-{name}" in first for name in ("net_revenue", "mrr", "new_customers", "spend", "roas"))
    _pay(services, workspace, "a2", "1000.00")  # a new data version: the row is rebuilt
    second = _row(client)
    assert format_value(2234.0, "currency", "USD", compact=True) in second
    assert "prev. period" in _row(client, compare="previous_period")  # another key: its own row
