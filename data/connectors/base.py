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

#: Skip reasons shared by several connectors (shown to the user with their counts).
SKIP_BLANK = "blank lines"
SKIP_SUMMARY = "summary/total rows"
SKIP_NOT_A_ROW = "not a data row"
SKIP_DUPLICATE = "repeated ids in this file (the last row with an id wins)"
#: ad report rows of one campaign and day split by hour, device, age ... (data.connectors._ads)
SKIP_BREAKDOWN = "breakdown rows (hour, device, age ...) summed into one row per campaign and day"

#: ``payments.kind`` of a separate refund line (see :data:`REFUND_CONTRACT`).
REFUND_KIND = "refund"

REFUND_CONTRACT = """How a ``payments`` row says that money was refunded (every connector and the rollups follow it).

There are exactly two shapes, and a row uses one of them:

1. **A refund on the sale** (kind ``charge``; Stripe, Shopify and Gumroad files, the Stripe,
   Shopify and Square APIs): ``amount`` is what was charged and ``amount_refunded`` how much of
   it has been refunded so far (0 <= amount_refunded <= amount); ``status`` is ``refunded`` when
   all of it was.
2. **A separate refund line** (kind ``refund``; PayPal's ``Payment Refund`` rows, a generic
   file with a kind column): ``amount`` is the refunded money, POSITIVE, in major units;
   ``amount_refunded`` is 0; ``fee`` is the fee change (negative when the vendor gives fees
   back); ``net`` = -amount - fee (money leaving the balance). A refund line is not a sale: it
   adds nothing to gross revenue or to a customer's activity.

Refunds of a period = sum(amount_refunded) over sales + sum(amount) over refund lines
(``data.rollups``: ``IS_SALE`` / ``IS_REFUND``). ``data.ingest.validate`` quarantines a refund
line that puts its money in ``amount_refunded``, so a connector that breaks the contract shows
up as rejected rows (and a reconciliation difference), never as refunds that silently vanish.
"""


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
    file line. ``rows_read`` counts source rows consumed for this chunk (good, bad and skipped);
    ``skipped`` counts, per reason, the rows read that are deliberately not imported (memo rows,
    summary/total rows, blank lines ...), so every row read is accounted for:
    read = imported + rejected + skipped. ``derived`` marks rows made from rows another chunk
    already counted (Shopify's customers, built from its orders): they are stored but are no
    rows of the file.
    """

    table: str
    frame: pl.DataFrame
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    row_numbers: pl.Series | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    derived: bool = False
    #: canonical column -> the file's header it came from, so rejections name the user's column
    source_columns: dict[str, str] = field(default_factory=dict)


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
