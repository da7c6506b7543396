"""LinkedIn Campaign Manager campaign performance export: UTF-16 tabs, report preamble, thousands separators."""

from __future__ import annotations

from datetime import date

import pytest

from data.connectors import _text as t
from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, D, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "linkedin_ads/campaign_performance_report.csv"


def test_li001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "linkedin_ads"


def test_li002_values():
    p = parse(FILE)
    row = p.row(t.stable_id_one("linkedin_ads", "212345678", "2024-03-02"))
    assert (row["date"], row["platform"], row["campaign"]) == (
        date(2024, 3, 2),
        "linkedin_ads",
        "Q1 - Decision makers - Sponsored Content",
    )
    assert (row["spend"], row["impressions"], row["clicks"], row["currency"]) == (
        D("1150.10"),
        101002,
        820,
        "USD",
    )
    assert (row["conversions"], row["conversion_value"]) == (11.0, D("2450.50"))


def test_li003_bad_spend_quarantined_with_file_line():
    p = parse(FILE)
    [err] = p.errors
    # 7 preamble lines + header on line 8: the 4th data row is line 12
    assert (err.row_number, err.column, err.raw["Total Spent"]) == (12, "Total Spent", "49.5x")
    assert p.frame().height == 3


def test_li004_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("linkedin_ads", 3, 1)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "spend", *march) == pytest.approx(142.37 + 1150.10)
    assert metric(services, workspace, "impressions", *march) == 12480 + 101002
    assert metric(services, workspace, "clicks", *march) == 96 + 820
