"""The streamed CSV writer: RFC 4180 quoting, CRLF, optional BOM, ISO dates and UTC timestamps."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

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


# -- DuckDB's COPY writer: the same bytes as the Arrow writer -------------------------------------
_TRICKY = """
    SELECT * FROM (VALUES
        (1, DATE '2026-01-02', 'a,b', 1.5::DOUBLE, TIMESTAMP '2026-10-31 09:15:00.999999',
         TIMESTAMPTZ '2026-07-01 12:00:00+00', 10::BIGINT),
        (2, NULL, 'he said "hi"', NULL, NULL, NULL, NULL),
        (3, DATE '2026-12-31', 'line' || chr(10) || 'break', -2.0, TIMESTAMP '1999-01-01',
         TIMESTAMPTZ '2026-03-29 01:30:00+02', -3),
        (4, DATE '2000-02-29', '', 10.0, NULL, NULL, 0),
        (5, DATE '2000-02-29', NULL, 123456.78, NULL, NULL, 1),
        (6, DATE '2000-02-29', 'é ''single'' ;', 0.30000000000000004, NULL, NULL, 2),
        (7, DATE '2000-02-29', '=1+2', -0.0::DOUBLE, NULL, NULL, 3),
        (8, DATE '2000-02-29', 'x', 0.0001, NULL, NULL, 4),
        (9, DATE '2000-02-29', 'y', 9999999999.5, NULL, NULL, 5)
    ) v(i, day, text, amount, created_utc, zoned, n)
    WHERE i >= $first ORDER BY i
"""


def _both(tmp_path, first: int = 0, **kwargs) -> tuple[bytes, bytes]:
    import duckdb

    from reports.csv import copy_csv

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out = tmp_path / "copy.csv"
    rows = copy_csv(con, _TRICKY, {"first": first}, out, **kwargs)
    reader = con.execute(_TRICKY, {"first": first}).to_arrow_reader(3)
    arrow = io.BytesIO()
    assert write_csv(arrow, reader.schema, reader, bom=kwargs.get("bom", False)) == rows
    return out.read_bytes(), arrow.getvalue()


def test_csv004_duckdb_copy_writes_the_arrow_writers_bytes(tmp_path):
    copied, arrow = _both(tmp_path)
    assert copied == arrow
    lines = copied.decode().split("\r\n")
    assert lines[0] == '"i","day","text","amount","created_utc","zoned","n"'
    assert lines[1] == '1,2026-01-02,"a,b",1.5,"2026-10-31T09:15:00Z","2026-07-01T12:00:00Z",10'
    assert '4,2000-02-29,"",10,,,0' in lines  # a whole float without ".0"; empty text quoted
    assert '7,2000-02-29,"=1+2",-0,,,3' in lines
    assert copied.endswith(b"9999999999.5,,,5\r\n")


def test_csv005_duckdb_copy_bom_and_no_rows(tmp_path):
    copied, arrow = _both(tmp_path, bom=True)
    assert copied.startswith(UTF8_BOM) and copied == arrow
    copied, arrow = _both(tmp_path, first=100, bom=True)
    assert copied == arrow == UTF8_BOM + b'"i","day","text","amount","created_utc","zoned","n"\r\n'


def test_csv006_standalone_export_restores_the_databases_settings(tmp_path):
    import duckdb

    from reports.csv import copy_csv

    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    settings = "SELECT current_setting('memory_limit'), current_setting('threads')"
    before = con.execute(settings).fetchone()
    out = tmp_path / "rows.csv"
    rows = copy_csv(con, "SELECT range AS n FROM range($k)", {"k": 100_000}, out, standalone=True)
    assert rows == 100_000
    # one thread writes in the query's order: the file is the same every time
    assert out.read_bytes().decode().split("\r\n")[1:4] == ["0", "1", "2"]
    after = con.execute(settings).fetchone()
    assert after[1] == before[1] == 2
    # restored from DuckDB's display of it ("953.6 MiB"), which rounds to a tenth of the unit
    assert after[0].split()[1] == before[0].split()[1] == "MiB"
    assert abs(float(after[0].split()[0]) - float(before[0].split()[0])) < 0.15


def test_csv007_the_one_known_difference_is_tiny_and_huge_floats(tmp_path):
    """Documented in reports/csv.py: outside [1e-4, 1e10) the exponent forms differ, not the number."""
    import duckdb

    from reports.csv import copy_csv

    con = duckdb.connect()
    sql = "SELECT * FROM (VALUES (1e-7::DOUBLE), (1e10::DOUBLE)) v(x)"
    copy_csv(con, sql, {}, tmp_path / "x.csv")
    reader = con.execute(sql).to_arrow_reader(10)
    arrow = io.BytesIO()
    write_csv(arrow, reader.schema, reader)
    ours, theirs = (
        (tmp_path / "x.csv").read_bytes().decode().split("\r\n")[1:3],
        arrow.getvalue().decode().split("\r\n")[1:3],
    )
    assert theirs == ["1e-7", "1e+10"] and ours == ["1e-07", "10000000000"]
    assert [float(v) for v in ours] == [float(v) for v in theirs]


def _split_table(rows: int):
    import duckdb

    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE t AS SELECT range AS i, range % 3 AS ws, 'name ' || range AS label, "
        "range / 7.0 AS amount, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(range) AS created "
        "FROM range($n)",
        {"n": rows},
    )
    return con


@pytest.mark.parametrize("ws, bom", [(1, False), (2, True), (9, False)])
def test_csv008_split_export_writes_the_same_bytes_as_one_thread(tmp_path, monkeypatch, ws, bom):
    """Parts written at once by rowid range, joined in order: the file one thread writes.

    Workspace 9 has no rows: the header alone, as without the split.
    """
    import reports.csv as csv_mod

    monkeypatch.setattr(csv_mod, "SPLIT_MIN_ROWS", 1)
    con = _split_table(10_001)
    base = "SELECT i, label, amount, created FROM t WHERE ws = $ws"
    one = tmp_path / "one.csv"
    rows_one = csv_mod.copy_csv(con, base, {"ws": ws}, one, bom=bom, standalone=True)
    split = tmp_path / "split.csv"
    ranged = base + " AND rowid >= $row_lo AND rowid < $row_hi"
    rows_split = csv_mod.copy_csv(con, ranged, {"ws": ws}, split, bom=bom, standalone=True, split_table="t")
    assert rows_split == rows_one == (0 if ws == 9 else 3_334 - (ws == 2))
    assert split.read_bytes() == one.read_bytes()
    assert list(tmp_path.glob("*.part*")) == []  # the parts are gone
    assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 2  # restored


def test_csv009_a_failing_part_leaves_no_part_files_and_says_why(tmp_path, monkeypatch):
    import duckdb

    import reports.csv as csv_mod

    monkeypatch.setattr(csv_mod, "SPLIT_MIN_ROWS", 1)
    con = _split_table(1_000)
    # a part fails on a value only the second half holds
    sql = "SELECT CASE WHEN i > 900 THEN error('bad row ' || i) ELSE i END AS i FROM t "
    sql += "WHERE rowid >= $row_lo AND rowid < $row_hi"
    with pytest.raises(duckdb.Error, match="bad row"):
        csv_mod.copy_csv(con, sql, {}, tmp_path / "x.csv", standalone=True, split_table="t")
    assert list(tmp_path.glob("*.part*")) == []
