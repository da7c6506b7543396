"""Load connector output into the warehouse: validate, convert, upsert, roll up — atomically.

``ingest_chunks`` consumes the chunks of ONE file or ONE sync run inside ONE transaction:
either every good row lands (and the bad ones are quarantined with their reasons) or, on any
failure, nothing changes. Re-importing the same rows replaces them (upsert on
``(workspace_id, source, source_id)``), so overlapping exports never double count.
"""

from __future__ import annotations

import csv
import json
import logging
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl

from data import pacing, reconcile, rollups
from data.connectors.base import REFUND_KIND, SKIP_DUPLICATE, Chunk, RowError, UnrecognisedFile
from data.currencies import ISO_CURRENCIES
from data.schema import TABLES, Table, conform
from data.warehouse import Warehouse, WorkspaceRef

#: Quarantine keeps at most this many rejected rows per run (the count is always exact).
QUARANTINE_LIMIT = 100_000
#: Longest text kept in any canonical column: longer values (a 400 MB "product name") quarantine
#: the row instead of reaching every page's filter options.
MAX_TEXT_CHARS = 2_000
#: Raw values kept per cell of a quarantined row (the full row stays in the user's file).
QUARANTINE_CELL_CHARS = 500
#: Plausible dates: nothing before this, nothing later than this far ahead of now.
EARLIEST = datetime(1970, 1, 1)
LATEST_AHEAD = timedelta(days=366)
#: rows buffered per table before one INSERT (bounds memory; larger inserts write faster)
INSERT_BATCH_ROWS = 1_000_000

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What one import or sync did (also stored as a row of ``ingest_runs``)."""

    source: str
    name: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0
    #: rows read and deliberately not imported, per reason (memo rows, summary rows, blank lines,
    #: duplicate ids ...): rows_read = inserted + updated + quarantined + skipped
    skipped: dict[str, int] = field(default_factory=dict)
    status: str = "ok"  # ok | partial | failed | refused
    error: str | None = None
    run_id: int | None = None
    duration_ms: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    #: rows stored besides the file's own (e.g. customers built from Shopify orders), per table
    derived: dict[str, int] = field(default_factory=dict)
    #: the input's own totals against the warehouse's for this run: {total: {file, imported, ok}}
    reconciliation: dict[str, dict] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        """All skipped rows, whatever the reason."""
        return sum(self.skipped.values())

    def unaccounted(self) -> int:
        """Rows read that are neither imported, rejected nor skipped (0 when the run adds up)."""
        return self.rows_read - self.inserted - self.updated - self.quarantined - self.skipped_total

    def as_dict(self) -> dict:
        """JSON-friendly form (CLI --json, API)."""
        return asdict(self)


def ingest_chunks(
    warehouse: Warehouse,
    workspace: WorkspaceRef,
    chunks: Iterable[Chunk],
    *,
    source: str,
    name: str,
    kind: str = "file",
    after_load=None,
    progress: Callable[[int], object] | None = None,
) -> IngestResult:
    """Validate and upsert every chunk in one transaction; record the run either way.

    ``after_load(cur)`` runs inside the transaction after the data is in (used by syncs to save
    their cursor atomically with the rows). Exceptions other than :class:`UnrecognisedFile`
    are re-raised after the failed run is recorded. ``progress(rows_read_so_far)`` is called
    after each chunk (for progress bars).
    """
    result = IngestResult(source=source, name=name)
    started = time.perf_counter()
    started_at = _now()
    file_totals = reconcile.FileTotals()
    try:
        with warehouse.transaction() as cur:
            warehouse.lock_workspace(cur, workspace.id)
            run_id = cur.execute("SELECT nextval('ingest_run_ids')").fetchone()[0]
            result.run_id = run_id
            fx = _load_fx(cur, workspace)
            loader = _Loader(cur, workspace)
            quarantine: list[tuple] = []
            reconciled_tables: set[str] = set()
            for chunk in chunks:
                result.rows_read += chunk.rows_read or (0 if chunk.derived else chunk.frame.height)
                for reason, count in chunk.skipped.items():
                    result.skipped[reason] = result.skipped.get(reason, 0) + count
                if not chunk.derived:
                    reconciled_tables.add(chunk.table)
                    file_totals.add(chunk.table, conform(chunk.table, chunk.frame))
                good, errors = validate(chunk, workspace, fx)
                for err in [*chunk.errors, *errors]:
                    result.quarantined += 1
                    if len(quarantine) < QUARANTINE_LIMIT:
                        quarantine.append(_quarantine_row(workspace, run_id, source, name, err))
                if good.height:
                    loader.add(chunk.table, good, derived=chunk.derived)
                    result.tables[chunk.table] = result.tables.get(chunk.table, 0) + good.height
                if progress is not None:
                    progress(result.rows_read)
                pacing.pause()
            loader.flush()
            result.inserted, result.updated = loader.inserted, loader.updated
            result.derived = dict(loader.derived)
            if loader.duplicates:
                result.skipped[SKIP_DUPLICATE] = loader.duplicates
            touched = set(loader.spans)
            if quarantine:
                _forget_repeated_rejections(cur, workspace, source, name, quarantine)
                cur.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", quarantine)
            if touched:
                pacing.pause()
                rollups.refresh(cur, workspace, touched, loader.spans, additions_only=loader.updated == 0)
                bump_data_version(cur, workspace)
            if after_load is not None:
                after_load(cur)
            result.status = "partial" if result.quarantined else "ok"
            problems = []
            missing = result.unaccounted()
            if missing:  # a connector bug: say so rather than show numbers that do not add up
                problems.append(f"{missing} row(s) read but neither imported, rejected nor skipped")
            if reconciled_tables:
                pacing.pause()
                imported = reconcile.imported_totals(
                    cur, workspace.id, loader.stamp, sorted(reconciled_tables)
                )
                result.reconciliation = reconcile.compare(file_totals.totals(), imported)
                diff = reconcile.differences(result.reconciliation)
                if diff:
                    origin = "the API" if kind == "sync" else "the file"
                    problems.append(f"imported totals differ from {origin}: " + "; ".join(diff))
            if problems:
                result.status = "partial"
                result.error = "; ".join(problems)
            result.duration_ms = (time.perf_counter() - started) * 1000
            _record_run(cur, workspace, result, kind, started_at, run_id)
    except (UnrecognisedFile, *UNREADABLE) as exc:
        result.status, result.error = "refused", refusal_text(exc)
        result.inserted = result.updated = result.quarantined = 0
        result.skipped, result.reconciliation = {}, {}
        _record_failed_run(warehouse, workspace, result, kind, started_at, started)
        _notify(result, kind)
        return result
    except Exception as exc:
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        result.inserted = result.updated = result.quarantined = 0
        result.skipped, result.reconciliation = {}, {}
        _record_failed_run(warehouse, workspace, result, kind, started_at, started)
        _notify(result, kind)
        raise
    finally:
        file_totals.close()  # its temporary files
    _notify(result, kind)
    return result


#: Errors a reader raises on a damaged file (a broken CSV quote, a corrupt or truncated
#: workbook): the file is refused with the reader's reason, like an unknown format, rather than
#: recorded as a failure of Pulseboard.
UNREADABLE = (
    pl.exceptions.ComputeError,
    pl.exceptions.NoDataError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    csv.Error,
    UnicodeError,
)


def refusal_text(exc: Exception) -> str:
    """The one-line reason a file is refused (a reader's first line, without its hints)."""
    if isinstance(exc, UnrecognisedFile):
        return str(exc)
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return f"the file could not be read ({first[:200]}); check it opens in a spreadsheet and export it again"


#: Called as ``observer(result, kind)`` after every run, whatever its outcome; the web server
#: counts imports for /metrics this way (dashboard.ops.metrics.record_ingest).
OBSERVERS: list[Callable[[IngestResult, str], object]] = []


def _notify(result: IngestResult, kind: str) -> None:
    for observer in OBSERVERS:
        try:
            observer(result, kind)
        except Exception:  # counting an import must never fail it
            log.warning("ingest observer %r failed", observer, exc_info=True)


def validate(
    chunk: Chunk, workspace: WorkspaceRef, fx: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[RowError]]:
    """Split a chunk into rows fit for the warehouse and rejected rows with reasons.

    Checks (vectorised): source_id present, required columns not null, non-negative counts and
    amounts, ISO currency codes, and a reporting-currency amount we can compute (same currency,
    the vendor's converted amount, or an uploaded FX rate).
    """
    table = TABLES[chunk.table]
    frame = conform(chunk.table, chunk.frame)
    if frame.height == 0:
        return frame, []
    frame = _fill_reporting(frame, table, workspace, fx)
    checks: list[tuple[pl.Expr, str | None, str]] = [
        (pl.col("source_id").is_null() | (pl.col("source_id") == ""), "source_id", "missing id"),
    ]
    for column in table.required:
        checks.append((pl.col(column).is_null(), column, f"missing {column}"))
    for column in table.non_negative:
        checks.append((pl.col(column) < 0, column, f"negative {column}"))
    # Implausible data is rejected with a reason rather than imported silently (issue 14).
    for column, dtype in table.columns.items():
        if dtype == pl.Utf8 and column != "currency":
            checks.append(
                (
                    pl.col(column).str.len_bytes() > MAX_TEXT_CHARS,
                    column,
                    f"text longer than {MAX_TEXT_CHARS:,} characters",
                )
            )
        elif dtype in (pl.Date, pl.Datetime("us")):
            latest = _now() + LATEST_AHEAD
            bound = (EARLIEST.date(), latest.date()) if dtype == pl.Date else (EARLIEST, latest)
            checks.append(
                (
                    (pl.col(column) < bound[0]) | (pl.col(column) > bound[1]),
                    column,
                    f"implausible date (before 1970 or after {latest:%Y-%m-%d})",
                )
            )
    if chunk.table == "payments":  # base.REFUND_CONTRACT: a refund line's money is in `amount`
        checks.append(
            (
                (pl.col("kind") == REFUND_KIND) & (pl.col("amount_refunded").fill_null(0) != 0),
                "amount_refunded",
                "a refund line must carry the refunded money in amount, not amount_refunded",
            )
        )
    currency_columns = sorted({cur for _, cur, _ in table.money})
    for column in currency_columns:
        checks.append(
            (
                pl.col(column).is_not_null() & ~pl.col(column).is_in(list(ISO_CURRENCIES)),
                column,
                "unknown currency code",
            )
        )
    for amount, currency, reporting in table.money:
        checks.append(
            (
                pl.col(amount).is_not_null() & pl.col(reporting).is_null(),
                currency,
                f"no exchange rate from this currency to {workspace.currency}: upload an FX table "
                "or import the vendor's converted amounts",
            )
        )
    flags = frame.select([expr.fill_null(False).alias(f"c{i}") for i, (expr, _, _) in enumerate(checks)])
    bad_mask = flags.select(pl.any_horizontal(pl.all())).to_series()
    if not bad_mask.any():
        return frame, []
    errors: list[RowError] = []
    row_numbers = chunk.row_numbers if chunk.row_numbers is not None else None
    for index in bad_mask.arg_true().to_list():
        first = next(i for i in range(len(checks)) if flags[index, i])
        _, column, reason = checks[first]
        row = frame.row(index, named=True)
        line = int(row_numbers[index]) if row_numbers is not None else index + 1
        if column in row and reason == "unknown currency code":
            reason = f"unknown currency code {row[column]!r}"
        shown = chunk.source_columns.get(column, column) if column else column  # the file's header
        errors.append(RowError(line, shown, reason, {k: _jsonable(v) for k, v in row.items()}))
    return frame.filter(~bad_mask), errors


def bump_data_version(cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef) -> None:
    """Mark the workspace's data as changed (cache keys include the version)."""
    cur.execute(
        """
        INSERT INTO workspace_state VALUES (?, 1, ?)
        ON CONFLICT (workspace_id) DO UPDATE SET data_version = data_version + 1, updated_at = excluded.updated_at
        """,
        [workspace.id, _now()],
    )


# -- internals ---------------------------------------------------------------------------------


def _fill_reporting(frame: pl.DataFrame, table: Table, workspace: WorkspaceRef, fx: pl.DataFrame | None):
    """Fill ``*_reporting`` money columns: same currency -> the amount; else the FX table."""
    if not table.money:
        return frame
    reporting = workspace.currency
    frame = frame.with_columns(pl.col(c).str.to_uppercase() for c in {cur for _, cur, _ in table.money})
    date_col = table.date_column
    need_fx = fx is not None and fx.height > 0 and date_col is not None
    if need_fx:
        # Only the join keys are sorted and joined, not every column of the chunk. Both sides
        # are sorted by date as a whole, hence within each currency too: what an as-of join by
        # currency needs (polars cannot check that itself when `by` is given, and warns).
        keyed = (
            frame.select(pl.col(date_col).cast(pl.Date).alias("__date"), "currency")
            .with_row_index("__order")
            .sort("__date")
        )
        joined = keyed.join_asof(
            fx.select("date", "currency", "rate").sort("date"),
            left_on="__date",
            right_on="date",
            by="currency",
            strategy="backward",
            check_sortedness=False,
        ).sort("__order")
        rate = joined["rate"]
    for amount, currency, rep in table.money:
        same = pl.col(currency) == reporting
        expr = pl.when(pl.col(rep).is_not_null()).then(pl.col(rep)).when(same).then(pl.col(amount))
        if need_fx and currency == "currency":
            # rounded to the column's own scale: cents, or 8 decimals for precise ad money
            scale = table.columns[rep].scale
            expr = expr.otherwise((pl.col(amount).cast(pl.Float64) * pl.lit(rate)).round(scale))
        frame = frame.with_columns(expr.cast(table.columns[rep]).alias(rep))
    return frame


def _load_fx(cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef) -> pl.DataFrame | None:
    rows = cur.execute(
        "SELECT date, currency, CAST(rate AS DOUBLE) AS rate FROM fx_rates "
        "WHERE workspace_id = ? AND reporting_currency = ?",
        [workspace.id, workspace.currency],
    ).pl()
    return rows if rows.height else None


class _Loader:
    """Upserts validated rows into the canonical tables and tracks what it touched.

    Rows are buffered per table up to ``INSERT_BATCH_ROWS`` and written in one INSERT: DuckDB
    writes (and compresses) a large insert in parallel, while many small inserts each pay the
    fixed cost. Memory stays bounded by the buffer, whatever the file's size.
    """

    def __init__(self, cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef) -> None:
        self.cur, self.workspace = cur, workspace
        #: every row this run writes carries this ingested_at: reconciliation finds them by it
        self.stamp = _now()
        self.inserted = self.updated = 0
        #: rows dropped because a later row of the same file had the same id (the last one wins)
        self.duplicates = 0
        #: rows written to tables of derived chunks (not counted in inserted/updated), per table
        self.derived: dict[str, int] = {}
        self._derived_tables: set[str] = set()
        self._bounds: dict[str, rollups.Span] = {}  # rows written and rows replaced, per table
        self._unbounded: set[str] = set()
        self._buffers: dict[str, list[pl.DataFrame]] = {}
        self._buffered: dict[str, int] = {}
        self._has_rows: dict[tuple[str, str], bool] = {}
        #: per (table, source) that held no rows before this run: 64-bit hashes of the ids this
        #: run wrote, so a later batch looks up in the table only ids that may repeat one of them
        self._run_ids: dict[tuple[str, str], pl.Series] = {}

    def add(self, table: str, frame: pl.DataFrame, derived: bool = False) -> None:
        """Queue validated rows of ``table``; writes when the buffer is full.

        ``derived`` rows (see ``Chunk.derived``) are stored but counted apart from the file's rows.
        """
        if derived:
            self._derived_tables.add(table)
        self._buffers.setdefault(table, []).append(frame)
        self._buffered[table] = self._buffered.get(table, 0) + frame.height
        if self._buffered[table] >= INSERT_BATCH_ROWS:
            self._write(table)

    def flush(self) -> None:
        """Write everything still buffered."""
        for table in list(self._buffers):
            self._write(table)

    def _write(self, table: str) -> None:
        frames = self._buffers.pop(table, [])
        self._buffered.pop(table, None)
        if not frames:
            return
        frame = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
        height = frame.height
        inserted, updated, replaced_span = self._upsert(table, frame)
        if table in self._derived_tables:
            self.derived[table] = self.derived.get(table, 0) + inserted + updated
        else:
            self.inserted += inserted
            self.updated += updated
            self.duplicates += height - inserted - updated
        written = _span(frame, TABLES[table].date_column)
        if written is None:  # no dates to bound the change by: rebuild this table's rollups whole
            self._unbounded.add(table)
        for span in (written, replaced_span):
            old = self._bounds.get(table)
            if span is not None:
                self._bounds[table] = span if old is None else (min(old[0], span[0]), max(old[1], span[1]))

    @property
    def spans(self) -> dict[str, rollups.Span | None]:
        """Each written table -> the UTC span of its date column that changed (None: unknown)."""
        tables = set(self._bounds) | self._unbounded
        return {t: None if t in self._unbounded else self._bounds[t] for t in tables}

    def _source_has_rows(self, table: str, source: str) -> bool:
        key = (table, source)
        if key not in self._has_rows:
            self._has_rows[key] = (
                self.cur.execute(
                    f"SELECT 1 FROM {table} WHERE workspace_id = ? AND source = ? LIMIT 1",
                    [self.workspace.id, source],
                ).fetchone()
                is not None
            )
        return self._has_rows[key]

    def _ids_to_look_up(
        self, table: str, source: str, ids: pl.Series, hashes: pl.Series | None = None
    ) -> pl.Series | None:
        """The ids of a batch that may already be in ``table`` (None: none can be).

        A source with rows from earlier runs: all of them. A source new in this run (a first
        import): only ids whose hash matches one this run already wrote. Without this, every
        batch of a 10M-row first import after the first would send its million ids to a lookup
        over everything written so far, so cost grew with the square of the file's size.
        ``hashes`` are the ids' :func:`_id_hashes` when the caller has them already.
        """
        key = (table, source)
        if key not in self._run_ids and self._source_has_rows(table, source):
            return ids  # rows from earlier runs may be replaced: look every id up
        if hashes is None:
            hashes = _id_hashes(ids)
        seen = self._run_ids.get(key)
        if seen is None:
            self._run_ids[key] = hashes
            return None  # the first batch of a source the table did not hold: nothing to replace
        # equal ids hash equal, so ids without a matching hash cannot be in the table; a hash
        # collision only costs a lookup that finds nothing
        repeated = ids.filter(hashes.is_in(seen))
        self._run_ids[key] = seen.append(hashes).rechunk()
        return repeated

    def _upsert(self, table: str, frame: pl.DataFrame) -> tuple[int, int, rollups.Span | None]:
        """Replace rows with the same (source, source_id) and insert the rest.

        Returns (inserted, updated, span of the replaced rows' date column).
        """
        sources = frame["source"].unique().to_list()
        # Within one batch the last occurrence of a key wins, as it would row by row. Checking first
        # is much cheaper than an order-preserving unique() on every (normally duplicate-free) batch,
        # and the check runs on 64-bit hashes of the ids (1M ids: ~0.04 s, against ~0.4 s for the
        # ids themselves): distinct hashes are distinct ids, and only when hashes repeat (a repeated
        # id, or rarely a collision) do the ids themselves decide.
        hashes = (
            _id_hashes(frame["source_id"])
            if len(sources) == 1
            else frame.select(pl.struct("source", "source_id").hash(seed=0)).to_series()
        )
        if (
            hashes.n_unique() < frame.height
            and frame.select(pl.struct("source", "source_id").n_unique()).item() < frame.height
        ):
            frame = frame.unique(subset=["source", "source_id"], keep="last", maintain_order=True)
            hashes = _id_hashes(frame["source_id"]) if len(sources) == 1 else hashes
        staged = frame.with_columns(
            pl.lit(self.workspace.id, dtype=pl.Int64).alias("workspace_id"),
            pl.lit(self.stamp, dtype=pl.Datetime("us")).alias("ingested_at"),
        ).select(list(TABLES[table].all_columns))
        if len(sources) == 1:
            # the hashes ride along through the date ordering, so the lookup below reuses them
            staged = staged.with_columns(hashes.alias(_HASH_COLUMN))
        date_column = TABLES[table].date_column
        if date_column:
            # Date-ordered row groups carry tight min/max statistics, so date-range reads and the
            # incremental rollup refresh skip most of a large table.
            staged = _date_ordered(staged, date_column)
        id_hashes = None
        if len(sources) == 1:
            id_hashes = staged[_HASH_COLUMN]
            staged = staged.drop(_HASH_COLUMN)
        cur = self.cur
        replaced, span = 0, None
        # A first import of a source has nothing to replace: skip the lookups against the table.
        for source in sources:
            ids = (
                staged["source_id"]
                if len(sources) == 1
                else staged.filter(pl.col("source") == source)["source_id"]
            )
            ids = self._ids_to_look_up(table, source, ids, id_hashes)
            if ids is None or ids.len() == 0:
                continue
            # Keys go in as a list parameter. Not cur.register(): a registered view pins its Arrow
            # data until the transaction ends (a multi-GB file would sit in memory whole), and
            # replacement scans are switched off process-wide by ibis.
            keys = {"ws": self.workspace.id, "source": source, "ids": ids.to_list()}
            match = f"""FROM {table} WHERE workspace_id = $ws AND source = $source
                        AND source_id IN (SELECT unnest($ids))"""
            if date_column:
                lo, hi, count = cur.execute(
                    f'SELECT min("{date_column}"), max("{date_column}"), count(*) {match}', keys
                ).fetchone()
                found = _as_span(lo, hi)
                if found is not None:
                    span = found if span is None else (min(span[0], found[0]), max(span[1], found[1]))
                if not count:
                    continue
            replaced += cur.execute(f"DELETE {match}", keys).fetchone()[0]
        # The relation API scans the Arrow table for this one statement and lets it go. Columns go
        # by position: `staged` is in the table's column order (test_ing008 holds DDL and schema equal).
        # The newest Arrow layout keeps polars' string views: no copy of every string into
        # large_string buffers (1M payments: peak memory 1.55 -> 1.32 GB; the insert itself
        # costs DuckDB about the same either way).
        if isinstance(cur, duckdb.DuckDBPyConnection):
            cur.from_arrow(staged.to_arrow(compat_level=pl.CompatLevel.newest())).insert_into(table)
        else:  # a PostgreSQL warehouse (data.warehouse_pg): COPY, inside the same transaction
            cur.copy_frame(table, staged)
        for s in sources:
            self._has_rows[(table, s)] = True
        return staged.height - replaced, replaced, span


#: a staged batch's id hashes while it is put in date order (dropped before the insert)
_HASH_COLUMN = "__id_hash"


def _id_hashes(ids: pl.Series) -> pl.Series:
    """64-bit hashes of ids (one source's): equal ids hash equal, so distinct hashes are distinct ids."""
    return ids.hash(seed=0)


def _date_ordered(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``frame`` in ascending ``column`` order (nulls last).

    Vendor exports usually come in date order, newest first (Stripe, PayPal): a reversal then
    does, which costs nothing next to sorting a million rows (about 0.5 s).
    """
    dates = frame[column]
    if dates.null_count() == 0:
        if dates.is_sorted():
            return frame
        if dates.is_sorted(descending=True):
            return frame.reverse()
    return frame.sort(column, nulls_last=True)


def _span(frame: pl.DataFrame, column: str | None) -> rollups.Span | None:
    """The (min, max) of a date/datetime column as naive datetimes, or None."""
    if not column or column not in frame.columns or frame.height == 0:
        return None
    lo, hi = frame.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi")).row(0)
    return _as_span(lo, hi)


def _as_span(lo, hi) -> rollups.Span | None:
    if lo is None or hi is None:
        return None
    to_dt = lambda v: v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)  # noqa: E731
    return to_dt(lo), to_dt(hi) + (timedelta(days=1) if not isinstance(hi, datetime) else timedelta(0))


def _forget_repeated_rejections(
    cur, workspace: WorkspaceRef, source: str, name: str, rows: list[tuple]
) -> None:
    """Drop earlier rejections of the very same rows of the same file (a re-upload).

    Re-importing a file must not list its rejected rows twice. A row is the same when the file
    name, source, line and raw values all match: a new month's download under the same name
    (PayPal's ``Download.CSV``) keeps the old month's rejections.
    """
    keys = [f"{r[4]}|{r[7]}" for r in rows]  # row_number | raw JSON
    cur.execute(
        """DELETE FROM quarantine WHERE workspace_id = $ws AND source = $source AND file_name = $name
           AND CAST(row_number AS VARCHAR) || '|' || raw IN (SELECT unnest($keys))""",
        {"ws": workspace.id, "source": source, "name": name, "keys": keys},
    )


def _quarantine_row(workspace: WorkspaceRef, run_id: int, source: str, name: str, err: RowError) -> tuple:
    raw = json.dumps({k: _bounded(_jsonable(v)) for k, v in (err.raw or {}).items()}, ensure_ascii=False)
    return (workspace.id, run_id, source, name, err.row_number, err.column, err.reason, raw, _now())


def _record_run(cur, workspace, result: IngestResult, kind, started_at, run_id) -> None:
    cur.execute(
        """INSERT INTO ingest_runs (id, workspace_id, kind, source, name, started_at, finished_at, duration_ms,
           rows_read, inserted, updated, quarantined, status, error, skipped, skipped_reasons,
           reconciliation)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            run_id,
            workspace.id,
            kind,
            result.source,
            result.name,
            started_at,
            _now(),
            result.duration_ms,
            result.rows_read,
            result.inserted,
            result.updated,
            result.quarantined,
            result.status,
            result.error,
            result.skipped_total,
            json.dumps(result.skipped) if result.skipped else None,
            json.dumps(result.reconciliation) if result.reconciliation else None,
        ],
    )


def _record_failed_run(warehouse, workspace, result: IngestResult, kind, started_at, started) -> None:
    """A failed run is recorded in its own transaction, after the data transaction rolled back."""
    result.duration_ms = (time.perf_counter() - started) * 1000
    with warehouse.transaction() as cur:
        run_id = cur.execute("SELECT nextval('ingest_run_ids')").fetchone()[0]
        result.run_id = run_id
        _record_run(cur, workspace, result, kind, started_at, run_id)


def _bounded(value):
    """A quarantined cell cut to QUARANTINE_CELL_CHARS (a huge cell must not be stored again)."""
    if isinstance(value, str) and len(value) > QUARANTINE_CELL_CHARS:
        return f"{value[:QUARANTINE_CELL_CHARS]}… ({len(value):,} characters)"
    return value


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
