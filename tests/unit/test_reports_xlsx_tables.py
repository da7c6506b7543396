"""The split and insight tables of the Excel report's trend sheets (reports.xlsx._trend_sheet)."""

from __future__ import annotations

import openpyxl
import xlsxwriter

from reports.assemble import Column, SectionData, Table
from reports.xlsx import _Formats, _trend_sheet


def _sheet(tmp_path, table: Table):
    out = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False})
    _trend_sheet(wb, _Formats(wb), SectionData("insights", "Insights briefing", tables=[table]), "USD")
    wb.close()
    return openpyxl.load_workbook(out).worksheets[0]


def test_xlsxtable001_a_change_written_as_text_shows_no_apostrophe(tmp_path):
    """The insights' Change read "'+417.5%": the formula escape put a visible apostrophe on it."""
    columns = (Column("insight", "Insight"), Column("change", "Change"))
    rows = [
        ("Unusual new customers", "+417.5%"),
        ("Conversion rate rose", "+0.6 pp"),
        ("=HYPERLINK(1)", "+1+2"),
    ]
    ws = _sheet(tmp_path, Table("Top insights", columns, rows))
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value}
    assert "+417.5%" in cells and "'+417.5%" not in cells
    assert cells["+417.5%"].quotePrefix and cells["+0.6 pp"].quotePrefix  # text, by Excel's own marker
    # anything else that starts like a formula keeps the escape
    assert "'=HYPERLINK(1)" in cells and "'+1+2" in cells


def test_xlsxtable002_a_split_without_rows_says_why_in_words(tmp_path):
    columns = (Column("source", "Source"), Column("value", "Sessions", "count"))
    note = "No source is recorded for the sessions in this period."
    ws = _sheet(tmp_path, Table("Sessions by source", columns, [], note=note))
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert values == ["Sessions by source", note]  # no header over no rows


def test_xlsxtable003_a_text_column_is_as_wide_as_its_longest_text(tmp_path):
    """A fixed width of 24 cut a long campaign name at the number beside it."""
    name = "Retargeting - All Products - Spring Sale 2026"
    columns = (Column("campaign", "Campaign"), Column("value", "Ad spend", "currency"))
    ws = _sheet(tmp_path, Table("Ad spend by campaign", columns, [(name, 12.5), ("Brand", 3.0)]))
    assert ws.column_dimensions["A"].width >= len(name)
    assert ws.column_dimensions["B"].width < 25  # number columns keep theirs
