"""Reconciliation: the warehouse must hold what the file (or API sync) said.

Every run computes the input's own totals from the parsed rows (rows; money per currency;
refunds and fees; impressions, clicks and spend; sessions; deliveries) and, after loading, the
same totals over the warehouse rows that run wrote. Each total is reported as
``{"file": x, "imported": y, "ok": x == y}``; any difference marks the run ``partial`` with the
reason, so an owner sees "matches the file" or exactly what differs.

Refunds follow ``data.connectors.base.REFUND_CONTRACT`` on both sides: the file side in polars
and the warehouse side with the rollups' own SQL conditions (``data.rollups.IS_SALE`` and
``IS_REFUND``), so a connector that breaks the contract shows up here as a refund difference.

The file side counts every parsed row that reached validation (rows a parser already rejected
are not in it; rows validation rejects are, and show as the difference they make). Within one
chunk a repeated id counts once (the last row, as the upsert keeps it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO

import duckdb
import polars as pl

from data.connectors.base import REFUND_KIND
from data.rollups import IS_REFUND, IS_SALE

#: per table: (total name, polars expression over a chunk, SQL over the warehouse rows, per currency?)
_MONEY_TOTALS: dict[str, list[tuple[str, pl.Expr, str]]] = {
    "payments": [
        (
            "gross",
            pl.when(pl.col("kind").fill_null("") != REFUND_KIND).then(pl.col("amount")).otherwise(0),
            f"sum(amount) FILTER (WHERE {IS_SALE})",
        ),
        (
            "refunds",
            pl.when(pl.col("kind").fill_null("") == REFUND_KIND)
            .then(pl.col("amount"))
            .otherwise(pl.col("amount_refunded").fill_null(0)),
            f"coalesce(sum(amount_refunded) FILTER (WHERE {IS_SALE}), 0)"
            f" + coalesce(sum(amount) FILTER (WHERE {IS_REFUND}), 0)",
        ),
        ("fees", pl.col("fee").fill_null(0), "sum(fee)"),
    ],
    "ad_daily": [("spend", pl.col("spend").fill_null(0), "sum(spend)")],
    "deals": [("amount", pl.col("amount").fill_null(0), "sum(amount)")],
    "email_campaigns": [("revenue", pl.col("revenue").fill_null(0), "sum(revenue)")],
    "web_daily": [("revenue", pl.col("revenue").fill_null(0), "sum(revenue)")],
}
#: per table: counts summed as they are
_COUNT_TOTALS: dict[str, list[str]] = {
    "ad_daily": ["impressions", "clicks"],
    "web_daily": ["sessions"],
    "email_campaigns": ["delivered"],
}


@dataclass
class Totals:
    """Named totals of one run's rows: ``{"rows payments": 3, "gross USD": Decimal("150.00"), ...}``."""

    values: dict[str, Decimal | int] = field(default_factory=dict)

    def add(self, name: str, value) -> None:
        """Add ``value`` to the total ``name`` (None counts as nothing)."""
        if value is None:
            return
        value = value if isinstance(value, int | Decimal) else Decimal(str(value))
        self.values[name] = self.values.get(name, 0) + value


class FileTotals:
    """The file's (or API sync's) own totals, accumulated over all its chunks.

    An id counts once per file, with its last row, as the upsert keeps it: a row repeated in a
    later chunk replaces the earlier one here too, so a file that spans several chunks totals
    the same as one read whole. Running sums alone could not take back an earlier row's money
    when its id comes again, so each chunk's per-row contributions (``source``, ``source_id``,
    the currency, counts and money) go to a compressed temporary file, and only a 64-bit hash of
    each id stays in memory (8 bytes a row, like the loader's own id hashes). When the totals
    are asked for, ids whose hash was seen more than once (rare) are looked up in those files by
    their hash, matched exactly by id, and every row but the last of each id is taken back out
    of the sums.
    """

    def __init__(self) -> None:
        self._sums = Totals()
        self._keys: dict[str, list[pl.Series]] = {}
        self._spilled: dict[str, list[IO[bytes]]] = {}

    def add(self, table: str, frame: pl.DataFrame) -> None:
        """Account for one chunk of ``table`` rows (conformed to the table's columns)."""
        if frame.height == 0:
            return
        rows = _contributions(table, frame)
        if rows[_HASH].n_unique() < rows.height:  # a repeat within the chunk (or a hash collision)
            rows = rows.unique(subset=list(_KEY), keep="last", maintain_order=True)
        _add_rows(self._sums, table, rows, 1)
        self._keys.setdefault(table, []).append(rows[_HASH])
        # kept open past this call (closed by close()); the file has no name and goes when closed
        spill = tempfile.TemporaryFile()  # noqa: SIM115
        rows.write_ipc(spill, compression="lz4")
        self._spilled.setdefault(table, []).append(spill)

    def totals(self) -> Totals:
        """The file's totals as :func:`compare` takes them."""
        totals = Totals(dict(self._sums.values))
        for table, parts in self._keys.items():
            if len(parts) < 2:
                continue  # one chunk: its repeats are gone already
            keys = pl.concat(parts)
            if keys.n_unique() == keys.len():
                continue
            again = keys.filter(keys.is_duplicated()).unique()
            seen = []
            for spill in self._spilled[table]:
                spill.seek(0)
                seen.append(pl.read_ipc(spill).filter(pl.col(_HASH).is_in(again)))
            rows = pl.concat(seen, how="vertical_relaxed").with_row_index("__order")
            # every occurrence of an id but its last was summed for nothing: take it back out
            last = rows.unique(subset=list(_KEY), keep="last")["__order"]
            _add_rows(totals, table, rows.filter(~pl.col("__order").is_in(last)), -1)
        return totals

    def close(self) -> None:
        """Delete the temporary files (the totals cannot be asked for after this)."""
        for spills in self._spilled.values():
            for spill in spills:
                spill.close()
        self._spilled.clear()
        self._keys.clear()


