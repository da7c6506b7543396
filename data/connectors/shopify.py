"""Shopify Orders export -> payments (one row per ORDER) and customers (one row per email).

The export has one row per line item; the second and later rows of an order repeat ``Name``
and ``Created at`` and leave the order-level fields blank. Quoted cells (``Note Attributes``)
can span lines, so line numbers are counted from the cells themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions
from data.schema import conform

SOURCE = "shopify"
FORMATS = (
    "Shopify orders export (Name, Email, Financial Status, Paid at, Currency, Total, Lineitem name, ...)",
)

_REQUIRED = ("Name", "Financial Status", "Total", "Created at", "Lineitem name")
_OPTIONAL = (
    "Email",
    "Paid at",
    "Fulfillment Status",
    "Currency",
    "Subtotal",
    "Taxes",
    "Lineitem quantity",
    "Billing Country",
    "Refunded Amount",
    "Payment Method",
)
_TS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M %z", "%Y-%m-%d")
_STATUS = {
    "paid": "succeeded",
    "partially_refunded": "succeeded",
    "refunded": "refunded",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "voided": "failed",
    "expired": "failed",
}


def sniff(head: str) -> float:
    """Score a Shopify orders export by its header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield payments chunks (source_id = order Name; product = the line item's name, or ``multiple`` for several lines) and, at the end, one customers chunk."""
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "name": t.find_column(cols, "Name"),
        "email": t.find_column(cols, "Email"),
        "status": t.find_column(cols, "Financial Status"),
        "paid": t.find_column(cols, "Paid at"),
        "created": t.find_column(cols, "Created at"),
        "currency": t.find_column(cols, "Currency"),
        "total": t.find_column(cols, "Total"),
        "refunded": t.find_column(cols, "Refunded Amount"),
        "item": t.find_column(cols, "Lineitem name"),
        "billing_name": t.find_column(cols, "Billing Name"),
        "country": t.find_column(cols, "Billing Country", "Shipping Country"),
        "discount": t.find_column(cols, "Discount Code"),
        "cancelled": t.find_column(cols, "Cancelled at"),
    }
    t.missing_columns(
        path, "a Shopify orders export", cols, **{k: f[k] for k in ("name", "total", "created")}
    )
    rep = options.reporting_currency.upper()
    carry: pl.DataFrame | None = None
    customers: list[pl.DataFrame] = []
    for batch in reader.iter(options.batch_rows):
        if carry is not None:
            batch = pl.concat([carry, batch])
        # the last order may continue in the next batch: hold its rows back
        last = batch[f["name"]][-1]
        tail = batch[f["name"]] == last
        carry, batch = batch.filter(tail), batch.filter(~tail)
        if batch.height:
            chunk, cust = _orders(batch, f, rep)
            customers.append(cust)
            yield t.count_blank(chunk, reader.take_blank())
    if carry is not None and carry.height:
        chunk, cust = _orders(carry, f, rep)
        customers.append(cust)
        yield t.count_blank(chunk, reader.take_blank())
    if customers:
        yield _customers(pl.concat(customers))


