"""Rollups maintained at ingestion so page queries never scan raw payment rows.

Rollups are refreshed inside the ingest transaction, so a reader sees either the old data and
old rollups or the new data and new rollups, never a mix. Days are calendar days in the
workspace's time zone.

A refresh is *incremental*: ingestion passes the span of source timestamps it touched (the
rows it wrote and the rows they replaced), and only the rollup days inside that span are
recomputed, so a daily sync into a 10-million-row workspace rewrites a few days, not years.
Without a span (or for a table whose span is unknown) the workspace's rollups are rebuilt whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import duckdb

from data.connectors.base import REFUND_KIND
from data.warehouse import Warehouse, WorkspaceRef

#: which rollups depend on which canonical table
#: (customer_keys is not a rollup: it numbers customers once, and a rebuild keeps the numbers)
ROLLUPS_BY_TABLE = {
    "payments": (
        "payments_daily",
        "customer_daily",
        "customer_weekly",
        "customer_monthly",
        "customer_weekly_dim_counts",
        "customer_monthly_dim",
        "customer_first",
        "customer_monthly_dim_totals",
        "customer_refunds_daily",
    )
}
#: the payment dimensions the per-dimension rollups keep (their ``dim`` values); a missing value is
#: stored as '(none)' (data.metrics.NONE_LABEL), the value a page filter uses for it
CUSTOMER_DIMS = ("channel", "product", "country")
#: Distinct customers per dimension value and Monday-week: a count per (dim, value, week), since
#: the one reader (active customers by week with one page filter) counts whole weeks and never
#: unions weeks (warehouse migration 0013). A row per customer as well cost ~2.5M rows (~2 s of
#: CPU) per 1M payments.
CUSTOMER_WEEKLY_DIM_COUNTS = "customer_weekly_dim_counts"
#: Each customer's months per dimension value. Channel and country rows are the keys of
#: customer_monthly_dim_totals (the same grouping of the same days), which readers use for them
#: (data.metrics.execute.dimension_rollup); this table keeps the other dimensions (product).
CUSTOMER_MONTHLY_DIM = "customer_monthly_dim"
#: customer_daily re-aggregated per customer and calendar period: table -> (period column and
#: unit, aggregates kept, ORDER BY). Weeks only count customers (active customers by week), and
#: unsorted: sorting ~7M customer-weeks at 10M payments costs 0.8 s per rebuild, and a count
#: over them is ~10 ms even without row-group skipping. Months feed per-customer totals (RFM,
#: top customers, cohorts), sorted so a range reads only its own row groups.
CUSTOMER_PERIODS = {
    "customer_weekly": ("week", "", ""),
    "customer_monthly": (
        "month",
        # days, not rows: customer_daily has a row per channel/product/country a customer paid
        # through, one of them marked first_of_day, so counting the marked rows counts the days
        # without a DISTINCT (its hash set per group: 1M payments, ~0.3 s less CPU)
        ", count(*) FILTER (WHERE first_of_day), sum(payments), sum(gross), max(day)",
        "ORDER BY month",
    ),
}

# Stable customer identity across sources: the vendor's id, else the email hash, else the row.
CUSTOMER_KEY = "coalesce(customer_id, customer_email_hash, source || ':' || source_id)"
LOCAL_DAY = "CAST(timezone($tz, created AT TIME ZONE 'UTC') AS DATE)"
#: the same for a UTC workspace: a plain cast, without ICU's per-row zone conversion (about
#: 0.2 s per million payments)
UTC_DAY = "CAST(created AS DATE)"
SUCCESSFUL = "status IN ('succeeded', 'refunded')"
# Refunds follow data.connectors.base.REFUND_CONTRACT: a sale carries its refunded part in
# `amount_refunded`, a separate refund line (PayPal, balance transactions) its money in `amount`.
IS_REFUND = f"kind = '{REFUND_KIND}'"
IS_SALE = f"kind IS DISTINCT FROM '{REFUND_KIND}' AND kind IS DISTINCT FROM 'payout'"

#: (earliest, latest) source timestamp an ingest touched in one table (UTC, naive)
Span = tuple[datetime, datetime]


def refresh(
    cur: duckdb.DuckDBPyConnection,
    workspace: WorkspaceRef,
    tables: Iterable[str],
    spans: Mapping[str, Span | None] | None = None,
    *,
    additions_only: bool = False,
) -> None:
    """Bring the rollups that depend on any of ``tables`` up to date for this workspace.

    ``spans`` maps a table to the UTC span of its date column that changed; a table without a
    span gets a full rebuild of its rollups. ``additions_only`` says the ingest replaced no
    existing row, so a customer's first payment can only move earlier (a cheaper update).
    """
    spans = spans or {}
    if "payments" in set(tables):
        _refresh_payments(cur, workspace, spans.get("payments"), additions_only)


def _refresh_payments(
    cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef, span: Span | None, additions_only: bool = False
) -> None:
    params: dict = {"ws": workspace.id, "tz": workspace.timezone}
    local_day = UTC_DAY if workspace.timezone == "UTC" else LOCAL_DAY
    if span is not None:
        # A span that covers all the workspace's payments (a first import) is cheaper rebuilt whole.
        first, last = cur.execute(
            "SELECT min(created), max(created) FROM payments WHERE workspace_id = $ws", {"ws": workspace.id}
        ).fetchone()
        if first is None or (span[0] <= first and span[1] >= last):
            span = None
    if span is None:
        day_filter = "TRUE"
        rows_filter = "TRUE"
        day_lo = day_hi = None
    else:
        params["lo"], params["hi"] = span
        day_lo = "CAST(timezone($tz, CAST($lo AS TIMESTAMP) AT TIME ZONE 'UTC') AS DATE)"
        day_hi = "CAST(timezone($tz, CAST($hi AS TIMESTAMP) AT TIME ZONE 'UTC') AS DATE)"
        day_filter = f"day BETWEEN {day_lo} AND {day_hi}"
        # The UTC pre-filter lets DuckDB skip row groups by their min/max `created` (zone maps)
        # before the per-row time-zone conversion; a local day never starts more than 2 days
        # from its UTC instant.
        rows_filter = (
            "created BETWEEN CAST($lo AS TIMESTAMP) - INTERVAL 2 DAY AND CAST($hi AS TIMESTAMP) + INTERVAL 2 DAY "
            f"AND {local_day} BETWEEN {day_lo} AND {day_hi}"
        )
    day_params = {k: v for k, v in params.items() if k != "tz" or span is not None}

    # Customers whose first-payment day may move: anyone with activity in the span, before or after.
    cur.execute("CREATE OR REPLACE TEMP TABLE _touched_customers (customer_no INTEGER)")
    if span is not None:
        cur.execute(
            f"INSERT INTO _touched_customers SELECT DISTINCT customer_no FROM customer_daily "
            f"WHERE workspace_id = $ws AND {day_filter}",
            day_params,
        )
    cur.execute(f"DELETE FROM payments_daily WHERE workspace_id = $ws AND {day_filter}", day_params)
    cur.execute(f"DELETE FROM customer_daily WHERE workspace_id = $ws AND {day_filter}", day_params)
    cur.execute(f"DELETE FROM customer_refunds_daily WHERE workspace_id = $ws AND {day_filter}", day_params)
    _execute(
        cur,
        f"""
        INSERT INTO payments_daily
        SELECT workspace_id, {local_day} AS day, channel, product, country,
               count(*) AS payments,
               count(*) FILTER (WHERE {SUCCESSFUL}) AS succeeded,
               count(*) FILTER (WHERE {SUCCESSFUL} AND coalesce(amount_refunded, 0) > 0) AS refunded_count,
               coalesce(sum(amount_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_SALE}), 0) AS gross,
               coalesce(sum(refunded_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_SALE}), 0)
                 + coalesce(sum(amount_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_REFUND}), 0) AS refunds,
               coalesce(sum(fee_reporting) FILTER (WHERE {SUCCESSFUL}), 0) AS fees
        FROM payments
        WHERE workspace_id = $ws AND kind IS DISTINCT FROM 'payout' AND {rows_filter}
        GROUP BY ALL
        ORDER BY day  -- day-ordered row groups let range reads and deletes skip the rest
        """,
        params,
    )
    customer_where = f"WHERE workspace_id = $ws AND {SUCCESSFUL} AND {IS_SALE} AND {rows_filter}"
    _number_new_customers(cur, f"FROM payments {customer_where}", params)
    # Payments get their customer's number first, so the grouping is over integers rather than
    # customer key strings (0.74 -> 0.33 s for a million payments). One row per customer, day AND
    # channel/product/country: a customer who paid through two channels on one day counts under
    # each (a filtered customer count equals COUNT(DISTINCT customer) of the matching payments).
    # Readers that want one row per customer and day group these rows by (day, customer_no).
    _execute(
        cur,
        f"""
        INSERT INTO customer_daily
        SELECT $ws, day, customer_no, channel, product, country,
               count(*), coalesce(sum(amount_reporting), 0),
               -- one row per customer and day is marked: a day's distinct customers are a count
               row_number() OVER (PARTITION BY day, customer_no ORDER BY channel, product, country) = 1
        FROM (
            SELECT {local_day} AS day, k.customer_no, channel, product, country, amount_reporting
            FROM (SELECT * FROM payments {customer_where}) p
            JOIN customer_keys k ON k.workspace_id = $ws AND k.customer_key = {CUSTOMER_KEY}
        )
        GROUP BY day, customer_no, channel, product, country
        ORDER BY day
        """,
        params,
    )
    _refresh_customer_refunds(cur, local_day, rows_filter, params)
    _refresh_customer_periods(cur, day_lo, day_hi, day_params)
    _refresh_customer_dim_periods(cur, day_lo, day_hi, day_params)
    _refresh_customer_dim_totals(cur, day_lo, day_hi, day_params)
    # The first payment day's channel/product/country describe how the customer was acquired
    # (arg_min_null: unknown on that day stays unknown, rather than borrowing a later day's value).
    # A customer can pay through several channels on that day: the key orders those rows too, so
    # the three come from one row and a rebuild picks the same one as an incremental refresh.
    # The ordered pick runs over the first day's rows only (found by an integer join), not over
    # every customer-day: the row with the least key is on the first day anyway.
    first = """
        WITH d AS (
            SELECT customer_no, day, channel, product, country
            FROM customer_daily WHERE workspace_id = $ws {only}
        ), f AS (SELECT customer_no, min(day) AS first_day FROM d GROUP BY customer_no)
        SELECT CAST($ws AS BIGINT) AS workspace_id, f.customer_no, f.first_day,
               arg_min_null(d.channel, row(d.day, d.channel, d.product, d.country)) AS channel,
               arg_min_null(d.product, row(d.day, d.channel, d.product, d.country)) AS product,
               arg_min_null(d.country, row(d.day, d.channel, d.product, d.country)) AS country
        FROM f JOIN d ON d.customer_no = f.customer_no AND d.day = f.first_day
        GROUP BY f.customer_no, f.first_day
    """
    if span is None:
        cur.execute("DELETE FROM customer_first WHERE workspace_id = $ws", {"ws": workspace.id})
        cur.execute("INSERT INTO customer_first " + first.format(only=""), {"ws": workspace.id})
    elif additions_only:
        # Nothing was replaced, so first days can only move earlier: compare each customer's first
        # day within the span with the stored one instead of re-reading their whole history.
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _span_first AS " + first.format(only=f"AND {day_filter}"),
            day_params,
        )
        cur.execute(
            """DELETE FROM customer_first f USING _span_first n
               WHERE f.workspace_id = $ws AND f.customer_no = n.customer_no AND n.first_day <= f.first_day""",
            {"ws": workspace.id},
        )
        cur.execute(
            """INSERT INTO customer_first
               SELECT n.* FROM _span_first n
               WHERE n.customer_no NOT IN (SELECT customer_no FROM customer_first WHERE workspace_id = $ws)""",
            {"ws": workspace.id},
        )
        cur.execute("DROP TABLE _span_first")
    else:
        cur.execute(
            f"INSERT INTO _touched_customers SELECT DISTINCT customer_no FROM customer_daily "
            f"WHERE workspace_id = $ws AND {day_filter}",
            day_params,
        )
        only = "AND customer_no IN (SELECT customer_no FROM _touched_customers)"
        cur.execute(f"DELETE FROM customer_first WHERE workspace_id = $ws {only}", {"ws": workspace.id})
        cur.execute("INSERT INTO customer_first " + first.format(only=only), {"ws": workspace.id})
    cur.execute("DROP TABLE _touched_customers")


def _refresh_customer_refunds(
    cur: duckdb.DuckDBPyConnection, local_day: str, rows_filter: str, params: dict
) -> None:
    """Refunds per customer number and day for the rows in ``rows_filter`` (customer_refunds_daily).

    The catalogue's refunds (payments_daily.refunds) split by customer: a sale's refunded part
    on the sale's day, a refund line's money on its own day. A customer seen only on refund
    lines gets a number here, after the sales' customers (whose numbers stay as they were).
    """
    has_refund = f"(({IS_SALE} AND coalesce(refunded_reporting, 0) <> 0) OR {IS_REFUND})"
    refund_where = f"WHERE workspace_id = $ws AND {SUCCESSFUL} AND {has_refund} AND {rows_filter}"
    _number_new_customers(cur, f"FROM payments {refund_where}", params)
    _execute(
        cur,
        f"""
        INSERT INTO customer_refunds_daily
        SELECT $ws, day, k.customer_no, sum(refund)
        FROM (
            SELECT {local_day} AS day, {CUSTOMER_KEY} AS customer_key,
                   CASE WHEN {IS_SALE} THEN coalesce(refunded_reporting, 0)
                        ELSE coalesce(amount_reporting, 0) END AS refund
            FROM payments {refund_where}
        ) p
        JOIN customer_keys k ON k.workspace_id = $ws AND k.customer_key = p.customer_key
        GROUP BY day, k.customer_no
        ORDER BY day
        """,
        params,
    )


def refund_totals_sql(day_range: bool = False) -> str:
    """SQL for (payments_daily's refunds, customer_refunds_daily's refunds) of ``$ws``.

    Equal when the rollup holds every refund: over all days, or ``$lo``..``$hi`` with
    ``day_range``. Its readers read payment rows where they differ, and a fill rewrites it.
    """
    days = " AND day BETWEEN $lo AND $hi" if day_range else ""
    return (
        f"SELECT (SELECT coalesce(sum(refunds), 0) FROM payments_daily WHERE workspace_id = $ws{days}) AS expected, "
        f"(SELECT coalesce(sum(refunds), 0) FROM customer_refunds_daily WHERE workspace_id = $ws{days}) AS kept"
    )


def fill_customer_refunds(cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef) -> bool:
    """Fill customer_refunds_daily for a workspace whose days came before it; True when it did.

    Warehouse migration 0014 creates the rollup empty (the warehouse does not know workspaces'
    time zones, which date its rows), and each refresh fills only the days it rewrites. Called
    for every workspace by ``pulseboard db upgrade``; a workspace whose rollup already holds
    payments_daily's refunds is left as it is. Readers give the same numbers either way: this
    only moves an insight's split by customer off payment rows.
    """
    ws = {"ws": workspace.id}
    expected, kept = cur.execute(refund_totals_sql(), ws).fetchone()
    if expected == kept:
        return False
    cur.execute("DELETE FROM customer_refunds_daily WHERE workspace_id = $ws", ws)
    local_day = UTC_DAY if workspace.timezone == "UTC" else LOCAL_DAY
    _refresh_customer_refunds(cur, local_day, "TRUE", {**ws, "tz": workspace.timezone})
    return True


def fill_new_rollups(warehouse: Warehouse, workspaces: Iterable[WorkspaceRef]) -> int:
    """Fill the rollups a migration added for ``workspaces`` imported before it; how many it filled.

    Each workspace in its own transaction, holding the workspace's ingest lock as an import
    does: one that fails leaves the others done (its pages read payment rows where the rollup
    is missing, as before), and a second server filling or importing into the same workspace on
    a shared PostgreSQL waits, then finds the rollup filled instead of writing its rows twice.
    """
    filled = 0
    for workspace in workspaces:
        with warehouse.transaction() as cur:
            warehouse.lock_workspace(cur, workspace.id)
            filled += fill_customer_refunds(cur, workspace)
    return filled


def _number_new_customers(cur: duckdb.DuckDBPyConnection, customer_rows: str, params: dict) -> None:
    """Give every customer key among ``customer_rows`` that has no number yet the next free ones.

    Numbers are dense per workspace and never reused: a rebuild or a re-import finds the
    customer's existing number, so rollups and anything cached by number stay consistent.
    """
    sql = f"""
        INSERT INTO customer_keys
        SELECT $ws, n.customer_key,
               CAST((SELECT coalesce(max(customer_no), 0) FROM customer_keys WHERE workspace_id = $ws)
                    + row_number() OVER (ORDER BY n.customer_key) AS INTEGER)
        FROM (SELECT DISTINCT {CUSTOMER_KEY} AS customer_key {customer_rows}) n
        WHERE NOT EXISTS (
            SELECT 1 FROM customer_keys k WHERE k.workspace_id = $ws AND k.customer_key = n.customer_key
        )
    """
    _execute(cur, sql, params)


def _execute(cur: duckdb.DuckDBPyConnection, sql: str, params: dict) -> None:
    """Run ``sql`` with only the ``params`` it uses.

    DuckDB refuses named parameters a statement does not mention ($tz only appears for a zoned
    workspace or with a span).
    """
    cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def _refresh_customer_periods(
    cur: duckdb.DuckDBPyConnection, day_lo: str | None, day_hi: str | None, params: dict
) -> None:
    """Rebuild customer_weekly/customer_monthly from customer_daily for the periods it changed in.

    ``day_lo``/``day_hi`` are SQL expressions for the first and last refreshed day (None: the
    whole workspace). A refreshed day changes its whole week and month, so those are redone.
    """
    for table, (unit, aggregates, order) in CUSTOMER_PERIODS.items():
        where, where_days = _whole_periods_sql(unit, day_lo, day_hi)
        cur.execute(f"DELETE FROM {table} WHERE workspace_id = $ws AND {where}", params)
        cur.execute(
            f"""
            INSERT INTO {table}
            SELECT workspace_id, CAST(date_trunc('{unit}', day) AS DATE) AS {unit}, customer_no{aggregates}
            FROM customer_daily WHERE workspace_id = $ws AND {where_days}
            GROUP BY ALL {order}
            """,
            params,
        )


def _refresh_customer_dim_periods(
    cur: duckdb.DuckDBPyConnection, day_lo: str | None, day_hi: str | None, params: dict
) -> None:
    """Rebuild the per-dimension week counts and month rows from customer_daily where it changed.

    Weeks: :data:`CUSTOMER_WEEKLY_DIM_COUNTS`; months: :data:`CUSTOMER_MONTHLY_DIM` for the
    dimensions customer_monthly_dim_totals does not keep.
    """
    where, where_days = _whole_periods_sql("week", day_lo, day_hi)
    cur.execute(f"DELETE FROM {CUSTOMER_WEEKLY_DIM_COUNTS} WHERE workspace_id = $ws AND {where}", params)
    for dim in CUSTOMER_DIMS:
        # customer_daily has a row per (day, customer, channel, product, country): a customer
        # counts once per value and week (a DISTINCT aggregate: ~10% less CPU than grouping the
        # distinct triples first)
        cur.execute(
            f"""INSERT INTO {CUSTOMER_WEEKLY_DIM_COUNTS}
                SELECT workspace_id, '{dim}' AS dim, coalesce(CAST({dim} AS VARCHAR), '(none)') AS value,
                       CAST(date_trunc('week', day) AS DATE) AS week, count(DISTINCT customer_no) AS customers
                FROM customer_daily WHERE workspace_id = $ws AND {where_days}
                GROUP BY workspace_id, coalesce(CAST({dim} AS VARCHAR), '(none)'),
                         CAST(date_trunc('week', day) AS DATE)""",
            params,
        )
    where, where_days = _whole_periods_sql("month", day_lo, day_hi)
    cur.execute(f"DELETE FROM {CUSTOMER_MONTHLY_DIM} WHERE workspace_id = $ws AND {where}", params)
    # Ordered by dimension and value: a filter then reads only the row groups of its value.
    # One ordered INSERT per dimension, in the dimensions' sort order, lays the rows out as
    # one ORDER BY dim, value over all of them would, without sorting the union.
    for dim in sorted(set(CUSTOMER_DIMS) - set(DIM_TOTALS_DIMS)):
        cur.execute(
            f"""INSERT INTO {CUSTOMER_MONTHLY_DIM}
                SELECT workspace_id, '{dim}' AS dim, coalesce(CAST({dim} AS VARCHAR), '(none)') AS value,
                       CAST(date_trunc('month', day) AS DATE) AS month, customer_no
                FROM customer_daily WHERE workspace_id = $ws AND {where_days} GROUP BY ALL
                ORDER BY value, month""",
            params,
        )


def _whole_periods_sql(unit: str, day_lo: str | None, day_hi: str | None) -> tuple[str, str]:
    """SQL conditions for the whole ``unit`` periods (week/month) around the refreshed days.

    Returns (condition on a period rollup's ``unit`` column, condition on customer_daily's
    ``day``); both TRUE when the whole workspace is rebuilt (``day_lo`` None).
    """
    if day_lo is None:
        return "TRUE", "TRUE"
    lo = f"CAST(date_trunc('{unit}', {day_lo}) AS DATE)"
    hi = f"CAST(date_trunc('{unit}', {day_hi}) + INTERVAL 1 {unit} AS DATE)"  # exclusive
    return f"{unit} >= {lo} AND {unit} < {hi}", f"day >= {lo} AND day < {hi}"


#: the dimensions customer_monthly_dim_totals keeps, in its row order: a customer's channel and
#: country rarely change, so a month per customer holds many days (~3x fewer rows than
#: customer_daily at 10M payments); products change from payment to payment (1.2x fewer: not
#: worth the build time, a product filter reads customer_daily)
DIM_TOTALS_DIMS = ("channel", "country")
#: A customer's days with a payment in a month, from ``day_mask`` (bit d-1 set for day d of the
#: month): a 32-bit population count in shifts and masks, which DuckDB and PostgreSQL both run
#: (the same steps as warehouse migration 0012).
_DAYS_FROM_MASK = """
    SELECT workspace_id, dim, value, month, customer_no,
           CAST(((((bits4 + (bits4 >> 4)) & 252645135) * 16843009) >> 24) & 255 AS INTEGER) AS days,
           payments, gross, last_day
    FROM (
        SELECT *, (bits2 & 858993459) + ((bits2 >> 2) & 858993459) AS bits4
        FROM (SELECT *, day_mask - ((day_mask >> 1) & 1431655765) AS bits2 FROM ({masks}) masks) step2
    ) step4
