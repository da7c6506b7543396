"""The PDF's tables (reports.pdf._data_table): column widths and alignment a person reads."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from reports.assemble import Column, Table
from reports.pdf import _data_table, _fonts, _styles

WIDTH = 480


def _table(table: Table):
    data = SimpleNamespace(workspace=SimpleNamespace(currency="USD"))
    return _data_table(table, data, _styles(*_fonts()), WIDTH)


def test_pdftable001_several_text_columns_get_room_by_what_they_hold():
    """The insights table gave every column after the first an even share: "Suggested action"
    wrapped a word a line and "+417.5%" broke after its point."""
    columns = (
        Column("insight", "Insight"),
        Column("value", "Value"),
        Column("change", "Change"),
        Column("money", "Money at stake", "currency"),
        Column("action", "Suggested action"),
    )
    rows = [
        ("Unusual new customers on 27 Nov 2026", "New customers: 72 (was 14)", "+417.5%", 10835.56,
         "Check that day's orders, campaigns and tracking for what happened."),
        ("Conversions: best month on record", "Conversions: 378 (was 330)", "+4,291.1%", 6470.87,
         "Note what worked this month and repeat it."),
    ]  # fmt: skip
    pdf = _table(Table("Top insights", columns, rows))
    widths = pdf._colWidths
    assert sum(widths) <= WIDTH + 0.01
    change = [row[2] for row in pdf._cellvalues[1:]]
    assert all(isinstance(c, str) for c in change), "a short change was wrapped"
    assert widths[4] > WIDTH * 0.2  # the suggested action has room for a few words a line


def test_pdftable002_a_date_column_reads_from_the_left():
    """The forecast table's days were right-aligned at the far side of a wide first column."""
    columns = (Column("day", "Day", "date"), Column("value", "Forecast", "currency"))
    pdf = _table(Table("Forecast", columns, [(date(2026, 12, 3), 3130.49)]))
    day, forecast = pdf._cellStyles[1]
    assert (day.alignment, forecast.alignment) == ("LEFT", "RIGHT")


def test_pdftable003_a_long_title_never_runs_over_the_page_number():
    """A 70-character report title pushed the footer over "Page 1 of 7" and off the page."""
    from reportlab.pdfbase import pdfmetrics

    from reports.pdf import FOOTER_SIZE, FOOTER_WIDTH, _footer_text

    font = _fonts()[0]
    generated = "generated 3 Dec 2026, 18:18 Europe/Berlin"
    title = "Monthly performance report for the board of directors and investors — November"
    text = _footer_text("Northwind Studio", title, generated, font)
    assert pdfmetrics.stringWidth(text, font, FOOTER_SIZE) <= FOOTER_WIDTH
    assert text.startswith("Northwind Studio · Monthly performance report") and text.endswith(generated)
    assert "…" in text
    short = _footer_text("Acme", "Performance report", generated, font)
    assert short == f"Acme · Performance report · {generated}"  # what fits is left alone
