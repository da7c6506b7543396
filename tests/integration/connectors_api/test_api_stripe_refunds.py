"""Stripe API: each refund is a refund line, on its own day, at its own balance transaction's rate.

A EUR charge in a USD Stripe account settles at the charge day's rate; a refund of it made
weeks later has its own balance transaction at the refund day's rate, and Stripe's balance
counts it on that day. The fake Stripe settles refunds that way; expectations come from the
fake's own balance transactions. The workspace reports in USD and has no EUR rate, so every
USD amount below comes from Stripe, not from an FX table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from data.connectors.api import SyncOptions
from data.connectors.api._stripe_refunds import map_refund
from data.connectors.api.stripe import OVERLAP_SECONDS, StripeConnector
from tests.fakes.stripe import MAX_EXPAND_DEPTH, FakeStripe

KEY = "sk_test_51FakeKeyForTests0000"
OPTIONS = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
MARCH_5 = int(dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC).timestamp())
DAY = 86400
CENTS = Decimal(100)


def _owner(workspace) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)


def _sync(services, workspace, client, api: FakeStripe):
    result = connections.run_sync(
        services, workspace, "stripe", client=client, sleep=lambda s: None, options=OPTIONS
    )
    assert result.status == "ok", result.error
    assert result.quarantined == 0
    assert all(v["ok"] for v in result.reconciliation.values()), result.reconciliation
    return result


def _connect(services, workspace, api: FakeStripe) -> None:
    connections.save_connection(services, _owner(workspace), "stripe", {"secret_key": KEY}, base_url=api.url)


def _payments(services, workspace) -> dict[str, dict]:
    cur = services.warehouse.cursor()
    cur.execute(
        "SELECT source_id, kind, status, created, amount, amount_refunded, currency, amount_reporting,"
        " refunded_reporting, fee_reporting, net, customer_id FROM payments WHERE workspace_id = ?",
        [workspace.id],
    )
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _refunds_by_day(services, workspace) -> dict[dt.date, Decimal]:
    """The refunds metric's rollup (payments_daily), per day with any refunds."""
    rows = (
        services.warehouse.cursor()
        .execute(
            "SELECT day, sum(refunds) FROM payments_daily WHERE workspace_id = ? GROUP BY day HAVING sum(refunds) <> 0",
            [workspace.id],
        )
        .fetchall()
    )
    return dict(rows)


def _settled(api: FakeStripe, refund_id: str) -> Decimal:
    """USD that left the balance for a refund, from its own balance transaction."""
    return -Decimal(api.balance_transactions[f"txn_{refund_id}"]["amount"]) / CENTS


def test_api080_a_later_refund_of_a_eur_charge_counts_at_its_own_rate_on_its_own_day(
    services, workspace, client
):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge(
            "ch_eur",
            10000,
            "eur",
            MARCH_5,
            fee=344,
            customer="cus_1",
            bt_currency="usd",
            exchange_rate=1.0837,
        )
        # three weeks later the euro is cheaper: 100 EUR cost the balance 105.00 USD, not 108.37
        api.add_refund("re_full", "ch_eur", 10000, MARCH_5 + 21 * DAY, exchange_rate=1.05)
        _connect(services, workspace, api)
        result = _sync(services, workspace, client, api)
        assert _settled(api, "re_full") == Decimal("105.00")
    stored = _payments(services, workspace)
    charge, line = stored["ch_eur"], stored["re_full"]
    assert (charge["kind"], charge["status"], charge["amount_refunded"], charge["refunded_reporting"]) == (
        "charge",
        "refunded",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert charge["amount_reporting"] == Decimal("108.37")
    assert (line["kind"], line["status"], line["amount"], line["amount_refunded"], line["currency"]) == (
        "refund",
        "refunded",
        Decimal("100.00"),
        Decimal("0.00"),
        "EUR",
    )
    assert line["created"] == dt.datetime(2024, 3, 26, 12)
    assert (line["amount_reporting"], line["fee_reporting"], line["net"]) == (
        Decimal("105.00"),
        Decimal("0.00"),
        Decimal("-100.00"),
    )
    assert line["customer_id"] == "cus_1"
    # the refunds metric: on the refund's day, in the balance's dollars
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 26): Decimal("105.00")}
    assert result.reconciliation["refunds EUR"]["file"] == 100
    assert result.reconciliation["rows payments"]["file"] == 2


