"""Spreadsheet-safe text for the report writers: one escape, shared with every other export.

A value from a vendor export (a campaign named ``=HYPERLINK(...)``) must never become a live
formula in a file we hand to a user (CSV/formula injection, OWASP). The rule lives in
:mod:`dashboard.csv_safe`; this module gives the report writers its per-cell form and the same
rule as SQL for exports streamed straight out of the warehouse.
"""

from __future__ import annotations

from dashboard.csv_safe import FORMULA_STARTS
from dashboard.csv_safe import safe_cell as safe_text

__all__ = ["FORMULA_STARTS", "safe_text", "safe_text_sql"]


def safe_text_sql(column: str) -> str:
    """The SQL form of :func:`safe_text` for a VARCHAR column (DuckDB), used by streamed exports."""
    starts = ", ".join(f"chr({ord(ch)})" for ch in FORMULA_STARTS)
    return (
        f"CASE WHEN left({column}, 1) IN ({starts}) "
        f"AND TRY_CAST(trim({column}) AS DOUBLE) IS NULL THEN '''' || {column} ELSE {column} END"
    )
