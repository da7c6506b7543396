"""Stripe connector against the fake Stripe API: paging, minor units, incremental resume."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from data.connectors.api import SyncOptions
from data.connectors.api._keys import email_hash
from data.connectors.api.stripe import OVERLAP_SECONDS, StripeConnector
from tests.fakes.stripe import FakeStripe

KEY = "sk_test_51FakeKeyForTests0000"
T0 = int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp())
OPTIONS = SyncOptions(start=dt.date(2024, 1, 1), page_size=2)


@pytest.fixture
def api():
    with FakeStripe(api_key=KEY) as fake:
        fake.add_charge("ch_usd", 1999, "usd", T0 + 10, fee=88, customer="cus_1", email=" Ann@Example.com ")
        fake.add_charge("ch_jpy", 5000, "jpy", T0 + 20, fee=180)  # zero-decimal: ¥5000, not ¥50
        fake.add_charge("ch_kwd", 12340, "kwd", T0 + 30, fee=400)  # three-decimal: 12.340 KWD
        fake.add_charge("ch_part", 10000, "usd", T0 + 40, fee=320, amount_refunded=2500)
        fake.add_charge("ch_full", 5000, "usd", T0 + 50, fee=175, amount_refunded=5000)
        fake.add_charge("ch_fail", 700, "usd", T0 + 60, status="failed")
        fake.add_charge("ch_auth", 900, "usd", T0 + 70, captured=False)
        # Settled in USD: Stripe states the fee in USD; exchange_rate EUR->USD 1.1
        fake.add_charge("ch_eur", 10000, "eur", T0 + 80, fee=330, bt_currency="usd", exchange_rate=1.1)
        fake.add_charge("ch_old", 100, "usd", int(dt.datetime(2023, 6, 1, tzinfo=dt.UTC).timestamp()), fee=33)
        fake.add_customer("cus_1", T0, email="Ann@Example.com", name="Ann", address={"country": "FR"})
        fake.add_customer("cus_2", T0 + 5, email=None)
        fake.add_subscription(
            "sub_1", "cus_1", T0, [{"id": "si_1", "unit_amount": 1200, "currency": "usd", "nickname": "Pro"}]
        )
        fake.add_subscription(
            "sub_2",
            "cus_1",
            T0 + 1,
            [
                {"id": "si_a", "unit_amount": 120000, "currency": "jpy", "interval": "year", "quantity": 2},
                {"id": "si_b", "unit_amount": 500, "currency": "jpy", "interval": "week"},
            ],
        )
        fake.add_subscription(
            "sub_3",
            "cus_2",
            T0 + 2,
            [
                {
                    "id": "si_3",
                    "unit_amount": 3000,
                    "currency": "usd",
                    "interval": "month",
                    "interval_count": 3,
                }
            ],
            status="canceled",
            ended_at=T0 + 1000,
        )
        yield fake


@pytest.fixture
def connector(api, client, sleeps):
    return StripeConnector({"secret_key": KEY}, base_url=api.url, client=client, sleep=sleeps.append)


def test_api020_pages_every_charge_newest_first_and_maps_minor_units(api, connector, drain, rows):
    chunks, state = drain(connector, {}, OPTIONS)
    payments = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert set(payments) == {
        "ch_usd",
        "ch_jpy",
        "ch_kwd",
        "ch_part",
        "ch_full",
        "ch_fail",
        "ch_auth",
        "ch_eur",
    }

    charge_requests = [r for r in api.requests if r.path == "/v1/charges"]
    assert [r.param("starting_after") for r in charge_requests] == [None, "ch_auth", "ch_full", "ch_kwd"]
    assert all(r.param("limit") == "2" for r in charge_requests)
    assert all(
        r.param("created[gte]") == str(int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()))
        for r in charge_requests
    )
    assert all(r.params("expand[]") == ["data.balance_transaction"] for r in charge_requests)

    usd = payments["ch_usd"]
    assert (
        usd["amount"] == Decimal("19.99") and usd["fee"] == Decimal("0.88") and usd["net"] == Decimal("19.11")
    )
    assert usd["currency"] == "USD" and usd["status"] == "succeeded" and usd["kind"] == "charge"
    assert usd["created"] == dt.datetime(2024, 3, 1, 0, 0, 10)
    assert usd["customer_id"] == "cus_1" and usd["customer_email_hash"] == email_hash("ann@example.com")
    assert usd["source"] == "stripe"
    assert payments["ch_jpy"]["amount"] == Decimal("5000.00") and payments["ch_jpy"]["fee"] == Decimal(
        "180.00"
    )
    assert payments["ch_kwd"]["amount"] == Decimal("12.34") and payments["ch_kwd"]["fee"] == Decimal("0.40")
    part = payments["ch_part"]
    assert (part["status"], part["amount_refunded"], part["net"]) == (
        "succeeded",
        Decimal("25.00"),
        Decimal("71.80"),
    )
    assert payments["ch_full"]["status"] == "refunded" and payments["ch_full"]["net"] == Decimal("-1.75")
    assert payments["ch_fail"]["status"] == "failed" and payments["ch_fail"]["net"] == Decimal("0.00")
    assert payments["ch_auth"]["status"] == "pending"
    assert payments["ch_eur"]["fee"] == Decimal("3.00") and payments["ch_eur"]["net"] == Decimal("97.00")

    assert sum(c.rows_read for c in chunks["payments"]) == 8
    assert all(not c.errors for c in chunks["payments"])
    assert state["charges_created"] == T0 + 80


def test_api021_customers_and_subscription_items(connector, drain, rows):
    chunks, state = drain(connector, {}, OPTIONS)
    customers = {r["source_id"]: r for r in rows(chunks["customers"])}
    assert customers["cus_1"]["email"] == "Ann@Example.com"
    assert customers["cus_1"]["email_hash"] == email_hash("ann@example.com")
    assert customers["cus_1"]["country"] == "FR" and customers["cus_1"]["first_seen"] == dt.datetime(
        2024, 3, 1
    )
    assert customers["cus_2"]["email_hash"] is None
    assert state["customers_created"] == T0 + 5

    subs = {r["source_id"]: r for r in rows(chunks["subscriptions"])}
    assert set(subs) == {"sub_1", "sub_2", "sub_2/si_b", "sub_3"}  # canceled one included (status=all)
    assert (subs["sub_1"]["plan"], subs["sub_1"]["amount"], subs["sub_1"]["mrr"]) == (
        "Pro",
        Decimal("12.00"),
        Decimal("12.00"),
    )
    yearly = subs["sub_2"]  # ¥120000 x 2 per year
    assert (yearly["amount"], yearly["mrr"], yearly["quantity"], yearly["currency"]) == (
        Decimal("240000.00"),
        Decimal("20000.00"),
        2,
        "JPY",
    )
    assert subs["sub_2/si_b"]["mrr"] == Decimal("2166.67")  # ¥500 a week x 52 / 12
    quarterly = subs["sub_3"]
    assert (quarterly["status"], quarterly["interval_count"], quarterly["mrr"]) == (
        "canceled",
        3,
        Decimal("10.00"),
    )
    assert quarterly["end_at"] == dt.datetime(2024, 3, 1, 0, 16, 40)


def test_api022_incremental_resume_sends_created_gte_and_catches_late_refunds(
    api, connector, client, sleeps, drain, rows
):
    _, state = drain(connector, {}, OPTIONS)
    assert set(state) == {"charges_created", "customers_created", "refunds_created"}
    api.requests.clear()
    api.add_charge("ch_new", 4200, "usd", T0 + 500, fee=150)
    api.add_refund("re_1", "ch_usd", 999, created=state["refunds_created"] + 60)  # old charge, refunded later

    again = StripeConnector({"secret_key": KEY}, base_url=api.url, client=client, sleep=sleeps.append)
    chunks, new_state = drain(again, state, OPTIONS)
    charges = [r for r in api.requests if r.path == "/v1/charges"]
    assert charges[0].param("created[gte]") == str(T0 + 80 - OVERLAP_SECONDS)
    refunds = [r for r in api.requests if r.path == "/v1/refunds"]
    assert refunds[0].param("created[gte]") == str(state["refunds_created"] - OVERLAP_SECONDS)
    # each refund's own balance transaction (its day's rate), and the charge it changed
    assert refunds[0].params("expand[]") == [
        "data.balance_transaction",
        "data.charge",
        "data.charge.balance_transaction",
    ]
    customers = [r for r in api.requests if r.path == "/v1/customers"]
    assert customers[0].param("created[gte]") == str(T0 + 5 - OVERLAP_SECONDS)

    payments = {r["source_id"]: r for r in rows(chunks["payments"])}
    assert payments["ch_new"]["amount"] == Decimal("42.00")
    assert payments["ch_usd"]["amount_refunded"] == Decimal("9.99") and payments["ch_usd"]["fee"] == Decimal(
        "0.88"
    )
    assert new_state["charges_created"] == T0 + 500
    assert new_state["refunds_created"] == state["refunds_created"] + 60


def test_api023_page_size_is_capped_at_stripes_maximum(api, connector, drain):
    drain(connector, {}, SyncOptions(start=dt.date(2024, 1, 1), page_size=500))
    assert {r.param("limit") for r in api.requests} == {"100"}


def test_api024_state_is_only_advanced_when_the_sync_is_exhausted(connector):
    state = {"charges_created": 1, "customers_created": 1, "refunds_created": 1}
    iterator = connector.sync(state, OPTIONS)
    next(iterator)
    assert connector.new_state == state


def test_api025_bad_record_becomes_a_row_error_not_a_crash(api, connector, drain, rows):
    api.add_charge("ch_bad", 1, "usd", T0 + 90)["amount"] = "12x"
    chunks, _ = drain(connector, {}, OPTIONS)
    errors = [e for c in chunks["payments"] for e in c.errors]
    assert len(errors) == 1
    assert errors[0].column == "amount" and "ch_bad" in errors[0].reason and errors[0].raw["amount"] == "12x"
    assert "ch_bad" not in {r["source_id"] for r in rows(chunks["payments"])}
