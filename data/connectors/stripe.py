"""Stripe dashboard exports.

Payments (``unified_payments.csv``, old and new headers) -> payments, Subscriptions -> subscriptions,
Customers -> customers.

The payments parser is the one that meets multi-GB files: it reads only the columns it needs,
streams batches, and stays in vectorised polars expressions (no Python per row unless a row
is bad).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions, UnrecognisedFile

SOURCE = "stripe"
FORMATS = (
    "Stripe payments (id, Created date (UTC), Amount, Amount Refunded, Currency, Status, ...)",
    "Stripe subscriptions (id, Customer ID, Status, Amount, Interval, Start (UTC), ...)",
    "Stripe customers (id, Email, Name, Created (UTC), Delinquent, ...)",
)

_CREATED = ("Created date (UTC)", "Created (UTC)", "Created")
_PAY_REQUIRED = ("id", "Amount", "Currency", "Status", _CREATED)
_PAY_OPTIONAL = (
    "Amount Refunded",
    "Converted Amount",
    "Converted Currency",
    "Fee",
    "Customer ID",
    "Customer Email",
    "Captured",
    "Description",
    "Mode",
    "Payment Source Type",
)
_SUB_REQUIRED = (
    "id",
    "Customer ID",
    "Status",
    "Interval",
    ("Start (UTC)", "Start Date (UTC)", "Created (UTC)"),
)
_SUB_OPTIONAL = ("Amount", "Current Period End (UTC)", "Trial End (UTC)", "Canceled At (UTC)", "Plan")
_CUS_REQUIRED = ("id", "Email", "Created (UTC)", "Delinquent")
_CUS_OPTIONAL = ("Name", "Description", "Total Spend", "Payment Count", "Account Balance", "Plan")

#: rows per converted batch; smaller than the default chunk so reading and converting overlap
_PIPELINE_ROWS = 250_000
_STRIPE_TS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%d/%m/%Y %H:%M")


def _kind(head: str) -> tuple[str | None, float]:
    scores = {
        "payments": t.header_score(head, _PAY_REQUIRED, _PAY_OPTIONAL, max_lines=2),
        "subscriptions": t.header_score(head, _SUB_REQUIRED, _SUB_OPTIONAL, max_lines=2),
        "customers": t.header_score(head, _CUS_REQUIRED, _CUS_OPTIONAL, max_lines=2),
    }
    best = max(scores, key=lambda k: scores[k])
    return (best if scores[best] >= 0.6 else None), scores[best]


def sniff(head: str) -> float:
    """Score how sure we are that ``head`` starts a Stripe payments/subscriptions/customers export."""
    return _kind(head)[1]


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Parse any of the three Stripe exports (chosen by header) into canonical chunks."""
    path = Path(path)
    kind, _ = _kind(t.read_head(path))
    if kind == "payments":
        yield from parse_payments(path, options)
    elif kind == "subscriptions":
        yield from parse_subscriptions(path, options)
    elif kind == "customers":
        yield from parse_customers(path, options)
    else:
        raise UnrecognisedFile(f"{path.name}: not a Stripe export; expected one of: {'; '.join(FORMATS)}")


# --------------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------------

_STATUS = {
    "paid": "succeeded",
    "succeeded": "succeeded",
    "refunded": "refunded",
    "failed": "failed",
    "canceled": "failed",
    "cancelled": "failed",
    "pending": "pending",
    "processing": "pending",
    "uncaptured": "pending",
    "requires_capture": "pending",
}


