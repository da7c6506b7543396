"""Rollups maintained at ingestion so page queries never scan raw payment rows.

Each rollup is rebuilt for one workspace inside the ingest transaction, so a reader sees
either the old data and old rollups or the new data and new rollups, never a mix.
Days are calendar days in the workspace's time zone.
"""

from __future__ import annotations

import duckdb

from data.warehouse import WorkspaceRef

#: which rollups depend on which canonical table
ROLLUPS_BY_TABLE = {"payments": ("payments_daily", "customer_daily", "customer_first")}

# Stable customer identity across sources: the vendor's id, else the email hash, else the row.
CUSTOMER_KEY = "coalesce(customer_id, customer_email_hash, source || ':' || source_id)"
LOCAL_DAY = "CAST(timezone($tz, created AT TIME ZONE 'UTC') AS DATE)"
SUCCESSFUL = "status IN ('succeeded', 'refunded')"
# Separate refund lines (PayPal, balance transactions) carry the refunded amount in `amount`.
IS_REFUND = "kind = 'refund'"
IS_SALE = "kind IS DISTINCT FROM 'refund' AND kind IS DISTINCT FROM 'payout'"


def refresh(cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef, tables: set[str]) -> None:
    """Rebuild the rollups that depend on any of ``tables`` for this workspace."""
    if "payments" in tables:
        _refresh_payments(cur, workspace)


def _refresh_payments(cur: duckdb.DuckDBPyConnection, workspace: WorkspaceRef) -> None:
    params = {"ws": workspace.id, "tz": workspace.timezone}
    for rollup in ROLLUPS_BY_TABLE["payments"]:
        cur.execute(f"DELETE FROM {rollup} WHERE workspace_id = $ws", {"ws": workspace.id})
    cur.execute(
        f"""
        INSERT INTO payments_daily
        SELECT workspace_id, {LOCAL_DAY} AS day, channel, product, country,
               count(*) AS payments,
               count(*) FILTER (WHERE {SUCCESSFUL}) AS succeeded,
               count(*) FILTER (WHERE {SUCCESSFUL} AND coalesce(amount_refunded, 0) > 0) AS refunded_count,
               coalesce(sum(amount_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_SALE}), 0) AS gross,
               coalesce(sum(refunded_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_SALE}), 0)
                 + coalesce(sum(amount_reporting) FILTER (WHERE {SUCCESSFUL} AND {IS_REFUND}), 0) AS refunds,
               coalesce(sum(fee_reporting) FILTER (WHERE {SUCCESSFUL}), 0) AS fees
        FROM payments
        WHERE workspace_id = $ws AND kind IS DISTINCT FROM 'payout'
        GROUP BY ALL
        """,
        params,
    )
    cur.execute(
        f"""
        INSERT INTO customer_daily
        SELECT workspace_id, {LOCAL_DAY} AS day, {CUSTOMER_KEY} AS customer_key,
               any_value(channel), any_value(product), any_value(country),
               count(*) AS payments, coalesce(sum(amount_reporting), 0) AS gross
        FROM payments
        WHERE workspace_id = $ws AND {SUCCESSFUL} AND {IS_SALE}
        GROUP BY workspace_id, day, customer_key
        """,
        params,
    )
    # The first payment's channel/product/country describe how the customer was acquired.
    cur.execute(
        """
        INSERT INTO customer_first
        SELECT workspace_id, customer_key, arg_min(day, day), arg_min(channel, day),
               arg_min(product, day), arg_min(country, day)
        FROM customer_daily WHERE workspace_id = $ws
        GROUP BY workspace_id, customer_key
        """,
        {"ws": workspace.id},
    )
