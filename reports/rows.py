"""Detail rows behind a report's numbers, streamed from the warehouse in batches.

Each dataset is one SQL query scoped to the workspace (``$ws``) and the report's range and
filters; :func:`stream` yields Arrow record batches, so millions of rows never sit in memory at
once. The ``revenue`` dataset is the payments rollup the revenue metrics sum: its ``net`` column
sums to ``net_revenue`` for the same range and filters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from data.metrics import dimension_sql
from data.warehouse import ScopedWarehouse
from reports.cells import safe_text_sql
from reports.definition import ReportError

BATCH_ROWS = 131_072


@dataclass(frozen=True)
class Dataset:
    """A detail-row query: label, SELECT list, FROM table, date column and filterable dimensions."""

    name: str
    label: str
    select: str  # the SELECT list; text columns go through safe_text_sql
    table: str
    date_sql: str  # the expression compared with the range
    order: str
    dimensions: dict[str, str]  # dimension -> column
    #: column -> what it holds, in words ({currency}: the workspace's reporting currency); the
    #: Excel rows sheets show it as a note on the header, whose text stays the column name
    notes: dict[str, str] = field(default_factory=dict)
    #: columns holding source ids (``google_ads``): kept as ids for scripts; the Excel note on
    #: the header names each id the sheet holds as the pages do ("google_ads = Google Ads")
    id_columns: tuple[str, ...] = ()


def _t(column: str, alias: str | None = None) -> str:
    return f"{safe_text_sql(f'CAST({column} AS VARCHAR)')} AS {alias or column}"


_PAY_DIMS = {"channel": "channel", "product": "product", "country": "country"}

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "revenue",
            "Revenue by day, channel, product and country",
            f"day, {_t('channel')}, {_t('product')}, {_t('country')}, succeeded AS payments, "
            "CAST(gross AS DOUBLE) AS gross, CAST(refunds AS DOUBLE) AS refunds, "
            "CAST(gross - refunds AS DOUBLE) AS net, CAST(fees AS DOUBLE) AS fees",
            "payments_daily",
            "day",
            "day, channel, product, country",
            _PAY_DIMS,
            {
                "day": "Day, in the workspace's time zone",
                "channel": "Acquisition channel",
                "country": "Country (ISO code)",
                "payments": "Number of successful payments",
                "gross": "Gross revenue in {currency}",
                "refunds": "Refunds in {currency}",
                "net": "Net revenue in {currency}: gross minus refunds",
                "fees": "Payment fees in {currency}",
            },
        ),
        Dataset(
            "payments",
            "Payment lines",
            "created AS created_utc, "
            f"{_t('source')}, {_t('source_id')}, {_t('kind')}, {_t('status')}, "
            "CAST(amount AS DOUBLE) AS amount, CAST(amount_refunded AS DOUBLE) AS amount_refunded, "
            f"CAST(fee AS DOUBLE) AS fee, {_t('currency')}, "
            "CAST(amount_reporting AS DOUBLE) AS amount_reporting, "
            f"{_t('customer_name', 'customer')}, {_t('product')}, {_t('channel')}, {_t('country')}",
            "payments",
            "CAST(created AS DATE)",
            "",  # stored order (ingests append in time order): sorting 10M lines costs memory
            _PAY_DIMS,
            {
                "created_utc": "When the payment was made, in UTC",
                "source": "Where the payment was imported from, by its id",
                "source_id": "The payment's id at its source",
                "kind": "charge, refund, payout or adjustment",
                "amount": "Amount in the payment's own currency (see currency)",
                "amount_refunded": "Amount refunded, in the payment's own currency",
                "fee": "Fee, in the payment's own currency",
                "currency": "Currency of amount, amount_refunded and fee",
                "amount_reporting": "Amount in {currency}, the workspace's reporting currency",
                "channel": "Acquisition channel",
                "country": "Country (ISO code)",
            },
            id_columns=("source",),
        ),
        Dataset(
            "campaigns",
            "Ad spend by day and campaign",
            f"date, {_t('platform')}, {_t('campaign')}, CAST(spend_reporting AS DOUBLE) AS spend, "
            "impressions, clicks, conversions, "
            "CAST(conversion_value_reporting AS DOUBLE) AS conversion_value",
            "ad_daily",
            "date",
            "date, platform, campaign",
            {"platform": "platform", "campaign": "campaign"},
            {
                "platform": "Ad platform, by its id",
                "spend": "Ad spend in {currency}",
                "conversions": "Conversions the platform reported",
                "conversion_value": "Value of those conversions in {currency}",
            },
            id_columns=("platform",),
        ),
        Dataset(
            "email",
            "Email sends",
            "sent_at AS sent_utc, "
            f"{_t('title', 'campaign')}, {_t('list_name', 'list')}, recipients, delivered, "
            "unique_opens, unique_clicks, unsubscribes, bounces, complaints AS spam_reports",
            "email_campaigns",
            "CAST(sent_at AS DATE)",
            "sent_at",
            {"campaign": "title", "list": "list_name"},
            {
                "sent_utc": "When the campaign was sent, in UTC",
                "list": "Audience list",
                "unique_opens": "Recipients who opened at least once",
                "unique_clicks": "Recipients who clicked at least once",
                "spam_reports": "Recipients who reported it as spam",
            },
        ),
        Dataset(
            "web",
            "Web traffic by day and source",
            f"date, {_t('channel')}, {_t('source_name', 'source')}, {_t('medium')}, sessions, users, "
            "new_users, key_events",
            "web_daily",
            "date",
            "date, channel, source_name, medium",
            {"channel": "channel", "source": "source_name", "medium": "medium"},
            {
                "channel": "Channel group of the traffic",
                "source": "Traffic source (empty when the analytics export has none)",
                "medium": "Traffic medium",
                "new_users": "Users on their first visit",
                "key_events": "Key events (conversions) counted by web analytics",
            },
        ),
    )
}
#: the dataset a section's CSV export holds
SECTION_DATASETS = {
    "kpis": "revenue",
    "revenue": "revenue",
    "customers": "payments",
    "campaigns": "campaigns",
    "email": "email",
    "web": "web",
}


def get_dataset(name: str) -> Dataset:
    """The dataset called ``name`` or a ReportError listing the known ones."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ReportError(f"unknown dataset {name!r}; accepted: {', '.join(DATASETS)}") from None


