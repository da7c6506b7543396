"""Excel rendering with XlsxWriter in constant-memory mode (rows stream to disk as written).

The workbook: a **Summary** sheet (report facts and every section's KPIs with comparison and
change), for each section a **trend** sheet (the series by period with a native Excel line
chart, and the split tables) and a **rows** sheet with the detail rows behind the numbers,
ready for a pivot table. Numbers are numbers and dates are dates, each with a number format;
headers are frozen and filterable. A dataset beyond Excel's 1,048,576-row limit continues on
"<name> (2)", "<name> (3)" ... and the Summary says so.

XlsxWriter rather than openpyxl: openpyxl's write-only mode spends ~10 µs per styled cell.
XlsxWriter is not fast enough for the detail rows either (~10 µs a cell in Python: 100,000
payment lines took 15-20 s), so those are built as sheet XML in Arrow and spliced into the
workbook XlsxWriter wrote (:mod:`reports.xlsx_rows`); everything else is XlsxWriter's.
openpyxl reads the files back in the tests.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from components.formatting import (
    MINUS,
    ZERO_DECIMAL_DISPLAY,
    currency_symbol,
    format_number,
    is_flat,
    number_style,
)
from components.labels import source_label
from data.warehouse import ScopedWarehouse
from reports.assemble import Kpi, ReportData, SectionData, covered_series
from reports.cells import safe_text
from reports.rows import SECTION_DATASETS, get_dataset, stream
from reports.xlsx_rows import ColumnXml, RowsXml, splice_rows, style_index

#: Excel's row limit per sheet (header included); a module constant so tests can lower it
MAX_SHEET_ROWS = 1_048_576

#: a header note's box: wide enough for one sentence without scrolling
COMMENT = {"x_scale": 1.6, "y_scale": 0.6, "author": "Pulseboard"}

#: a change as the formatters write it (+417.5%, +0.6 pp, +1.319,5 %): text, never a formula
CHANGE_TEXT = re.compile(r"^\+\d[\d.,\u00a0\u202f]*(?:\u00a0?%| pp)$")
#: the chart lines' colours, as in the PDF (reports.pdf.SERIES)
CHART_COLOURS = ("#4361EE", "#F59E0B", "#10B981", "#EF4444")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: money columns of the detail datasets (number format with the workspace currency)
MONEY_COLUMNS = {"gross", "refunds", "net", "fees", "amount_reporting", "spend", "conversion_value"}
#: money in each payment's own currency (its ``currency`` column): two decimals, no symbol, as
#: a workspace symbol would mislabel a EUR payment "$45.00"
ORIGINAL_MONEY_COLUMNS = {"amount", "amount_refunded", "fee"}


def number_format(unit: str, currency: str) -> str:
    """The Excel number format of a catalogue unit (``"$"#,##0.00``, ``0.0%``, ``#,##0`` ...)."""
    if unit == "currency":
        symbol = currency_symbol(currency).replace('"', "")
        decimals = "" if currency.upper() in ZERO_DECIMAL_DISPLAY else ".00"
        style = number_style()
        if style.is_default:
            return f'"{symbol}"#,##0{decimals};-"{symbol}"#,##0{decimals}'
        # Excel writes the separators of the reader's own settings; only the symbol's place (and
        # the sign's) follows the workspace's locale: #,##0.00" €";-#,##0.00" €"
        sides = []
        for negative in (False, True):
            prefix, suffix = style.currency("#", negative, symbol).replace(MINUS, "-").split("#")
            sides.append(
                (f'"{prefix}"' if prefix else "") + f"#,##0{decimals}" + (f'"{suffix}"' if suffix else "")
            )
        return ";".join(sides)
    if unit == "ratio":
        return "0.0%"
    if unit == "multiple":
        return '0.00"×"'
    if unit == "duration":
        return '#,##0.0" d"'
    if unit == "months":
        return '#,##0.0" mo"'
    if unit == "change":
        return "+0.0%;-0.0%;0.0%"
    if unit == "points":
        return '+0.0" pp";-0.0" pp";0.0" pp"'
    return "#,##0"


class _Formats:
    """XlsxWriter formats, made once per distinct look (a workbook holds a limited number)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._made: dict[tuple, object] = {}
        self.header = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#4361EE", "valign": "vcenter"}
        )
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.quoted = wb.add_format({"quote_prefix": True})

    def num(self, fmt: str, colour: str | None = None):
        key = (fmt, colour)
        if key not in self._made:
            props = {"num_format": fmt} | ({"font_color": colour} if colour else {})
            self._made[key] = self.wb.add_format(props)
        return self._made[key]


def render_xlsx(data: ReportData, out: Path | str, *, scoped: ScopedWarehouse | None = None) -> dict:
    """Write the workbook to ``out``; returns {"sheets": [...], "rows": detail rows written}.

    With ``scoped`` each section also gets its detail rows (streamed from the warehouse).
    """
    with tempfile.TemporaryDirectory(prefix="pulseboard-xlsx-") as tmp:
        wb = xlsxwriter.Workbook(
            str(out),
            {
                "constant_memory": True,
                "tmpdir": tmp,
                "strings_to_formulas": False,  # text stays text (it is formula-escaped as well)
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": DATE_FORMAT,
            },
        )
        formats = _Formats(wb)
        currency = data.workspace.currency
        summary = wb.add_worksheet("Summary")  # first tab; filled last, when split notes are known
        notes: list[str] = []
        sheets = ["Summary"]
        detail_rows = 0
        row_xml: dict[str, RowsXml] = {}
        written: set[str] = set()
        for section in data.sections:
            if section.key != "kpis" and (section.trend or section.tables):
                sheets.append(_trend_sheet(wb, formats, section, currency))
            name = SECTION_DATASETS.get(section.key) if section.key != "kpis" else None
            if scoped is not None and name and name not in written and not section.empty_message:
                written.add(name)
                parts, rows = _rows_sheets(wb, formats, scoped, data, name, currency, tmp)
                names = list(parts)
                row_xml |= parts
                sheets += names
                detail_rows += rows
                if len(names) > 1:
                    notes.append(
                        f"{get_dataset(name).label}: {format_number(rows)} rows are more than one sheet holds; "
                        f"they continue on sheets {', '.join(names)}."
                    )
        _fill_summary(summary, formats, data, currency, notes)
        wb.close()
        if row_xml:
            splice_rows(out, row_xml)
    return {"sheets": sheets, "rows": detail_rows}


def _fill_summary(ws, f: _Formats, data: ReportData, currency: str, notes: list[str]) -> None:
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 18)
    ws.write_string(0, 0, safe_text(data.spec.title), f.title)
    facts = [
        ("Workspace", data.workspace.name or data.workspace.slug),
        ("Period", data.period_text),
        ("Compared with", data.compare_text),
    ]
    for row, (label, value) in enumerate(facts, start=1):
        ws.write_string(row, 0, label, f.bold)
        ws.write_string(row, 1, safe_text(value))
    row = 4
    for col, head in enumerate(("Metric", "Value", "Compared", "Change")):
        ws.write_string(row, col, head, f.header)
    ws.freeze_panes(row + 1, 0)
    for section in data.sections:
        if not section.kpis:
            continue
        row += 1
        ws.write_string(row, 0, section.title, f.bold)
        for kpi in section.kpis:
            row += 1
            _kpi_row(ws, f, row, kpi, currency)
        for text in [*section.notes, *([section.empty_message] if section.empty_message else [])]:
            row += 1
            ws.write_string(row, 0, safe_text(text))
    row += 1
    for label, value in (
        ("Filters", data.filters_text),
        ("Generated", data.generated_text),
        ("Currency", currency),
    ):
        row += 1
        ws.write_string(row, 0, label, f.bold)
        ws.write_string(row, 1, safe_text(value))
    for note in notes:
        row += 1
        ws.write_string(row, 0, "Note", f.bold)
        ws.write_string(row, 1, safe_text(note))


def _kpi_row(ws, f: _Formats, row: int, kpi: Kpi, currency: str) -> None:
    ws.write_string(row, 0, safe_text(kpi.label))
    fmt = f.num(number_format(kpi.unit, currency))
    _number(ws, row, 1, kpi.value, fmt)
    _number(ws, row, 2, kpi.compare_value, fmt)
    colour = "#15803D" if kpi.good else "#B91C1C" if kpi.good is False else None
    # a change that reads as zero is stored as 0: Excel's negative section would show "-0.0 pp"
    change = 0.0 if kpi.change is not None and is_flat(kpi.change) else kpi.change
    if kpi.unit == "ratio":  # a change of a ratio is shown in percentage points
        points = None if change is None else change * 100
        _number(ws, row, 3, points, f.num(number_format("points", currency), colour))
    else:
        _number(ws, row, 3, change, f.num(number_format("change", currency), colour))


def _trend_sheet(wb, f: _Formats, section: SectionData, currency: str) -> str:
    """The trend table with a native chart beside it (lines, or columns for sparse counts), then the splits."""
    title = _sheet_title(f"{section.title} trend")
    ws = wb.add_worksheet(title)
    trend = section.trend
    width = max(2, len(trend.series) + 1 if trend else 0, *(len(t.columns) for t in section.tables))
    for col in range(width):
        ws.set_column(col, col, _text_width(section, col, 24 if col == 0 else 18))
    ws.freeze_panes(1, 0)
    row = 0
    if trend is not None:
        ws.write_string(0, 0, "Period start", f.header)
        for col, (label, _, _) in enumerate(trend.series, start=1):
            ws.write_string(0, col, safe_text(label), f.header)
        if trend.note:  # above the chart, beside the table: read before the numbers (and written
            # now: in constant-memory mode a row is final once a later one is written)
            ws.write_string(0, len(trend.series) + 2, safe_text(trend.note), f.bold)
        date_fmt = f.num(DATE_FORMAT)
        if trend.partial_note:  # the header's note, as the rows sheets' headers carry theirs
            ws.write_comment(0, 0, safe_text(trend.partial_note), COMMENT)
        for i, day in enumerate(trend.periods, start=1):
            ws.write_datetime(i, 0, datetime.combine(day, datetime.min.time()), date_fmt)
            if i - 1 in trend.partial:  # and each partial period's own cell says how partial
                inside, total = trend.partial[i - 1]
                ws.write_comment(
                    i, 0, f"Partial {trend.grain}: {inside} of {total} days in the report period.", COMMENT
                )
            for col, (_, unit, values) in enumerate(trend.series, start=1):
                _number(ws, i, col, values[i - 1], f.num(number_format(unit, currency)))
        last = len(trend.periods)
        ws.autofilter(0, 0, last, len(trend.series))
        bars = trend.kind == "bar"  # sparse counts of events, as the PDF draws them
        chart = wb.add_chart({"type": "column" if bars else "line"})
        covered = set() if bars else covered_series(trend)
        for col in range(1, len(trend.series) + 1):
            series = {
                "name": [title, 0, col],
                "categories": [title, 1, 0, last, 0],
                "values": [title, 1, col, last, col],
            }
            colour = CHART_COLOURS[(col - 1) % len(CHART_COLOURS)]
            if bars:
                series["fill"] = {"color": colour}
                series["border"] = {"none": True}
            else:
                series["line"] = {"color": colour, "width": 2.25}
            if col - 1 in covered:  # wide and see-through under the line that runs over it
                series["line"] |= {"width": 4.5, "transparency": 55}
            if trend.partial:
                series["points"] = _partial_points(trend, series, bars)
            chart.add_series(series)
        chart.set_title({"name": trend.title})
        chart.set_y_axis({"num_format": number_format(trend.series[0][1], currency)})
        chart.set_x_axis({"num_format": "d mmm", "date_axis": True})
        chart.set_size({"width": 720, "height": 300})
        ws.insert_chart(1, len(trend.series) + 2, chart)
        row = last + 1
    for table in section.tables:
        row += 1
        ws.write_string(row, 0, safe_text(table.title), f.bold)
        # what the table leaves out, or (as the PDF says) why it has no rows
        note = table.note or (None if table.rows else "No rows for this period.")
        if note:
            row += 1
            ws.write_string(row, 0, safe_text(note))
        if not table.rows:
            continue
        row += 1
        for col, column in enumerate(table.columns):
            ws.write_string(row, col, safe_text(column.label), f.header)
        for values in table.rows:
            row += 1
            for col, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                if column.unit == "text" and CHANGE_TEXT.match(str(value)):
                    # our own "+417.5%": Excel's text marker, not a visible apostrophe (a "+..."
                    # that is only a number and a sign cannot run as a formula anyway)
                    ws.write_string(row, col, str(value), f.quoted)
                elif column.unit == "text":
                    ws.write_string(row, col, safe_text(value))
                elif column.unit == "date" and value is not None:  # a real date, not text
                    day = datetime.combine(value, datetime.min.time())
                    ws.write_datetime(row, col, day, f.num(DATE_FORMAT))
                elif column.unit == "change_points":  # fraction -> points, as in the KPI table
                    points = None if value is None else 0.0 if is_flat(value) else value * 100
                    _number(ws, row, col, points, f.num(number_format("points", currency)))
                elif column.unit == "change" and value is not None and is_flat(value):
                    _number(ws, row, col, 0.0, f.num(number_format("change", currency)))
                else:
                    _number(ws, row, col, value, f.num(number_format(column.unit, currency)))
    return title


def _partial_points(trend, series: dict, bars: bool) -> list[dict | None]:
    """Per-point formats marking partial periods as the PDF does: a light bar, a hollow point.

    XlsxWriter formats a line chart's point as its marker (not the segment into it), so the
    line gets markers that are invisible except on partial periods, drawn hollow.
    """
    n = len(trend.periods)
    if bars:
        colour = series["fill"]["color"]
        mark = {"fill": {"color": colour, "transparency": 65}, "border": {"color": colour}}
    else:
        colour = series["line"]["color"]
        series["marker"] = {"type": "circle", "size": 7, "border": {"none": True}, "fill": {"none": True}}
        mark = {"fill": {"color": "#FFFFFF"}, "border": {"color": colour, "width": 1.5}}
    return [mark if i in trend.partial else None for i in range(n)]


#: the widest a text column of a trend sheet grows (Excel wraps nothing: longer text is cut)
MAX_TEXT_WIDTH = 60


def _text_width(section: SectionData, col: int, least: int) -> int:
    """A trend sheet column's width: ``least``, or its longest text's, up to :data:`MAX_TEXT_WIDTH`.

    Campaign names and an insight's suggested action need more room than numbers: a fixed 24/18 cut "Retargeting - All Products - Spring" at the number beside it.
    """
    longest = max(
        (
            len(str(row[col]))
            for table in section.tables
            if col < len(table.columns) and table.columns[col].unit == "text"
            for row in table.rows
        ),
        default=0,
    )
    return min(MAX_TEXT_WIDTH, max(least, longest + 2))


def _rows_sheets(wb, f: _Formats, scoped, data: ReportData, dataset_name: str, currency: str, tmp: str):
    """Stream a dataset into as many sheets as it needs; returns {sheet: its rows} and the count.

    XlsxWriter writes each sheet's header, widths, column formats, frozen row and autofilter;
    the rows themselves are built in Arrow (:mod:`reports.xlsx_rows`) and spliced in after.
    """
    dataset = get_dataset(dataset_name)
    schema, batches = stream(scoped, dataset, data.start, data.end, data.spec.filters)
    base = _sheet_title(dataset.name.title() + " rows")
    columns = [_column_xml(col, field, f, currency) for col, field in enumerate(schema)]
    sheets: dict[str, RowsXml] = {}
    worksheets = {}
    per_sheet = MAX_SHEET_ROWS - 1  # data rows under the header

    def new_sheet() -> RowsXml:
        name = base if not sheets else _sheet_title(f"{base} ({len(sheets) + 1})")
        ws = worksheets[name] = wb.add_worksheet(name)
        for col, (field, (_, fmt)) in enumerate(zip(schema, columns, strict=True)):
            ws.set_column(col, col, max(12, min(40, len(field.name) + 4)), fmt)
            ws.write_string(0, col, field.name, f.header)  # the name scripts read: never relabelled
            note = dataset.notes.get(field.name)
            if note and field.name not in dataset.id_columns:  # those once the ids are known
                ws.write_comment(0, col, note.format(currency=currency), COMMENT)
        ws.freeze_panes(1, 0)
        sheets[name] = RowsXml([column for column, _ in columns], tmp)
        return sheets[name]

    current = new_sheet()
    total = 0
    ids: dict[str, set[str]] = {name: set() for name in dataset.id_columns}
    for batch in batches:  # text is formula-safe already (the dataset's SQL escapes it)
        for name, seen in ids.items():
            seen.update(v for v in pc.unique(batch.column(name)).to_pylist() if v)
        offset = 0
        while offset < batch.num_rows:
            if current.next_row > per_sheet:
                current = new_sheet()
            take = min(batch.num_rows - offset, per_sheet + 1 - current.next_row)
            current.write(batch.slice(offset, take))
            offset += take
        total += batch.num_rows
    for name, rows in sheets.items():
        rows.close()
        worksheets[name].autofilter(0, 0, max(rows.next_row - 1, 0), len(schema) - 1)
        for col, field in enumerate(schema):
            if field.name in ids:
                words = dataset.notes.get(field.name, field.name).format(currency=currency)
                worksheets[name].write_comment(0, col, id_note(words, ids[field.name]), COMMENT)
    return sheets, total


#: the most ids a header note names (then "..."): a note is a sentence, not a list
MAX_NOTE_IDS = 8


def id_note(note: str, ids: set[str]) -> str:
    """``Ad platform, by its id: google_ads = Google Ads, meta_ads = Meta Ads``.

    The sheet keeps the ids (scripts filter on them); the note says what each one is, with the
    names the pages and the PDF use (:func:`components.labels.source_label`).
    """
    if not ids:
        return note
    shown = sorted(ids)[:MAX_NOTE_IDS]
    names = ", ".join(f"{i} = {source_label(i)}" for i in shown)
    return f"{note}: {names}{', ...' if len(ids) > len(shown) else ''}"


def _column_xml(col: int, field: pa.Field, f: _Formats, currency: str):
    """How a column is written (a number with its format, a date, a boolean or text) and its format."""
    kind, fmt = "number", None
    if field.name in MONEY_COLUMNS:
        fmt = f.num(number_format("currency", currency))
    elif field.name in ORIGINAL_MONEY_COLUMNS:
        fmt = f.num("#,##0.00")
    elif pa.types.is_integer(field.type):
        fmt = f.num("#,##0")
    elif pa.types.is_floating(field.type) or pa.types.is_decimal(field.type):
        fmt = f.num("#,##0.##")
    elif pa.types.is_timestamp(field.type):
        fmt = f.num(DATETIME_FORMAT)  # written as Excel serial days (reports.xlsx_rows)
    elif pa.types.is_date(field.type):
        fmt = f.num(DATE_FORMAT)
    elif pa.types.is_boolean(field.type):
        kind = "bool"
    else:
        kind = "text"
    return ColumnXml(col, kind, style_index(fmt) if fmt is not None else None), fmt


def _number(ws, row: int, col: int, value: float | None, fmt) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _sheet_title(text: str) -> str:
    """A valid, at most 31-character sheet name."""
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]
