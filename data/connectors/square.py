"""Square Dashboard "Transactions" export (CSV) -> payments rows.

The export has one row per payment and one per refund (``Event Type`` = ``Refund``, negative
amounts, the refunded payment's ``Payment ID``). Amounts carry a currency symbol and thousands
separators (``"$1,196.25"``, ``-$0.88``); fees are negative; the time zone is a Square display
name (``Pacific Time (US & Canada)``).

Refunds follow the contract the Stripe and Shopify connectors use: a refund row whose payment
is in the same file is folded into that payment's ``amount_refunded`` (and its returned fee
into the payment's fee). A refund of a payment from an earlier export becomes a separate
``kind = 'refund'`` line carrying the refunded money in ``amount``. ``Partial Refunds`` on a
payment row counts only when no refund row names that payment, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "square"
FORMATS = (
    "Square transactions export (Date, Time, Time Zone, Gross Sales, Total Collected, Fees, Payment ID, Event Type, ...)",
)

_REQUIRED = ("Date", "Time Zone", "Gross Sales", "Total Collected", ("Payment ID", "Transaction ID"))
_OPTIONAL = ("Time", "Net Sales", "Fees", "Net Total", "Event Type", "Partial Refunds", "Card Brand", "Tip")
_DATES = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d/%m/%Y")
#: Square writes Rails-style zone names; the common ones, mapped to IANA names
_ZONES = {
    "pacific time (us & canada)": "America/Los_Angeles",
    "mountain time (us & canada)": "America/Denver",
    "central time (us & canada)": "America/Chicago",
    "eastern time (us & canada)": "America/New_York",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
    "atlantic time (canada)": "America/Halifax",
    "london": "Europe/London",
    "dublin": "Europe/Dublin",
    "paris": "Europe/Paris",
    "madrid": "Europe/Madrid",
    "tokyo": "Asia/Tokyo",
    "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne",
    "brisbane": "Australia/Brisbane",
    "perth": "Australia/Perth",
    "utc": "UTC",
}
_STATUS = {"complete": "succeeded", "completed": "succeeded", "pending": "pending"}


def sniff(head: str) -> float:
    """Score a Square transactions export by its header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def _zone(name: str | None, default: str) -> str:
    """The IANA zone for a Square zone display name (the workspace's zone when unknown)."""
    if not name:
        return default
    key = name.strip().lower()
    if key in _ZONES:
        return _ZONES[key]
    return name.strip() if "/" in name else default


def _created(raw: pl.DataFrame, f: dict[str, str | None], default_tz: str) -> pl.Series:
    """Local ``Date`` + ``Time`` in each row's ``Time Zone`` -> naive UTC (null when unparseable)."""
    stamp = pl.select(
        pl.concat_str(
            [t.col(raw, f["date"]).str.strip_chars(), t.col(raw, f["time"]).fill_null("00:00:00")],
            separator=" ",
        )
    ).to_series()
    zones = t.col(raw, f["tz"])
    out = pl.Series("created", [None] * raw.height, dtype=pl.Datetime("us"))
    formats = [f"{d} %H:%M:%S" for d in _DATES]
    for zone_name in zones.unique().to_list():
        mask = zones.is_null() if zone_name is None else (zones == zone_name).fill_null(False)
        parsed = t.parse_datetime(stamp.filter(mask), formats, _zone(zone_name, default_tz))
        out = out.scatter(mask.arg_true(), parsed)
    return out


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield one payments chunk for the whole file.

    Refund rows must meet their payment, so the file is read whole (Square limits an export to
    a date range; even a busy shop's year is a few hundred thousand rows). Currency comes from
    the amounts' symbol (``$`` -> USD, ``€``, ``£`` ...), else the reporting currency.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "date": t.find_column(cols, "Date"),
        "time": t.find_column(cols, "Time"),
        "tz": t.find_column(cols, "Time Zone"),
        "total": t.find_column(cols, "Total Collected"),
        "partial": t.find_column(cols, "Partial Refunds"),
        "fees": t.find_column(cols, "Fees"),
        "txn": t.find_column(cols, "Transaction ID"),
        "payment": t.find_column(cols, "Payment ID"),
        "event": t.find_column(cols, "Event Type"),
        "status": t.find_column(cols, "Transaction Status"),
        "description": t.find_column(cols, "Description"),
        "customer": t.find_column(cols, "Customer ID"),
        "customer_name": t.find_column(cols, "Customer Name"),
        "location": t.find_column(cols, "Location"),
    }
    t.missing_columns(
        path,
        "a Square transactions export",
        cols,
        **{"Date": f["date"], "Total Collected": f["total"], "Payment ID": f["payment"] or f["txn"]},
    )
    batches = list(reader.iter(options.batch_rows))
    if not batches:
        return
    raw = pl.concat(batches)
    yield _payments(raw, f, options)


