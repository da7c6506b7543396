"""How a run's rows add up, in words: the skipped rows by reason (CLI and Data sources page)."""

from __future__ import annotations

import json
from collections.abc import Callable


def skipped_reasons(value: dict | str | None) -> dict[str, int]:
    """A run's skipped rows per reason, from a dict or the JSON stored in ``ingest_runs``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int | float) and v}


def describe_skipped(value: dict | str | None, number: Callable[[int], str] | None = None) -> str:
    """``"2 memo rows (Balance Impact: Memo), 1 blank lines"``: largest first; "" when none.

    ``number`` writes the counts (the Data sources page: in the workspace's number locale);
    without it, en-US digits (``1,234``).
    """
    reasons = skipped_reasons(value)
    return ", ".join(
        f"{number(n) if number else f'{n:,}'} {reason}"
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def reconciliation_text(
    value: dict | str | None, kind: str = "file", number: Callable[[float, int], str] | None = None
) -> str:
    """A run's reconciliation (a dict or the stored JSON) in one line; "" when it has none.

    ``kind`` is the run's: a file import is checked against the file, a sync against the API.
    ``number(value, decimals)`` writes the totals (see :data:`data.reconcile.NumberText`).
    """
    from data.reconcile import summary

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ""
    return summary(value, kind, number) if isinstance(value, dict) else ""
