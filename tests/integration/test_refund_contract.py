"""Every payments connector follows base.REFUND_CONTRACT: a refund in the file is a refund in the rollups.

Each test imports a small export in the vendor's layout holding a full refund and a partial
refund and checks that the warehouse's ``refunds`` (the payments rollup the metrics read) equals
the refunds written in the file, to the cent.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from data.connectors.base import REFUND_CONTRACT
from data.importer import import_file
from data.metrics import query_metric


def _refunds(services, workspace) -> Decimal:
    row = (
        services.warehouse.cursor()
        .execute(
            "SELECT coalesce(sum(refunds), 0) FROM payments_daily WHERE workspace_id = ?", [workspace.id]
        )
        .fetchone()
    )
    return Decimal(row[0])


def _gross(services, workspace) -> Decimal:
    row = (
        services.warehouse.cursor()
        .execute("SELECT coalesce(sum(gross), 0) FROM payments_daily WHERE workspace_id = ?", [workspace.id])
        .fetchone()
    )
    return Decimal(row[0])


def _import(services, workspace, path: Path, **kw) -> dict:
    result = import_file(services.warehouse, workspace, path, **kw)
    assert result["status"] == "ok", result
    assert result["quarantined"] == 0
    return result


def test_ref001_paypal_refund_lines_count_as_refunds(services, workspace, tmp_path):
    header = (
        '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
        '"From Email Address","To Email Address","Transaction ID","Item Title","Reference Txn ID","Balance Impact"\n'
    )
    rows = [
        '"04/01/2026","10:00:00","UTC","Jane","Express Checkout Payment","Completed","USD","1,011.70","-29.64","982.06","jane@x.com","shop@x.com","P1","Course","","Credit"',
        '"04/02/2026","10:00:00","UTC","Jane","Payment Refund","Completed","USD","-100.00","2.90","-97.10","shop@x.com","jane@x.com","R1","Course","P1","Debit"',
        '"04/03/2026","10:00:00","UTC","Kim","Website Payment","Completed","USD","30.00","-1.17","28.83","kim@x.com","shop@x.com","P2","Ebook","","Credit"',
        '"04/04/2026","10:00:00","UTC","Kim","Payment Refund","Completed","USD","-30.00","1.17","-28.83","shop@x.com","kim@x.com","R2","Ebook","P2","Debit"',
    ]
    path = tmp_path / "Download.CSV"
    path.write_text(header + "\n".join(rows) + "\n")
    _import(services, workspace, path)
    assert _refunds(services, workspace) == Decimal("130.00")
    assert _gross(services, workspace) == Decimal("1041.70")
    scoped = services.warehouse.scoped(workspace)
    value = query_metric(scoped, "refunds", date(2026, 4, 1), date(2026, 4, 30))["value"][0]
    assert value == pytest.approx(130.0)
    net = (
        services.warehouse.cursor()
        .execute("SELECT sum(net) FROM payments WHERE workspace_id = ?", [workspace.id])
        .fetchone()[0]
    )
    assert Decimal(net) == Decimal("982.06") - Decimal("97.10") + Decimal("28.83") - Decimal("28.83")


def test_ref002_stripe_full_and_partial_refunds(services, workspace, tmp_path):
    path = tmp_path / "unified_payments.csv"
    path.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee,Customer ID,Customer Email\n"
        "ch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20,cus_1,a@x.com\n"
        "ch_2,2026-03-02 11:00:00,50.00,50.00,usd,Refunded,1.75,cus_2,b@x.com\n"
        "ch_3,2026-03-03 11:00:00,80.00,12.34,usd,Paid,2.62,cus_3,c@x.com\n"
    )
    _import(services, workspace, path)
    assert _refunds(services, workspace) == Decimal("62.34")
    assert _gross(services, workspace) == Decimal("230.00")


def test_ref003_shopify_refunded_orders(services, workspace, tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_text(
        "Name,Email,Financial Status,Paid at,Currency,Total,Created at,Lineitem quantity,Lineitem name,"
        "Lineitem price,Billing Country,Cancelled at,Refunded Amount,Id\n"
        "#1001,a@x.com,paid,2026-04-05 21:06:21 +0400,EUR,64.50,2026-04-05 21:06:21 +0400,1,Mug,20.00,FR,,0.00,5001\n"
        "#1001,,,,,,2026-04-05 21:06:21 +0400,2,Plate,15.00,,,,\n"
        "#1002,b@x.com,refunded,2026-04-06 10:00:00 +0000,EUR,40.00,2026-04-06 10:00:00 +0000,1,Bowl,40.00,DE,,40.00,5002\n"
        "#1003,c@x.com,partially_refunded,2026-04-07 10:00:00 +0000,EUR,30.00,2026-04-07 10:00:00 +0000,1,Cup,30.00,DE,,7.25,5003\n"
    )
    workspace = dataclasses.replace(workspace, currency="EUR")
    _import(services, workspace, path)
    assert _refunds(services, workspace) == Decimal("47.25")
    assert _gross(services, workspace) == Decimal("134.50")


def test_ref004_gumroad_full_and_partial_refunds(services, workspace, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        "Purchase ID,Item Name,Buyer Name,Purchase Email,Purchase Date,Purchase Time (UTC timezone),"
        "Sale Price ($),Fees ($),Refunded?,Partial Refund ($),Fully Refunded?\n"
        "a1==,Course,Ann,ann@x.com,2024-02-01,13:45:00,49.00,5.39,0,0,0\n"
        "b2==,Course,Bob,bob@x.com,2024-02-02,08:00:00,49.00,5.39,1,0,1\n"
        "c3==,Course,Cy,cy@x.com,2024-02-03,08:00:00,49.00,5.39,1,10.50,0\n"
        "Totals,,,,,,147.00,16.17,,,\n"
    )
    _import(services, workspace, path)
    assert _refunds(services, workspace) == Decimal("59.50")
    assert _gross(services, workspace) == Decimal("147.00")


def test_ref005_generic_refund_lines_with_a_kind_column(services, workspace, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "ref,when,type,total,ccy\n"
        "s1,2026-05-01,Sale,120.00,USD\n"
        "r1,2026-05-02,Refund,-20.00,USD\n"  # a ledger writes refunds negative
        "r2,2026-05-03,refund,5.55,USD\n"  # ... or positive
    )
    mapping = {
        "table": "payments",
        "columns": {
            "source_id": "ref",
            "created": "when",
            "kind": "type",
            "amount": "total",
            "currency": "ccy",
        },
    }
    _import(services, workspace, path, source="generic", mapping=mapping)
    assert _refunds(services, workspace) == Decimal("25.55")
    assert _gross(services, workspace) == Decimal("120.00")


def test_ref006_a_refund_line_breaking_the_contract_is_quarantined(services, workspace):
    """A connector that puts a refund line's money in amount_refunded is caught at validation."""
    import polars as pl

    from data.connectors.base import Chunk
    from data.ingest import ingest_chunks
    from tests.conftest import payments_frame

    frame = payments_frame(
        [{"id": "r1", "created": "2026-01-02 10:00:00", "kind": "refund", "amount": "0", "refunded": "9.99"}]
    )
    result = ingest_chunks(services.warehouse, workspace, [Chunk("payments", frame)], source="x", name="x")
    assert (result.inserted, result.quarantined) == (0, 1)
    reason = services.warehouse.cursor().execute("SELECT reason FROM quarantine").fetchone()[0]
    assert "refund line" in reason
    assert "amount_refunded" in REFUND_CONTRACT
    assert isinstance(frame, pl.DataFrame)