def _currency(total: pl.Series, reporting: str) -> pl.Series:
    """The currency a Square amount is written in, from its symbol or ISO prefix."""
    text = total.fill_null("").str.strip_chars().str.strip_chars_start("-+(")
    iso = text.str.extract(r"^([A-Z]{3})", 1)
    sym = text.str.extract(r"^(A\$|CA\$|C\$|\$|€|£|¥)", 1).replace_strict(
        {"$": None, "A$": "AUD", "CA$": "CAD", "C$": "CAD", "€": "EUR", "£": "GBP", "¥": "JPY"},
        default=None,
        return_dtype=pl.Utf8,
    )
    # "$" alone is the account's dollar: the reporting currency when that is a dollar, else USD
    dollar = reporting if reporting in ("USD", "CAD", "AUD", "NZD") else "USD"
    plain_dollar = text.str.starts_with("$")
    return pl.select(
        pl.when(pl.lit(iso).is_in(list(t.ISO_CURRENCIES)))
        .then(pl.lit(iso))
        .when(pl.lit(sym).is_not_null())
        .then(pl.lit(sym))
        .when(pl.lit(plain_dollar))
        .then(pl.lit(dollar))
        .otherwise(pl.lit(reporting))
    ).to_series()


#: ``$1,196.25``, ``-$0.88``, ``CA$12.00``: a symbol and thousands commas around a plain number
_US_STYLE = r"^-?(?:[A-Z]{1,2})?[$€£¥]\d{1,3}(?:,\d{3})*(?:\.\d+)?$"


def _plain_amounts(raw: pl.DataFrame, columns: list[str | None]) -> pl.DataFrame:
    """Strip the symbol and thousands commas from US-style amounts so they parse on the fast path.

    Other spellings (``1.234,56 €``) are left as written for the general number parser, which
    handles them but is much slower; Square's English exports write every amount US-style.
    """
    present = [c for c in columns if c is not None and c in raw.columns]
    return raw.with_columns(
        pl.when(pl.col(c).str.contains(_US_STYLE))
        .then(pl.col(c).str.replace_all(r"[A-Z$€£¥,]", ""))
        .otherwise(pl.col(c))
        .alias(c)
        for c in present
    )


