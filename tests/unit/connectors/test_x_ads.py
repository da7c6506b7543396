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
from data.connectors.base import SKIP_BREAKDOWN, UnrecognisedFile
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


# -- hourly exports (Export > By hour): a Time column with the hour, summed into the day --------
HOURLY = "x_ads/campaign_export_hourly.csv"


def test_x009_hourly_time_column_summed_per_campaign_and_day():
    assert registry.detect(FIXTURES / HOURLY) == "x_ads"
    p = parse(HOURLY)
    assert p.errors == []
    day = p.row(t.stable_id_one("x_ads", "bf2026", "2026-11-02"))
    # 00:00 + 13:00 + 14:00 + 23:00 (the last all "–": no data, zero)
    assert (day["date"], day["campaign"], day["spend"], day["impressions"], day["clicks"]) == (
        date(2026, 11, 2),
        "Black Friday - Website traffic",
        D("1212.62"),
        212692,
        2230,
    )
    assert (day["conversions"], day["conversion_value"]) == (21.0, D("2520.50"))
    assert p.row(t.stable_id_one("x_ads", "bf2026", "2026-11-03"))["spend"] == D("40.00")
    assert p.row(t.stable_id_one("x_ads", "brand01", "2026-11-02"))["impressions"] == 2750
    (chunk,) = p.chunks
    # 7 hourly rows -> 3 campaign days; the 4 merged rows counted as skipped
    assert (chunk.rows_read, chunk.frame.height, chunk.skipped) == (7, 3, {SKIP_BREAKDOWN: 4})


def test_x010_hour_of_day_beside_a_date_column_and_12_hour_clocks(tmp_path):
    text = (FIXTURES / HOURLY).read_text(encoding="utf-8-sig")
    header, *rows = text.splitlines()
    # the same data as a Date column plus an hour-of-day "Time" segment ("1:00 PM")
    split = []
    for row in rows:
        stamp, rest = row[1:].split('"', 1)
        day, clock = stamp.split(" ")
        hour = int(clock[:2])
        twelve = f"{hour % 12 or 12}:00 {'PM' if hour >= 12 else 'AM'}"
        split.append(f'"{day}","{twelve}"{rest}')
    path = tmp_path / "hours.csv"
    path.write_text("\n".join([header.replace('"Time"', '"Date","Time"'), *split]) + "\n", encoding="utf-8")
    by_hour = parse(path)
    assert by_hour.source == "x_ads" and by_hour.errors == []
    whole = parse(HOURLY).frame().sort("source_id")
    got = by_hour.frame().sort("source_id")
    assert got.select("source_id", "spend", "impressions", "clicks").equals(
        whole.select("source_id", "spend", "impressions", "clicks")
    )
    assert by_hour.chunks[0].skipped == {SKIP_BREAKDOWN: 4}
    # and a "Time period" of one-hour ranges (23:00 - 00:00 is still the first day)
    ranged = text.replace('"2026-11-02 23:00"', '"2026-11-02 23:00 - 2026-11-03 00:00"')
    path.write_text(ranged.replace('"Time"', '"Time period"', 1), encoding="utf-8")
    assert parse(path).row(t.stable_id_one("x_ads", "bf2026", "2026-11-02"))["spend"] == D("1212.62")


def test_x011_hourly_export_end_to_end_reconciles(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, HOURLY)
    assert (result["source"], result["rows_read"], result["inserted"], result["skipped"]) == (
        "x_ads",
        7,
        3,
        4,
    )
    assert result["status"] == "ok"
    assert all(v["ok"] for v in result["reconciliation"].values()), result["reconciliation"]
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert metric(services, workspace, "spend", *november) == pytest.approx(1212.62 + 40.00 + 10.00)
