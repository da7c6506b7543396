"""The analytical warehouse: one DuckDB file per installation, reached through ibis.

A ``postgresql://`` URL opens the same warehouse on PostgreSQL instead
(:class:`data.warehouse_pg.PostgresWarehouse`, docs/warehouse-postgres.md): the same tables,
migrations and queries, the DuckDB SQL transpiled by sqlglot.

One :class:`Warehouse` per process owns the DuckDB connection; every thread gets its own
cursor (DuckDB connections are not safe to share between threads, and Dash serves callbacks
on threads). Writes are serialised inside the process with a lock, and each ingest runs in a
single transaction so a failure (or a kill) leaves the file exactly as it was.

Nothing outside ``data/`` touches a table directly: pages and callbacks get a
:class:`ScopedWarehouse` for the logged-in user's workspace, whose tables are already filtered
to that workspace.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import ibis
import polars as pl

from data.schema import TABLES

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Integer GROUP BY keys spanning up to 2**bits values use DuckDB's perfect (array) aggregate.
PERFECT_HASH_BITS = 20
#: Tables a scoped warehouse may read (canonical tables, rollups, bookkeeping).
READABLE_TABLES = frozenset(
    {
        *TABLES,
        "payments_daily",
        "customer_daily",
        "customer_refunds_daily",
        "customer_first",
        "customer_keys",
        "customer_weekly",
        "customer_monthly",
        "customer_weekly_dim_counts",
        "customer_monthly_dim",
        "customer_monthly_dim_totals",
        "ingest_runs",
        "quarantine",
        "fx_rates",
        "ai_event_details",
        "insight_feedback",
    }
)


class WarehouseLocked(RuntimeError):
    """Another process (usually the running server) holds the DuckDB file open for writing."""


class WarehouseError(RuntimeError):
    """The warehouse location is invalid or cannot be opened."""


@dataclass(frozen=True)
class WorkspaceRef:
    """What the data plane needs to know about a workspace (it never imports app DB models)."""

    id: int
    slug: str
    currency: str = "USD"
    timezone: str = "UTC"
    name: str = ""
    locale: str = "en-US"


#: URL schemes of a PostgreSQL warehouse (SQLAlchemy's driver suffixes accepted too)
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL warehouse rather than a DuckDB file."""
    return url.startswith(POSTGRES_SCHEMES)


def duckdb_path(url: str) -> str:
    """The file path in a ``duckdb:///path`` URL (``duckdb://:memory:`` for an in-memory one)."""
    if not url.startswith("duckdb://"):
        raise WarehouseError(
            f"unsupported warehouse URL {url!r}: use a DuckDB file (duckdb:///path/to/file.duckdb) "
            "or PostgreSQL (postgresql://user@host:5432/database)"
        )
    path = url.removeprefix("duckdb://")
    if path in ("", ":memory:", "/:memory:"):
        return ":memory:"
    return path[1:] if path.startswith("/") and not path.startswith("//") else path


