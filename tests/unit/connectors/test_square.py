"""Square transactions export: symbols and thousands separators, zone names, refunds folded into payments."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, D, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "square/transactions-2024-03-01-2024-04-01.csv"


def test_sq001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "square"


def test_sq002_payment_values_and_zone():
    p = parse(FILE, reporting_currency="USD")
    first = p.row("PAY0001")
    assert first["created"] == datetime(2024, 3, 1, 17, 15, 2)  # 09:15 PST
    assert (first["amount"], first["fee"], first["net"], first["currency"]) == (
        D("30.19"),
        D("0.88"),
        D("29.31"),
        "USD",
    )
    assert (first["kind"], first["status"], first["customer_name"]) == ("charge", "succeeded", "Ada Lovelace")
    big = p.row("PAY0002")  # "$1,200.00" style amounts, a partial refund on the payment row
    assert (big["amount"], big["amount_refunded"], big["status"]) == (D("1196.25"), D("50.00"), "succeeded")


def test_sq003_refund_row_folds_into_its_payment_and_returns_the_fee():
    p = parse(FILE)
    beans = p.row("PAY0003")
    assert (beans["amount_refunded"], beans["status"], beans["fee"], beans["net"]) == (
        D("43.50"),
        "refunded",
        D("0.00"),
        D("0.00"),
    )
    assert "refund:TXN0004" not in p.frame()["source_id"].to_list()


def test_sq004_refund_of_an_earlier_payment_is_a_refund_line():
    line = parse(FILE).row("refund:TXN0005")
    assert (line["kind"], line["status"], line["amount"], line["fee"]) == (
        "refund",
        "refunded",
        D("12.00"),
        D("-0.35"),
    )


def test_sq005_bad_date_is_quarantined_with_its_line():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["Date"]) == (7, "Date", "31/02/2024")
    assert p.rows_read() == 7


def test_sq006_failed_payment_kept_but_not_revenue():
    assert parse(FILE).row("PAY0007")["status"] == "failed"


@pytest.mark.parametrize("zone", ["Eastern Time (US & Canada)", "Europe/Paris"])
def test_sq007_other_zones(tmp_path, zone):
    text = (FIXTURES / FILE).read_text().replace("Pacific Time (US & Canada)", zone)
    path = tmp_path / "x.csv"
    path.write_text(text)
    created = parse(path).row("PAY0001")["created"]
    assert created == (
        datetime(2024, 3, 1, 14, 15, 2) if "Eastern" in zone else datetime(2024, 3, 1, 8, 15, 2)
    )


def test_sq008_end_to_end_totals_match_the_file(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["rows_read"], result["inserted"], result["quarantined"]) == (
        "square",
        7,
        5,
        1,
    )
    march = (date(2024, 3, 1), date(2024, 3, 31))
    # file: payments 30.19 + 1196.25 + 43.50 collected; refunds 50 (partial) + 43.50 + 12.00
    assert metric(services, workspace, "gross_revenue", *march) == pytest.approx(1269.94)
    assert metric(services, workspace, "refunds", *march) == pytest.approx(105.50)
    # fees: 0.88 + 31.20 + (1.23 - 1.23) - 0.35
    assert metric(services, workspace, "fees", *march) == pytest.approx(31.73)