def _payments(raw: pl.DataFrame, f: dict[str, str | None], options: ParseOptions) -> Chunk:
    n = raw.height
    rep = options.reporting_currency.upper()
    p, bad = t.parse_columns(
        _plain_amounts(raw, [f["total"], f["partial"], f["fees"]]),
        {
            "total": t.Spec("money", f["total"]),
            "partial": t.Spec("money", f["partial"]),
            "fees": t.Spec("money", f["fees"]),
        },
    )
    created = _created(raw, f, options.timezone)
    payment_id = t.col(raw, f["payment"]).fill_null(t.col(raw, f["txn"]))
    event = t.col(raw, f["event"]).fill_null("Payment").str.strip_chars().str.to_lowercase()
    is_refund = event.str.contains("refund")
    # fees are written negative on payments (a cost) and positive on refunds (returned)
    fee = (-p["fees"].fill_null(0)).cast(t.MONEY)
    total = p["total"]
    ok = ~(bad["total"] | total.is_null() | created.is_null())
    work = pl.DataFrame(
        {
            "pid": payment_id,
            "refund": is_refund,
            "ok": ok,
            "money": total.abs(),
            "fee": fee,
            "partial": (-p["partial"].fill_null(0)).cast(t.MONEY),
        }
    )
    payment_ids = work.filter(~pl.col("refund") & pl.col("ok"))["pid"]
    work = work.with_columns(pl.col("pid").is_in(payment_ids.implode()).alias("has_payment"))
    folded = (
        work.filter(pl.col("refund") & pl.col("has_payment") & pl.col("ok"))
        .group_by("pid")
        .agg(pl.col("money").sum().alias("ref_money"), pl.col("fee").sum().alias("ref_fee"))
    )
    work = work.join(folded, on="pid", how="left", maintain_order="left")
    is_sale = ~work["refund"]
    refunded = pl.select(
        pl.when(pl.lit(is_sale))
        .then(pl.coalesce(pl.lit(work["ref_money"]), pl.lit(work["partial"])))
        .otherwise(pl.lit(0))
        .cast(t.MONEY)
    ).to_series()
    fee_total = pl.select(
        (
            pl.lit(work["fee"])
            + pl.when(pl.lit(is_sale)).then(pl.lit(work["ref_fee"]).fill_null(0)).otherwise(0)
        ).cast(t.MONEY)
    ).to_series()
    amount = work["money"].cast(t.MONEY)
    net = pl.select(
        pl.when(pl.lit(is_sale))
        .then(pl.lit(amount) - pl.lit(refunded) - pl.lit(fee_total))
        .otherwise(-pl.lit(amount) - pl.lit(fee_total))
        .cast(t.MONEY)
    ).to_series()
    status_raw = t.col(raw, f["status"]).fill_null("Complete").str.strip_chars().str.to_lowercase()
    status = status_raw.replace_strict(_STATUS, default="failed", return_dtype=pl.Utf8)
    status = pl.select(
        pl.when(pl.lit(is_refund) & (pl.lit(status) == "succeeded"))
        .then(pl.lit("refunded"))
        .when(pl.lit(is_sale) & (pl.lit(status) == "succeeded") & (pl.lit(refunded) >= pl.lit(amount)))
        .then(pl.lit("refunded"))
        .otherwise(pl.lit(status))
    ).to_series()
    currency = _currency(t.col(raw, f["total"]), rep)
    # refunds folded into their payment are accounted there; the row itself is not stored
    keep = is_sale | ~work["has_payment"]
    source_id = pl.select(
        pl.when(pl.lit(is_refund))
        .then(pl.lit("refund:") + pl.lit(t.col(raw, f["txn"]).fill_null(payment_id)))
        .otherwise(pl.lit(payment_id))
    ).to_series()
    checks = [
        t.Check(created.is_null(), "created", f["date"], t.reason_date("YYYY-MM-DD with Time and Time Zone")),
        t.Check(bad["total"] | total.is_null(), "amount", f["total"], t.reason_number),
        t.Check(bad["fees"], "fee", f["fees"], t.reason_number),
        t.Check(bad["partial"], "amount_refunded", f["partial"], t.reason_number),
        t.Check(payment_id.is_null(), "source_id", f["payment"], lambda v: "no Payment ID or Transaction ID"),
        t.Check((is_sale & (total < 0)).fill_null(False), "amount", f["total"], t.reason_negative),
    ]
    customer = t.col(raw, f["customer"])
    return t.build_chunk(
        "payments",
        SOURCE,
        raw,
        {
            "source_id": source_id,
            "created": created,
            "kind": pl.select(
                pl.when(pl.lit(is_refund)).then(pl.lit("refund")).otherwise(pl.lit("charge"))
            ).to_series(),
            "status": status,
            "amount": amount,
            "amount_refunded": refunded,
            "fee": fee_total,
            "net": net,
            "currency": currency,
            "amount_reporting": t.reporting(amount, currency, rep),
            "refunded_reporting": t.reporting(refunded, currency, rep),
            "fee_reporting": t.reporting(fee_total, currency, rep),
            "customer_id": customer,
            "customer_email_hash": None,
            "customer_name": t.col(raw, f["customer_name"]),
            "product": t.col(raw, f["description"]),
            "channel": t.channel_series(None, None, n),
            "campaign": None,
            "country": None,
            "description": t.col(raw, f["location"]),
        },
        checks,
        keep=keep,
    )
