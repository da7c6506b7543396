"""Revenue changes split by customer: the catalogue's numbers per customer, named for people."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard.insights.source import UNNAMED_CUSTOMER, WarehouseSource
from data.analytics import revenue_by_customer
from data.metrics import query_metric
from tests.conftest import load, payments_frame

JAN = (date(2026, 1, 1), date(2026, 1, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def berlin(services, other_workspace):
    """Globex (EUR, Europe/Berlin): a key account that shrinks, a refund line, a nameless buyer."""
    rows = [
        {"id": "a1", "created": "2026-01-10 10:00", "amount": "500.00", "customer": "cus_ACME"},
        {"id": "a2", "created": "2026-02-10 10:00", "amount": "100.00", "customer": "cus_ACME"},
        {"id": "b1", "created": "2026-01-12 10:00", "amount": "200.00", "refunded": "50.00", "customer": "cus_BETA"},
        {"id": "b2", "created": "2026-02-12 10:00", "amount": "200.00", "customer": "cus_BETA"},
        {"id": "b3", "created": "2026-02-13 10:00", "amount": "30.00", "kind": "refund", "customer": "cus_BETA"},
        # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin: a February payment
        {"id": "c1", "created": "2026-01-31 23:30", "amount": "70.00", "customer": "cus_NONAME"},
        {"id": "p1", "created": "2026-02-15 10:00", "amount": "999.00", "kind": "payout", "customer": "cus_ACME"},
        {"id": "f1", "created": "2026-02-16 10:00", "amount": "400.00", "status": "failed", "customer": "cus_ACME"},
    ]  # fmt: skip
    load(services, other_workspace, "payments", payments_frame([{**r, "currency": "EUR"} for r in rows]))
    customers = pl.DataFrame(
        [
            {"source": "stripe", "source_id": "cus_ACME", "name": "Acme Ltd", "email": "billing@acme.test"},
            {"source": "stripe", "source_id": "cus_BETA", "name": None, "email": "beta@example.com"},
        ]
    )
    load(services, other_workspace, "customers", customers)
    return services.warehouse.scoped(other_workspace)


@pytest.mark.parametrize("metric", ["net_revenue", "gross_revenue", "refunds"])
def test_insc001_customers_changes_add_up_to_the_catalogue_metrics_change(berlin, metric):
    # customers whose value did not move are left out: they explain none of the change
    split = revenue_by_customer(berlin, metric, FEB, JAN, limit=100)
    now, before = (float(query_metric(berlin, metric, *r)["value"][0]) for r in (FEB, JAN))
    assert (split["value"] - split["compare_value"]).sum() == pytest.approx(now - before)
    assert now != before


def test_insc002_values_per_customer_largest_move_first(berlin):
    split = revenue_by_customer(berlin, "net_revenue", FEB, JAN)
    rows = [(r["customer"], r["value"], r["compare_value"]) for r in split.iter_rows(named=True)]
    # Acme -400; the nameless buyer +70 (a February payment in Berlin); Beta 170 -> 150... -20
    assert rows[0] == ("cus_ACME", 100.0, 500.0)
    assert ("cus_NONAME", 70.0, 0.0) in rows
    assert ("cus_BETA", 170.0, 150.0) in rows
    assert split.filter(pl.col("customer") == "cus_BETA")["email"].to_list() == ["beta@example.com"]
    with pytest.raises(ValueError, match="cannot be split by customer"):
        revenue_by_customer(berlin, "spend", FEB, JAN)


def test_insc003_the_insight_source_names_customers_never_by_vendor_id(berlin):
    source = WarehouseSource(berlin)
    split = source.customer_split("net_revenue", *FEB, limit=10)
    names = split["customer"].to_list()
    assert names[0] == "Acme Ltd"
    assert set(names) == {"Acme Ltd", "beta@example.com", UNNAMED_CUSTOMER}
    assert not any(n.startswith("cus_") for n in names)
    top = source.top_customers(*FEB, 3)
    assert set(top["label"]) == {"Acme Ltd", "beta@example.com", UNNAMED_CUSTOMER}


def _both_ways(scoped, metric: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """revenue_by_customer's (customer, value, compare_value) from the rollups and from payment rows."""
    from data.analytics import customers as by_customer

    params = {"a": FEB[0], "b": FEB[1], "c": JAN[0], "d": JAN[1], "lo": JAN[0], "hi": FEB[1], "limit": 100}
    from_rollups = scoped.execute_sql(by_customer._by_customer_from_rollups(metric), params)
    from_payments = by_customer._by_customer_from_payments(scoped, metric, params)
    return from_rollups, from_payments


