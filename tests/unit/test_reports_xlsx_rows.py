"""Detail rows built as sheet XML in Arrow (reports.xlsx_rows) read back like XlsxWriter's own cells."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter

from reports.xlsx_rows import MAX_TEXT, ColumnXml, RowsXml, splice_rows, style_index

TRICKY = [
    "plain",
    "Fish & Chips <b>",
    "  leading and trailing  ",
    "tab\there",
    "line\nbreak",
    "bell\x07 and cr\r",
    "literal _x0041_ escape",
    "Café ☕ 𝄞",
    '\'=HYPERLINK("http://x")',
    "non-char \ufffe",
]


def _book(path, columns, formats=None):
    """A one-sheet workbook (header by XlsxWriter) whose rows come from RowsXml."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Rows")
    made = []
    for col, (name, kind, num_format) in enumerate(columns):
        fmt = wb.add_format({"num_format": num_format}) if num_format else None
        made.append(ColumnXml(col, kind, style_index(fmt) if fmt else None))
        ws.set_column(col, col, 14, fmt)
        ws.write_string(0, col, name)
    ws.freeze_panes(1, 0)
    return wb, ws, made


def _write(tmp_path, batch: pa.RecordBatch, columns, *, chunk=None):
    path = tmp_path / "rows.xlsx"
    wb, ws, made = _book(path, columns)
    rows = RowsXml(made, str(tmp_path))
    step = chunk or batch.num_rows
    for start in range(0, batch.num_rows, step):
        rows.write(batch.slice(start, step))
    rows.close()
    ws.autofilter(0, 0, rows.next_row - 1, len(columns) - 1)
    wb.close()
    splice_rows(path, {"Rows": rows})
    return path


def test_xlsxrows001_text_reads_back_exactly_as_xlsxwriters_own_cells(tmp_path):
    """The oracle: the same strings written cell by cell by XlsxWriter."""
    theirs = tmp_path / "theirs.xlsx"
    wb = xlsxwriter.Workbook(str(theirs), {"constant_memory": True})
    ws = wb.add_worksheet("Rows")
    ws.write_string(0, 0, "text")
    for row, text in enumerate(TRICKY, start=1):
        ws.write_string(row, 0, text)
    wb.close()
    ours = _write(tmp_path, pa.record_batch({"text": pa.array(TRICKY)}), [("text", "text", None)])
    with zipfile.ZipFile(theirs) as a, zipfile.ZipFile(ours) as b:
        cells = re.compile(rb"<c r=\"A(?:[2-9]|1\d)\".*?</c>")
        assert cells.findall(b.read("xl/worksheets/sheet1.xml")) == cells.findall(
            a.read("xl/worksheets/sheet1.xml")
        )
    got = [c.value for c in openpyxl.load_workbook(ours)["Rows"]["A"][1:]]
    want = [c.value for c in openpyxl.load_workbook(theirs)["Rows"]["A"][1:]]
    assert got == want
    assert got[1] == "Fish & Chips <b>" and got[2] == "  leading and trailing  "


def test_xlsxrows002_cells_are_typed_with_their_number_formats(tmp_path):
    batch = pa.record_batch(
        {
            "day": pa.array([date(2026, 1, 31), None, date(2024, 2, 29)], pa.date32()),
            "at": pa.array(
                [datetime(2026, 3, 29, 1, 30, 15), datetime(2026, 1, 1), None], pa.timestamp("us")
            ),
            "count": pa.array([1_234_567, None, -3], pa.int64()),
            "net": pa.array([12.5, float("nan"), float("inf")], pa.float64()),
            "paid": pa.array([True, False, None]),
            "name": pa.array(["a", "", None]),
        }
    )
    columns = [
        ("day", "number", "yyyy-mm-dd"),
        ("at", "number", "yyyy-mm-dd hh:mm:ss"),
        ("count", "number", "#,##0"),
        ("net", "number", '"$"#,##0.00'),
        ("paid", "bool", None),
        ("name", "text", None),
    ]
    path = _write(tmp_path, batch, columns)
    ws = openpyxl.load_workbook(path)["Rows"]
    first = ws[2]
    assert first[0].is_date and first[0].value == datetime(2026, 1, 31)
    assert first[0].number_format == "yyyy-mm-dd"
    assert first[1].value == datetime(2026, 3, 29, 1, 30, 15)
    assert first[1].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[2].value == 1_234_567 and first[2].number_format == "#,##0"
    assert first[3].value == 12.5 and first[3].number_format == '"$"#,##0.00'
    assert first[4].value is True and first[5].value == "a"
    # missing, empty, NaN and infinite values leave the cell empty (never text such as "nan")
    assert [c.value for c in ws[3]] == [None, datetime(2026, 1, 1), None, None, False, None]
    assert [c.value for c in ws[4]] == [datetime(2024, 2, 29), None, -3, None, None, None]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F4"


def test_xlsxrows003_rows_continue_across_batches_and_the_dimension_covers_them(tmp_path):
    n = 25
    batch = pa.record_batch({"i": pa.array(range(n), pa.int64()), "t": [f"row {i}" for i in range(n)]})
    path = _write(tmp_path, batch, [("i", "number", "0"), ("t", "text", None)], chunk=7)
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml")
    root = ElementTree.fromstring(xml)  # well-formed
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    assert root.find("m:dimension", ns).get("ref") == f"A1:B{n + 1}"
    assert [r.get("r") for r in root.findall("m:sheetData/m:row", ns)] == [str(i) for i in range(1, n + 2)]
    ws = openpyxl.load_workbook(path)["Rows"]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == list(range(n))
    assert ws.cell(row=n + 1, column=2).value == f"row {n - 1}"


def test_xlsxrows004_text_longer_than_excel_holds_is_cut_to_the_limit(tmp_path):
    long = "x" * (MAX_TEXT + 10)
    path = _write(tmp_path, pa.record_batch({"t": [long, "short & sweet"]}), [("t", "text", None)])
    ws = openpyxl.load_workbook(path)["Rows"]
    assert ws["A2"].value == "x" * MAX_TEXT
    assert ws["A3"].value == "short & sweet"


@pytest.mark.parametrize("repeats", [1, 50])
def test_xlsxrows005_repeated_values_escape_the_same_as_distinct_ones(tmp_path, repeats):
    """Few distinct values take the dictionary path; the cells must not differ from the direct one."""
    values = TRICKY * repeats
    path = _write(tmp_path, pa.record_batch({"t": values}), [("t", "text", None)])
    ws = openpyxl.load_workbook(path)["Rows"]
    want = [c.value for c in openpyxl.load_workbook(_oracle(tmp_path, values))["Rows"]["A"][1:]]
    assert [c.value for c in ws["A"][1:]] == want


def _oracle(tmp_path, values):
    path = tmp_path / "oracle.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Rows")
    ws.write_string(0, 0, "t")
    for row, text in enumerate(values, start=1):
        ws.write_string(row, 0, text)
    wb.close()
    return path
