"""Meta Ads Manager export: summary row, currency from header, BOM, `-` values."""

from __future__ import annotations

from datetime import date

from data.connectors import _text as t
from tests.unit.connectors._helpers import FIXTURES, D, parse


def test_con301_summary_row_skipped_and_values():
    p = parse("meta_ads_export.csv", reporting_currency="EUR")
    assert p.source == "meta_ads"
    rows = p.frame().sort("date").to_dicts()
    assert [r["campaign"] for r in rows] == ["Spring Sale", "Spring Sale"]
    first = rows[0]
    assert (first["date"], first["platform"], first["currency"]) == (date(2024, 3, 1), "meta_ads", "EUR")
    assert (first["spend"], first["impressions"], first["clicks"]) == (D("50.12345678"), 1000, 30)
    assert (first["conversions"], first["conversion_value"]) == (1.0, D("100.00"))
    assert rows[1]["spend"] == D("100.62654322")  # kept as Meta gives it (PRECISE_MONEY)
    assert first["source_id"] == t.stable_id_one("meta_ads", "Spring Sale", "2024-03-01")
    assert p.rows_read() == 4


def test_con302_negative_impressions_is_a_row_error():
    [err] = parse("meta_ads_export.csv").errors
    assert (err.row_number, err.column) == (5, "Impressions")
    assert err.raw["Campaign name"] == "Retarget"


def test_con303_file_has_a_bom():
    assert (FIXTURES / "meta_ads_export.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
