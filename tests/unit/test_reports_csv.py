"""The streamed CSV writer: RFC 4180 quoting, CRLF, optional BOM, ISO dates and UTC timestamps."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pyarrow as pa

from reports.csv import UTF8_BOM, iso_utc, write_csv


def _write(table: pa.Table, **kwargs) -> bytes:
    out = io.BytesIO()
    rows = write_csv(out, table.schema, table.to_batches(max_chunksize=2), **kwargs)
    assert rows == table.num_rows
    return out.getvalue()


def test_csv001_quoting_line_ends_bom_and_dates():
    table = pa.table(
        {
            "day": pa.array([date(2026, 1, 2), None, date(2026, 12, 31)]),
            "text": ["a,b", 'he said "hi"', "line\nbreak"],
            "amount": [1.5, None, -2.0],
        }
    )
    raw = _write(table, bom=True)
    assert raw.startswith(UTF8_BOM)
    body = raw[len(UTF8_BOM) :].decode("utf-8")
    assert body.split("\r\n")[1] == '2026-01-02,"a,b",1.5'
    assert body.split("\r\n")[0] == '"day","text","amount"'
    assert '"he said ""hi"""' in body and '"line\nbreak"' in body
    assert list(csv.reader(io.StringIO(body, newline=""))) == [
        ["day", "text", "amount"],
        ["2026-01-02", "a,b", "1.5"],
        ["", 'he said "hi"', ""],
        ["2026-12-31", "line\nbreak", "-2"],
    ]
    assert not _write(table).startswith(UTF8_BOM)


def test_csv002_timestamps_are_iso_utc_to_the_second_across_batches():
    stamps = [
        datetime(2026, 10, 31, 9, 15, 0, 999_999),
        None,
        datetime(2026, 3, 29, 1, 0, 0),
        datetime(1999, 1, 1),
    ]
    table = pa.table({"created_utc": pa.array(stamps, pa.timestamp("us")), "n": [1, 2, 3, 4]})
    lines = _write(table).decode().split("\r\n")
    # text (as every text field: Arrow's "needed" quoting quotes strings, which RFC 4180 allows)
    assert lines[1:5] == [
        '"2026-10-31T09:15:00Z",1',
        ",2",
        '"2026-03-29T01:00:00Z",3',
        '"1999-01-01T00:00:00Z",4',
    ]


def test_csv003_zoned_timestamps_are_written_in_utc():
    instant = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    zoned = pa.array([instant], pa.timestamp("ns", tz="America/New_York"))
    assert iso_utc(zoned).to_pylist() == ["2026-07-01T12:00:00Z"]
    assert iso_utc(pa.array([], pa.timestamp("s"))).to_pylist() == []
