"""Detail-row worksheets of the Excel report, written as sheet XML built in Arrow.

XlsxWriter builds each cell's XML in Python (~10 µs a cell: 100,000 payment lines x 14 columns
took 15-20 s). Here a whole record batch becomes ``<row>``/``<c>`` XML with Arrow's vectorised
string kernels, column by column, and goes straight to a temporary file; after XlsxWriter has
written the workbook (styles, Summary, trend sheets, charts, the rows sheets' headers, frozen
panes and autofilters), :func:`splice_rows` puts those rows into the sheets' ``<sheetData>``.

Cells stay typed: numbers (dates and timestamps as Excel serial days) are ``<v>`` numbers with
the column's number format (an XlsxWriter format's style index), text is an inline string,
escaped the way XlsxWriter escapes it; an empty or missing value leaves the cell out.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

#: Excel's longest cell text; XlsxWriter refuses longer strings, we cut them
MAX_TEXT = 32_767
#: 1970-01-01 as an Excel serial day number (1900 date system)
_EXCEL_EPOCH = 25569.0
_US_PER_DAY = 86_400_000_000
#: characters XML 1.0 cannot hold: Excel writes them as _xHHHH_ (tab and line feed are fine)
_CONTROL = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + ["\ufffe", "\uffff"]
_CONTROL_RE = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in _CONTROL) + "]"


def style_index(cell_format) -> int:
    """The style (XF) index XlsxWriter gives ``cell_format`` in the workbook's styles.xml.

    XlsxWriter numbers a format when a cell first uses it; this asks for that number up front
    (the same call its own cell writer makes), so the cells written here point at it.
    """
    return cell_format._get_xf_index()


def excel_serial_days(column: pa.Array) -> pa.Array:
    """A date/timestamp column as Excel serial day numbers (local wall time); others unchanged."""
    kind = column.type
    if pa.types.is_date(kind):
        micros = pc.multiply(column.cast(pa.date32()).cast(pa.int32()).cast(pa.int64()), _US_PER_DAY)
    elif pa.types.is_timestamp(kind):
        if kind.tz is not None:  # Excel has no time zones: show the wall time of the column's zone
            column = pc.local_timestamp(column)
        micros = column.cast(pa.timestamp("us"), safe=False).cast(pa.int64())
    else:
        return column
    return pc.add(pc.divide(micros.cast(pa.float64()), float(_US_PER_DAY)), _EXCEL_EPOCH)


def escape_text(column: pa.Array) -> pa.Array:
    """Text as it goes inside ``<t>``, escaped as XlsxWriter escapes it.

    Cut to Excel's limit; control characters as ``_xHHHH_`` (and a literal ``_xHHHH_`` kept
    literal as ``_x005F_xHHHH_``); ``& < >`` as entities.
    """
    text = column.cast(pa.string())
    if (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_TEXT:  # bytes >= characters
        text = pc.utf8_slice_codeunits(text, 0, MAX_TEXT)
    if pc.any(pc.match_substring_regex(text, "_x[0-9a-fA-F]{4}_")).as_py():
        text = pc.replace_substring_regex(text, "(_x[0-9a-fA-F]{4}_)", r"_x005F\1")
    if pc.any(pc.match_substring_regex(text, _CONTROL_RE)).as_py():  # rare: one pass per character
        for ch in _CONTROL:
            text = pc.replace_substring(text, ch, f"_x{ord(ch):04X}_")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, entity)
    return text


#: anything in a text that needs escaping or xml:space="preserve" (most batches have none)
_SPECIAL_RE = f"[&<>]|{_CONTROL_RE}|_x[0-9a-fA-F]{{4}}_|^\\s|\\s$"


def text_cells(column: pa.Array) -> pa.Array:
    """Each value's text cell after its reference: ``" t="inlineStr"><is><t>…</t></is></c>``.

    Null for a missing or empty value (no cell, as XlsxWriter writes no cell for "").
    """
    text = column.cast(pa.string())
    t_open: pa.Array | str = "<t>"
    if (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_TEXT or pc.any(
        pc.match_substring_regex(text, _SPECIAL_RE)
    ).as_py():
        text = escape_text(text)  # before the space test, as XlsxWriter does: "\r" is text now
        t_open = pc.if_else(pc.match_substring_regex(text, r"^\s|\s$"), '<t xml:space="preserve">', "<t>")
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pc.binary_join_element_wise('" t="inlineStr"><is>', t_open, text, "</t></is></c>", "")


class ColumnXml:
    """How one Arrow column becomes cells: ``number`` (with a style index), ``bool`` or ``text``."""

    def __init__(self, col: int, kind: str, style: int | None = None):
        s = f' s="{style}"' if style is not None else ""
        self.kind = kind
        self.open = f'<c r="{xl_col_to_name(col)}'
        self.mid = f'"{s} t="b"><v>' if kind == "bool" else f'"{s}><v>'

    def cells(self, column: pa.Array, rows: pa.Array) -> pa.Array:
        """The cells' XML for ``column`` at the sheet rows ``rows`` (strings); "" where empty."""
        if self.kind == "text":
            # Few distinct values (country, status, product ...): escape each once, then repeat.
            encoded = pc.dictionary_encode(column)
            if len(encoded.dictionary) * 4 <= len(column):
                tails = pc.take(text_cells(encoded.dictionary), encoded.indices)
            else:
                tails = text_cells(column)
            xml = pc.binary_join_element_wise(self.open, rows, tails, "")
        else:
            if self.kind == "bool":
                values = column.cast(pa.int8())
            else:
                values = excel_serial_days(column)
                if pa.types.is_decimal(values.type):
                    values = values.cast(pa.float64())
                if pa.types.is_floating(values.type):  # NaN and infinities have no Excel form
                    values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, values.type))
            xml = pc.binary_join_element_wise(
                self.open, rows, self.mid, values.cast(pa.string()), "</v></c>", ""
            )
        return pc.fill_null(xml, "")


