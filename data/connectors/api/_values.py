"""Value conversions shared by the API connectors: vendor JSON values -> canonical Python values.

Every function returns None for "no value" (None, "", "n/a") and raises ``ValueError`` with a
readable message for a value that is present but unusable, so the connector can turn it into a
:class:`~data.connectors.base.RowError` instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import polars as pl

from data.connectors.base import Chunk, RowError
from data.schema import TABLES, conform

CENT = Decimal("0.01")
#: the scale of data.schema.PRECISE_MONEY (ad spend keeps the vendor's decimals)
PRECISE = Decimal("0.00000001")

#: Stripe's zero-decimal currencies: amounts are already whole units (¥1000 is sent as 1000).
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
#: Three-decimal currencies: minor unit is 1/1000 (Stripe requires the last digit to be 0).
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "n/a", "--", "-"))


def to_decimal(value: Any) -> Decimal | None:
    """An exact Decimal from a JSON number or numeric string (``"12.5"``, ``12.5``, ``"1e3"``)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        # str() first: Decimal(0.1) would keep the binary float's noise.
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def money(value: Any) -> Decimal | None:
    """Major-unit money rounded half-up to cents (the warehouse's DECIMAL(18,2))."""
    number = to_decimal(value)
    return None if number is None else number.quantize(CENT, rounding=ROUND_HALF_UP)


def precise_money(value: Any) -> Decimal | None:
    """Major-unit money kept to 8 decimals (``data.schema.PRECISE_MONEY``; Meta's ``spend``)."""
    number = to_decimal(value)
    return None if number is None else number.quantize(PRECISE, rounding=ROUND_HALF_UP)


def minor_to_major(amount: Any, currency: str | None) -> Decimal | None:
    """Stripe-style minor units -> major units, respecting zero- and three-decimal currencies."""
    number = to_decimal(amount)
    if number is None:
        return None
    code = (currency or "").upper()
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return (number.scaleb(-exponent)).quantize(CENT, rounding=ROUND_HALF_UP)


def micros_to_major(value: Any) -> Decimal | None:
    """Google Ads ``*_micros`` (int64, often a JSON string) -> major units, exactly (6 decimals)."""
    number = to_decimal(value)
    return None if number is None else number.scaleb(-6).quantize(PRECISE, rounding=ROUND_HALF_UP)


def to_int(value: Any) -> int | None:
    """An integer from a JSON number or string (``"1200"``, ``1200``, ``"1200.0"``)."""
    number = to_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(number)


def to_float(value: Any) -> float | None:
    """A float from a JSON number or string."""
    number = to_decimal(value)
    return None if number is None else float(number)


def from_unix(value: Any) -> dt.datetime | None:
    """Unix seconds -> naive UTC datetime."""
    number = to_int(value)
    if number is None:
        return None
    return dt.datetime.fromtimestamp(number, dt.UTC).replace(tzinfo=None)


def from_iso(value: Any) -> dt.datetime | None:
    """ISO 8601 text (``Z``, offsets, fractions, or epoch milliseconds as text) -> naive UTC datetime."""
    if _blank(value):
        return None
    text = str(value).strip()
    if text.isdigit():  # HubSpot sometimes hands back epoch milliseconds
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC).replace(tzinfo=None)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def to_date(value: Any) -> dt.date | None:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` -> date."""
    if _blank(value):
        return None
    text = str(value).strip()
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def currency_code(value: Any) -> str | None:
    """ISO 4217 upper case."""
    return None if _blank(value) else str(value).strip().upper()


def text(value: Any) -> str | None:
    """Stripped text or None."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def dig(obj: Any, *path: str, default: Any = None) -> Any:
    """``obj[a][b][c]`` tolerant of missing keys and nulls along the way."""
    for key in path:
        if not isinstance(obj, Mapping):
            return default
        obj = obj.get(key)
        if obj is None:
            return default
    return obj


#: the reason counted for a vendor record that maps to no row (a withdrawal, transfer, hold ...)
SKIPPED_BY_MAPPER = "not a row of this table (e.g. withdrawals, transfers, holds)"


class ChunkBuilder:
    """Collects mapped rows and row errors for one table and turns them into a :class:`Chunk`.

    ``row_number`` counts records for this table across the whole sync (1-based), so an ingest
    error can say "record 1234 of this sync" the way a file error names the line.
    """

    def __init__(self, table: str, source: str):
        self.table = table
        self.source = source
        self.spec = {"source": pl.Utf8, "source_id": pl.Utf8, **TABLES[table].columns}
        self.rows: list[dict[str, Any]] = []
        self.numbers: list[int] = []
        self.errors: list[RowError] = []
        self.read = 0
        self.total_read = 0
        #: records the mapper deliberately turned into no row, by reason (they count as read)
        self.skipped: dict[str, int] = {}

    def add(self, record_id: str | None, mapper, record: Any, raw_keys: Iterable[str] = ("id",)) -> None:
        """Map one vendor record with ``mapper(record) -> dict | list[dict] | None``; keep rows or a RowError."""
        self.read += 1
        self.total_read += 1
        try:
            row = mapper(record)
        except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
            raw = {k: None if dig(record, k) is None else str(dig(record, k)) for k in raw_keys}
            self.errors.append(
                RowError(self.total_read, getattr(exc, "column", None), f"{record_id or '?'}: {exc}", raw)
            )
            return
        # A mapper may return one row, several (one per subscription item) or None (skip).
        if row is None:
            self.skipped[SKIPPED_BY_MAPPER] = self.skipped.get(SKIPPED_BY_MAPPER, 0) + 1
        for one in [] if row is None else row if isinstance(row, list) else [row]:
            one["source"] = self.source
            self.rows.append(one)
            self.numbers.append(self.total_read)

    def flush(self) -> Chunk | None:
        """The pending rows as a Chunk (None if nothing was read since the last flush)."""
        if not self.read:
            return None
        frame = conform(self.table, pl.DataFrame(self.rows, schema=self.spec, orient="row"))
        chunk = Chunk(
            self.table,
            frame,
            errors=self.errors,
            rows_read=self.read,
            row_numbers=pl.Series("row_number", self.numbers, dtype=pl.Int64),
            skipped=self.skipped,
        )
        self.rows, self.numbers, self.errors, self.read, self.skipped = [], [], [], 0, {}
        return chunk


class FieldError(ValueError):
    """A ValueError that names the canonical column it was about (becomes RowError.column)."""

    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")
        self.column = column


def field(column: str, convert, value: Any) -> Any:
    """``convert(value)``, re-raising a ValueError as a :class:`FieldError` for ``column``."""
    try:
        return convert(value)
    except ValueError as exc:
        raise FieldError(column, str(exc)) from None
