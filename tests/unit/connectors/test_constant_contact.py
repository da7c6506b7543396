"""Constant Contact email report: title/range preamble, Total row, unique counts, delivered = sends - bounces."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.connectors import _text as t
from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "constant_contact/email_performance_report.csv"


def test_cc001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "constant_contact"


def test_cc002_values_and_zone():
    p = parse(FILE, timezone="America/New_York")
    march = p.row(t.stable_id_one("March Newsletter", "Mar 5, 2024 10:00 AM"))
    assert (march["sent_at"], march["subject"]) == (datetime(2024, 3, 5, 15, 0), "What's new in March")
    assert (march["recipients"], march["bounces"], march["delivered"]) == (2450, 50, 2400)
    assert (march["unique_opens"], march["unique_clicks"], march["unsubscribes"]) == (1032, 215, 12)


def test_cc003_total_row_skipped_bad_date_quarantined():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["Email Name"]) == (7, "Last Sent Date", "Event invite")
    assert sorted(p.frame()["title"].to_list()) == ["March Newsletter", "Spring Sale Announcement"]
    assert p.rows_read() == 4


def test_cc004_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("constant_contact", 2, 1)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "emails_delivered", *march) == 2400 + 2360
    # Constant Contact's own open rates: 43.0% and 40.0% of (sends - bounces)
    assert metric(services, workspace, "open_rate", *march) == pytest.approx((1032 + 944) / (2400 + 2360))


def test_cc005_spam_reports_become_complaints(services, workspace, tmp_path):
    p = parse(FILE)
    got = {r["title"]: r["complaints"] for r in p.frame().to_dicts()}
    assert got == {"March Newsletter": 1, "Spring Sale Announcement": 0}
    ingest_json(services, tmp_path, FILE)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "spam_reports", *march) == 1
    assert metric(services, workspace, "spam_report_rate", *march) == pytest.approx(1 / (2400 + 2360))
