"""Pipedrive deals export: entity-prefixed headers, Won/Lost/Open/Deleted status, thousands separators."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, D, parse
from tests.unit.connectors._ingest import add_fx_rate, ingest_json, metric

FILE = "pipedrive/deals-export.csv"


def test_pd001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "pipedrive"


def test_pd002_won_deal_values_in_the_users_time_zone():
    won = parse(FILE, timezone="Europe/Berlin").row("7")
    assert (won["name"], won["stage"], won["pipeline"], won["owner"]) == (
        "Website redesign",
        "Negotiations Started",
        "Sales pipeline",
        "Mia Kay",
    )
    assert (won["amount"], won["currency"], won["won"]) == (D("12500.00"), "EUR", True)
    assert won["created_at"] == datetime(2024, 2, 1, 8, 30)  # 09:30 CET
    assert won["closed_at"] == datetime(2024, 3, 5, 9, 0)


def test_pd003_open_and_lost():
    p = parse(FILE)
    open_ = p.row("8")
    assert (open_["won"], open_["closed_at"], open_["amount"]) == (None, None, D("3000.00"))
    lost = p.row("9")
    assert (lost["won"], lost["closed_at"], lost["currency"]) == (False, datetime(2024, 3, 20, 16, 45), "USD")


def test_pd004_bad_value_quarantined_and_deleted_deal_skipped():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["Deal - Title"]) == (6, "Deal - Value", "Broken row")
    assert "12" not in p.frame()["source_id"].to_list()
    assert p.rows_read() == 6


def test_pd005_unprefixed_headers_are_accepted(tmp_path):
    text = (FIXTURES / FILE).read_text().replace('"Deal - ', '"')
    path = tmp_path / "deals.csv"
    path.write_text(text)
    assert parse(path, "pipedrive").row("10")["won"] is True


def test_pd006_end_to_end_win_rate(services, workspace, tmp_path):
    add_fx_rate(services, workspace, "EUR", 1.10)
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["rows_read"], result["inserted"], result["quarantined"]) == (
        "pipedrive",
        6,
        4,
        1,
    )
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "deals_won", *march) == 2
    assert metric(services, workspace, "win_rate", *march) == pytest.approx(2 / 3)
    # won: 12,500 EUR + 1,000 EUR at 1.10
    assert metric(services, workspace, "average_deal_size", *march) == pytest.approx(13500 * 1.10 / 2)


def test_pd007_xlsx_export_reads_like_the_csv(tmp_path):
    import csv

    from openpyxl import Workbook

    wb = Workbook()
    for row in csv.reader((FIXTURES / FILE).read_text().splitlines()):
        wb.active.append(row)
    path = tmp_path / "deals.xlsx"
    wb.save(path)
    assert registry.detect(path) == "pipedrive"
    p = parse(path)
    assert p.row("7")["amount"] == D("12500.00") and p.frame().height == 4 and len(p.errors) == 1