def default_memory_limit() -> str:
    """A quarter of the machine's RAM (at least 512 MB), in a form DuckDB's ``memory_limit`` takes.

    DuckDB's own default is 80% of RAM, which leaves too little for the web process, polars
    parsing a big file and the OS cache; beyond the limit DuckDB spills to disk.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2GB"
    return f"{max(512, total // 4 // 2**20)}MB"


class Warehouse:
    """The process-wide warehouse handle.

    ``Warehouse(url)`` with a ``postgresql://`` URL gives a
    :class:`data.warehouse_pg.PostgresWarehouse` (a subclass), so every caller opens either the
    same way.
    """

    #: the metric layer's caches for queries on this warehouse (data.metrics.MetricService): the
    #: app's Services sets its own; data.metrics.service_of attaches a fresh one otherwise
    metric_service = None
    #: which engine answers: "duckdb" or "postgres"
    backend = "duckdb"

    def __new__(cls, url: str, **kwargs):
        """A :class:`data.warehouse_pg.PostgresWarehouse` for a PostgreSQL URL, else a DuckDB one."""
        if cls is Warehouse and is_postgres_url(url):
            # Imported here: psycopg and sqlglot's transpiler stay off the DuckDB path.
            from data.warehouse_pg import PostgresWarehouse

            return super().__new__(PostgresWarehouse)
        return super().__new__(cls)

    def __init__(self, url: str, *, memory_limit: str | None = None):
        self.url = url
        self.path = duckdb_path(url)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # Extensions are statically linked; never let DuckDB reach for the network.
            self._con = duckdb.connect(
                self.path,
                config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": True,
                    "memory_limit": memory_limit or default_memory_limit(),
                    # Group customers by their dense number with an array, not a hash table,
                    # when the numbers span up to 2^20 (DuckDB sizes it by the column's range):
                    # RFM and top customers at 200k customers run about twice as fast.
                    "perfect_ht_threshold": PERFECT_HASH_BITS,
                },
            )
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseLocked(
                    f"the warehouse {self.path} is open in another process (is `pulseboard serve` running?)"
                ) from exc
            raise WarehouseError(f"cannot open the warehouse {self.path}: {exc}") from exc
        self._init_state()
        self.migrate()

    def _init_state(self) -> None:
        """The per-process bookkeeping every backend keeps (thread locals, locks, caches)."""
        self._local = threading.local()
        # every live thread's cursor, for interrupt(); weak: a finished thread's cursor goes with it
        self._cursors: weakref.WeakSet = weakref.WeakSet()
        self._cursors_lock = threading.Lock()
        self.write_lock = threading.RLock()
        # data_version per workspace, read once and kept until the next write transaction ends.
        # DuckDB lets one process open the file for writing, and every write here goes through
        # transaction()/migrate(), so this process sees every change: bumping the generation
        # there is a complete invalidation, and readers never pay a query per cache lookup.
        self._versions: dict[int, int] = {}
        self._generation = 0
        self._versions_lock = threading.Lock()
        self._schema_generation = 0

    # -- connections ---------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
            with self._cursors_lock:
                self._cursors.add(cur)
        return cur

    def ibis(self) -> ibis.BaseBackend:
        """This thread's ibis backend over its own cursor."""
        backend = getattr(self._local, "ibis", None)
        if backend is None:
            backend = ibis.duckdb.from_connection(self.cursor())
            self._local.ibis = backend
        return backend

    def ibis_table(self, name: str) -> ibis.Table:
        """This thread's ibis table expression for ``name``, looked up once.

        Looking a schema up costs a query, and the schema only changes through migrations.
        """
        tables = getattr(self._local, "tables", None)
        if tables is None or self._local.schema_generation != self._schema_generation:
            tables = self._local.tables = {}
            self._local.schema_generation = self._schema_generation
        table = tables.get(name)
        if table is None:
            table = tables[name] = self.ibis().table(name)
        return table

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction: commits when the block ends, rolls back on any exception."""
        with self.write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                self.forget_versions()

    def forget_versions(self) -> None:
        """Drop the in-process data_version cache (every write transaction ends with this)."""
        with self._versions_lock:
            self._generation += 1
            self._versions.clear()

    def data_version(self, workspace_id: int) -> int:
        """The workspace's data version: a dict lookup, except for the first read after a write."""
        with self._versions_lock:
            version = self._versions.get(workspace_id)
            generation = self._generation
        if version is not None:
            return version
        row = (
            self.cursor()
            .execute("SELECT data_version FROM workspace_state WHERE workspace_id = ?", [workspace_id])
            .fetchone()
        )
        version = int(row[0]) if row else 0
        with self._versions_lock:
            # A write that committed while we read must not be hidden behind our (old) answer.
            if generation == self._generation:
                self._versions[workspace_id] = version
        return version

    def interrupt(self) -> None:
        """Stop the queries running on any thread's cursor now: each raises in its own thread.

        For close(), with work still running on other threads (``Services.close``).
        """
        with self._cursors_lock:
            cursors = list(self._cursors)
        for cur in cursors:
            with contextlib.suppress(duckdb.Error):  # that cursor is closed already
                cur.interrupt()

    def close(self) -> None:
        """Close the connection (each thread's cursor goes with it)."""
        self._con.close()

    def lock_workspace(self, cur, workspace_id: int) -> None:
        """Serialise writers of one workspace inside the current transaction.

        Nothing to do on DuckDB: one process holds the file and ``write_lock`` serialises its
        writers. (PostgreSQL takes a transaction-scoped advisory lock.)
        """

    # -- schema --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending versioned SQL migrations from data/migrations; returns the ones applied."""
        applied: list[str] = []
        with self.write_lock:
            cur = self._migration_cursor()
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
            )
            done = {row[0] for row in cur.execute("SELECT version FROM schema_migrations").fetchall()}
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                version = path.stem
                if version in done:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    for statement in _split_sql(path.read_text()):
                        cur.execute(statement)
                    cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, _now()])
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
                applied.append(version)
            cur.close()
        if applied:
            self._schema_generation += 1
            self.forget_versions()
        return applied

    def _migration_cursor(self):
        """A cursor of its own for :meth:`migrate` (closed when it ends)."""
        return self._con.cursor()

    def scoped(self, workspace: WorkspaceRef) -> ScopedWarehouse:
        """The workspace-scoped view that pages, reports and the CLI use."""
        return ScopedWarehouse(self, workspace)


class ScopedWarehouse:
    """Read access to one workspace's rows, and nothing else."""

    def __init__(self, warehouse: Warehouse, workspace: WorkspaceRef):
        self.warehouse = warehouse
        self.workspace = workspace

    def table(self, name: str) -> ibis.Table:
        """An ibis table expression already filtered to this workspace."""
        if name not in READABLE_TABLES:
            raise KeyError(f"unknown warehouse table {name!r}")
        table = self.warehouse.ibis_table(name)
        return table.filter(table.workspace_id == self.workspace.id)

    def execute(self, expr: ibis.Expr) -> pl.DataFrame:
        """Run an ibis expression (built from :meth:`table`) and return a polars frame."""
        return self.warehouse.ibis().to_polars(expr)

    def execute_sql(self, sql: str, params: dict | None = None) -> pl.DataFrame:
        """Run parameterised SQL with ``$ws`` bound to this workspace; returns a polars frame.

        The query must filter every table it reads on ``workspace_id = $ws``.
        """
        return self.warehouse.cursor().execute(sql, {**(params or {}), "ws": self.workspace.id}).pl()

    def data_version(self) -> int:
        """Bumped by every ingest that changed this workspace's data (0 before the first).

        Cached in the process until the next write transaction (see :meth:`Warehouse.data_version`).
        """
        return self.warehouse.data_version(self.workspace.id)

    def row_counts(self) -> dict[str, int]:
        """Rows per canonical table for this workspace (status pages, the demo check)."""
        # One statement, not one per table: a page's first load asks for these (~4 ms as 12).
        counts = " UNION ALL ".join(
            f"SELECT '{name}' AS name, count(*) AS n FROM {name} WHERE workspace_id = $ws" for name in TABLES
        )
        found = dict(self.warehouse.cursor().execute(counts, {"ws": self.workspace.id}).fetchall())
        return {name: int(found[name]) for name in TABLES}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (our scripts have no semicolons in strings)."""
    without_comments = re.sub(r"--[^\n]*", "", script)
    return [s.strip() for s in without_comments.split(";") if s.strip()]
