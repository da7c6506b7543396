"""Stripe payments (new and old/Excel headers), subscriptions and customers exports."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime

import polars as pl

from data.connectors.base import ParseOptions
from data.connectors.stripe import parse_payments
from tests.unit.connectors._helpers import FIXTURES, D, parse


def _h(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def test_con101_new_header_values_statuses_and_reporting():
    p = parse("stripe_payments_new.csv", reporting_currency="USD")
    assert p.source == "stripe"
    ch1 = p.row("ch_1")
    assert ch1["created"] == datetime(2024, 6, 7, 2, 38, 54)
    assert (ch1["status"], ch1["kind"], ch1["currency"]) == ("succeeded", "charge", "USD")
    assert (ch1["amount"], ch1["fee"], ch1["net"], ch1["amount_refunded"]) == (
        D("15.00"),
        D("0.74"),
        D("14.26"),
        D("0"),
    )
    assert ch1["customer_id"] == "cus_A"
    assert ch1["customer_email_hash"] == _h("ann@example.com")
    assert ch1["product"] == "Pro Monthly"  # from `product (metadata)`, not Description
    assert ch1["description"] == "Pro plan"
    assert (ch1["channel"], ch1["campaign"], ch1["country"]) == ("Paid Search", "spring", "US")
    assert ch1["amount_reporting"] == D("15.00")


def test_con102_partial_refund_stays_succeeded_and_converted_amounts():
    p = parse("stripe_payments_new.csv", reporting_currency="USD")
    ch2 = p.row("ch_2")
    assert ch2["status"] == "succeeded"
    assert (ch2["amount"], ch2["amount_refunded"], ch2["currency"]) == (D("100.00"), D("40.00"), "EUR")
    # the fee is stated in the converted currency: 3.45 USD * 100/108.50 = 3.18 EUR
    assert (ch2["fee"], ch2["net"]) == (D("3.18"), D("56.82"))
    assert (ch2["amount_reporting"], ch2["refunded_reporting"], ch2["fee_reporting"]) == (
        D("108.50"),
        D("43.40"),
        D("3.45"),
    )
    assert ch2["customer_id"] == _h("bob@example.org")  # no Customer ID -> email hash
    assert ch2["channel"] == "Email"


def test_con103_reporting_left_null_when_converted_currency_differs():
    ch2 = parse("stripe_payments_new.csv", reporting_currency="GBP").row("ch_2")
    assert ch2["amount_reporting"] is None and ch2["fee_reporting"] is None


def test_con104_refunded_failed_and_incomplete_rows():
    p = parse("stripe_payments_new.csv")
    assert p.row("ch_3")["status"] == "refunded"
    assert p.row("ch_3")["amount_refunded"] == D("20.00")
    ch5 = p.row("ch_5")
    assert (ch5["status"], ch5["net"], ch5["channel"]) == ("failed", D("0"), "Organic Social")
    # the empty-id requires_payment_method row is skipped, but read
    assert p.frame().height == 4
    assert p.rows_read() == 8


def test_con105_row_errors_carry_line_numbers_columns_and_raw():
    errs = {e.row_number: e for e in parse("stripe_payments_new.csv").errors}
    assert sorted(errs) == [7, 8, 9]
    assert errs[7].column == "Created date (UTC)" and "not a date" in errs[7].reason  # the file's header
    assert errs[8].column == "Amount" and errs[8].reason == "not a number: 'abc'"
    assert errs[9].column == "Currency" and errs[9].reason == "unknown currency code 'xyz'"
    assert errs[8].raw["id"] == "ch_7"


def test_con106_old_header_excel_resave_semicolons_decimal_commas():
    p = parse("stripe_payments_old_excel.csv", reporting_currency="EUR")
    a = p.row("ch_A")
    assert a["created"] == datetime(2025, 12, 31, 14, 30)
    assert (a["amount"], a["fee"], a["net"], a["currency"]) == (D("1234.56"), D("17.53"), D("1217.03"), "EUR")
    assert a["country"] == "DE"  # Card Issue Country
    assert a["product"] == "Abo Pro"
    b = p.row("ch_B")
    assert (b["amount_refunded"], b["net"], b["status"]) == (D("4.95"), D("4.56"), "succeeded")
    assert b["customer_id"] == _h("lea@example.de")
    c = p.row("ch_C")
    assert (c["amount"], c["status"]) == (D("0.25"), "failed")
    assert p.errors == []


def test_con107_streams_in_chunks_of_at_most_batch_rows(tmp_path):
    src = (FIXTURES / "stripe_payments_new.csv").read_text(encoding="utf-8")
    header, *rows = src.splitlines()
    good = [r for r in rows if r.startswith("ch_1,")][0]
    body = "\n".join([header] + [good.replace("ch_1,", f"ch_{i},", 1) for i in range(1000, 1023)])
    path = tmp_path / "big.csv"
    path.write_text(body + "\n", encoding="utf-8")
    chunks = list(parse_payments(path, ParseOptions(batch_rows=5)))
    assert all(c.frame.height <= 5 for c in chunks)
    assert sum(c.frame.height for c in chunks) == 23
    assert pl.concat([c.row_numbers for c in chunks]).to_list() == list(range(2, 25))


def test_con108_subscriptions_mrr_statuses_and_errors():
    p = parse("stripe_subscriptions.csv", reporting_currency="USD")
    assert p.source == "stripe" and p.chunks[0].table == "subscriptions"
    s1 = p.row("sub_1")
    assert (s1["amount"], s1["mrr"], s1["quantity"], s1["interval"]) == (D("58.00"), D("58.00"), 2, "month")
    assert (s1["status"], s1["end_at"], s1["plan"]) == ("active", None, "Pro Monthly")
    assert s1["mrr_reporting"] == D("58.00")
    s2 = p.row("sub_2")
    assert (s2["mrr"], s2["status"], s2["end_at"]) == (D("20.00"), "canceled", datetime(2024, 4, 1, 12, 0))
    assert s2["start_at"] == datetime(2023, 3, 5, 8, 0)
    s3 = p.row("sub_3")
    assert (s3["mrr"], s3["currency"], s3["mrr_reporting"]) == (D("43.33"), "EUR", None)
    assert s3["trial_end_at"] == datetime(2024, 6, 15)
    [err] = p.errors
    assert (err.row_number, err.column) == (5, "Interval") and "fortnight" in err.reason


def test_con109_customers_export():
    p = parse("stripe_customers.csv")
    assert p.chunks[0].table == "customers"
    a = p.row("cus_A")
    assert (a["email"], a["email_hash"], a["name"]) == ("ann@example.com", _h("ann@example.com"), "Ann Smith")
    assert a["first_seen"] == datetime(2024, 9, 20, 17, 10)


def test_con110_detected_by_content_not_name(tmp_path):
    dst = tmp_path / "hubspot-crm-exports-all-deals-2024-01-01.csv"
    shutil.copy(FIXTURES / "stripe_payments_old_excel.csv", dst)
    assert parse(dst).source == "stripe"