#: a row's id in the contributions frame, and the hash of it kept in memory
_KEY = ("source", "source_id")
_HASH = "__key"


def _add_rows(totals: Totals, table: str, rows: pl.DataFrame, sign: int) -> None:
    """Add (``sign`` 1) or take out (-1) the contributions of ``rows`` to ``totals``."""
    if rows.height == 0:
        return
    totals.add(f"rows {table}", sign * rows.height)
    for column in _COUNT_TOTALS.get(table, []):
        totals.add(column, sign * int(rows[column].sum()))
    money = [name for name, _, _ in _MONEY_TOTALS.get(table, []) if name in rows.columns]
    if money:
        for row in rows.group_by("currency").agg(pl.col(money).sum()).iter_rows(named=True):
            for name in money:
                totals.add(f"{name} {row['currency']}", None if row[name] is None else sign * row[name])


def _contributions(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Per row of a chunk: its id and the id's hash, currency, counts and money as the totals add them up."""
    columns = [*_KEY, pl.struct(_KEY).hash(seed=0).alias(_HASH)]
    columns += [pl.col(c).fill_null(0).cast(pl.Int64) for c in _COUNT_TOTALS.get(table, [])]
    money = _MONEY_TOTALS.get(table, [])
    if money and "currency" in frame.columns:
        columns.append(pl.col("currency").str.to_uppercase().fill_null("?").alias("currency"))
        columns += [expr.cast(frame[_first_column(expr, frame)].dtype).alias(name) for name, expr, _ in money]
    return frame.select(columns)


def _first_column(expr: pl.Expr, frame: pl.DataFrame) -> str:
    """The money column an expression reads first (its dtype keeps the sum exact)."""
    for name in expr.meta.root_names():
        if name in frame.columns and isinstance(frame[name].dtype, pl.Decimal):
            return name
    return "amount" if "amount" in frame.columns else frame.columns[0]


def imported_totals(
    cur: duckdb.DuckDBPyConnection, workspace_id: int, stamp: datetime, tables: Mapping[str, object]
) -> Totals:
    """The same totals over the warehouse rows this run wrote (its ``ingested_at`` stamp).

    One scan per table: rows, counts and money per currency come from the same query (a row
    count is the sum of the per-currency counts).
    """
    totals = Totals()
    for table in tables:
        counts = _COUNT_TOTALS.get(table, [])
        money = _MONEY_TOTALS.get(table, [])
        aggregates = ", ".join(
            [
                "count(*)",
                *(f"coalesce(sum({column}), 0)" for column in counts),
                *(sql for _, _, sql in money),
            ]
        )
        group = "coalesce(upper(currency), '?')" if money else "NULL"
        rows = cur.execute(
            f"SELECT {group}, {aggregates} FROM {table} "
            "WHERE workspace_id = $ws AND ingested_at = $stamp GROUP BY 1",
            {"ws": workspace_id, "stamp": stamp},
        ).fetchall()
        totals.add(f"rows {table}", sum(int(row[1]) for row in rows))
        for i, column in enumerate(counts):
            totals.add(column, sum(int(row[2 + i]) for row in rows))
        for currency, _, *values in rows:
            for (name, _, _), value in zip(money, values[len(counts) :], strict=True):
                totals.add(f"{name} {currency}", value)
    return totals


def compare(file: Totals, imported: Totals) -> dict[str, dict]:
    """Each total as ``{"file": x, "imported": y, "ok": bool}`` (money as numbers, zero when absent)."""
    out: dict[str, dict] = {}
    for name in sorted(set(file.values) | set(imported.values), key=_order):
        f = file.values.get(name, 0)
        i = imported.values.get(name, 0)
        if not f and not i and not name.startswith("rows"):
            continue  # a currency with nothing in it on either side says nothing
        out[name] = {"file": _number(f), "imported": _number(i), "ok": Decimal(f) == Decimal(i)}
    return out


#: writes a number with a count of decimals for people (the Data sources page passes the
#: workspace locale's components.formatting.format_number); None: en-US digits (the CLI)
NumberText = Callable[[float, int], str]


def differences(reconciliation: Mapping[str, Mapping], number: NumberText | None = None) -> list[str]:
    """The totals that differ, in words: ``refunds USD: file 130.00, imported 0.00``."""
    return [
        f"{name}: file {_text(v['file'], number)}, imported {_text(v['imported'], number)}"
        for name, v in reconciliation.items()
        if not v.get("ok")
    ]


#: what a run's own totals came from, by run kind: a file import's file, a sync's API records
AGAINST = {"file": "the file", "sync": "the API"}


def summary(
    reconciliation: Mapping[str, Mapping] | None, kind: str = "file", number: NumberText | None = None
) -> str:
    """One line for the run history: "matches the file" (a sync: "matches the API") or what differs."""
    if not reconciliation:
        return ""
    against = AGAINST.get(kind, AGAINST["file"])
    diff = differences(reconciliation, number)
    return f"matches {against}" if not diff else f"differs from {against}: " + "; ".join(diff)


def _order(name: str) -> tuple:
    kind = name.split(" ")[0]
    rank = {"rows": 0, "gross": 1, "refunds": 2, "fees": 3}.get(kind, 4)
    return rank, name


def _number(value):
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent >= 0
            else float(value)
        )
    return value


def _text(value, number: NumberText | None = None) -> str:
    if number is not None:
        return number(value, 2 if isinstance(value, float) else 0)
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
