"""The contract between connectors and the ingest layer.

A connector turns one vendor file (or one API sync) into a stream of :class:`Chunk` objects:
canonical rows for one warehouse table plus the rows it could not use, each with a reason.
It never touches the warehouse; ``data.ingest`` validates, converts currencies, upserts the
whole stream in one transaction and records the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl


class UnrecognisedFile(ValueError):
    """The file is not in any format we know (or not the one the user named); refused whole."""


@dataclass(frozen=True)
class RowError:
    """One source row that was rejected, and why.

    Row numbers are 1-based lines of the file (the header is line 1 for plain CSVs; preamble
    lines count too). For API syncs it is the record's position in the sync.
    """

    row_number: int
    column: str | None
    reason: str
    raw: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Chunk:
    """A batch of canonical rows for ``table`` plus the rows rejected while producing it.

    ``frame`` holds ``source``, ``source_id`` and the table's own columns (see data.schema);
    ``row_numbers`` (optional, same length as frame) lets ingest validation errors name the
    file line. ``rows_read`` counts source rows consumed for this chunk (good and bad).
    """

    table: str
    frame: pl.DataFrame
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    row_numbers: pl.Series | None = None


@dataclass(frozen=True)
class ParseOptions:
    """What a parser may need to know about the workspace it imports into."""

    reporting_currency: str = "USD"
    timezone: str = "UTC"
    #: for the generic connector: {"table": "...", "columns": {canonical: source header}, ...}
    mapping: dict | None = None
    #: rows per chunk for streaming parsers
    batch_rows: int = 500_000


class FileConnector(Protocol):
    """What every file connector module exposes (module-level functions)."""

    SOURCE: str

    def sniff(self, head: str) -> float:
        """Score in [0, 1] how sure we are that a file starting with ``head`` is ours."""

    def parse(self, path: Path, options: ParseOptions) -> Iterator[Chunk]:
        """Yield canonical chunks. Raise UnrecognisedFile if the file is not ours after all."""
