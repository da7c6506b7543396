"""The canonical warehouse model: one place that names every table and column.

Connectors produce polars frames with these columns (minus the bookkeeping columns the ingest
layer adds), the warehouse migrations create these tables, and metrics read them. Money is
DECIMAL in major units with its ISO currency, plus the amount in the workspace's reporting
currency (the ``*_reporting`` columns, filled by ``data.ingest`` when the connector could not).
Timestamps are naive UTC; ``day``/``date`` columns are calendar days already in the right time
zone (the ad account's, the GA4 property's, or the workspace's for rollups).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

MONEY = pl.Decimal(18, 2)
#: Money a vendor reports beyond cents (Meta's ``Amount spent`` has up to 8 decimals, Google Ads
#: costs come in micros): kept as given so a file's total equals the vendor's own total; only the
#: display rounds. 12 integer digits hold any plausible amount (ingest quarantines >= 1e12).
PRECISE_MONEY = pl.Decimal(20, 8)

#: Columns every canonical row carries; the ingest layer fills workspace_id and ingested_at.
KEY_COLUMNS = ("workspace_id", "source", "source_id")
BOOKKEEPING = {
    "workspace_id": pl.Int64,
    "source": pl.Utf8,
    "source_id": pl.Utf8,
    "ingested_at": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns (besides bookkeeping) and which ones may not be null."""

    name: str
    columns: dict[str, pl.DataType]
    required: tuple[str, ...]
    #: money columns as (amount column, currency column, reporting column) triples
    money: tuple[tuple[str, str, str], ...] = ()
    #: columns that must never be negative
    non_negative: tuple[str, ...] = ()
    #: the column that dates a row (used for rollups and "last data" displays)
    date_column: str | None = None

    @property
    def all_columns(self) -> dict[str, pl.DataType]:
        """Bookkeeping columns followed by the table's own, in warehouse order."""
        return {**BOOKKEEPING, **self.columns}


PAYMENTS = Table(
    "payments",
    {
        "created": pl.Datetime("us"),  # UTC
        "kind": pl.Utf8,  # charge | refund | payout | adjustment
        "status": pl.Utf8,  # succeeded | refunded | failed | pending
        "amount": MONEY,  # gross charged, major units, original currency
        "amount_refunded": MONEY,
        "fee": MONEY,
        "net": MONEY,
        "currency": pl.Utf8,  # ISO 4217 upper case
        "amount_reporting": MONEY,
        "refunded_reporting": MONEY,
        "fee_reporting": MONEY,
        "customer_id": pl.Utf8,  # the vendor's customer id, or a hash of the email
        "customer_email_hash": pl.Utf8,
        "customer_name": pl.Utf8,
        "product": pl.Utf8,
        "channel": pl.Utf8,  # acquisition channel (utm_source/medium mapped), or "direct"
        "campaign": pl.Utf8,
        "country": pl.Utf8,  # ISO 3166 alpha-2 when known
        "description": pl.Utf8,
    },
    required=("created", "status", "amount", "currency"),
    money=(
        ("amount", "currency", "amount_reporting"),
        ("amount_refunded", "currency", "refunded_reporting"),
        ("fee", "currency", "fee_reporting"),
    ),
    non_negative=("amount", "amount_refunded"),
    date_column="created",
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    {
        "customer_id": pl.Utf8,
        "customer_email_hash": pl.Utf8,
        "plan": pl.Utf8,
        "status": pl.Utf8,  # active | trialing | past_due | canceled | ended
        "interval": pl.Utf8,  # day | week | month | year
        "interval_count": pl.Int64,
        "quantity": pl.Int64,
        "amount": MONEY,  # price per interval x quantity, original currency
        "currency": pl.Utf8,
        "mrr": MONEY,  # amount normalised to one month, original currency
        "mrr_reporting": MONEY,
        "start_at": pl.Datetime("us"),
        "end_at": pl.Datetime("us"),  # null while running
        "trial_end_at": pl.Datetime("us"),
    },
    required=("customer_id", "start_at", "amount", "currency"),
    money=(("mrr", "currency", "mrr_reporting"),),
    non_negative=("amount", "mrr"),
    date_column="start_at",
)

CUSTOMERS = Table(
    "customers",
    {
        "email_hash": pl.Utf8,
        "email": pl.Utf8,
        "name": pl.Utf8,
        "country": pl.Utf8,
        "first_seen": pl.Datetime("us"),
        "channel": pl.Utf8,
    },
    required=(),
    date_column="first_seen",
)

