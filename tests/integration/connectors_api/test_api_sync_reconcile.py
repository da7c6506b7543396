"""API syncs reconcile like file imports: the records the API returned against what the warehouse holds for the run.

Each test builds a fake vendor API on loopback, syncs it with ``run_sync`` and checks the
result's ``reconciliation`` block against totals worked out here from the fake's own records
(minor units summed and divided, not the connector's numbers), then the same block in
``pulseboard sync --json`` and in the Data sources page's job result.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from click.testing import CliRunner

from callbacks.sources import start_sync_job
from components.sources import results_table
from dashboard import connections, jobs
from dashboard.accounts import WorkspaceContext
from dashboard.cli import cli
from dashboard.models import Role
from data.connectors.api import SyncOptions
from tests.fakes.paypal import FakePayPal, transaction
from tests.fakes.shopify import FakeShopify, order
from tests.fakes.square import FakeSquare, payment
from tests.fakes.stripe import FakeStripe
from tests.unit.connectors._ingest import add_fx_rate

OPTIONS = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
KEY = "sk_test_51FakeKeyForTests0000"
MARCH_5 = int(dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC).timestamp())
DAY = 86400


def _owner(workspace) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)


def _sync(services, workspace, client, source: str, credentials: dict, url: str, **kwargs):
    connections.save_connection(services, _owner(workspace), source, credentials, base_url=url)
    return connections.run_sync(
        services, workspace, source, client=client, sleep=lambda s: None, options=OPTIONS, **kwargs
    )


def _ok(reconciliation: dict) -> dict:
    """Every total must match; returns {total: file value} for the caller's expectations."""
    bad = {k: v for k, v in reconciliation.items() if not v["ok"]}
    assert not bad, bad
    assert all(v["file"] == v["imported"] for v in reconciliation.values())
    return {k: v["file"] for k, v in reconciliation.items()}


def _adds_up(result) -> None:
    assert result.unaccounted() == 0, (result.rows_read, result.inserted, result.skipped)


def _stripe(api: FakeStripe) -> None:
    api.add_charge("ch_1", 1999, "usd", MARCH_5, fee=88, customer="cus_1", email="ann@example.com")
    api.add_charge("ch_2", 5000, "usd", MARCH_5 + DAY, fee=175)
    api.add_charge("ch_3", 12345, "eur", MARCH_5 + 2 * DAY, fee=390, bt_currency="usd", exchange_rate=1.1)
    api.add_refund("re_1", "ch_2", 1250, MARCH_5 + 3 * DAY)
    api.add_customer("cus_1", MARCH_5 - DAY, email="ann@example.com", name="Ann")


def test_rsy001_stripe_sync_reconciles_per_currency(services, workspace, client):
    add_fx_rate(services, workspace, "EUR", 1.1)
    with FakeStripe(api_key=KEY) as api:
        _stripe(api)
        result = _sync(services, workspace, client, "stripe", {"secret_key": KEY}, api.url)
        usd = [c for c in api.charges if c["currency"] == "usd"]
        eur = [c for c in api.charges if c["currency"] == "eur"]
    assert result.status == "ok", result.error
    totals = _ok(result.reconciliation)
    assert totals["rows payments"] == 3 and totals["rows customers"] == 1
    cents = Decimal(100)
    assert Decimal(str(totals["gross USD"])) == sum(Decimal(c["amount"]) for c in usd) / cents
    assert Decimal(str(totals["gross EUR"])) == Decimal(eur[0]["amount"]) / cents
    assert Decimal(str(totals["refunds USD"])) == Decimal("12.50")
    _adds_up(result)


def test_rsy002_paypal_sync_reconciles_refund_lines_and_skips_withdrawals(services, workspace, client):
    with FakePayPal(client_id="cid", secret="sec") as api:
        api.transactions = [
            transaction("A1", "2024-03-01T10:00:00+0000", "100.00", fee="-3.20"),
            transaction("A2", "2024-03-02T10:00:00+0000", "19.99", fee="-0.88"),
            transaction("A3", "2024-03-04T10:00:00+0000", "-40.00", "T1107", fee="1.00", ref="A1"),
            transaction("A4", "2024-03-05T10:00:00+0000", "-500.00", "T0400"),  # a withdrawal
        ]
        result = _sync(
            services, workspace, client, "paypal", {"client_id": "cid", "client_secret": "sec"}, api.url
        )
    assert result.status == "ok", result.error
    totals = _ok(result.reconciliation)
    assert totals["rows payments"] == 3
    assert (totals["gross USD"], totals["refunds USD"]) == (119.99, 40)
    assert sum(result.skipped.values()) == 1  # the withdrawal: read, counted, not imported
    _adds_up(result)


