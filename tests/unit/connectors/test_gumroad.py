"""Gumroad sales export: Totals row dropped, refunds, UTM channel."""

from __future__ import annotations

from datetime import datetime

from tests.unit.connectors._helpers import D, parse


def test_con901_sales_and_totals_row():
    p = parse("gumroad_sales.csv", reporting_currency="USD")
    assert p.source == "gumroad"
    assert sorted(p.frame()["source_id"]) == ["abc123==", "def456==", "ghi789=="]
    a = p.row("abc123==")
    assert a["created"] == datetime(2024, 2, 1, 13, 45)
    assert (a["amount"], a["fee"], a["net"], a["currency"], a["status"]) == (
        D("49.00"),
        D("5.39"),
        D("43.61"),
        "USD",
        "succeeded",
    )
    assert (a["channel"], a["campaign"], a["product"]) == ("Organic Social", "launch", "Design Course")
    b = p.row("def456==")
    assert (b["status"], b["amount_refunded"]) == ("refunded", D("49.00"))
    c = p.row("ghi789==")
    assert (c["status"], c["amount_refunded"], c["channel"]) == ("succeeded", D("5.00"), "Paid Search")
    assert p.rows_read() == 4 and p.errors == []
