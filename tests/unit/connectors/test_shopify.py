"""Shopify orders export: one payment per order, multi-line notes, customers."""

from __future__ import annotations

import hashlib
from datetime import datetime

from tests.unit.connectors._helpers import D, parse


def test_con801_one_payment_per_order_with_line_items():
    p = parse("shopify_orders.csv", reporting_currency="EUR")
    assert p.source == "shopify"
    pay = p.frame("payments")
    assert pay["source_id"].to_list() == ["#1001", "#1002", "#1003"]
    o1 = p.row("#1001", "payments")
    assert o1["created"] == datetime(2026, 4, 5, 17, 6, 21)  # +0400 -> UTC
    assert (o1["amount"], o1["status"], o1["product"], o1["currency"]) == (
        D("64.50"),
        "succeeded",
        "multiple",
        "EUR",
    )
    assert (o1["customer_name"], o1["country"]) == ("Ann Smith", "FR")
    o2 = p.row("#1002", "payments")
    assert (o2["status"], o2["amount_refunded"], o2["net"], o2["product"]) == (
        "succeeded",
        D("5.00"),
        D("15.00"),
        "Sticker",
    )
    o3 = p.row("#1003", "payments")
    assert (o3["status"], o3["amount_refunded"]) == ("refunded", D("15.00"))


def test_con802_line_numbers_count_multiline_quoted_cells():
    p = parse("shopify_orders.csv")
    lines = [n for c in p.chunks if c.table == "payments" for n in c.row_numbers.to_list()]
    assert lines == [2, 5, 6]
    [err] = p.errors
    assert (err.row_number, err.column) == (7, "Total") and err.raw["Name"] == "#1004"
    assert p.rows_read("payments") == 5


def test_con803_customers_one_per_email_with_first_order():
    p = parse("shopify_orders.csv")
    ann = p.frame("customers").filter(p.frame("customers")["email"] == "ann@example.com").to_dicts()
    assert len(ann) == 1
    assert ann[0]["email_hash"] == hashlib.sha256(b"ann@example.com").hexdigest()
    assert ann[0]["first_seen"] == datetime(2026, 4, 5, 17, 6, 21)


def test_con804_orders_split_across_batches_stay_whole():
    p = parse("shopify_orders.csv", batch_rows=1)
    o1 = p.row("#1001", "payments")
    assert (o1["product"], o1["amount"]) == ("multiple", D("64.50"))
    assert p.frame("payments").height == 3
