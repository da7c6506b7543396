"""X Ads campaign export: one-day Time period ranges, thousands separators, en-dash blanks, BOM."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from data.connectors import _text as t
from data.connectors import registry
from data.connectors.base import UnrecognisedFile
from tests.unit.connectors._helpers import FIXTURES, D, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "x_ads/campaign_export.csv"


def test_x001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "x_ads"


def test_x002_values():
    p = parse(FILE)
    row = p.row(t.stable_id_one("x_ads", "1a2b3c", "2024-03-02"))
    assert (row["date"], row["platform"], row["campaign"]) == (
        date(2024, 3, 2),
        "x_ads",
        "Launch week - Website traffic",
    )
    assert (row["spend"], row["impressions"], row["clicks"], row["currency"]) == (
        D("1305.00"),
        250400,
        3344,
        "USD",
    )
    assert (row["conversions"], row["conversion_value"]) == (21.0, D("1890.25"))


def test_x003_en_dash_is_no_data():
    row = parse(FILE).row(t.stable_id_one("x_ads", "4d5e6f", "2024-03-01"))
    assert (row["spend"], row["conversions"], row["conversion_value"]) == (D("0.00"), 0.0, D("0.00"))


def test_x004_multi_day_period_is_quarantined():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column) == (5, "Time period")
    assert "spans several days" in err.reason and "Mar 1, 2024 - Mar 7, 2024" in err.reason


def test_x005_a_date_column_works_too(tmp_path):
    text = (FIXTURES / FILE).read_text(encoding="utf-8-sig")
    text = text.replace('"Time period"', '"Date"').replace("Mar 1, 2024 - Mar 1, 2024", "2024-03-01")
    path = tmp_path / "x.csv"
    path.write_text(
        text.replace("Mar 2, 2024 - Mar 2, 2024", "2024-03-02").replace(
            "Mar 1, 2024 - Mar 7, 2024", "2024-03-07"
        )
    )
    assert parse(path, "x_ads").frame().height == 4


def test_x006_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("x_ads", 3, 1)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "spend", *march) == pytest.approx(212.48 + 1305.00)
    assert metric(services, workspace, "conversions", *march) == 26


# -- exports over a date range: one row per campaign per day, or one per campaign for the whole range
WHOLE = "x_ads/campaign_export_whole_period.csv"


def _cli_ingest(services, path):
    result = CliRunner().invoke(
        cli, ["ingest", str(path), "--workspace", "acme", "--json"], obj=services, catch_exceptions=False
    )
    [file_result] = json.loads(result.stdout)["files"]
    return result.exit_code, file_result


def _ad_rows(services, workspace) -> int:
    cur = services.warehouse.cursor()
    return cur.execute("SELECT count(*) FROM ad_daily WHERE workspace_id = ?", [workspace.id]).fetchone()[0]


def test_x007_a_whole_period_export_is_refused_naming_the_row_and_the_daily_export():
    assert registry.detect(FIXTURES / WHOLE) == "x_ads"
    with pytest.raises(UnrecognisedFile) as refused:
        parse(WHOLE)
    message = str(refused.value)
    assert "line 2" in message and "'Black Friday - Website traffic'" in message
    assert "'Nov 1, 2026 - Nov 30, 2026', 30 days; 2 such row(s)" in message
    assert "daily breakdown" in message


def test_x008_refused_end_to_end_stores_nothing(services, workspace, tmp_path):
    path = tmp_path / "export.csv"
    shutil.copy(FIXTURES / WHOLE, path)
    code, result = _cli_ingest(services, path)
    assert (code, result["status"], result["inserted"]) == (2, "refused", 0)
    assert "one row per campaign for a whole period" in result["error"]
    assert _ad_rows(services, workspace) == 0  # never one day's spend


def test_x009_en_dash_ranges_are_ranges_too(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text((FIXTURES / WHOLE).read_text(encoding="utf-8-sig").replace(" - Nov 30", " \u2013 Nov 30"))
    with pytest.raises(UnrecognisedFile, match="30 days"):
        parse(path, "x_ads")


def test_x010_a_time_column_and_a_range_among_daily_rows(services, workspace, tmp_path):
    """X's help names the day column ``Time``; a range row among daily ones is rejected alone, never stored as a day."""
    text = (FIXTURES / FILE).read_text(encoding="utf-8-sig").replace('"Time period"', '"Time"')
    for period, day in (
        ("Mar 1, 2024 - Mar 1, 2024", "2024-03-01"),
        ("Mar 2, 2024 - Mar 2, 2024", "2024-03-02"),
    ):
        text = text.replace(period, day)
    path = tmp_path / "export.csv"
    path.write_text(text)  # the Followers row keeps "Mar 1, 2024 - Mar 7, 2024"
    p = parse(path, "x_ads")
    assert sorted(p.frame()["date"].to_list()) == [date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 2)]
    [err] = p.errors
    assert (err.row_number, err.column) == (5, "Time")
    assert "spans several days" in err.reason and "daily breakdown" in err.reason
    code, result = _cli_ingest(services, path)
    assert (code, result["inserted"], result["quarantined"]) == (0, 3, 1)
    # the file's own totals hold to the cent: the daily rows' spend, nothing of the range row
    assert result["reconciliation"]["spend USD"] == {"file": 1517.48, "imported": 1517.48, "ok": True}
    assert result["reconciliation"]["impressions"]["file"] == 48120 + 250400
    assert metric(services, workspace, "spend", date(2024, 3, 3), date(2024, 3, 7)) == 0
