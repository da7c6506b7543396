"""Where API syncs keep their cursors: the warehouse table ``sync_state``.

The cursor lives in the warehouse (not the app DB) so that a sync's rows and its new cursor
commit in the same transaction: :func:`write_state` is called with the ingest transaction's
cursor (``ingest_chunks(..., after_load=...)``), so a failed sync leaves both unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from data.warehouse import Warehouse


def read_state(warehouse: Warehouse, workspace_id: int, connector: str) -> dict:
    """The connector's saved state for a workspace, ``{}`` before its first successful sync."""
    row = (
        warehouse.cursor()
        .execute(
            "SELECT state FROM sync_state WHERE workspace_id = ? AND connector = ?", [workspace_id, connector]
        )
        .fetchone()
    )
    if not row:
        return {}
    try:
        state = json.loads(row[0])
    except ValueError:
        return {}  # a damaged cursor means a full re-sync, which upserts make harmless
    return state if isinstance(state, dict) else {}


def write_state(cur: duckdb.DuckDBPyConnection, workspace_id: int, connector: str, state: dict) -> None:
    """Save ``state`` using ``cur`` (call it inside the ingest transaction)."""
    cur.execute(
        """
        INSERT INTO sync_state VALUES (?, ?, ?, ?)
        ON CONFLICT (workspace_id, connector) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
        """,
        [workspace_id, connector, json.dumps(state, sort_keys=True, default=str), _now()],
    )


def clear_state(warehouse: Warehouse, workspace_id: int, connector: str) -> None:
    """Forget a connector's cursor (the next sync starts from the beginning)."""
    with warehouse.transaction() as cur:
        cur.execute(
            "DELETE FROM sync_state WHERE workspace_id = ? AND connector = ?", [workspace_id, connector]
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
