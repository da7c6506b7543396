"""HubSpot CRM deals export (CSV) -> deals rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "hubspot"
FORMATS = ("HubSpot deals export (Record ID, Deal Name, Deal Stage, Amount, Create Date, Close Date, ...)",)

_REQUIRED = ("Record ID", "Deal Name", "Deal Stage")
_OPTIONAL = ("Amount", "Create Date", "Close Date", "Pipeline", "Deal owner")
_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%dT%H:%M:%S%.fZ",
)


def sniff(head: str) -> float:
    """Score a HubSpot deals export by its header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def _won(stage: pl.Series) -> pl.Series:
    """True for "Closed Won" (or internal id ``closedwon``), False for lost, null while open."""
    s = stage.str.to_lowercase().str.replace_all(r"[\s_-]", "")
    return pl.select(
        pl.when(s.str.contains("closedwon")).then(True).when(s.str.contains("closedlost")).then(False)
    ).to_series()


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield deals chunks.

    Dates are in the HubSpot account's time zone (``options.timezone``) and stored as UTC; without a
    currency column the reporting currency is assumed.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "id": t.find_column(cols, "Record ID", "Deal ID"),
        "name": t.find_column(cols, "Deal Name"),
        "stage": t.find_column(cols, "Deal Stage"),
        "pipeline": t.find_column(cols, "Pipeline"),
        "owner": t.find_column(cols, "Deal owner", "Deal Owner", "HubSpot Owner"),
        "amount": t.find_column(cols, "Amount", "Amount in company currency"),
        "currency": t.find_column(cols, "Currency", "Deal currency code"),
        "created": t.find_column(cols, "Create Date", "Created Date"),
        "closed": t.find_column(cols, "Close Date"),
    }
    t.missing_columns(
        path, "a HubSpot deals export", cols, **{"Record ID": f["id"], "Create Date": f["created"]}
    )
    dc = reader.separator == ";"
    rep = options.reporting_currency.upper()
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        p, bad = t.parse_columns(
            raw,
            {
                "amount": t.Spec("money", f["amount"]),
                "currency": t.Spec("currency", f["currency"]),
                "created_at": t.Spec("datetime", f["created"], _FORMATS, options.timezone),
                "closed_at": t.Spec("datetime", f["closed"], _FORMATS, options.timezone),
            },
            dc,
        )
        currency = p["currency"] if f["currency"] else pl.Series([rep] * n, dtype=pl.Utf8)
        stage = t.col(raw, f["stage"])
        checks = [
            t.Check(
                bad["created_at"] | p["created_at"].is_null(),
                "created_at",
                f["created"],
                t.reason_date("YYYY-MM-DD HH:MM"),
            ),
            t.Check(bad["closed_at"], "closed_at", f["closed"], t.reason_date("YYYY-MM-DD HH:MM")),
            t.Check(bad["amount"], "amount", f["amount"], t.reason_number),
            t.Check((p["amount"] < 0).fill_null(False), "amount", f["amount"], t.reason_negative),
            t.Check(bad["currency"] | currency.is_null(), "currency", f["currency"], t.reason_currency),
        ]
        yield t.build_chunk(
            "deals",
            SOURCE,
            raw,
            {
                "source_id": t.col(raw, f["id"]),
                "name": t.col(raw, f["name"]),
                "stage": stage,
                "pipeline": t.col(raw, f["pipeline"]),
                "owner": t.col(raw, f["owner"]),
                "amount": p["amount"],
                "currency": currency,
                "amount_reporting": t.reporting(p["amount"], currency, rep),
                "created_at": p["created_at"],
                "closed_at": p["closed_at"],
                "won": _won(stage),
            },
            checks,
            keep=t.col(raw, f["id"]).is_not_null(),
            skip_reason="rows without a Record ID",
            blank_rows=reader.take_blank(),
        )
