"""Any CSV/XLSX with a user mapping -> any canonical table.

``ParseOptions.mapping`` = ``{"table": "payments", "columns": {canonical: source header},
"defaults": {canonical: value}, "date_format": optional strftime format}``. Besides the
table's own columns, ``columns`` may map ``source_id``, ``customer_email`` (hashed into
``customer_email_hash``/``email_hash``), ``utm_source`` and ``utm_medium`` (mapped to
``channel``). Never auto-detected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import REFUND_KIND, Chunk, ParseOptions, UnrecognisedFile
from data.schema import MONEY, TABLES

SOURCE = "generic"
FORMATS = ("any CSV/XLSX with a column mapping",)

_DATETIMES = (
    *t.ISO_DATETIME,
    *t.ISO_DATE,
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S %z",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y%m%d",
)
_PSEUDO = ("source_id", "customer_email", "email", "utm_source", "utm_medium")
_DEFAULTS = {"payments": {"kind": "charge", "status": "succeeded"}}


def sniff(head: str) -> float:
    """The generic connector never claims a file by itself."""
    return 0.0


def _kind(dtype: pl.DataType) -> str:
    if dtype == MONEY:
        return "money"
    if dtype == pl.Datetime("us"):
        return "datetime"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Int64:
        return "int"
    if dtype == pl.Float64:
        return "float"
    if dtype == pl.Boolean:
        return "bool"
    return "str"


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield chunks for ``mapping["table"]``; mapped headers missing from the file raise UnrecognisedFile naming them.

    Rows without a mapped ``source_id`` get a stable hash of all their mapped values.
    """
    path = Path(path)
    mapping = options.mapping or {}
    table_name = mapping.get("table")
    if table_name not in TABLES or table_name == "ai_events":
        raise UnrecognisedFile(f"{path.name}: mapping names unknown table {table_name!r}")
    table = TABLES[table_name]
    columns: dict[str, str] = dict(mapping.get("columns") or {})
    defaults = {**_DEFAULTS.get(table_name, {}), **(mapping.get("defaults") or {})}
    unknown = [k for k in columns if k not in table.columns and k not in _PSEUDO]
    if unknown:
        raise UnrecognisedFile(
            f"{path.name}: mapping names unknown {table_name} column(s) {', '.join(unknown)}"
        )
    reader = t.CsvBatches(path)
    actual = {k: t.find_column(reader.columns, v) for k, v in columns.items()}
    lacking = [f"{columns[k]!r} (for {k})" for k, v in actual.items() if v is None]
    if lacking:
        raise UnrecognisedFile(
            f"{path.name}: mapped column(s) {', '.join(lacking)} not in the file; found: {', '.join(reader.columns)}"
        )
    date_formats = (mapping["date_format"],) if mapping.get("date_format") else _DATETIMES
    dc = reader.separator == ";"
    rep = options.reporting_currency.upper()
    specs = {}
    for name, dtype in table.columns.items():
        if name in actual:
            kind = "currency" if name == "currency" else _kind(dtype)
            fmts = date_formats if kind in ("datetime", "date") else ()
            specs[name] = t.Spec(kind, actual[name], fmts, options.timezone if kind == "datetime" else None)
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        p, bad = t.parse_columns(raw, specs, dc)
        values: dict[str, object] = {}
        for name, dtype in table.columns.items():
            if name in specs:
                values[name] = p[name]
                if name in defaults:
                    values[name] = p[name].fill_null(defaults[name])
            elif name in defaults:
                values[name] = pl.Series([defaults[name]] * n).cast(dtype)
        email_src = actual.get("customer_email") or actual.get("email")
        if email_src:
            h = t.email_hash(t.col(raw, email_src))
            for target in ("customer_email_hash", "email_hash"):
                if target in table.columns and target not in specs:
                    values[target] = h
            if "customer_id" in table.columns and "customer_id" not in values:
                values["customer_id"] = h
            if "email" in table.columns and "email" not in specs:
                values["email"] = t.normalise_email(t.col(raw, email_src))
        if (
            "channel" in table.columns
            and "channel" not in specs
            and ("utm_source" in actual or "utm_medium" in actual)
        ):
            values["channel"] = t.channel_series(
                t.col(raw, actual.get("utm_source")), t.col(raw, actual.get("utm_medium")), n
            )
        if table_name == "payments":
            values = _payment_defaults(values, n)
        if "currency" in values and isinstance(values["currency"], pl.Series):
            for amount_col, ccy_col, rep_col in table.money:
                if amount_col in values and rep_col not in specs:
                    values[rep_col] = t.reporting(values[amount_col], values[ccy_col], rep)  # type: ignore[arg-type]
        if "source_id" in actual:
            values["source_id"] = t.col(raw, actual["source_id"])
        else:
            used = [t.col(raw, v) for v in dict.fromkeys(actual.values())]
            values["source_id"] = t.stable_id(*used)
        checks = []
        for name, spec in specs.items():
            reason = t.reason_number
            if spec.kind in ("datetime", "date"):
                reason = t.reason_date(" or ".join(date_formats[:3]))
            elif spec.kind == "currency":
                reason = t.reason_currency
            checks.append(t.Check(bad[name], name, spec.source, reason))
        for name in table.required:
            if name in values and isinstance(values[name], pl.Series):
                checks.append(
                    t.Check(
                        values[name].is_null(), name, actual.get(name), lambda v: "required value missing"
                    )
                )
        for name in table.non_negative:
            if name in values and isinstance(values[name], pl.Series):
                checks.append(
                    t.Check((values[name] < 0).fill_null(False), name, actual.get(name), t.reason_negative)
                )
        missing_required = [r for r in table.required if r not in values]
        if missing_required:
            raise UnrecognisedFile(
                f"{path.name}: mapping gives no column or default for required {', '.join(missing_required)}"
            )
        yield t.build_chunk(table_name, SOURCE, raw, values, checks, blank_rows=reader.take_blank())


