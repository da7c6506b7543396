"""Generic connector: user mapping over CSV and XLSX."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from data.connectors.base import UnrecognisedFile
from tests.unit.connectors._helpers import FIXTURES, D, parse

PAYMENTS = {
    "table": "payments",
    "columns": {"created": "Order date", "amount": "Total", "customer_email": "Client mail"},
    "defaults": {"currency": "EUR"},
    "date_format": "%d/%m/%Y",
}


def test_con1001_csv_mapping_to_payments():
    p = parse("generic_sales.csv", "generic", mapping=PAYMENTS)
    assert p.source == "generic"
    [r] = p.frame().to_dicts()
    assert (r["created"], r["amount"], r["currency"], r["status"]) == (
        datetime(2024, 2, 3),
        D("1234.50"),
        "EUR",
        "succeeded",
    )
    assert r["customer_email_hash"] == hashlib.sha256(b"x@y.com").hexdigest()
    errs = {e.row_number: e for e in p.errors}
    assert errs[3].column == "Total" and "negative" in errs[3].reason  # the file's own header
    assert errs[4].column == "Order date" and "31/02/2024" in errs[4].reason


def test_con1002_xlsx_mapping_to_ad_daily():
    mapping = {
        "table": "ad_daily",
        "columns": {
            "date": "Day",
            "campaign": "Campaign",
            "spend": "Spend",
            "impressions": "Impr",
            "clicks": "Clicks",
        },
        "defaults": {"platform": "linkedin_ads", "currency": "USD"},
    }
    p = parse("generic_ads.xlsx", "generic", mapping=mapping)
    rows = p.frame().sort("date").to_dicts()
    assert [(r["date"], r["spend"], r["impressions"], r["platform"]) for r in rows] == [
        (date(2024, 5, 1), D("12.50"), 1000, "linkedin_ads"),
        (date(2024, 5, 2), D("7.25"), 800, "linkedin_ads"),
    ]


def test_con1003_missing_mapped_column_is_refused_with_its_name():
    bad = {**PAYMENTS, "columns": {**PAYMENTS["columns"], "amount": "Grand total"}}
    with pytest.raises(UnrecognisedFile, match="Grand total"):
        parse("generic_sales.csv", "generic", mapping=bad)


def test_con1004_generic_needs_a_mapping():
    with pytest.raises(UnrecognisedFile, match="mapping"):
        parse(FIXTURES / "generic_sales.csv", "generic")