def parse_payments(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Stripe Payments export -> ``payments`` chunks (kind ``charge``; status ``succeeded``, ``refunded``, ``failed`` or ``pending``).

    Rows without an id are incomplete PaymentIntents: skipped silently but counted.
    """
    reader = t.CsvBatches(Path(path))
    cols = reader.columns
    f = {
        "id": t.find_column(cols, "id"),
        "created": t.find_column(cols, *_CREATED),
        "amount": t.find_column(cols, "Amount"),
        "refunded": t.find_column(cols, "Amount Refunded"),
        "currency": t.find_column(cols, "Currency"),
        "conv_amount": t.find_column(cols, "Converted Amount"),
        "conv_refunded": t.find_column(cols, "Converted Amount Refunded"),
        "conv_currency": t.find_column(cols, "Converted Currency"),
        "fee": t.find_column(cols, "Fee"),
        "status": t.find_column(cols, "Status"),
        "description": t.find_column(cols, "Description"),
        "customer_id": t.find_column(cols, "Customer ID"),
        "email": t.find_column(cols, "Customer Email"),
        "name": t.find_column(cols, "Customer Name", "Customer Description"),
        "product": t.find_column(cols, "product (metadata)", "Product (metadata)", "product_name (metadata)"),
        "utm_source": t.find_column(cols, "UTM Source", "utm_source (metadata)"),
        "utm_medium": t.find_column(cols, "UTM Medium", "utm_medium (metadata)"),
        "utm_campaign": t.find_column(cols, "UTM Campaign", "utm_campaign (metadata)"),
        "country": t.find_column(cols, "Card Address Country"),
        "issue_country": t.find_column(cols, "Card Issue Country"),
    }
    t.missing_columns(
        path,
        "a Stripe payments export",
        cols,
        **{k: f[k] for k in ("id", "created", "amount", "currency", "status")},
    )
    decimal_comma = reader.separator == ";"  # Excel re-saves in EU locales
    select = [c for c in dict.fromkeys(v for v in f.values() if v is not None)]
    reporting_ccy = options.reporting_currency.upper()
    # Pipeline: convert one batch in a worker thread while polars reads the next (both release
    # the GIL), so reading and converting overlap on multi-core machines.
    batches = reader.iter(min(options.batch_rows, _PIPELINE_ROWS), select=select, exact_lines=False)
    cache = t.HashCache()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for raw in batches:
            future = pool.submit(
                _payments_chunk, raw, f, decimal_comma, reporting_ccy, cache, reader.take_blank()
            )
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


def _payments_chunk(
    raw: pl.DataFrame,
    f: dict[str, str | None],
    dc: bool,
    reporting_ccy: str,
    cache: t.HashCache | None = None,
    blank_rows: int = 0,
) -> Chunk:
    n = raw.height
    c = lambda key: t.col(raw, f[key])  # noqa: E731 - local shorthand
    ids = c("id")
    keep = ids.is_not_null()

    p, bad = t.parse_columns(
        raw,
        {
            "created": t.Spec("datetime", f["created"], _STRIPE_TS),
            "amount": t.Spec("money", f["amount"]),
            "refunded": t.Spec("money", f["refunded"]),
            "fee": t.Spec("money", f["fee"]),
            "currency": t.Spec("currency", f["currency"]),
            "conv_currency": t.Spec("currency", f["conv_currency"]),
            "conv_amount": t.Spec("money", f["conv_amount"]),
            "conv_refunded": t.Spec("money", f["conv_refunded"]),
        },
        dc,
    )
    status_raw = c("status")
    status = t.map_unique(
        status_raw, lambda u: u.str.strip_chars().str.to_lowercase().replace_strict(_STATUS, default=None)
    )
    frame = p.with_columns(status=status)
    rep = pl.col("conv_currency") == reporting_ccy
    orig = pl.col("currency") == reporting_ccy
    money = frame.with_columns(
        # a refund row may leave Amount Refunded empty; fully refunded means the whole amount
        pl.when(pl.col("status") == "refunded")
        .then(pl.coalesce("refunded", "amount"))
        .otherwise(pl.col("refunded").fill_null(0))
        .cast(t.MONEY)
        .alias("amount_refunded"),
        pl.when(pl.col("status") == "refunded")
        .then(pl.coalesce("conv_refunded", "conv_amount"))
        .otherwise(pl.col("conv_refunded").fill_null(0))
        .cast(t.MONEY)
        .alias("conv_refunded"),
        # Stripe states the fee in the account's settlement (converted) currency; bring it back
        # to the charge currency with the rate the file implies, so fee and net share `currency`
        pl.when(pl.col("conv_currency").is_null() | (pl.col("conv_currency") == pl.col("currency")))
        .then(pl.col("fee").fill_null(0))
        .when(pl.col("conv_amount").cast(pl.Float64) > 0)
        .then(
            (
                pl.col("fee").fill_null(0).cast(pl.Float64)
                * pl.col("amount").cast(pl.Float64)
                / pl.col("conv_amount").cast(pl.Float64)
            ).round(2)
        )
        .otherwise(0)
        .cast(t.MONEY)
        .alias("fee_orig"),
    ).select(
        "amount_refunded",
        pl.col("fee_orig").alias("fee"),
        pl.when(pl.col("status") == "failed")
        .then(pl.lit(0, dtype=t.MONEY))
        .otherwise(pl.col("amount") - pl.col("amount_refunded") - pl.col("fee_orig"))
        .cast(t.MONEY)
        .alias("net"),
        pl.when(rep).then("conv_amount").when(orig).then("amount").alias("amount_reporting"),
        pl.when(rep).then("conv_refunded").when(orig).then("amount_refunded").alias("refunded_reporting"),
        pl.when(rep | (orig & pl.col("conv_currency").is_null()))
        .then(pl.col("fee").fill_null(0))
        .when(orig)
        .then("fee_orig")
        .cast(t.MONEY)
        .alias("fee_reporting"),
    )
    amount_refunded = money["amount_refunded"]
    fee = money["fee"]
    net = money["net"]

    email = c("email")
    email_hash = t.email_hash(email, cache) if f["email"] else pl.Series([None] * n, dtype=pl.Utf8)
    cust = c("customer_id")
    customer_id = cust.fill_null(email_hash) if f["customer_id"] else email_hash
    description = c("description")
    product = c("product").fill_null(description) if f["product"] else description
    country = t.map_unique(c("country").fill_null(c("issue_country")), t.country_code)

    created = p["created"]
    amount = p["amount"]
    currency = p["currency"]
    checks = [
        t.Check(
            bad["created"] | created.is_null(),
            "created",
            f["created"],
            t.reason_date("YYYY-MM-DD HH:MM[:SS]"),
        ),
        t.Check(bad["amount"] | amount.is_null(), "amount", f["amount"], t.reason_number),
        t.Check(bad["refunded"], "amount_refunded", f["refunded"], t.reason_number),
        t.Check(bad["fee"], "fee", f["fee"], t.reason_number),
        t.Check(bad["currency"] | currency.is_null(), "currency", f["currency"], t.reason_currency),
        t.Check(
            status.is_null(),
            "status",
            f["status"],
            lambda v: f"unknown status {v!r} (expected Paid, Refunded or Failed)",
        ),
        t.Check((amount < 0).fill_null(False), "amount", f["amount"], t.reason_negative),
    ]
    return t.build_chunk(
        "payments",
        SOURCE,
        raw,
        {
            "source_id": ids,
            "created": created,
            "kind": "charge",
            "status": status,
            "amount": amount,
            "amount_refunded": amount_refunded,
            "fee": fee,
            "net": net,
            "currency": currency,
            "amount_reporting": money["amount_reporting"],
            "refunded_reporting": money["refunded_reporting"],
            "fee_reporting": money["fee_reporting"],
            "customer_id": customer_id,
            "customer_email_hash": email_hash,
            "customer_name": c("name"),
            "product": product,
            "channel": t.channel_series(c("utm_source"), c("utm_medium"), n),
            "campaign": c("utm_campaign"),
            "country": country,
            "description": description,
        },
        checks,
        keep=keep,
        skip_reason="incomplete payments without an id",
        blank_rows=blank_rows,
    )


# --------------------------------------------------------------------------------------------
# Subscriptions
# --------------------------------------------------------------------------------------------

_SUB_STATUS = {
    "active": "active",
    "trialing": "trialing",
    "past_due": "past_due",
    "unpaid": "past_due",
    "incomplete": "past_due",
    "canceled": "canceled",
    "cancelled": "canceled",
    "paused": "canceled",
    "incomplete_expired": "ended",
    "ended": "ended",
}
_INTERVAL = {
    "day": "day",
    "daily": "day",
    "week": "week",
    "weekly": "week",
    "month": "month",
    "monthly": "month",
    "year": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}
#: months per interval unit, to normalise amounts to MRR
_MONTHS = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}


def parse_subscriptions(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Stripe Subscriptions export -> ``subscriptions`` chunks.

    ``amount`` is Amount x Quantity (per interval), ``mrr`` that amount per month. When the export has no
    Currency column the workspace's reporting currency is assumed (Stripe bills in the account currency).
    """
    reader = t.CsvBatches(Path(path))
    cols = reader.columns
    f = {
        "id": t.find_column(cols, "id"),
        "customer_id": t.find_column(cols, "Customer ID", "Customer"),
        "email": t.find_column(cols, "Customer Email"),
        "status": t.find_column(cols, "Status"),
        "plan": t.find_column(cols, "Plan", "Plan Name", "Product", "Price ID", "Plan ID", "plan (metadata)"),
        "amount": t.find_column(cols, "Amount", "Plan Amount", "Price"),
        "currency": t.find_column(cols, "Currency", "Plan Currency"),
        "interval": t.find_column(cols, "Interval", "Plan Interval"),
        "interval_count": t.find_column(cols, "Interval Count", "Plan Interval Count"),
        "quantity": t.find_column(cols, "Quantity"),
        "start": t.find_column(cols, "Start (UTC)", "Start Date (UTC)", "Created (UTC)"),
        "ended": t.find_column(cols, "Ended At (UTC)"),
        "canceled": t.find_column(cols, "Canceled At (UTC)"),
        "trial_end": t.find_column(cols, "Trial End (UTC)"),
    }
    t.missing_columns(
        path, "a Stripe subscriptions export", cols, **{k: f[k] for k in ("id", "start", "status")}
    )
    dc = reader.separator == ";"
    rep = options.reporting_currency.upper()
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023 - local shorthand, used in-loop
        start = t.parse_datetime(c("start"), _STRIPE_TS)
        ended = t.parse_datetime(c("ended"), _STRIPE_TS)
        canceled = t.parse_datetime(c("canceled"), _STRIPE_TS)
        trial_end = t.parse_datetime(c("trial_end"), _STRIPE_TS)
        unit = t.parse_money(c("amount"), dc)
        qty_raw = c("quantity")
        qty = t.parse_int(qty_raw).fill_null(1) if f["quantity"] else pl.Series([1] * n, dtype=pl.Int64)
        cnt = t.parse_int(c("interval_count")).fill_null(1) if f["interval_count"] else pl.Series([1] * n)
        status = c("status").str.strip_chars().str.to_lowercase().replace_strict(_SUB_STATUS, default=None)
        interval = c("interval").str.strip_chars().str.to_lowercase().replace_strict(_INTERVAL, default=None)
        currency = t.parse_currency(c("currency")) if f["currency"] else pl.Series([rep] * n, dtype=pl.Utf8)
        calc = pl.DataFrame(
            {
                "unit": unit,
                "qty": qty,
                "cnt": cnt,
                "interval": interval,
                "status": status,
                "ended": ended,
                "canceled": canceled,
            }
        ).select(
            (pl.col("unit").cast(pl.Float64) * pl.col("qty")).round(2).cast(t.MONEY).alias("amount"),
            (
                pl.col("unit").cast(pl.Float64)
                * pl.col("qty")
                / (
                    pl.col("interval").replace_strict(_MONTHS, default=None, return_dtype=pl.Float64)
                    * pl.col("cnt")
                )
            )
            .round(2)
            .cast(t.MONEY)
            .alias("mrr"),
            # a canceled subscription without Ended At stopped when it was canceled
            pl.when(pl.col("ended").is_not_null())
            .then(pl.col("ended"))
            .when(pl.col("status").is_in(["canceled", "ended"]))
            .then(pl.col("canceled"))
            .alias("end_at"),
        )
        email_hash = t.email_hash(c("email"))
        customer_id = c("customer_id").fill_null(email_hash)
        checks = [
            t.Check(
                t.unparsed(c("start"), start) | start.is_null(),
                "start_at",
                f["start"],
                t.reason_date("YYYY-MM-DD HH:MM"),
            ),
            t.Check(t.unparsed(c("ended"), ended), "end_at", f["ended"], t.reason_date("YYYY-MM-DD HH:MM")),
            t.Check(t.unparsed(c("amount"), unit) | unit.is_null(), "amount", f["amount"], t.reason_number),
            t.Check(currency.is_null(), "currency", f["currency"], t.reason_currency),
            t.Check(status.is_null(), "status", f["status"], lambda v: f"unknown subscription status {v!r}"),
            t.Check(
                interval.is_null(),
                "interval",
                f["interval"],
                lambda v: f"unknown interval {v!r} (expected day, week, month or year)",
            ),
            t.Check(
                customer_id.is_null(), "customer_id", f["customer_id"], lambda v: "no Customer ID or email"
            ),
            t.Check((unit < 0).fill_null(False), "amount", f["amount"], t.reason_negative),
        ]
        yield t.build_chunk(
            "subscriptions",
            SOURCE,
            raw,
            {
                "source_id": c("id"),
                "customer_id": customer_id,
                "customer_email_hash": email_hash,
                "plan": c("plan"),
                "status": status,
                "interval": interval,
                "interval_count": cnt,
                "quantity": qty,
                "amount": calc["amount"],
                "currency": currency,
                "mrr": calc["mrr"],
                "mrr_reporting": t.reporting(calc["mrr"], currency, rep),
                "start_at": start,
                "end_at": calc["end_at"],
                "trial_end_at": trial_end,
            },
            checks,
            keep=c("id").is_not_null(),
            skip_reason="rows without an id",
            blank_rows=reader.take_blank(),
        )


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def parse_customers(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Stripe Customers export -> ``customers`` chunks (channel unknown -> null)."""
    reader = t.CsvBatches(Path(path))
    cols = reader.columns
    f = {
        "id": t.find_column(cols, "id"),
        "email": t.find_column(cols, "Email"),
        "name": t.find_column(cols, "Name", "Description"),
        "created": t.find_column(cols, "Created (UTC)", "Created"),
        "country": t.find_column(
            cols, "Card Address Country", "Address Country", "Tax Location Country", "Card Issue Country"
        ),
    }
    t.missing_columns(path, "a Stripe customers export", cols, id=f["id"], created=f["created"])
    for raw in reader.iter(options.batch_rows):
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023
        created = t.parse_datetime(c("created"), _STRIPE_TS)
        email = t.normalise_email(c("email"))
        country = c("country").str.strip_chars().str.to_uppercase()
        yield t.build_chunk(
            "customers",
            SOURCE,
            raw,
            {
                "source_id": c("id"),
                "email_hash": t.email_hash(email),
                "email": email,
                "name": c("name"),
                "country": pl.select(pl.when(country.str.len_chars() == 2).then(country)).to_series(),
                "first_seen": created,
            },
            [
                t.Check(
                    t.unparsed(c("created"), created),
                    "first_seen",
                    f["created"],
                    t.reason_date("YYYY-MM-DD HH:MM"),
                )
            ],
            keep=c("id").is_not_null(),
            skip_reason="rows without an id",
            blank_rows=reader.take_blank(),
        )
