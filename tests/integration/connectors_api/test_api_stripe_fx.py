"""Stripe API: charges settled in another currency report the balance transaction's amounts.

The fake Stripe settles a cross-currency charge as Stripe documents it (balance_transaction.amount
= charge amount x exchange_rate in the settlement currency; fee and net in it too; a refund has
its own balance transaction). Expectations are worked out here from the fake's own records.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from data.connectors.api import SyncOptions
from data.connectors.api.stripe import StripeConnector
from tests.fakes.stripe import FakeStripe, settle
from tests.unit.connectors._ingest import add_fx_rate

KEY = "sk_test_51FakeKeyForTests0000"
OPTIONS = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
MARCH_5 = int(dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC).timestamp())
DAY = 86400
CENTS = Decimal(100)


def test_api070_the_fake_settles_at_the_exchange_rate_like_stripe():
    assert settle(10000, "eur", "usd", 1.0837) == 10837  # 100.00 EUR -> 108.37 USD
    assert settle(12345, "eur", "usd", 1.1) == 13580  # 135.795 rounds to 135.80
    assert settle(5000, "jpy", "usd", 0.0067) == 3350  # ¥5000 (no minor unit) -> 33.50 USD
    assert settle(999, "usd", "usd", None) == 999


def test_api071_a_cross_currency_charge_keeps_its_currency_and_reports_the_settled_amounts(client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 12345, "eur", MARCH_5, fee=424, bt_currency="usd", exchange_rate=1.0837)
        api.add_charge("ch_usd", 2000, "usd", MARCH_5 + 60, fee=88)
        api.add_charge("ch_gbp", 5000, "gbp", MARCH_5 + 120, fee=175, bt_currency="eur", exchange_rate=1.17)
        bt = api.balance_transactions["txn_ch_eur"]
        connector = StripeConnector(
            {"secret_key": KEY}, base_url=api.url, client=client, sleep=lambda s: None
        )
        rows = {
            r["source_id"]: r
            for chunk in connector.sync({}, OPTIONS)
            if chunk.table == "payments"
            for r in chunk.frame.to_dicts()
        }
    eur = rows["ch_eur"]
    assert (eur["amount"], eur["currency"]) == (Decimal("123.45"), "EUR")  # the charge's own
    assert bt["amount"] == 13378  # 123.45 x 1.0837 = 133.783... USD
    assert eur["amount_reporting"] == Decimal(bt["amount"]) / CENTS
    assert eur["fee_reporting"] == Decimal(bt["fee"]) / CENTS
    assert eur["refunded_reporting"] == Decimal("0.00")
    assert eur["fee"] == Decimal("3.91")  # 4.24 USD back in EUR at the charge's rate
    # same currency: nothing to convert, ingest copies the amount; a third currency: the FX table
    assert rows["ch_usd"]["amount_reporting"] is None
    assert rows["ch_gbp"]["amount_reporting"] is None and rows["ch_gbp"]["currency"] == "GBP"


def _owner(workspace) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)


def _stored(services, workspace, source_id: str) -> tuple:
    return (
        services.warehouse.cursor()
        .execute(
            "SELECT amount, amount_refunded, currency, amount_reporting, refunded_reporting, fee_reporting "
            "FROM payments WHERE workspace_id = ? AND source_id = ?",
            [workspace.id, source_id],
        )
        .fetchone()
    )


def test_api072_sync_of_a_cross_currency_charge_and_its_refund_needs_no_fx_table(services, workspace, client):
    """No EUR rate is uploaded: the settled amounts alone put the charge in the USD reports."""
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_charge("ch_usd", 5000, "usd", MARCH_5 + DAY, fee=175)
        connections.save_connection(
            services, _owner(workspace), "stripe", {"secret_key": KEY}, base_url=api.url
        )
        first = connections.run_sync(
            services, workspace, "stripe", client=client, sleep=lambda s: None, options=OPTIONS
        )
        assert first.status == "ok", first.error
        assert first.quarantined == 0
        paid = api.balance_transactions["txn_ch_eur"]
        assert _stored(services, workspace, "ch_eur") == (
            Decimal("100.00"),
            Decimal("0.00"),
            "EUR",
            Decimal(paid["amount"]) / CENTS,  # 108.37
            Decimal("0.00"),
            Decimal(paid["fee"]) / CENTS,
        )

        # a partial refund after the first sync: the next sync re-reads the charge through /v1/refunds
        refund_day = int(dt.datetime.now(dt.UTC).timestamp()) + 60
        api.add_refund("re_1", "ch_eur", 2550, refund_day)
        second = connections.run_sync(
            services, workspace, "stripe", client=client, sleep=lambda s: None, options=OPTIONS
        )
        refunded = api.balance_transactions["txn_re_1"]
    assert second.status == "ok", second.error
    assert all(v["ok"] for v in second.reconciliation.values()), second.reconciliation
    assert second.reconciliation["refunds EUR"]["file"] == 25.5
    assert refunded["amount"] == -2763  # 25.50 EUR x 1.0837 = 27.634... USD leave the balance
    stored = _stored(services, workspace, "ch_eur")
    assert stored[1:5] == (Decimal("25.50"), "EUR", Decimal("108.37"), -Decimal(refunded["amount"]) / CENTS)
    # the USD reports: revenue and refunds in the settlement amounts, no FX table involved
    totals = (
        services.warehouse.cursor()
        .execute(
            "SELECT sum(amount_reporting), sum(refunded_reporting) FROM payments WHERE workspace_id = ?",
            [workspace.id],
        )
        .fetchone()
    )
    assert totals == (Decimal("158.37"), Decimal("27.63"))


def test_api073_settled_in_a_third_currency_the_fx_table_converts_the_charge(services, workspace, client):
    add_fx_rate(services, workspace, "GBP", 1.25)
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_gbp", 4000, "gbp", MARCH_5, fee=150, bt_currency="eur", exchange_rate=1.17)
        connections.save_connection(
            services, _owner(workspace), "stripe", {"secret_key": KEY}, base_url=api.url
        )
        result = connections.run_sync(
            services, workspace, "stripe", client=client, sleep=lambda s: None, options=OPTIONS
        )
    assert result.status == "ok", result.error
    assert _stored(services, workspace, "ch_gbp")[:4] == (
        Decimal("40.00"),
        Decimal("0.00"),
        "GBP",
        Decimal("50.00"),  # 40 GBP x 1.25 from the workspace's table, not the EUR settlement
    )
