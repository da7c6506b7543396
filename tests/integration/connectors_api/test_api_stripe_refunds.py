"""Stripe API refunds: on their charge's row, each at its own balance transaction's rate.

A EUR charge in a USD Stripe account settles at the charge day's rate; a refund of it made
weeks later has its own balance transaction at the refund day's rate. The charge's row keeps
Stripe's ``amount_refunded`` and is dated by the charge (as the Payments export's row is, and
as the ``refunds`` metric says), and its ``refunded_reporting`` is what the refunds' own balance
transactions took from the balance. The fake Stripe settles refunds that way; expectations come
from the fake's own balance transactions. The workspace reports in USD and every USD amount
below comes from Stripe, not from an FX table.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from data.connectors.api import SyncOptions
from data.connectors.api._stripe_refunds import Refund, read_refund, settled_refunds
from data.connectors.api.stripe import OVERLAP_SECONDS, StripeConnector
from data.importer import import_file
from data.sync_state import read_state
from tests.fakes.stripe import MAX_EXPAND_DEPTH, FakeStripe

KEY = "sk_test_51FakeKeyForTests0000"
OPTIONS = SyncOptions(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
MARCH_5 = int(dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC).timestamp())
DAY = 86400
CENTS = Decimal(100)
PAYMENTS_EXPORT = Path(__file__).resolve().parents[2] / "fixtures" / "vendor" / "stripe_payments_new.csv"


def _owner(workspace) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)


def _sync(services, workspace, client):
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
        "SELECT source_id, source, kind, status, created, amount, amount_refunded, currency, amount_reporting,"
        " refunded_reporting, fee, fee_reporting, net, customer_id FROM payments WHERE workspace_id = ?",
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


def test_api080_a_later_refund_of_a_eur_charge_counts_at_its_own_rate_on_the_charges_day(
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
        result = _sync(services, workspace, client)
        assert _settled(api, "re_full") == Decimal("105.00")
    stored = _payments(services, workspace)
    assert set(stored) == {"ch_eur"}  # no refund lines: the refund is on its charge
    charge = stored["ch_eur"]
    assert (charge["kind"], charge["status"], charge["created"]) == (
        "charge",
        "refunded",
        dt.datetime(2024, 3, 5, 12),
    )
    assert (charge["amount_refunded"], charge["amount_reporting"], charge["refunded_reporting"]) == (
        Decimal("100.00"),
        Decimal("108.37"),
        Decimal("105.00"),
    )
    # the refunds metric: on the charge's day (like the file import), in the balance's dollars
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("105.00")}
    assert result.reconciliation["refunds EUR"]["file"] == 100
    assert result.reconciliation["rows payments"]["file"] == 1


def test_api081_a_partial_and_a_second_refund_each_count_at_their_own_rate(services, workspace, client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 20000, "eur", MARCH_5, fee=600, bt_currency="usd", exchange_rate=1.08)
        api.add_refund("re_a", "ch_eur", 5000, MARCH_5 + 7 * DAY, exchange_rate=1.05)
        # Stripe gives 0.40 USD of the fee back with the second refund
        api.add_refund("re_b", "ch_eur", 3000, MARCH_5 + 15 * DAY, exchange_rate=1.12, fee=-40)
        _connect(services, workspace, api)
        result = _sync(services, workspace, client)
        first, second = _settled(api, "re_a"), _settled(api, "re_b")
    assert (first, second) == (Decimal("52.50"), Decimal("33.60"))
    charge = _payments(services, workspace)["ch_eur"]
    assert (charge["status"], charge["amount_refunded"]) == ("succeeded", Decimal("80.00"))
    # 52.50 + 33.60, not the 80 EUR at the charge's 1.08 (86.40)
    assert charge["refunded_reporting"] == first + second == Decimal("86.10")
    # fees as the balance paid them: 6.00 - 0.40 USD; in EUR 6.00 at 1.08 (5.56) and -0.40 at
    # the refund's own 1.12 (-0.36); net = amount - refunded - fee
    assert (charge["fee_reporting"], charge["fee"], charge["net"]) == (
        Decimal("5.60"),
        Decimal("5.20"),
        Decimal("114.80"),
    )
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("86.10")}
    assert result.reconciliation["refunds EUR"]["file"] == 80
    assert result.reconciliation["fees EUR"]["file"] == 5.2


def test_api082_a_later_sync_picks_up_a_late_refund_at_its_own_rate(services, workspace, client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund("re_early", "ch_eur", 2000, MARCH_5 + 5 * DAY, exchange_rate=1.07)
        _connect(services, workspace, api)
        _sync(services, workspace, client)
        assert _payments(services, workspace)["ch_eur"]["refunded_reporting"] == Decimal("21.40")
        api.requests.clear()

        # weeks later (after the first sync's mark) another part is refunded at another rate
        late = int(dt.datetime.now(dt.UTC).timestamp()) + 60
        api.add_refund("re_late", "ch_eur", 3000, late, exchange_rate=0.95)
        second = _sync(services, workspace, client)
        listed = [r for r in api.requests if r.path == "/v1/refunds"]
        assert listed[0].params("expand[]") == [
            "data.balance_transaction",
            "data.charge",
            "data.charge.balance_transaction",
        ]
        assert listed[0].param("created[gte]") == str(MARCH_5 + 5 * DAY - OVERLAP_SECONDS)
        # re_early is within the look-back over the mark: no need to list the charge's refunds
        assert [r for r in listed if r.param("charge")] == []
        early, settled = _settled(api, "re_early"), _settled(api, "re_late")
    assert (early, settled) == (Decimal("21.40"), Decimal("28.50"))  # 30 EUR at 0.95
    charge = _payments(services, workspace)["ch_eur"]
    # the charge was re-read with both refunds: 49.90, not 50 EUR at the charge's 1.0837 (54.19)
    assert (charge["amount_refunded"], charge["refunded_reporting"]) == (Decimal("50.00"), early + settled)
    assert charge["created"] == dt.datetime(2024, 3, 5, 12)
    assert second.reconciliation["refunds EUR"]["file"] == 50
    assert second.reconciliation["rows payments"]["file"] == 1
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("49.90")}


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
    """A re-read charge counts every refund at its own rate, also those the refund list no longer shows."""
    api, early, late = api_fake_with_two_refunds
    connector = StripeConnector({"secret_key": KEY}, base_url=api.url, client=client, sleep=lambda s: None)
    # a cursor from before re_late: the charge is old, re_early is behind the refunds mark
    state = {"charges_created": MARCH_5 + DAY, "customers_created": MARCH_5, "refunds_created": early + 3600}
    chunks, _ = drain(connector, state, OPTIONS)
    payments = {r["source_id"]: r for r in rows(chunks["payments"])}
    by_charge = [r for r in api.requests if r.path == "/v1/refunds" and r.param("charge")]
    assert [r.param("charge") for r in by_charge] == ["ch_eur"]
    assert by_charge[0].params("expand[]") == ["data.balance_transaction"]
    assert set(payments) == {"ch_eur"}
    assert payments["ch_eur"]["amount_refunded"] == Decimal("50.00")
    assert payments["ch_eur"]["refunded_reporting"] == Decimal("49.90")  # 21.40 at 1.07 + 28.50 at 0.95


def test_api084_a_refund_without_a_balance_transaction_falls_back_to_the_charges_rate(
    services, workspace, client
):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund("re_1", "ch_eur", 1000, MARCH_5 + 2 * DAY, exchange_rate=1.02)
        # Stripe has not moved this one's money yet: no balance transaction of its own
        api.add_refund(
            "re_2", "ch_eur", 2550, MARCH_5 + 3 * DAY, exchange_rate=1.02, balance_transaction=False
        )
        _connect(services, workspace, api)
        _sync(services, workspace, client)
    charge = _payments(services, workspace)["ch_eur"]
    # re_1 at its own 1.02 (10.20) + re_2 at the charge's 1.0837 (27.63)
    assert (charge["amount_refunded"], charge["refunded_reporting"]) == (Decimal("35.50"), Decimal("37.83"))
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("37.83")}


def test_api085_refund_reading_edges():
    charge = {"id": "ch_1", "amount": 1000, "currency": "usd"}
    failed = {"id": "re_f", "amount": 500, "currency": "usd", "charge": "ch_1", "status": "failed"}
    assert read_refund(failed) is None  # Stripe leaves it out of amount_refunded too
    # a refund of a customer's cash balance refunds no charge
    assert read_refund({"id": "re_cb", "amount": 500, "currency": "usd", "charge": None}) is None
    # an unreadable refund is left to the charge's rate, like one without a balance transaction
    assert read_refund({"id": "re_x", "amount": "5x", "charge": charge}) is None
    unreadable_bt = {"id": "re_y", "amount": 500, "charge": "ch_1", "balance_transaction": {"amount": "?"}}
    assert read_refund(unreadable_bt) == Refund("re_y", "ch_1", 500)
    # a balance transaction without an amount: the refund at its own exchange rate
    own_rate = Refund("re_z", "ch_1", 1000, "USD", None, Decimal("0.00"), Decimal("1.05"))
    money, fees = settled_refunds([own_rate], Decimal("30.00"), "EUR", "USD", Decimal("1.10"))
    assert (money, fees) == (Decimal("32.50"), Decimal("0.00"))  # 10 x 1.05 + the other 20 x 1.10


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


def _payments_export(path: Path, **row: str) -> Path:
    """A Stripe Payments export with one row, in the layout of the vendor fixture (its header)."""
    with PAYMENTS_EXPORT.open(newline="") as fixture:
        header = next(csv.reader(fixture))
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerow({name: row.get(name, "") for name in header})
    return path


def test_api087_a_payments_export_after_an_api_sync_counts_the_refund_once(
    services, workspace, client, tmp_path
):
    """File and API write the same row for a charge: same refunds, same rate, same day."""
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
        api.add_refund("re_full", "ch_eur", 10000, MARCH_5 + 21 * DAY, exchange_rate=1.05)
        _connect(services, workspace, api)
        _sync(services, workspace, client)
    from_api = _payments(services, workspace)
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("105.00")}

    # the same charge as Stripe's Payments export shows it (Converted columns in the USD balance)
    export = _payments_export(
        tmp_path / "unified_payments.csv",
        **{
            "id": "ch_eur",
            "Created date (UTC)": "2024-03-05 12:00:00",
            "Amount": "100.00",
            "Amount Refunded": "100.00",
            "Currency": "eur",
            "Captured": "true",
            "Converted Amount": "108.37",
            "Converted Amount Refunded": "105.00",
            "Converted Currency": "usd",
            "Fee": "3.44",
            "Mode": "Live",
            "Refunded date (UTC)": "2024-03-26 12:00:00",
            "Status": "Refunded",
            "Customer ID": "cus_1",
        },
    )
    result = import_file(services.warehouse, workspace, export)
    assert (result["source"], result["status"], result["updated"]) == ("stripe", "ok", 1)
    assert all(v["ok"] for v in result["reconciliation"].values()), result["reconciliation"]
    from_file = _payments(services, workspace)
    assert set(from_file) == {"ch_eur"}  # the file's row replaced the API's, nothing beside it
    assert from_file == from_api
    assert _refunds_by_day(services, workspace) == {dt.date(2024, 3, 5): Decimal("105.00")}


def _state(services, workspace) -> dict:
    """The Stripe connection's saved cursor."""
    return read_state(services.warehouse, workspace.id, "stripe")


