"""Gumroad sales export (CSV) -> payments rows. The last row (``Totals``) is a summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import SKIP_SUMMARY, Chunk, ParseOptions

SOURCE = "gumroad"
FORMATS = (
    "Gumroad sales export (Purchase ID, Item Name, Purchase Email, Purchase Date, Sale Price ($), ...)",
)

_REQUIRED = ("Purchase ID", "Item Name", "Purchase Date")
_OPTIONAL = (
    "Buyer Email",
    "Purchase Email",
    "Refunded?",
    "Fully Refunded?",
    "Product ID",
    "Order Number",
    "Quantity",
    "UTM Source",
)
_DATES = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y",
    "%Y-%m-%dT%H:%M:%SZ",
)


def sniff(head: str) -> float:
    """Score a Gumroad sales export by its header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield payments chunks.

    amount = Sale Price, fee = Fees, refunds from ``Fully Refunded?`` / ``Partial Refund``; the currency
    comes from the money headers (``($)`` -> USD).
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    price = t.find_column_prefix(cols, "Sale Price")
    f = {
        "id": t.find_column(cols, "Purchase ID"),
        "item": t.find_column(cols, "Item Name"),
        "buyer": t.find_column(cols, "Buyer Name"),
        "email": t.find_column(cols, "Purchase Email", "Buyer Email"),
        "email2": t.find_column(cols, "Buyer Email"),
        "date": t.find_column(cols, "Purchase Date"),
        "time": t.find_column(cols, "Purchase Time (UTC timezone)", "Purchase Time"),
        "price": price,
        "fees": t.find_column_prefix(cols, "Fees"),
        "partial": t.find_column_prefix(cols, "Partial Refund"),
        "full": t.find_column(cols, "Fully Refunded?"),
        "refunded": t.find_column(cols, "Refunded?"),
        "country": t.find_column(cols, "Buyer Country Code", "Country Code", "Buyer Country"),
        "utm_source": t.find_column(cols, "UTM Source"),
        "utm_medium": t.find_column(cols, "UTM Medium"),
        "utm_campaign": t.find_column(cols, "UTM Campaign"),
    }
    t.missing_columns(path, "a Gumroad sales export", cols, **{"Purchase ID": f["id"], "Sale Price": price})
    currency_code = t.currency_from_header(price or "") or options.reporting_currency.upper()
    rep = options.reporting_currency.upper()
    first_col = cols[0]
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023
        keep = ~t.col(raw, first_col).fill_null("").str.strip_chars().str.starts_with("Totals")
        stamp = c("date")
        if f["time"]:
            stamp = pl.select(
                pl.when(pl.lit(c("time")).is_not_null())
                .then(pl.concat_str([pl.lit(c("date")), pl.lit(c("time"))], separator=" "))
                .otherwise(pl.lit(c("date")))
            ).to_series()
        created = t.parse_datetime(stamp, _DATES)
        p, bad = t.parse_columns(
            raw,
            {
                "amount": t.Spec("money", f["price"]),
                "fee": t.Spec("money", f["fees"]),
                "partial": t.Spec("money", f["partial"]),
                "full": t.Spec("bool", f["full"]),
            },
        )
        full = p["full"].fill_null(False)
        amount = p["amount"]
        money = pl.DataFrame(
            {"amount": amount, "fee": p["fee"], "partial": p["partial"], "full": full}
        ).select(
            pl.when("full")
            .then("amount")
            .otherwise(pl.col("partial").fill_null(0))
            .cast(t.MONEY)
            .alias("refunded"),
            pl.col("fee").fill_null(0).cast(t.MONEY).alias("fee"),
        )
        net = pl.select(
            (pl.lit(amount) - pl.lit(money["refunded"]) - pl.lit(money["fee"])).cast(t.MONEY)
        ).to_series()
        status = pl.select(
            pl.when(pl.lit(full)).then(pl.lit("refunded")).otherwise(pl.lit("succeeded"))
        ).to_series()
        email_hash = t.email_hash(c("email").fill_null(c("email2")))
        currency = pl.Series([currency_code] * n, dtype=pl.Utf8)
        checks = [
            t.Check(created.is_null(), "created", f["date"], t.reason_date("YYYY-MM-DD with Purchase Time")),
            t.Check(bad["amount"] | amount.is_null(), "amount", f["price"], t.reason_number),
            t.Check(bad["fee"], "fee", f["fees"], t.reason_number),
            t.Check((amount < 0).fill_null(False), "amount", f["price"], t.reason_negative),
        ]
        yield t.build_chunk(
            "payments",
            SOURCE,
            raw,
            {
                "source_id": c("id"),
                "created": created,
                "kind": "charge",
                "status": status,
                "amount": amount,
                "amount_refunded": money["refunded"],
                "fee": money["fee"],
                "net": net,
                "currency": currency,
                "amount_reporting": t.reporting(amount, currency, rep),
                "refunded_reporting": t.reporting(money["refunded"], currency, rep),
                "fee_reporting": t.reporting(money["fee"], currency, rep),
                "customer_id": email_hash,
                "customer_email_hash": email_hash,
                "customer_name": c("buyer"),
                "product": c("item"),
                "channel": t.channel_series(c("utm_source"), c("utm_medium"), n),
                "campaign": c("utm_campaign"),
                "country": t.country_code(c("country")),
                "description": c("item"),
            },
            checks,
            keep=keep,
            skip_reason=SKIP_SUMMARY,
            blank_rows=reader.take_blank(),
        )
