"""Pipedrive deals export (CSV or XLSX from a deals list view) -> deals rows.

Pipedrive names each column after its entity (``Deal - Title``, ``Deal - Value``,
``Organization - Name``); some exports drop the prefix, so both spellings are accepted.
``Deal - Status`` is ``Open``, ``Won``, ``Lost`` or ``Deleted`` (deleted deals are skipped);
values may carry thousands separators (``12,500.00``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "pipedrive"
FORMATS = (
    "Pipedrive deals export (Deal - ID, Deal - Title, Deal - Value, Deal - Status, Deal - Deal created, ...)",
)

_DATETIMES = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y",
)


def _names(field: str) -> tuple[str, str]:
    """A deal field's header with and without Pipedrive's ``Deal - `` prefix."""
    return (f"Deal - {field}", field)


_REQUIRED = (
    ("Deal - Title", "Title"),
    ("Deal - Status", "Status"),
    ("Deal - Deal created", "Deal created", "Deal - Add time"),
)
_OPTIONAL = (
    "Deal - ID",
    "Deal - Value",
    "Deal - Currency",
    "Deal - Stage",
    "Deal - Pipeline",
    "Deal - Owner",
)


def sniff(head: str) -> float:
    """Score a Pipedrive deals export by its ``Deal - ...`` header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def _won(status: pl.Series) -> pl.Series:
    """True for Won, False for Lost, null while open."""
    low = status.fill_null("").str.strip_chars().str.to_lowercase()
    return pl.select(pl.when(low == "won").then(True).when(low == "lost").then(False)).to_series()


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield deals chunks.

    Times are in the exporting user's time zone (``options.timezone``) and stored as UTC; closed = ``Deal
    closed on``, else Won time / Lost time. Without a currency column the reporting currency is assumed.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "id": t.find_column(cols, *_names("ID")),
        "title": t.find_column(cols, *_names("Title")),
        "value": t.find_column(cols, *_names("Value")),
        "currency": t.find_column(cols, *_names("Currency")),
        "stage": t.find_column(cols, *_names("Stage")),
        "pipeline": t.find_column(cols, *_names("Pipeline")),
        "owner": t.find_column(cols, *_names("Owner")),
        "status": t.find_column(cols, *_names("Status")),
        "created": t.find_column(cols, *_names("Deal created"), *_names("Add time")),
        "closed": t.find_column(cols, *_names("Deal closed on"), *_names("Close time")),
        "won_time": t.find_column(cols, *_names("Won time")),
        "lost_time": t.find_column(cols, *_names("Lost time")),
    }
    t.missing_columns(
        path,
        "a Pipedrive deals export",
        cols,
        **{"Deal - Title": f["title"], "Deal - Status": f["status"], "Deal - Deal created": f["created"]},
    )
    dc = reader.separator == ";"
    rep = options.reporting_currency.upper()
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        tz = options.timezone
        p, bad = t.parse_columns(
            raw,
            {
                "amount": t.Spec("money", f["value"]),
                "currency": t.Spec("currency", f["currency"]),
                "created_at": t.Spec("datetime", f["created"], _DATETIMES, tz),
                "closed": t.Spec("datetime", f["closed"], _DATETIMES, tz),
                "won_time": t.Spec("datetime", f["won_time"], _DATETIMES, tz),
                "lost_time": t.Spec("datetime", f["lost_time"], _DATETIMES, tz),
            },
            dc,
        )
        status = t.col(raw, f["status"])
        won = _won(status)
        closed_at = pl.select(
            pl.coalesce(pl.lit(p["closed"]), pl.lit(p["won_time"]), pl.lit(p["lost_time"]))
        ).to_series()
        currency = p["currency"].fill_null(rep) if f["currency"] else pl.Series([rep] * n, dtype=pl.Utf8)
        title = t.col(raw, f["title"])
        source_id = t.col(raw, f["id"]).fill_null(t.stable_id(title, t.col(raw, f["created"])))
        checks = [
            t.Check(
                bad["created_at"] | p["created_at"].is_null(),
                "created_at",
                f["created"],
                t.reason_date("YYYY-MM-DD HH:MM:SS"),
            ),
            t.Check(bad["closed"], "closed_at", f["closed"], t.reason_date("YYYY-MM-DD HH:MM:SS")),
            t.Check(bad["amount"], "amount", f["value"], t.reason_number),
            t.Check((p["amount"] < 0).fill_null(False), "amount", f["value"], t.reason_negative),
            t.Check(bad["currency"], "currency", f["currency"], t.reason_currency),
            t.Check(
                won.is_not_null() & closed_at.is_null(),
                "closed_at",
                f["closed"],
                lambda v: "closed deal without a close time",
            ),
        ]
        deleted = status.fill_null("").str.strip_chars().str.to_lowercase() == "deleted"
        yield t.build_chunk(
            "deals",
            SOURCE,
            raw,
            {
                "source_id": source_id,
                "name": title,
                "stage": t.col(raw, f["stage"]),
                "pipeline": t.col(raw, f["pipeline"]),
                "owner": t.col(raw, f["owner"]),
                "amount": p["amount"],
                "currency": currency,
                "amount_reporting": t.reporting(p["amount"], currency, rep),
                "created_at": p["created_at"],
                "closed_at": closed_at,
                "won": won,
            },
            checks,
            keep=~deleted,
        )
