"""The structured insight every detector produces and every narrator reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

#: the detector types, in the order the issue lists them
TYPES = (
    "unusual_change",
    "period_change",
    "top_contributors",
    "trend_change",
    "record_high",
    "record_low",
    "concentration",
    "goal_at_risk",
    "efficiency_change",
    "email_deliverability",
    "churn_spike",
)


@dataclass
class Insight:
    """One finding with its evidence numbers; the text fields are filled by a narrator.

    ``money_at_stake`` is in the workspace's reporting currency (how much revenue, spend or MRR
    the finding concerns); ``confidence`` in [0, 1] says how sure the detector is that it is
    not noise. ``severity`` = money at stake x confidence (see :mod:`dashboard.insights.rank`).
    """

    type: str
    metric: str
    period_from: date
    period_to: date
    value: float | None
    baseline: float | None
    dimensions: dict[str, str] = field(default_factory=dict)
    money_at_stake: float = 0.0
    confidence: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = ""
    severity: float = 0.0
    headline: str = ""
    text: str = ""

    @property
    def change_pct(self) -> float | None:
        """Relative change of value vs baseline in percent, or None without a base."""
        if self.value is None or self.baseline is None or self.baseline == 0:
            return None
        return (self.value - self.baseline) / abs(self.baseline) * 100

    @property
    def id(self) -> str:
        """A stable id: the same finding for the same period gets the same id (feedback keys on it)."""
        raw = json.dumps(
            [
                self.type,
                self.metric,
                sorted(self.dimensions.items()),
                str(self.period_from),
                str(self.period_to),
            ]
        )
        return "ins_" + hashlib.sha1(raw.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, Any]:
        """The CLI/API shape (issue 12): ids, numbers, texts and evidence, JSON-safe."""
        change = self.change_pct
        return {
            "id": self.id,
            "type": self.type,
            "metric": self.metric,
            "dimensions": dict(self.dimensions),
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "value": _num(self.value),
            "baseline": _num(self.baseline),
            "change_pct": None if change is None else round(change, 1),
            "severity": round(self.severity, 2),
            "headline": self.headline,
            "text": self.text,
            "action": self.action,
            "evidence": _jsonable(self.evidence),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Insight:
        """Rebuild an insight from :meth:`to_json` (cached panels, the feedback store)."""
        return cls(
            type=data["type"],
            metric=data["metric"],
            period_from=date.fromisoformat(data["period_from"]),
            period_to=date.fromisoformat(data["period_to"]),
            value=data["value"],
            baseline=data["baseline"],
            dimensions=dict(data.get("dimensions") or {}),
            evidence=dict(data.get("evidence") or {}),
            action=data.get("action", ""),
            severity=float(data.get("severity") or 0),
            headline=data.get("headline", ""),
            text=data.get("text", ""),
        )


def _num(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def as_dict(insight: Insight) -> dict[str, Any]:
    """All fields (internal scoring included), for debugging and the evaluation bench."""
    return {**asdict(insight), "id": insight.id}
