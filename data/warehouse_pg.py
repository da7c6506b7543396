"""The warehouse on PostgreSQL (``PULSEBOARD_WAREHOUSE_URL=postgresql://...``).

The same tables, migrations, rollups and metric queries as the DuckDB file: every statement is
the data layer's DuckDB SQL, transpiled by :func:`data.pg_dialect.to_postgres` when it first
runs. :class:`PgCursor` answers the slice of DuckDB's cursor API the data layer uses
(``execute(...).fetchone()/.fetchall()/.pl()``, ``executemany``), so callers do not branch;
bulk inserts use COPY (:meth:`PgCursor.copy_frame`).

Unlike the DuckDB file, several processes (web servers, workers on other machines) may write:
ingests of one workspace are serialised by an advisory lock, migrations by another, and a
workspace's ``data_version`` is read from the database on every lookup rather than cached.
See docs/warehouse-postgres.md (and Citus for distributing the tables by ``workspace_id``).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence

import ibis
import polars as pl
import psycopg
import pyarrow as pa
from psycopg.types.string import StrDumper

from data.pg_dialect import bind, to_postgres
from data.warehouse import Warehouse, WarehouseError

#: a write of at least this many rows refreshes the table's planner statistics at once (see
#: PgCursor._analyze_after)
ANALYZE_ROWS = 1_000
_INSERT_TARGET = re.compile(r"INSERT INTO (\w+)")
#: advisory lock key taken while migrating (any 64-bit number no other code uses)
MIGRATION_LOCK = 0x50554C5345  # "PULSE"
#: advisory lock namespace of per-workspace ingest locks (pg_advisory_xact_lock(ns, workspace))
WORKSPACE_LOCK_NS = 0x5042  # "PB"

# PostgreSQL type oid -> polars dtype of a result column (numeric: see _numeric_dtype)
_POLARS_TYPES = {
    16: pl.Boolean,
    20: pl.Int64,
    21: pl.Int16,
    23: pl.Int32,
    25: pl.Utf8,
    700: pl.Float32,
    701: pl.Float64,
    1043: pl.Utf8,
    1082: pl.Date,
    1114: pl.Datetime("us"),
    1184: pl.Datetime("us", "UTC"),
}
_NUMERIC = 1700
# PostgreSQL information_schema type -> ibis type (for the tables' ibis expressions)
_IBIS_TYPES = {
    "bigint": "int64",
    "integer": "int32",
    "smallint": "int16",
    "text": "string",
    "character varying": "string",
    "double precision": "float64",
    "real": "float32",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "boolean": "boolean",
}


def conninfo(url: str) -> str:
    """The libpq URL psycopg takes (SQLAlchemy's ``postgresql+psycopg://`` form accepted)."""
    return "postgresql://" + url.split("://", 1)[1]


class PgCursor:
    """One thread's cursor on its own PostgreSQL connection, shaped like a DuckDB cursor."""

    def __init__(
        self,
        connection: psycopg.Connection,
        *,
        booleans: frozenset[str] = frozenset(),
        owns_connection: bool = False,
    ):
        self.connection = connection
        self._cur = connection.cursor()
        #: the warehouse's BOOLEAN column names (see data.pg_dialect.to_postgres)
        self.booleans = booleans
        self._owns_connection = owns_connection

    def execute(self, sql: str, params: dict | Sequence | None = None) -> PgCursor:
        """Run DuckDB ``sql`` (``$name`` or ``?`` parameters) transpiled for PostgreSQL."""
        for text, names in to_postgres(sql, self.booleans):
            self._cur.execute(text, bind(names, params))
            if self._cur.rowcount >= ANALYZE_ROWS and text.startswith("INSERT INTO "):
                self._analyze_after(_INSERT_TARGET.match(text).group(1))
        return self

    def _analyze_after(self, table: str) -> None:
        # Autovacuum analyzes a table only after the ingest commits. Until then the planner
        # believes a freshly filled table (customer_keys after a first import) is nearly empty,
        # and the rollup refresh joining it runs as a nested loop: 30 s instead of 0.2 s for the
        # demo's 11k payments. ANALYZE samples (30k rows at most) and may run in a transaction.
        # A cursor of its own: the statement's row count stays readable (fetchone() after a DML).
        with self.connection.cursor() as other:
            other.execute(f"ANALYZE {table}")

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> PgCursor:
        """Run one DuckDB statement once per parameter row."""
        ((text, names),) = to_postgres(sql, self.booleans)
        self._cur.executemany(text, [bind(names, row) for row in rows])
        return self

    def fetchone(self):
        """The next row; for INSERT/UPDATE/DELETE the affected row count, as DuckDB answers."""
        if self._cur.description is None:
            return (self._cur.rowcount,)
        return self._cur.fetchone()

    def fetchall(self) -> list:
        """Every remaining row."""
        if self._cur.description is None:
            return [(self._cur.rowcount,)]
        return self._cur.fetchall()

    @property
    def description(self):
        """The result's columns (DB-API)."""
        return self._cur.description

    def pl(self) -> pl.DataFrame:
        """The result as a polars frame, typed from the result columns as DuckDB would type them."""
        return rows_frame(self._cur.description or [], self._cur.fetchall())

    def copy_frame(self, table: str, frame: pl.DataFrame) -> None:
        """Append ``frame``'s rows to ``table`` with COPY (columns by name)."""
        names = ", ".join(f'"{c}"' for c in frame.columns)
        # Strings quoted, nulls not: a text value "\N" stays text, and only \N is NULL.
        data = frame.write_csv(
            include_header=False,
            null_value="\\N",
            quote_style="non_numeric",
            datetime_format="%Y-%m-%d %H:%M:%S%.6f",
        )
        with self._cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
            copy.write(data)
        if frame.height >= ANALYZE_ROWS:
            self._analyze_after(table)

    def close(self) -> None:
        """Close the cursor (and its connection if it was opened for this cursor alone)."""
        self._cur.close()
        if self._owns_connection:
            self.connection.close()


def rows_frame(columns, rows: list, *, unknown_as_text: bool = False) -> pl.DataFrame:
    """Result ``rows`` as a polars frame typed from their ``columns`` as DuckDB would type them.

    A type not in the table is inferred from the values, or read as text with
    ``unknown_as_text`` (a stream's batches must all get the same type).
    """
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    series = []
    for column, data in zip(columns, values, strict=True):
        if column.type_code == _NUMERIC:
            dtype = _numeric_dtype(column)
            if dtype == pl.Float64:
                data = [None if v is None else float(v) for v in data]
        else:
            dtype = _POLARS_TYPES.get(column.type_code)
            if dtype is None and unknown_as_text:
                dtype, data = pl.Utf8, [None if v is None else str(v) for v in data]
        series.append(pl.Series(column.name, list(data), dtype=dtype, strict=dtype is None))
    return pl.DataFrame(series)


def _numeric_dtype(column) -> pl.DataType:
    # A column of a table keeps its declared scale (cents stay decimals, as in DuckDB); a computed
    # numeric (a sum) has none, and is a float, which the metric layer casts every part to anyway.
    if column.scale is not None and column.precision is not None:
        return pl.Decimal(min(column.precision, 38), column.scale)
    return pl.Float64


class _PgIbis:
    """What the data layer asks of an ibis backend, answered through the transpiler.

    Tables are unbound ibis tables with the warehouse's schema; an expression is compiled to
    DuckDB SQL, exactly as on DuckDB, and that SQL transpiled: one query text for both engines.
    """

    def __init__(self, warehouse: PostgresWarehouse):
        self._warehouse = warehouse

    def table(self, name: str) -> ibis.Table:
        """An ibis table expression of warehouse table ``name``."""
        rows = (
            self._warehouse.cursor()
            .execute(
                "SELECT column_name, data_type, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $name "
                "ORDER BY ordinal_position",
                {"name": name},
            )
            .fetchall()
        )
        if not rows:
            raise KeyError(f"no warehouse table {name!r}")
        schema = {
            column: (f"decimal({precision}, {scale})" if kind == "numeric" else _IBIS_TYPES[kind])
            for column, kind, precision, scale in rows
        }
        return ibis.table(schema, name=name)

    def to_polars(self, expr: ibis.Expr) -> pl.DataFrame:
        """Run ``expr`` and return a polars frame."""
        return self._warehouse.cursor().execute(ibis.to_sql(expr, dialect="duckdb")).pl()


class PostgresWarehouse(Warehouse):
    """The warehouse in a PostgreSQL database (``Warehouse(url)`` picks it for postgresql:// URLs)."""

    backend = "postgres"

    def __init__(self, url: str, *, memory_limit: str | None = None):  # noqa: ARG002 - DuckDB's
        self.url = url
        self.path = None
        self._conninfo = conninfo(url)
        self._connections: list[psycopg.Connection] = []
        self._connections_lock = threading.Lock()
        self._init_state()
        self._booleans: frozenset[str] = frozenset()
        self._pg_ibis = _PgIbis(self)
        try:
            self.migrate()
        except psycopg.OperationalError as exc:
            raise WarehouseError(f"cannot open the PostgreSQL warehouse: {exc}") from exc

    def _connect(self) -> psycopg.Connection:
        # autocommit: transaction() and migrate() say BEGIN/COMMIT themselves, as on DuckDB; reads
        # outside them see each committed write at once. Days are UTC days, as on DuckDB.
        connection = psycopg.connect(self._conninfo, autocommit=True, options="-c TimeZone=UTC")
        # Strings go as text, not "unknown": a list of ids must be a text[] for unnest($ids).
        connection.adapters.register_dumper(str, StrDumper)
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    def cursor(self) -> PgCursor:
        """This thread's cursor on its own connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or cur.connection.closed:
            cur = self._local.cursor = PgCursor(self._connect())
        cur.booleans = self._booleans  # known once migrations ran
        return cur

    def arrow_batches(
        self, sql: str, params: dict, batch_rows: int
    ) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """DuckDB ``sql``'s rows as Arrow record batches of at most ``batch_rows``, streamed.

        A server-side cursor on a connection of its own (closed when the batches are read or
        dropped): a 10M-row export holds one batch in memory, not the result.
        """
        ((text, names),) = to_postgres(sql, self._booleans)
        connection = psycopg.connect(self._conninfo, options="-c TimeZone=UTC")
        connection.adapters.register_dumper(str, StrDumper)
        try:
            cursor = connection.cursor(name="pb_stream")
            cursor.execute(text, bind(names, params))
            first = cursor.fetchmany(batch_rows)
            columns = cursor.description
            schema = rows_frame(columns, first, unknown_as_text=True).to_arrow().schema
        except BaseException:
            connection.close()
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                rows = first
                while rows:
                    yield from (
                        rows_frame(columns, rows, unknown_as_text=True).to_arrow().cast(schema).to_batches()
                    )
                    rows = cursor.fetchmany(batch_rows)
            finally:
                connection.close()

        return schema, batches()

    def ibis(self) -> _PgIbis:
        """The ibis stand-in: tables with this warehouse's schema, run through the transpiler."""
        return self._pg_ibis

    def data_version(self, workspace_id: int) -> int:
        """The workspace's data version, read every time: another process may have written."""
        row = (
            self.cursor()
            .execute("SELECT data_version FROM workspace_state WHERE workspace_id = ?", [workspace_id])
            .fetchone()
        )
        return int(row[0]) if row else 0

    def lock_workspace(self, cur: PgCursor, workspace_id: int) -> None:
        """Hold the workspace's ingest lock until the transaction ends (writers on other machines)."""
        cur.execute("SELECT pg_advisory_xact_lock(?, ?)", [WORKSPACE_LOCK_NS, int(workspace_id)])

    def migrate(self) -> list[str]:
        """Apply pending migrations (transpiled), one process at a time across the cluster."""
        with self.write_lock:
            cur = self.cursor()
            cur.execute("SELECT pg_advisory_lock(?)", [MIGRATION_LOCK])
            try:
                applied = super().migrate()
            finally:
                cur.execute("SELECT pg_advisory_unlock(?)", [MIGRATION_LOCK])
            self._booleans = frozenset(
                row[0]
                for row in cur.execute(
                    "SELECT DISTINCT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND data_type = 'boolean'"
                ).fetchall()
            )
            return applied

    def _migration_cursor(self) -> PgCursor:
        return PgCursor(self._connect(), owns_connection=True)

    def interrupt(self) -> None:
        """Cancel the statements running on any of this warehouse's connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.closed:
                continue
            with contextlib.suppress(psycopg.Error):  # it finished or closed meanwhile
                connection.cancel_safe(timeout=5.0)

    def close(self) -> None:
        """Close every connection this warehouse opened."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
