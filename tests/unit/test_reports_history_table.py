"""The Reports page's run history on a phone: a failed run's error reads as lines, not syllables."""

from __future__ import annotations

import re
from pathlib import Path

from components.reports import history_table

CSS = Path(__file__).resolve().parents[2] / "assets" / "pulseboard.css"


def _find(node, cls: str) -> list:
    """Components under ``node`` whose className has ``cls``."""
    found = []
    if cls in (getattr(node, "className", None) or "").split():
        found.append(node)
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found += _find(child, cls)
    return found


def test_a_failed_runs_error_gets_a_readable_width_and_its_date_may_wrap_on_a_phone():
    run = {"id": 1, "occurrence": "2026-12-03T14:54:00+00:00", "status": "failed", "attempts": 4,
           "error": "ConnectionRefusedError: [Errno 111] Connection refused", "recipients": ["ceo@example.com"],
           "filters": None, "bytes": 59000, "files": []}  # fmt: skip
    table = history_table([run], can_download=True, can_resend=True)
    (error,) = _find(table, "pb-run-error")
    assert error.children == run["error"]
    (when,) = _find(table, "pb-run-when")
    assert "text-nowrap" not in when.className
    css = CSS.read_text()
    assert re.search(r"\.pb-run-error \{[^}]*min-width: \d+rem", css)
    # one line on a wide screen, date over time on a phone
    assert re.search(r"\.pb-run-when \{ white-space: nowrap; \}", css)
    assert re.search(r"@media \(max-width: 575\.98px\) \{ \.pb-run-when \{ white-space: normal;", css)
