"""CSV export: streamed (constant memory), RFC 4180, UTF-8 with an optional BOM.

Two writers, one format. On a DuckDB warehouse :func:`copy_csv` has DuckDB write the file itself
(``COPY (SELECT ...) TO``): the rows never cross into Python, and the process stays within
DuckDB's memory limit (a CLI of its own can cap it). On PostgreSQL :func:`write_csv` writes the
Arrow record batches the query streams, with Arrow's C++ CSV writer.

Both write the same bytes: quoting follows RFC 4180 (text fields and the header are quoted,
quotes inside doubled; numbers and dates are not) and lines end in CRLF. Dates are ISO 8601
(``2026-10-31``, timestamps ``2026-10-31T09:15:00Z`` in UTC, to the second). Numbers are written
as Arrow writes them (``10``, ``1.5``, ``-0``); the one known difference is a float outside
[0.0001, 1e10) in magnitude, which Arrow writes ``1e-7``/``1e+10`` and DuckDB ``1e-07``/
``10000000000`` (the same number when read back). Text cells were made formula-safe in the
query (``reports.cells``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

UTF8_BOM = b"\xef\xbb\xbf"
CRLF = "\r\n"
#: DuckDB's memory for an export in a process of its own (CLI, bench): a base plus a share per
#: thread; beyond it DuckDB spills to its temporary directory rather than growing
CAPPED_BASE_MB, CAPPED_PER_THREAD_MB = 64, 32
#: DuckDB threads of such an export: each part is written by one thread in storage order (see
#: copy_csv); a table split by rowid is written by this many parts at once
STANDALONE_THREADS = 1
SPLIT_PARTS = 2
#: below this many rows of the split table one part does it all (the threads cost more)
SPLIT_MIN_ROWS = 1_000_000


def write_csv(
    out: BinaryIO | Path | str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    *,
    bom: bool = False,
) -> int:
    """Write the batches to ``out`` (a path or a binary file); returns the number of data rows.

    ``bom`` starts the file with a UTF-8 byte order mark, which Excel needs to read non-ASCII
    text correctly when the file is double-clicked.
    """
    if isinstance(out, str | Path):
        with open(out, "wb") as handle:
            return write_csv(handle, schema, batches, bom=bom)
    if bom:
        out.write(UTF8_BOM)
    options = pacsv.WriteOptions(include_header=True, eol="\r\n", quoting_style="needed")
    stamps = [i for i, f in enumerate(schema) if pa.types.is_timestamp(f.type)]
    out_schema = schema
    for i in stamps:  # UTC timestamps as ISO 8601 with a Z (Arrow would write "2026-01-02 03:04:05")
        out_schema = out_schema.set(i, pa.field(schema[i].name, pa.string()))
    rows = 0
    with pacsv.CSVWriter(out, out_schema, write_options=options) as writer:
        for batch in batches:
            if stamps:
                columns = list(batch.columns)
                for i in stamps:
                    columns[i] = iso_utc(columns[i])
                batch = pa.RecordBatch.from_arrays(columns, schema=out_schema)
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def iso_utc(stamps: pa.Array) -> pa.Array:
    """Timestamps as ISO 8601 text in UTC to the second: ``2026-10-31T09:15:00Z`` (nulls stay null).

    Arrow's cast to text ("2026-10-31 09:15:00") with the space made a ``T`` and a ``Z`` added:
    about 0.25 s per million values, where ``pc.strftime`` took 1.2 s (its locale-aware
    formatting was most of a 10-million-row export). Sub-seconds are dropped (floored).
    """
    unit = stamps.type.unit
    naive = stamps.cast(pa.timestamp(unit))  # a zoned timestamp's values are already UTC
    seconds = pc.floor_temporal(naive, unit="second").cast(pa.timestamp("s"))
    text = pc.utf8_replace_slice(seconds.cast(pa.string()), 10, 11, "T")
    return pc.binary_join_element_wise(text, "Z", "")


def copy_csv(
    cursor,
    sql: str,
    params: dict,
    out: Path | str,
    *,
    bom: bool = False,
    standalone: bool = False,
    split_table: str | None = None,
    header: bool = True,
) -> int:
    """Have DuckDB write the rows of ``sql`` to the file ``out`` as CSV; returns the number of rows.

    ``cursor`` is a DuckDB cursor of the caller's own (its session time zone set to UTC, as the
    warehouse's cursors are). The bytes are those :func:`write_csv` writes for the same rows.

    ``standalone`` is for a process that does nothing else (the CLI, the bench): for the export
    DuckDB runs on one thread with ``memory_limit`` at :func:`capped_memory_limit` (both
    restored after; the limit as DuckDB displays it, rounded to a tenth of a MiB or GiB). One thread writes the rows in storage order, the same file every time;
    DuckDB's parallel COPY interleaves them differently from run to run, and an ORDER BY costs
    3 to 6 times the CPU of the whole export (see docs). Both settings are the database's, not
    the cursor's: a server's other requests would share them, so the server never passes it.

    ``split_table`` (standalone only): ``sql`` filters ``rowid >= $row_lo AND rowid < $row_hi``
    of that table (``reports.rows.dataset_sql(rowid_range=True)``). The table's rowids are cut
    into :data:`SPLIT_PARTS` ranges, each written by one thread on a cursor of its own, at the
    same time, and the parts are joined in rowid order: the same bytes as one thread writing
    the whole table (storage order is rowid order), in about half the time on two cores.
    """
    if standalone and split_table is not None:
        return _split_copy(cursor, sql, params, Path(out), bom=bom, table=split_table)
    params = {**_whole_table(sql), **params}  # a part's own bounds win
    columns = cursor.execute(f"SELECT * FROM ({sql}) LIMIT 0", params).description
    select, quoted = [], []
    for name, type_code, *_ in columns:
        kind, ident = str(type_code), _ident(name)
        if kind.startswith("TIMESTAMP"):
            # Arrow's form via iso_utc: UTC (the cursor's zone) to the second, with T and Z, quoted
            select.append(f"strftime({ident}, '%Y-%m-%dT%H:%M:%SZ') AS {ident}")
            quoted.append(ident)
        elif kind in ("DOUBLE", "FLOAT"):
            # DuckDB writes a whole float as "10.0", Arrow as "10"
            text = f"CAST({ident} AS VARCHAR)"
            select.append(
                f"CASE WHEN ends_with({text}, '.0') THEN left({text}, -2) ELSE {text} END AS {ident}"
            )
        else:
            select.append(ident)
            if kind == "VARCHAR":
                quoted.append(ident)
    # The header (and the BOM) go in as PREFIX: DuckDB's own header quotes only the FORCE_QUOTE
    # columns' names. With a PREFIX DuckDB ends the last row with the SUFFIX instead of a line end.
    names = ",".join('"' + name.replace('"', '""') + '"' for name, *_ in columns)
    prefix = ("\ufeff" if bom else "") + names + CRLF
    options = [
        "FORMAT csv", "HEADER false", "DELIMITER ','", "QUOTE '\"'", "ESCAPE '\"'", "NULLSTR ''",
        f"NEW_LINE {_literal(CRLF)}", "COMPRESSION 'none'",  # never gzip because the name ends in .gz
    ]  # fmt: skip
    if header:
        options += [f"PREFIX {_literal(prefix)}", f"SUFFIX {_literal(CRLF)}"]
    if quoted:
        options.append(f"FORCE_QUOTE ({', '.join(quoted)})")
    copy = f"COPY (SELECT {', '.join(select)} FROM ({sql})) TO {_literal(str(out))} ({', '.join(options)})"
    if standalone:
        previous = cursor.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
        cursor.execute(f"SET threads = {STANDALONE_THREADS}")
        cursor.execute(f"SET memory_limit = '{capped_memory_limit(STANDALONE_THREADS)}'")
    try:
        rows = cursor.execute(copy, params).fetchone()[0]
    finally:
        if standalone:
            cursor.execute(f"SET memory_limit = {_literal(previous[0])}")
            cursor.execute(f"SET threads = {int(previous[1])}")
    if rows == 0 and header:  # no row for the SUFFIX to end: the header's line end came twice
        with open(out, "r+b") as handle:
            handle.truncate(handle.seek(0, 2) - len(CRLF))
    return rows


def _whole_table(sql: str) -> dict:
    """The rowid bounds that take every row, for a query written for a split export."""
    return {"row_lo": 0, "row_hi": 2**62} if "$row_lo" in sql else {}


def _split_copy(cursor, sql: str, params: dict, out: Path, *, bom: bool, table: str) -> int:
    """:func:`copy_csv` of ``sql`` in rowid ranges of ``table``, written at the same time."""
    import threading

    low, high = cursor.execute(f"SELECT min(rowid), max(rowid) FROM {_ident(table)}").fetchone()
    if low is None or high - low + 1 < SPLIT_MIN_ROWS:
        return copy_csv(cursor, sql, params, out, bom=bom, standalone=True)
    step = (high - low + 1 + SPLIT_PARTS - 1) // SPLIT_PARTS
    bounds = [(low + i * step, min(low + (i + 1) * step, high + 1)) for i in range(SPLIT_PARTS)]
    # The first part writes the header (and BOM) into ``out``; the others write rows only, into
    # files beside it, appended after. Both settings are the database's: set once for all parts.
    previous = cursor.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    cursor.execute(f"SET threads = {STANDALONE_THREADS}")
    cursor.execute(f"SET memory_limit = '{capped_memory_limit(SPLIT_PARTS)}'")
    parts = [out] + [out.with_name(f"{out.name}.part{i}") for i in range(1, SPLIT_PARTS)]
    counts: list[int | None] = [None] * SPLIT_PARTS
    errors: list[BaseException] = []

    def write(i: int) -> None:
        part_cursor = cursor.cursor()  # one connection per thread: a cursor is not thread-safe
        try:
            part_cursor.execute("SET TimeZone = 'UTC'")
            part_params = {**params, "row_lo": bounds[i][0], "row_hi": bounds[i][1]}
            counts[i] = copy_csv(part_cursor, sql, part_params, parts[i], bom=bom, header=i == 0)
        except BaseException as exc:  # re-raised in the caller's thread below
            errors.append(exc)
        finally:
            part_cursor.close()

    try:
        threads = [
            threading.Thread(target=write, args=(i,), name=f"csv-part-{i}") for i in range(SPLIT_PARTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        with open(out, "ab") as whole:
            for part in parts[1:]:
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, whole, 1 << 20)
    finally:
        for part in parts[1:]:
            part.unlink(missing_ok=True)
        cursor.execute(f"SET memory_limit = {_literal(previous[0])}")
        cursor.execute(f"SET threads = {int(previous[1])}")
    return sum(counts)


def capped_memory_limit(threads: int) -> str:
    """The memory limit of an export in a process of its own: 64 MB plus 32 MB per DuckDB thread."""
    return f"{CAPPED_BASE_MB + CAPPED_PER_THREAD_MB * threads}MB"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