@pytest.mark.parametrize("metric", ["net_revenue", "gross_revenue", "refunds"])
def test_insc004_the_refund_rollup_gives_the_numbers_payment_rows_give(
    services, other_workspace, berlin, metric
):
    from data.analytics.customers import _refund_rollup_covers

    # a later import (an incremental refresh): a customer seen only on a refund line, and a
    # sale refunded in part on the zone's first day of February (23:10 UTC on 31 January)
    later = [
        {"id": "r1", "created": "2026-02-20 10:00", "amount": "15.00", "kind": "refund", "customer": "cus_REFONLY"},
        {"id": "d1", "created": "2026-01-31 23:10", "amount": "80.00", "refunded": "20.00", "customer": "cus_DELTA"},
    ]  # fmt: skip
    load(services, other_workspace, "payments", payments_frame([{**r, "currency": "EUR"} for r in later]))
    assert _refund_rollup_covers(berlin, JAN[0], FEB[1])
    from_rollups, from_payments = _both_ways(berlin, metric)
    assert from_rollups.rows() == from_payments.rows()
    assert from_rollups.height >= 3
    if metric != "gross_revenue":
        assert ("cus_REFONLY", -15.0 if metric == "net_revenue" else 15.0, 0.0) in from_rollups.rows()
        assert ("cus_DELTA", 60.0 if metric == "net_revenue" else 20.0, 0.0) in from_rollups.rows()


def test_insc005_days_the_refund_rollup_does_not_hold_yet_are_read_from_payments(berlin):
    from data.analytics.customers import _refund_rollup_covers

    expected = revenue_by_customer(berlin, "net_revenue", FEB, JAN, limit=100)
    # a warehouse whose days were written before the rollup existed (migration 0014)
    berlin.warehouse.cursor().execute(
        "DELETE FROM customer_refunds_daily WHERE workspace_id = ? AND day >= ?",
        [berlin.workspace.id, FEB[0]],
    )
    assert not _refund_rollup_covers(berlin, JAN[0], FEB[1])
    assert _refund_rollup_covers(berlin, JAN[0], JAN[1])
    assert revenue_by_customer(berlin, "net_revenue", FEB, JAN, limit=100).rows() == expected.rows()


def test_insc006_db_upgrade_fills_the_refund_rollup_of_workspaces_imported_before_it(services, berlin):
    from click.testing import CliRunner

    from dashboard.cli import cli

    rows = "SELECT day, customer_no, refunds FROM customer_refunds_daily WHERE workspace_id = ? ORDER BY ALL"
    cur = services.warehouse.cursor()
    kept = cur.execute(rows, [berlin.workspace.id]).fetchall()
    assert len(kept) == 2  # Beta's refunded sale in January and its refund line in February
    # as migration 0014 leaves a warehouse imported before it: the rollup empty
    cur.execute("DELETE FROM customer_refunds_daily")
    result = CliRunner().invoke(cli, ["db", "upgrade"], obj=services, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "filled the customer refunds rollup of 1 workspace(s)" in result.output
    assert cur.execute(rows, [berlin.workspace.id]).fetchall() == kept
    # a second upgrade finds nothing to fill
    again = CliRunner().invoke(cli, ["db", "upgrade"], obj=services, catch_exceptions=False)
    assert "customer refunds" not in again.output


def test_insc007_a_server_started_without_db_upgrade_fills_the_refund_rollup(services, berlin):
    import threading

    from dashboard.cli import _warm_up_server

    cur = services.warehouse.cursor()
    cur.execute("DELETE FROM customer_refunds_daily")
    assert not berlin.execute_sql("SELECT * FROM customer_refunds_daily WHERE workspace_id = $ws").height
    # on a thread of its own, as `serve` runs it: the warm-up lowers its thread's priority
    warm = threading.Thread(target=_warm_up_server, args=(services, threading.Event()))
    warm.start()
    warm.join(timeout=120)
    assert not warm.is_alive()
    assert berlin.execute_sql("SELECT * FROM customer_refunds_daily WHERE workspace_id = $ws").height == 2