def test_api081_a_partial_and_a_second_refund_each_keep_their_own_rate_and_day(services, workspace, client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 20000, "eur", MARCH_5, fee=600, bt_currency="usd", exchange_rate=1.08)
        api.add_refund("re_a", "ch_eur", 5000, MARCH_5 + 7 * DAY, exchange_rate=1.05)
        api.add_refund("re_b", "ch_eur", 3000, MARCH_5 + 15 * DAY, exchange_rate=1.12, fee=-40)
        _connect(services, workspace, api)
        result = _sync(services, workspace, client, api)
        first, second = _settled(api, "re_a"), _settled(api, "re_b")
    assert (first, second) == (Decimal("52.50"), Decimal("33.60"))
    stored = _payments(services, workspace)
    assert stored["ch_eur"]["status"] == "succeeded" and stored["ch_eur"]["amount_refunded"] == Decimal(
        "0.00"
    )
    assert stored["ch_eur"]["net"] == Decimal("194.44")  # 200 - fee 6.00 USD at 1.08 = 5.56 EUR
    assert [stored[r]["amount"] for r in ("re_a", "re_b")] == [Decimal("50.00"), Decimal("30.00")]
    assert [stored[r]["amount_reporting"] for r in ("re_a", "re_b")] == [first, second]
    # Stripe gave 0.40 USD of fees back with the second refund: a negative fee change, and at
    # the refund's own rate 0.36 EUR; net = -amount - fee
    assert (stored["re_b"]["fee_reporting"], stored["re_b"]["net"]) == (Decimal("-0.40"), Decimal("-29.64"))
    assert _refunds_by_day(services, workspace) == {
        dt.date(2024, 3, 12): Decimal("52.50"),
        dt.date(2024, 3, 20): Decimal("33.60"),
    }
    assert result.reconciliation["refunds EUR"]["file"] == 80
    assert result.reconciliation["gross EUR"]["file"] == 200


def test_api082_a_later_sync_picks_up_a_late_refund_at_its_own_rate(services, workspace, client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund("re_early", "ch_eur", 2000, MARCH_5 + 5 * DAY, exchange_rate=1.07)
        _connect(services, workspace, api)
        _sync(services, workspace, client, api)
        api.requests.clear()

        # weeks later (after the first sync's mark) another part is refunded at another rate
        late = int(dt.datetime.now(dt.UTC).timestamp()) + 60
        api.add_refund("re_late", "ch_eur", 3000, late, exchange_rate=0.95)
        second = _sync(services, workspace, client, api)
        listed = [r for r in api.requests if r.path == "/v1/refunds"]
        assert listed[0].params("expand[]") == [
            "data.balance_transaction",
            "data.charge",
            "data.charge.balance_transaction",
        ]
        assert listed[0].param("created[gte]") == str(MARCH_5 + 5 * DAY - OVERLAP_SECONDS)
        early, settled = _settled(api, "re_early"), _settled(api, "re_late")
    assert settled == Decimal("28.50")  # 30 EUR at 0.95, not at the charge's 1.0837 (32.51)
    stored = _payments(services, workspace)
    assert stored["re_late"]["amount_reporting"] == settled
    assert stored["re_late"]["created"] == dt.datetime.fromtimestamp(late, dt.UTC).replace(tzinfo=None)
    assert stored["re_early"]["amount_reporting"] == early == Decimal("21.40")
    # the charge was re-read (its refunds changed) and still holds none of them
    assert stored["ch_eur"]["amount_refunded"] == Decimal("0.00")
    # re_early again too: it is within the look-back over the mark (an upsert, counted once)
    assert second.reconciliation["refunds EUR"]["file"] == 50
    refunded = (
        services.warehouse.cursor()
        .execute("SELECT sum(refunds) FROM payments_daily WHERE workspace_id = ?", [workspace.id])
        .fetchone()[0]
    )
    assert refunded == early + settled


@pytest.fixture
def api_fake_with_two_refunds():
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        early, late = MARCH_5 + 5 * DAY, MARCH_5 + 15 * DAY
        api.add_refund("re_early", "ch_eur", 2000, early, exchange_rate=1.07)
        api.add_refund("re_late", "ch_eur", 3000, late, exchange_rate=0.95)
        yield api, early, late


def test_api083_a_charge_whose_earlier_refunds_are_before_the_mark_gets_them_listed_by_charge(
    api_fake_with_two_refunds, client, drain, rows
):
    """A charge row never goes out without lines for all its refunds (rows of older syncs held them on the charge)."""
    api, early, late = api_fake_with_two_refunds
    connector = StripeConnector({"secret_key": KEY}, base_url=api.url, client=client, sleep=lambda s: None)
    # a cursor from before re_late: the charge is old, re_early is behind the refunds mark
    state = {"charges_created": MARCH_5 + DAY, "customers_created": MARCH_5, "refunds_created": early + 3600}
    chunks, _ = drain(connector, state, OPTIONS)
    payments = {r["source_id"]: r for r in rows(chunks["payments"])}
    by_charge = [r for r in api.requests if r.path == "/v1/refunds" and r.param("charge")]
    assert [r.param("charge") for r in by_charge] == ["ch_eur"]
    assert by_charge[0].params("expand[]") == ["data.balance_transaction"]
    assert set(payments) == {"ch_eur", "re_early", "re_late"}
    assert payments["ch_eur"]["amount_refunded"] == Decimal("0.00")
    assert payments["re_early"]["amount_reporting"] == Decimal("21.40")  # its own rate, 1.07


def test_api084_a_refund_without_a_balance_transaction_falls_back_to_the_charges_rate(
    services, workspace, client
):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund(
            "re_1", "ch_eur", 2550, MARCH_5 + 3 * DAY, exchange_rate=1.02, balance_transaction=False
        )
        _connect(services, workspace, api)
        _sync(services, workspace, client, api)
    line = _payments(services, workspace)["re_1"]
    assert line["kind"] == "refund" and line["created"] == dt.datetime(2024, 3, 8, 12)
    assert line["amount_reporting"] == Decimal("27.63")  # 25.50 x 1.0837, the charge's rate
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 8): Decimal("27.63")}