AD_DAILY = Table(
    "ad_daily",
    {
        "date": pl.Date,
        "platform": pl.Utf8,  # google_ads | meta_ads | ...
        "campaign_id": pl.Utf8,
        "campaign": pl.Utf8,
        "spend": PRECISE_MONEY,
        "currency": pl.Utf8,
        "spend_reporting": PRECISE_MONEY,
        "impressions": pl.Int64,
        "clicks": pl.Int64,
        "conversions": pl.Float64,
        "conversion_value": PRECISE_MONEY,
        "conversion_value_reporting": PRECISE_MONEY,
    },
    required=("date", "campaign"),
    money=(
        ("spend", "currency", "spend_reporting"),
        ("conversion_value", "currency", "conversion_value_reporting"),
    ),
    non_negative=("spend", "impressions", "clicks", "conversions"),
    date_column="date",
)

EMAIL_CAMPAIGNS = Table(
    "email_campaigns",
    {
        "sent_at": pl.Datetime("us"),
        "title": pl.Utf8,
        "subject": pl.Utf8,
        "list_name": pl.Utf8,
        "recipients": pl.Int64,
        "delivered": pl.Int64,
        "opens": pl.Int64,
        "unique_opens": pl.Int64,
        "clicks": pl.Int64,
        "unique_clicks": pl.Int64,
        "unsubscribes": pl.Int64,
        "bounces": pl.Int64,
        "revenue": MONEY,
        "currency": pl.Utf8,
        "revenue_reporting": MONEY,
        # spam reports (abuse complaints); last: migration 0010 appended it, and rows are
        # inserted by position
        "complaints": pl.Int64,
    },
    required=("sent_at",),
    money=(("revenue", "currency", "revenue_reporting"),),
    non_negative=("recipients", "delivered", "unique_opens", "unique_clicks", "bounces", "complaints"),
    date_column="sent_at",
)

WEB_DAILY = Table(
    "web_daily",
    {
        "date": pl.Date,
        "channel": pl.Utf8,  # GA4 default channel group
        "source_name": pl.Utf8,  # session source (GA4 "source"; renamed: "source" is ours)
        "medium": pl.Utf8,
        "sessions": pl.Int64,
        "users": pl.Int64,
        "new_users": pl.Int64,
        "key_events": pl.Float64,
        "revenue": MONEY,
        "currency": pl.Utf8,
        "revenue_reporting": MONEY,
    },
    required=("date",),
    money=(("revenue", "currency", "revenue_reporting"),),
    non_negative=("sessions", "users", "new_users"),
    date_column="date",
)

DEALS = Table(
    "deals",
    {
        "name": pl.Utf8,
        "stage": pl.Utf8,
        "pipeline": pl.Utf8,
        "owner": pl.Utf8,
        "amount": MONEY,
        "currency": pl.Utf8,
        "amount_reporting": MONEY,
        "created_at": pl.Datetime("us"),
        "closed_at": pl.Datetime("us"),
        "won": pl.Boolean,  # null while open
    },
    required=("created_at",),
    money=(("amount", "currency", "amount_reporting"),),
    non_negative=("amount",),
    date_column="created_at",
)

AI_EVENTS = Table(
    "ai_events",
    {
        "created": pl.Datetime("us"),
        "kind": pl.Utf8,  # insight | forecast | narration
        "provider": pl.Utf8,
        "model": pl.Utf8,
        "latency_ms": pl.Float64,
        "tokens": pl.Int64,
        "cost": pl.Float64,
        "outcome": pl.Utf8,
        "feedback": pl.Int64,
    },
    required=("created", "kind"),
    date_column="created",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (PAYMENTS, SUBSCRIPTIONS, CUSTOMERS, AD_DAILY, EMAIL_CAMPAIGNS, WEB_DAILY, DEALS, AI_EVENTS)
}


def empty_frame(table: str) -> pl.DataFrame:
    """An empty frame with a canonical table's own columns (no bookkeeping) and their types."""
    return pl.DataFrame(schema={"source": pl.Utf8, "source_id": pl.Utf8, **TABLES[table].columns})


def conform(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast a connector's frame to the table's columns; missing columns become null.

    Connectors may leave out optional columns; extra columns are dropped. Casting is strict for
    columns the connector did provide, so a connector bug surfaces here, not in the warehouse.
    """
    spec = {"source": pl.Utf8, "source_id": pl.Utf8, **TABLES[table].columns}
    schema = frame.schema
    exprs = []
    for name, dtype in spec.items():
        if name in schema:
            # already the right type (a conformed frame, conformed again): no cast pass over it
            exprs.append(pl.col(name) if schema[name] == dtype else pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)