def _orders(raw: pl.DataFrame, f: dict[str, str | None], rep: str) -> tuple[Chunk, pl.DataFrame]:
    name_col = f["name"]
    item_col = f["item"]
    lines = raw.group_by(name_col, maintain_order=True).agg(
        pl.len().alias("__items"),
        (pl.col(item_col).first() if item_col else pl.lit(None)).alias("__first_item"),
    )
    # the order-level row is the first one of each order (it carries Total / Financial Status)
    orders = raw.unique(subset=[name_col], keep="first", maintain_order=True).join(
        lines, on=name_col, how="left", maintain_order="left"
    )
    n = orders.height
    c = lambda key: t.col(orders, f[key])  # noqa: E731
    p, bad = t.parse_columns(
        orders,
        {
            "created": t.Spec("datetime", f["created"], _TS),
            "amount": t.Spec("money", f["total"]),
            "refunded": t.Spec("money", f["refunded"]),
            "currency": t.Spec("currency", f["currency"]),
        },
    )
    status = c("status").str.strip_chars().str.to_lowercase().replace_strict(_STATUS, default=None)
    status = pl.select(
        pl.when(pl.lit(c("cancelled")).is_not_null() & (pl.lit(status) != "refunded"))
        .then(pl.lit("failed"))
        .otherwise(pl.lit(status))
    ).to_series()
    refunded = pl.select(
        pl.when(pl.lit(status) == "refunded")
        .then(pl.coalesce(pl.lit(p["refunded"]), pl.lit(p["amount"])))
        .otherwise(pl.lit(p["refunded"]).fill_null(0))
        .cast(t.MONEY)
    ).to_series()
    amount = p["amount"]
    net = pl.select((pl.lit(amount) - pl.lit(refunded)).cast(t.MONEY)).to_series()
    product = pl.select(
        pl.when(pl.lit(orders["__items"]) > 1)
        .then(pl.lit("multiple"))
        .otherwise(pl.lit(orders["__first_item"]))
    ).to_series()
    email = t.normalise_email(c("email"))
    email_hash = t.email_hash(email)
    currency = p["currency"]
    checks = [
        t.Check(
            bad["created"] | p["created"].is_null(),
            "created",
            f["created"],
            t.reason_date("YYYY-MM-DD HH:MM:SS +hhmm"),
        ),
        t.Check(bad["amount"] | amount.is_null(), "amount", f["total"], t.reason_number),
        t.Check(bad["refunded"], "amount_refunded", f["refunded"], t.reason_number),
        t.Check(bad["currency"] | currency.is_null(), "currency", f["currency"], t.reason_currency),
        t.Check(status.is_null(), "status", f["status"], lambda v: f"unknown financial status {v!r}"),
        t.Check((amount < 0).fill_null(False), "amount", f["total"], t.reason_negative),
    ]
    chunk = t.build_chunk(
        "payments",
        SOURCE,
        orders.drop("__items", "__first_item"),
        {
            "source_id": c("name"),
            "created": p["created"],
            "kind": "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": refunded,
            "fee": None,
            "net": net,
            "currency": currency,
            "amount_reporting": t.reporting(amount, currency, rep),
            "refunded_reporting": t.reporting(refunded, currency, rep),
            "fee_reporting": None,
            "customer_id": email_hash,
            "customer_email_hash": email_hash,
            "customer_name": c("billing_name"),
            "product": product,
            "channel": t.channel_series(None, None, n),
            "campaign": None,
            "country": t.country_code(c("country")),
            "description": None,
        },
        checks,
        rows_read=raw.height,
    )
    # the second and later rows of an order are its further line items: read, not separate payments
    extra_items = raw.height - orders.height
    if extra_items:
        chunk.skipped["further line items of an order"] = extra_items
    cust = pl.DataFrame(
        {
            "email": email,
            "email_hash": email_hash,
            "name": c("billing_name"),
            "country": t.country_code(c("country")),
            "first_seen": p["created"],
        }
    ).filter(pl.col("email").is_not_null())
    return chunk, cust


def _customers(frame: pl.DataFrame) -> Chunk:
    """One customer per email over the whole file: earliest order, latest known name/country."""
    agg = (
        frame.sort("first_seen", nulls_last=True)
        .group_by("email_hash", maintain_order=True)
        .agg(
            pl.col("email").first(),
            pl.col("name").drop_nulls().last(),
            pl.col("country").drop_nulls().last(),
            pl.col("first_seen").min(),
        )
        .with_columns(pl.col("email_hash").alias("source_id"), pl.lit(SOURCE).alias("source"))
    )
    return Chunk(table="customers", frame=conform("customers", agg), rows_read=0, derived=True)
