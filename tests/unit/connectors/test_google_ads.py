"""Google Ads campaign report: preamble, Total rows, `--`, thousands, UTF-16 tab variant."""

from __future__ import annotations

from datetime import date

import pytest

from data.connectors import _text as t
from data.connectors.base import UnrecognisedFile
from tests.unit.connectors._helpers import FIXTURES, D, parse


def _row(p, campaign):
    rows = p.frame().filter(p.frame()["campaign"] == campaign).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_con201_values_and_total_rows_skipped():
    p = parse("google_ads_campaigns.csv", reporting_currency="EUR")
    assert p.source == "google_ads"
    f = p.frame()
    assert f["campaign"].to_list() == ["Brand – Search", "Generic", "Ünïcödé 広告"]
    assert set(f["platform"]) == {"google_ads"}
    brand = _row(p, "Brand – Search")
    assert brand["date"] == date(2026, 3, 27)
    assert (brand["impressions"], brand["clicks"], brand["conversions"]) == (1356884, 12345, 259.5)
    assert (brand["spend"], brand["conversion_value"], brand["currency"]) == (
        D("199421.15"),
        D("1234.50"),
        "EUR",
    )
    assert brand["spend_reporting"] == D("199421.15")
    assert brand["source_id"] == t.stable_id_one("google_ads", "Brand – Search", "2026-03-27")
    generic = _row(p, "Generic")  # every metric " --"
    assert (generic["impressions"], generic["clicks"], generic["spend"]) == (0, 0, D("0"))
    assert p.rows_read() == 7  # 5 campaigns + 2 Total rows


def test_con202_row_errors_with_file_line_numbers():
    errs = parse("google_ads_campaigns.csv").errors
    assert [(e.row_number, e.column) for e in errs] == [(7, "Impr."), (8, "Day")]  # the file's headers
    assert "negative" in errs[0].reason and errs[0].raw["Campaign"] == "Broken"
    assert "28/13/2026x" in errs[1].reason


def test_con203_utf16_tab_separated_excel_download_with_decimal_commas():
    p = parse("google_ads_excel_utf16.csv", reporting_currency="USD")
    assert p.source == "google_ads"
    rows = p.frame().sort("date").to_dicts()
    assert [r["date"] for r in rows] == [date(2024, 1, 15), date(2024, 1, 16)]
    assert (rows[0]["impressions"], rows[0]["spend"], rows[0]["conversions"]) == (1234, D("12.34"), 1.5)
    assert (rows[0]["campaign"], rows[0]["campaign_id"]) == ("Frühling", "1001")
    assert rows[0]["spend_reporting"] is None  # EUR account, USD workspace: ingest converts
    assert p.chunks[0].row_numbers.to_list() == [4, 5]


def test_con204_report_without_day_column_is_refused_clearly(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        'Campaign report\n"March 27, 2026 - April 23, 2026"\nCampaign,Impr.,Clicks,Cost\nA,1,1,1.00\n',
        encoding="utf-8",
    )
    with pytest.raises(UnrecognisedFile, match="Day"):
        parse(path)


def test_con205_single_day_report_uses_the_range_date(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        'Campaign report\n"April 2, 2026"\nCampaign,Impr.,Clicks,Cost\nA,10,2,1.50\n', encoding="utf-8"
    )
    [row] = parse(path).frame().to_dicts()
    assert (row["date"], row["impressions"], row["spend"]) == (date(2026, 4, 2), 10, D("1.50"))


def test_con206_fixture_is_really_utf16():
    assert (FIXTURES / "google_ads_excel_utf16.csv").read_bytes()[:2] == b"\xff\xfe"
