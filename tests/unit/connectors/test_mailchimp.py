"""Mailchimp campaign reports: standard export and the Excel re-save variant."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.connectors import _text as t
from tests.unit.connectors._helpers import D, parse
from tests.unit.connectors._ingest import ingest_json, metric


def test_con501_standard_export():
    p = parse("mailchimp_campaigns.csv", timezone="UTC", reporting_currency="USD")
    assert p.source == "mailchimp"
    r = p.row("abc123")
    assert r["sent_at"] == datetime(2018, 6, 9, 21, 30)
    assert (r["title"], r["subject"], r["list_name"]) == ("June Newsletter", "Big news", "Main list")
    assert (r["recipients"], r["delivered"], r["unique_opens"], r["opens"]) == (1000, 990, 275, 400)
    assert (r["unique_clicks"], r["clicks"], r["unsubscribes"], r["bounces"]) == (50, 70, 3, 10)
    assert r["revenue"] == D("110.50")


def test_con502_unparseable_send_date_is_row_error():
    [err] = parse("mailchimp_campaigns.csv").errors
    assert (err.row_number, err.column) == (3, "Send Date")
    assert "not a date" in err.reason


def test_con503_excel_resave_underscored_headers_and_account_time_zone():
    p = parse("mailchimp_excel_resave.csv", timezone="Europe/Berlin")
    assert p.source == "mailchimp"
    [r] = p.frame().to_dicts()
    assert r["sent_at"] == datetime(2017, 2, 24, 10, 29)  # 11:29 CET
    assert (r["delivered"], r["unique_opens"], r["bounces"], r["list_name"]) == (480, 120, 20, "Customers")
    assert r["revenue"] == D("1234.56")
    assert r["source_id"] == t.stable_id_one("Promo", "2/24/17 11:29")


def test_con504_abuse_complaints_become_complaints():
    p = parse("mailchimp_campaigns.csv")
    assert p.row("abc123")["complaints"] == 2  # the "Abuse Complaints" column
    # The Excel re-save has no complaints column: unknown, not zero.
    [r] = parse("mailchimp_excel_resave.csv").frame().to_dicts()
    assert r["complaints"] is None


def test_con505_spam_report_metrics_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, "mailchimp_campaigns.csv")
    assert (result["inserted"], result["quarantined"]) == (1, 1)
    june = (date(2018, 6, 1), date(2018, 6, 30))
    assert metric(services, workspace, "spam_reports", *june) == 2
    assert metric(services, workspace, "spam_report_rate", *june) == pytest.approx(2 / 990)