def test_api085_refund_mapping_edges():
    charge = {"id": "ch_1", "amount": 1000, "currency": "usd", "customer": "cus_9"}
    failed = map_refund(
        {"id": "re_f", "amount": 500, "currency": "usd", "created": MARCH_5, "status": "failed"}, charge
    )
    assert (failed["status"], failed["net"], failed["amount"]) == ("failed", Decimal("0.00"), Decimal("5.00"))
    assert failed["customer_id"] == "cus_9"
    # a refund of a customer's cash balance refunds no charge: not a payments row
    assert (
        map_refund({"id": "re_cb", "amount": 500, "currency": "usd", "created": MARCH_5, "charge": None})
        is None
    )


def test_api086_the_fake_expands_like_stripe(client):
    """Charges carry ``refunds`` only when expanded; more than four levels is refused like Stripe does."""
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund("re_1", "ch_eur", 2550, MARCH_5 + DAY, exchange_rate=1.05)
        url = f"{api.url}/v1/charges"
        plain = client.get(url, auth=(KEY, "")).json()["data"][0]
        assert "refunds" not in plain and plain["balance_transaction"] == "txn_ch_eur"
        deep = client.get(url, params={"expand[]": "data.refunds.data.balance_transaction"}, auth=(KEY, ""))
        refunds = deep.json()["data"][0]["refunds"]
        assert refunds["object"] == "list" and refunds["has_more"] is False
        assert refunds["data"][0]["balance_transaction"]["amount"] == -2678  # 25.50 x 1.05 USD
        too_deep = client.get(
            url, params={"expand[]": "data.refunds.data.balance_transaction.source"}, auth=(KEY, "")
        )
        assert too_deep.status_code == 400 and f"more than {MAX_EXPAND_DEPTH} levels" in too_deep.text
        nested = client.get(
            f"{api.url}/v1/refunds", params={"expand[]": "data.charge.balance_transaction"}, auth=(KEY, "")
        )
        assert nested.json()["data"][0]["charge"]["balance_transaction"]["exchange_rate"] == 1.0837
        unknown = client.get(url, params={"expand[]": "data.amount"}, auth=(KEY, ""))
        assert unknown.status_code == 400 and "cannot be expanded (amount)" in unknown.text