def _payment_defaults(values: dict[str, object], n: int) -> dict[str, object]:
    """Fill refunds/fee with 0 and net = amount - refunded - fee when the file does not say.

    A mapped ``kind`` column is lower-cased; its ``refund`` rows follow
    ``base.REFUND_CONTRACT`` (the refunded money positive in ``amount``, nothing in
    ``amount_refunded``, net = -amount - fee), whichever sign the file gives the amount.
    """
    if "amount" not in values:
        return values
    zero = pl.Series([0] * n).cast(MONEY)
    refunded = values.get("amount_refunded")
    fee = values.get("fee")
    refunded = refunded.fill_null(0).cast(MONEY) if isinstance(refunded, pl.Series) else zero
    fee_s = fee.fill_null(0).cast(MONEY) if isinstance(fee, pl.Series) else zero
    kind = values.get("kind")
    if isinstance(kind, pl.Series):
        kind = kind.str.strip_chars().str.to_lowercase()
        values["kind"] = kind
        is_refund = (kind == REFUND_KIND).fill_null(False)
        amount = values["amount"]
        values["amount"] = pl.select(
            pl.when(pl.lit(is_refund)).then(pl.lit(amount).abs()).otherwise(pl.lit(amount)).cast(MONEY)
        ).to_series()
        refunded = pl.select(
            pl.when(pl.lit(is_refund)).then(0).otherwise(pl.lit(refunded)).cast(MONEY)
        ).to_series()
        if "net" not in values:
            values["net"] = pl.select(
                pl.when(pl.lit(is_refund))
                .then(-pl.lit(values["amount"]) - pl.lit(fee_s))
                .otherwise(pl.lit(values["amount"]) - pl.lit(refunded) - pl.lit(fee_s))
                .cast(MONEY)
            ).to_series()
    values["amount_refunded"] = refunded
    if "net" not in values:
        amount = values["amount"]
        values["net"] = pl.select((pl.lit(amount) - pl.lit(refunded) - pl.lit(fee_s)).cast(MONEY)).to_series()
    values.setdefault("channel", "Direct")
    return values
