"""Records of AI calls (warehouse ``ai_events`` + ``ai_event_details``) and 👍/👎 feedback.

Every insight generation is recorded, offline ones included, so the AI performance page can
compare providers. Recording never stops a generation: a failed write is logged and skipped.
Neither table holds a prompt, a key or a generated text; only numbers and outcomes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl

from data.warehouse import ScopedWarehouse, Warehouse, WorkspaceRef

logger = logging.getLogger(__name__)

#: the outcomes an AI call can have
OUTCOMES = ("ok", "grounding_failure", "malformed", "rate_limited", "server_error", "timeout", "error")


class FeedbackError(ValueError):
    """A bad feedback request (unknown vote, malformed insight id)."""


@dataclass
class AiEvent:
    """One AI call as recorded."""

    kind: str
    provider: str
    model: str
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    outcome: str = "ok"
    fallback: bool = False
    grounding_failures: int = 0
    insights: int = 0
    note: str | None = None


def estimate_cost(prices: dict[str, list[float]], model: str, input_tokens: int, output_tokens: int) -> float:
    """USD from the price table (per million tokens); 0 for a model the table does not list."""
    price = prices.get(model)
    if not price or len(price) < 2:
        return 0.0
    return (input_tokens * float(price[0]) + output_tokens * float(price[1])) / 1_000_000


def record(warehouse: Warehouse, workspace: WorkspaceRef, event: AiEvent) -> str | None:
    """Write one AI call; returns its id (None if the write failed, which is only logged)."""
    event_id = "ai_" + uuid.uuid4().hex
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with warehouse.transaction() as cur:
            cur.execute(
                "INSERT INTO ai_events (workspace_id, source, source_id, ingested_at, created, kind, provider, model,"
                " latency_ms, tokens, cost, outcome, feedback) VALUES (?, 'pulseboard', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [workspace.id, event_id, now, now, event.kind, event.provider, event.model, event.latency_ms,
                 event.input_tokens + event.output_tokens, event.cost, event.outcome],
            )  # fmt: skip
            cur.execute(
                "INSERT INTO ai_event_details VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [workspace.id, event_id, event.input_tokens, event.output_tokens, event.fallback,
                 event.grounding_failures, event.insights, event.note],
            )  # fmt: skip
    except Exception:
        logger.warning("could not record an AI call for workspace %s", workspace.id, exc_info=True)
        return None
    return event_id


def events_frame(scoped: ScopedWarehouse, start: date, end: date, kind: str | None = None) -> pl.DataFrame:
    """The workspace's AI calls created in [start, end] (UTC days), with their details."""
    return scoped.execute_sql(
        """
        SELECT e.created, e.kind, e.provider, e.model, e.latency_ms, e.tokens, e.cost, e.outcome,
               coalesce(d.fallback, false) AS fallback, coalesce(d.grounding_failures, 0) AS grounding_failures,
               d.input_tokens, d.output_tokens, d.insights
        FROM ai_events e
        LEFT JOIN ai_event_details d ON d.workspace_id = e.workspace_id AND d.event_id = e.source_id
        WHERE e.workspace_id = $ws AND e.created >= $start AND e.created < $end
          AND ($kind IS NULL OR e.kind = $kind)
        ORDER BY e.created
        """,
        {
            "start": datetime.combine(start, datetime.min.time()),
            "end": datetime.combine(end + timedelta(days=1), datetime.min.time()),
            "kind": kind,
        },  # fmt: skip
    )


def save_feedback(
    warehouse: Warehouse,
    workspace: WorkspaceRef,
    user_id: int,
    insight_id: str,
    vote: int,
    *,
    insight_type: str | None = None,
    metric: str | None = None,
    provider: str | None = None,
) -> None:
    """Store a user's 👍 (+1) or 👎 (-1) on an insight, replacing their earlier vote on it."""
    if vote not in (1, -1):
        raise FeedbackError(f"a vote is +1 or -1, got {vote!r}")
    if not isinstance(insight_id, str) or not insight_id.startswith("ins_") or len(insight_id) > 40:
        raise FeedbackError(f"not an insight id: {insight_id!r}")
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.transaction() as cur:
        cur.execute(
            "DELETE FROM insight_feedback WHERE workspace_id = ? AND insight_id = ? AND user_id = ?",
            [workspace.id, insight_id, user_id],
        )
        cur.execute(
            "INSERT INTO insight_feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [workspace.id, insight_id, user_id, vote, insight_type, metric, provider, now],
        )


def feedback_frame(scoped: ScopedWarehouse, start: date, end: date) -> pl.DataFrame:
    """Votes given in [start, end]: created_at, insight_id, vote, insight_type, metric, provider."""
    return scoped.execute_sql(
        "SELECT created_at, insight_id, vote, insight_type, metric, provider FROM insight_feedback"
        " WHERE workspace_id = $ws AND created_at >= $start AND created_at < $end ORDER BY created_at",
        {
            "start": datetime.combine(start, datetime.min.time()),
            "end": datetime.combine(end + timedelta(days=1), datetime.min.time()),
        },  # fmt: skip
    )


def votes_of(scoped: ScopedWarehouse, user_id: int, insight_ids: list[str]) -> dict[str, int]:
    """The user's current vote per insight id (to show which thumb is pressed)."""
    if not insight_ids:
        return {}
    frame = scoped.execute_sql(
        "SELECT insight_id, vote FROM insight_feedback WHERE workspace_id = $ws AND user_id = $user"
        " AND list_contains($ids, insight_id)",
        {"user": user_id, "ids": insight_ids},
    )
    return dict(zip(frame["insight_id"].to_list(), frame["vote"].to_list(), strict=True))
