"""SendGrid stats exports: single sends (BOM, thousands separators, % rates, ISO UTC) and daily global stats."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, parse
from tests.unit.connectors._ingest import ingest_json, metric

SENDS = "sendgrid/single_sends_stats.csv"
DAILY = "sendgrid/global_stats.csv"


@pytest.mark.parametrize("name", [SENDS, DAILY])
def test_sg001_detected_by_content(name):
    assert registry.detect(FIXTURES / name) == "sendgrid"


def test_sg002_single_send_values():
    p = parse(SENDS)
    march = p.row("8f1e6c2a-1b1d-11ee-be56-0242ac120002")
    assert (march["title"], march["sent_at"]) == ("March newsletter", datetime(2024, 3, 5, 15, 0))
    assert (march["recipients"], march["delivered"], march["opens"], march["unique_opens"]) == (
        12480,
        12210,
        5902,
        4120,
    )
    assert (march["clicks"], march["unique_clicks"], march["unsubscribes"], march["bounces"]) == (
        1380,
        905,
        31,
        210,
    )


def test_sg003_negative_count_quarantined_and_unsent_draft_skipped():
    p = parse(SENDS)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["Name"]) == (4, "Unsubscribes", "Product update, April")
    assert p.frame().height == 2
    assert p.rows_read() == 4


def test_sg004_daily_rows():
    p = parse(DAILY)
    rows = p.frame().sort("sent_at").to_dicts()
    assert [(r["sent_at"], r["title"], r["delivered"]) for r in rows] == [
        (datetime(2024, 3, 1), "SendGrid (day)", 1180),
        (datetime(2024, 3, 2), "SendGrid (day)", 970),
    ]
    assert p.errors == []


def test_sg005_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, SENDS)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("sendgrid", 2, 1)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "emails_delivered", *march) == 12210 + 9650
    assert metric(services, workspace, "open_rate", *march) == pytest.approx((4120 + 2488) / (12210 + 9650))


def test_sg006_spam_reports_become_complaints(services, workspace, tmp_path):
    sends = parse(SENDS)
    assert [sends.row(i)["complaints"] for i in ("8f1e6c2a-1b1d-11ee-be56-0242ac120002",
            "a7c3d9e0-1b1d-11ee-be56-0242ac120002")] == [4, 1]  # fmt: skip
    daily = parse(DAILY).frame().sort("sent_at")
    assert daily["complaints"].to_list() == [1, 0]  # snake case spam_reports
    ingest_json(services, tmp_path, SENDS)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "spam_reports", *march) == 4 + 1
    assert metric(services, workspace, "spam_report_rate", *march) == pytest.approx(5 / (12210 + 9650))