"""


def _refresh_customer_dim_totals(
    cur: duckdb.DuckDBPyConnection, day_lo: str | None, day_hi: str | None, params: dict
) -> None:
    """Rebuild customer_monthly_dim_totals from customer_daily for the months it changed in.

    A row per dimension and value (:data:`DIM_TOTALS_DIMS`), month and customer: the days
    with a payment of that value, payments, gross and the last such day, so RFM and top customers
    with one page filter sum whole months instead of every customer-day (warehouse migration
    0012). The days come from a bit mask of the days of the month: one grouping instead of a
    grouping by day first (half the time).
    """
    where, where_days = _whole_periods_sql("month", day_lo, day_hi)
    cur.execute(f"DELETE FROM customer_monthly_dim_totals WHERE workspace_id = $ws AND {where}", params)
    # One ordered INSERT per dimension, as for customer_monthly_dim: a filter then reads only the
    # row groups of its value.
    for dim in DIM_TOTALS_DIMS:
        masks = f"""
            SELECT workspace_id, '{dim}' AS dim, coalesce(CAST({dim} AS VARCHAR), '(none)') AS value,
                   CAST(date_trunc('month', day) AS DATE) AS month, customer_no,
                   CAST(bit_or(CAST(1 AS INTEGER) << (CAST(extract('day' FROM day) AS INTEGER) - 1)) AS BIGINT)
                     AS day_mask,
                   sum(payments) AS payments, sum(gross) AS gross, max(day) AS last_day
            FROM customer_daily WHERE workspace_id = $ws AND {where_days} GROUP BY ALL
        """
        cur.execute(
            f"INSERT INTO customer_monthly_dim_totals {_DAYS_FROM_MASK.format(masks=masks)} ORDER BY value, month",
            params,
        )