class RowsXml:
    """The ``<row>`` elements of one worksheet, appended batch by batch to a temporary file."""

    def __init__(self, columns: list[ColumnXml], directory: str):
        self.columns = columns
        fd, self.path = tempfile.mkstemp(suffix=".xml", dir=directory)
        self._fh = os.fdopen(fd, "wb")
        self.next_row = 1  # 0-based sheet row of the next data row (row 0 is the header)

    def write(self, batch: pa.RecordBatch) -> None:
        """Append ``batch`` as the next rows of the sheet."""
        n = batch.num_rows
        if n == 0:
            return
        first = self.next_row + 1  # Excel rows count from 1
        rows = pa.array(np.arange(first, first + n, dtype=np.int64)).cast(pa.string())
        cells = [c.cells(batch.column(i), rows) for i, c in enumerate(self.columns)]
        xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        self._fh.write(_joined(xml))
        self.next_row += n

    def close(self) -> None:
        """Finish the file (the rows are kept until :func:`splice_rows` has read them)."""
        self._fh.close()


def _joined(strings: pa.Array) -> memoryview:
    """All the (non-null) strings of ``strings`` back to back, without a copy per string."""
    offsets_buf, data_buf = strings.buffers()[1:3]
    width = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)
    start, end = int(offsets[strings.offset]), int(offsets[strings.offset + len(strings)])
    return memoryview(data_buf)[start:end]


def sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package (``xl/worksheets/sheetN.xml``)."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.findall("p:Relationship", ns)}
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    paths = {}
    for sheet in workbook.findall("m:sheets/m:sheet", ns):
        target = targets[sheet.get(f"{{{ns['r']}}}id")]
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def splice_rows(path: Path | str, sheets: dict[str, RowsXml]) -> None:
    """Put each sheet's rows (``sheets``: name -> its rows) into the workbook at ``path``.

    The package is copied part by part into a new file beside it (the rows compressed on the
    way, never held in memory whole) which then replaces the original. Level 1 compression:
    the rows are most of the file and level 6 took three times as long for 20% less size.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with (
            zipfile.ZipFile(path) as src,
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
        ):
            parts = {part: sheets[name] for name, part in sheet_paths(src).items() if name in sheets}
            for info in src.infolist():
                rows = parts.get(info.filename)
                if rows is None:
                    dst.writestr(info, src.read(info))
                    continue
                xml = src.read(info)
                if b"<sheetData/>" in xml:  # a sheet without even a header row
                    head, tail = xml.split(b"<sheetData/>", 1)
                    head += b"<sheetData>"
                else:
                    head, tail = xml.split(b"</sheetData>", 1)
                last = xl_rowcol_to_cell(max(rows.next_row - 1, 0), len(rows.columns) - 1)
                head = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), head, count=1)
                size = len(head) + os.path.getsize(rows.path) + len(tail) + 12
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(entry, "w", force_zip64=size > 2**31) as out, open(rows.path, "rb") as data:
                    out.write(head)
                    shutil.copyfileobj(data, out, 1 << 20)
                    out.write(b"</sheetData>" + tail)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
