"""GA4 downloads: comment blocks (French labels), several tables, YYYYMMDD, Conversions."""

from __future__ import annotations

from datetime import date

from tests.unit.connectors._helpers import D, parse


def test_con401_dated_table_rows():
    p = parse("ga4_traffic.csv", reporting_currency="EUR")
    assert p.source == "ga4"
    rows = p.frame().sort("date", "sessions", descending=[False, True]).to_dicts()
    assert len(rows) == 3
    first = rows[0]
    assert (first["date"], first["channel"], first["source_name"], first["medium"]) == (
        date(2026, 7, 1),
        "Organic Search",
        "google",
        "organic",
    )
    assert (first["sessions"], first["users"], first["new_users"]) == (120, 100, 80)
    assert first["key_events"] == 3.0  # the older "Conversions" header
    assert (first["revenue"], first["currency"]) == (D("45.50"), "EUR")
    assert rows[2]["channel"] == "Paid Social"
    assert p.chunks[0].row_numbers.to_list() == [11, 12, 13]


def test_con402_undated_table_over_a_range_is_one_clear_error():
    p = parse("ga4_traffic.csv")
    [err] = p.errors
    assert err.row_number == 21 and err.column == "Date"
    assert "2026-07-01..2026-07-02" in err.reason


def test_con403_single_day_table_without_date_uses_comment_dates(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "# Traffic\n# Start date: 20250105\n# End date: 20250105\n"
        "Session source,Session medium,Sessions,Users,Key events\nnewsletter,email,7,6,1\n",
        encoding="utf-8",
    )
    [row] = parse(path).frame().to_dicts()
    assert (row["date"], row["channel"], row["sessions"]) == (date(2025, 1, 5), "Email", 7)