def dataset_for_sections(sections: tuple[str, ...]) -> str:
    """The detail rows of the first section that has them (``revenue`` for none)."""
    return next((SECTION_DATASETS[s] for s in sections if s in SECTION_DATASETS), "revenue")


def dataset_sql(
    dataset: Dataset, filters: dict[str, str] | None, *, rowid_range: bool = False
) -> tuple[str, dict]:
    """The dataset's SQL and parameters (``$start``, ``$end`` and the filters; ``$ws`` is bound by the caller).

    ``rowid_range`` (DuckDB, a dataset in storage order) adds ``rowid >= $row_lo AND rowid <
    $row_hi``, so an export can write the table's parts at the same time (reports.csv.copy_csv).
    """
    dims, params = dimension_sql(filters, dataset.dimensions)
    rowids = " AND rowid >= $row_lo AND rowid < $row_hi" if rowid_range else ""
    sql = (
        f"SELECT {dataset.select} FROM {dataset.table} "
        f"WHERE workspace_id = $ws AND {dataset.date_sql} BETWEEN $start AND $end{dims}{rowids}"
        + (f" ORDER BY {dataset.order}" if dataset.order else "")
    )
    return sql, params


def splittable(dataset: Dataset) -> bool:
    """Whether an export may write the dataset in rowid parts: it is read in storage order."""
    return not dataset.order


def bound_sql(
    scoped: ScopedWarehouse,
    dataset: Dataset,
    start: date,
    end: date,
    filters: dict[str, str] | None = None,
    *,
    rowid_range: bool = False,
) -> tuple[str, dict]:
    """The dataset's SQL with every parameter bound: the workspace, the range and the filters.

    With ``rowid_range`` the rowid bounds ``$row_lo``/``$row_hi`` are left to the export.
    """
    sql, params = dataset_sql(dataset, filters, rowid_range=rowid_range)
    return sql, {**params, "start": start, "end": end, "ws": scoped.workspace.id}


def own_cursor(scoped: ScopedWarehouse):
    """A cursor of its own, in UTC, for a long read (close it when done).

    The thread's shared cursor may run other queries (a KPI, the next dataset) while a stream
    is still being read, which would end the stream.
    """
    cursor = scoped.warehouse.cursor().cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    return cursor


def stream(
    scoped: ScopedWarehouse,
    dataset: Dataset,
    start: date,
    end: date,
    filters: dict[str, str] | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The dataset's schema and its rows as record batches of at most ``batch_rows``."""
    sql, bound = bound_sql(scoped, dataset, start, end, filters)
    if scoped.warehouse.backend == "postgres":
        return scoped.warehouse.arrow_batches(sql, bound, batch_rows)
    cursor = own_cursor(scoped)
    reader = cursor.execute(sql, bound).to_arrow_reader(batch_rows)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from reader
        finally:
            cursor.close()

    return reader.schema, batches()