def test_rsy003_shopify_sync_reconciles(services, workspace, client):
    with FakeShopify(token="shpat_x") as api:
        api.orders = [
            order(1001, "2024-03-01T10:00:00Z", "120.00"),
            order(1002, "2024-03-02T10:00:00Z", "80.50"),
            order(1003, "2024-03-03T10:00:00Z", "0.99"),
        ]
        api.refund("#1002", "2024-03-05T10:00:00Z", "30.25")
        result = _sync(
            services, workspace, client, "shopify", {"shop": "acme", "access_token": "shpat_x"}, api.url
        )
    assert result.status == "ok", result.error
    totals = _ok(result.reconciliation)
    assert (totals["rows payments"], totals["gross USD"], totals["refunds USD"]) == (3, 201.49, 30.25)
    _adds_up(result)


def test_rsy004_square_sync_reconciles(services, workspace, client):
    with FakeSquare(token="tok") as api:
        api.payments = [
            payment("P1", "2024-03-01T17:00:00Z", 3019),
            payment("P2", "2024-03-02T17:00:00Z", 10000),
        ]
        api.refund("P2", "2024-03-03T10:00:00Z", 2500)
        result = _sync(services, workspace, client, "square", {"access_token": "tok"}, api.url)
        fees = sum(p["processing_fee"][0]["amount_money"]["amount"] for p in api.payments)
    assert result.status == "ok", result.error
    totals = _ok(result.reconciliation)
    assert (totals["gross USD"], totals["refunds USD"]) == (130.19, 25)
    assert Decimal(str(totals["fees USD"])) == Decimal(fees) / 100
    _adds_up(result)


def test_rsy005_a_difference_marks_the_sync_partial_with_the_reason(services, workspace, client):
    """A charge the warehouse cannot take (no rate from EUR to the workspace's USD) is in the API's totals, not the warehouse's."""
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_1", 1999, "usd", MARCH_5, fee=88)
        api.add_charge("ch_2", 5000, "eur", MARCH_5 + DAY)  # no balance transaction: no converted amount
        result = _sync(services, workspace, client, "stripe", {"secret_key": KEY}, api.url)
    assert result.status == "partial"
    rec = result.reconciliation
    assert rec["rows payments"] == {"file": 2, "imported": 1, "ok": False}
    assert rec["gross EUR"] == {"file": 50, "imported": 0, "ok": False}
    assert rec["gross USD"]["ok"] is True
    assert "imported totals differ" in result.error and "gross EUR: file 50.00, imported 0" in result.error
    item = connections.sync_result("stripe", result)
    assert item["reconciliation"] == rec and item["status"] == "partial"


def _cli(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout


def test_rsy006_cli_sync_json_and_text_carry_the_reconciliation(services, workspace, client, monkeypatch):
    real = connections.run_sync
    monkeypatch.setattr(
        connections,
        "run_sync",
        lambda *a, **k: real(*a, **{"client": client, "sleep": lambda s: None, "options": OPTIONS, **k}),
    )
    with FakeStripe(api_key=KEY) as api:
        add_fx_rate(services, workspace, "EUR", 1.1)
        _stripe(api)
        connections.save_connection(
            services, _owner(workspace), "stripe", {"secret_key": KEY}, base_url=api.url
        )
        code, out = _cli(services, "sync", "stripe", "--workspace", "acme", "--json")
        assert code == 0, out
        [item] = json.loads(out)["syncs"]
        assert item["reconciliation"]["rows payments"] == {"file": 3, "imported": 3, "ok": True}
        assert item["reconciliation"]["refunds USD"] == {"file": 12.5, "imported": 12.5, "ok": True}
        assert item["rows_read"] == item["inserted"] + item["updated"] + item["quarantined"] + item["skipped"]
        # nothing new since the cursor: the block is still there, and says so
        code, out = _cli(services, "sync", "stripe", "--workspace", "acme")
        assert code == 0, out
        assert "reconciliation: matches the API" in out
    code, out = _cli(services, "runs", "--workspace", "acme", "--json")
    stored = json.loads(json.loads(out)["runs"][0]["reconciliation"])
    assert all(v["ok"] for v in stored.values()) and "rows payments" in stored


def test_rsy007_data_sources_sync_job_result_shows_the_reconciliation(services, workspace):
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with FakeSquare(token="tok") as api:
        api.payments = [payment("P1", recent, 3019)]
        connections.save_connection(
            services, _owner(workspace), "square", {"access_token": "tok"}, base_url=api.url
        )
        job = start_sync_job(services, _owner(workspace), "square")
        assert jobs.REGISTRY.wait(job, timeout=60)
    [result] = job.snapshot()["results"]
    assert result["status"] == "ok", result["error"]
    assert result["kind"] == "sync" and result["file"] == "Square API"
    assert result["reconciliation"]["gross USD"] == {"file": 30.19, "imported": 30.19, "ok": True}
    shown = json.dumps(results_table([result]).to_plotly_json(), default=str)
    assert "Totals: matches the API." in shown