def _by_charge(api: FakeStripe) -> list:
    """The requests that listed a charge's refunds by charge."""
    return [r for r in api.requests if r.path == "/v1/refunds" and r.param("charge")]


def test_api088_a_later_sync_replaces_a_pending_refunds_estimate_once_stripe_settles_it(
    services, workspace, client
):
    """A refund without a balance transaction is estimated at the charge's rate until Stripe moves the money.

    Stripe's refund goes ``pending`` -> ``succeeded`` and gets its balance transaction then, but
    keeps its ``created``: no created-filtered list shows it again, so the sync remembers the
    charge and re-reads its refunds until the estimate is gone.
    """
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund(
            "re_pending", "ch_eur", 2550, MARCH_5 + 3 * DAY, status="pending", balance_transaction=False
        )
        # a later charge and refund move both marks past ch_eur and re_pending: no list shows them again
        api.add_charge(
            "ch_other", 5000, "eur", MARCH_5 + DAY, fee=180, bt_currency="usd", exchange_rate=1.0837
        )
        api.add_refund("re_other", "ch_other", 5000, MARCH_5 + 5 * DAY, exchange_rate=1.06)
        _connect(services, workspace, api)
        _sync(services, workspace, client)
        # the estimate: 25.50 EUR at the charge's 1.0837
        first = _payments(services, workspace)["ch_eur"]
        assert (first["amount_refunded"], first["refunded_reporting"]) == (Decimal("25.50"), Decimal("27.63"))
        assert _state(services, workspace)["estimated_charges"] == ["ch_eur"]

        # nothing moved yet: the next sync asks again and still estimates
        api.requests.clear()
        _sync(services, workspace, client)
        assert [r.param("charge") for r in _by_charge(api)] == ["ch_eur"]
        assert _by_charge(api)[0].params("expand[]") == [
            "data.balance_transaction",
            "data.charge",
            "data.charge.balance_transaction",
        ]
        assert _payments(services, workspace)["ch_eur"]["refunded_reporting"] == Decimal("27.63")

        # Stripe moves the money a week later, at that day's rate, and gives 0.30 USD of fees back
        api.settle_refund("re_pending", MARCH_5 + 10 * DAY, exchange_rate=1.05, fee=-30)
        api.requests.clear()
        second = _sync(services, workspace, client)
        settled = _settled(api, "re_pending")
        assert _payments(services, workspace)["ch_eur"]["refunded_reporting"] == settled
        assert [r.param("charge") for r in _by_charge(api)] == ["ch_eur"]
        assert "estimated_charges" not in _state(services, workspace)

        # settled: nothing left to re-read
        api.requests.clear()
        _sync(services, workspace, client)
        assert _by_charge(api) == []
    assert settled == Decimal("26.78")  # 25.50 EUR at 1.05
    charge = _payments(services, workspace)["ch_eur"]
    # Stripe's own numbers now: 26.78 USD refunded, fees 3.44 - 0.30 USD; in EUR 3.17 (3.44 at the
    # charge's 1.0837) - 0.29 (0.30 back at the refund's own 1.05)
    assert (charge["amount_refunded"], charge["refunded_reporting"]) == (Decimal("25.50"), settled)
    assert (charge["fee_reporting"], charge["fee"], charge["net"]) == (
        Decimal("3.14"),
        Decimal("2.88"),
        Decimal("71.62"),
    )
    assert _refunds_by_day(services, workspace) == {
        dt.date(2024, 3, 5): Decimal("26.78"),
        dt.date(2024, 3, 6): Decimal("53.00"),  # ch_other's 50 EUR at its refund's 1.06
    }
    # the settling sync re-emitted ch_eur (remembered) and ch_other (its refund within the overlap)
    assert second.reconciliation["rows payments"]["file"] == 2
    assert second.reconciliation["refunds EUR"]["file"] == 75.5


