"""PayPal activity downloads: US format, German/EU format, skipped row types."""

from __future__ import annotations

import hashlib
from datetime import datetime

from tests.unit.connectors._helpers import D, parse


def test_con701_us_payment_fee_positive_and_utc():
    p = parse("paypal_us.csv", reporting_currency="USD")
    assert p.source == "paypal"
    r = p.row("1AB23456CD789012E")
    assert r["created"] == datetime(2022, 4, 1, 17, 15)  # 10:15 PDT
    assert (r["kind"], r["status"], r["amount"], r["fee"], r["net"]) == (
        "charge",
        "succeeded",
        D("1011.70"),
        D("29.64"),
        D("982.06"),
    )
    assert r["customer_email_hash"] == hashlib.sha256(b"jane@buyer.com").hexdigest()
    assert (r["product"], r["country"], r["channel"], r["amount_reporting"]) == (
        "Course Bundle",
        "US",
        "Direct",
        D("1011.70"),
    )


def test_con702_refund_line_and_pending_payment():
    p = parse("paypal_us.csv")
    ref = p.row("2RF00000000000000")
    assert (ref["kind"], ref["status"], ref["amount"], ref["amount_refunded"]) == (
        "refund",
        "refunded",
        D("100.00"),  # base.REFUND_CONTRACT: a refund line's money is in amount
        D("0"),
    )
    assert (ref["fee"], ref["net"]) == (D("-2.90"), D("-97.10"))  # PayPal gave part of its fee back
    assert ref["customer_id"] == hashlib.sha256(b"jane@buyer.com").hexdigest()  # recipient of the refund
    assert p.row("5PE00000000000000")["status"] == "pending"


def test_con703_memo_invoice_and_outgoing_rows_skipped_but_counted():
    p = parse("paypal_us.csv")
    ids = set(p.frame()["source_id"])
    assert "3IN00000000000000" not in ids and "4OUT0000000000000" not in ids
    assert p.rows_read() == 6
    [err] = p.errors
    assert (err.row_number, err.column, err.reason) == (7, "Currency", "unknown currency code 'XYZ'")


def test_con704_german_eu_export():
    p = parse("paypal_eu_de.csv", reporting_currency="EUR")
    assert p.source == "paypal"
    r = p.row("7DE00000000000000")
    assert r["created"] == datetime(2024, 2, 13, 17, 30)  # 18:30 MEZ
    assert (r["amount"], r["fee"], r["net"], r["currency"]) == (D("1234.56"), D("35.10"), D("1199.46"), "EUR")
    assert (r["status"], r["customer_name"], r["product"]) == ("succeeded", "Hans Käufer", "Workshop")
    assert p.row("8DE00000000000000")["amount"] == D("0.99")