def test_api089_a_pending_refund_that_fails_leaves_the_charge_on_a_later_sync(services, workspace, client):
    with FakeStripe(api_key=KEY) as api:
        api.add_charge("ch_eur", 10000, "eur", MARCH_5, fee=344, bt_currency="usd", exchange_rate=1.0837)
        api.add_refund("re_1", "ch_eur", 1000, MARCH_5 + DAY, exchange_rate=1.02)
        api.add_refund(
            "re_pending", "ch_eur", 2550, MARCH_5 + 3 * DAY, status="pending", balance_transaction=False
        )
        api.add_charge("ch_usd", 5000, "usd", MARCH_5 + DAY, fee=175)
        api.add_refund("re_usd", "ch_usd", 1000, MARCH_5 + 5 * DAY)  # moves the refunds mark past re_pending
        _connect(services, workspace, api)
        _sync(services, workspace, client)
        # 10.20 (re_1 at its own 1.02) + 27.63 (re_pending estimated at the charge's 1.0837)
        assert _payments(services, workspace)["ch_eur"]["refunded_reporting"] == Decimal("37.83")
        api.fail_refund("re_pending")
        _sync(services, workspace, client)
    charge = _payments(services, workspace)["ch_eur"]
    assert (charge["status"], charge["amount_refunded"], charge["refunded_reporting"]) == (
        "succeeded",
        Decimal("10.00"),
        Decimal("10.20"),
    )
    assert _refunds_by_day(services, workspace) == {
        dt.date(2024, 3, 5): Decimal("10.20"),
        dt.date(2024, 3, 6): Decimal("10.00"),
    }
    assert "estimated_charges" not in _state(services, workspace)
