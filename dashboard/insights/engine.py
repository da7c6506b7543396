"""Run every detector on one workspace and range, rank the findings, narrate the top ones."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb

from dashboard.insights import detect_business as business
from dashboard.insights import detect_changes as changes
from dashboard.insights import forecast_bridge
from dashboard.insights.impact import Exposure
from dashboard.insights.model import Insight
from dashboard.insights.narrate import offline
from dashboard.insights.rank import merge
from dashboard.insights.source import MetricSource

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
#: what the progress bar says while each detector runs
STEP_LABELS = {
    "unusual_change": "Looking for unusual days…",
    "trend_change": "Checking trends…",
    "records": "Looking for records…",
    "concentration": "Checking revenue concentration…",
    "goal_at_risk": "Checking goals…",
    "efficiency_change": "Checking ad efficiency…",
    "email_deliverability": "Checking e-mail health…",
    "churn_spike": "Checking churn…",
}


class InsightsError(ValueError):
    """A bad insights request (reversed range, a range in the future, unknown provider ...)."""


def detect(
    source: MetricSource, start: date, end: date, progress: Callable[[float, str], None] | None = None
) -> list[Insight]:
    """Every detector's findings, ranked by severity and de-duplicated (not narrated).

    ``progress(fraction, what)`` is told before each detector runs (the web panel's bar).
    """
    report = progress or (lambda fraction, what: None)
    if start > end:
        raise InsightsError(
            f"the date range is reversed: from {start.isoformat()} is after to {end.isoformat()}"
        )
    report(0.02, "Reading this period's totals…")
    exposure = Exposure.measure(source, start, end)
    found: list[Insight] = []
    report(0.1, "Comparing with the previous period…")
    period = changes.period_change(source, start, end, exposure)
    found += period
    found += changes.top_contributors(source, start, end, exposure, period)
    steps = (
        forecast_bridge.unusual_change,  # STL band + the forecast module's anomalies
        changes.trend_change,
        changes.records,
        business.concentration,
        forecast_bridge.goal_at_risk,  # the forecast module's period-end projection
        business.efficiency_change,
        business.email_deliverability,
        business.churn_spike,
    )
    for n, step in enumerate(steps):
        report(0.2 + 0.8 * n / len(steps), STEP_LABELS.get(step.__name__, "Looking for changes…"))
        try:
            found += step(source, start, end, exposure)
        except duckdb.InterruptException:
            # the server is stopping (Services.close interrupts the warehouse's queries): every
            # next detector would fail the same way, and a partial list must not pass for the lot
            raise
        except Exception:  # one detector's failure must not hide the others' findings
            logger.exception("insight detector %s failed", step.__name__)
    return merge(found)


def narrate_offline(insights: list[Insight], currency: str) -> list[Insight]:
    """Fill headline and text from the offline templates."""
    for insight in insights:
        insight.headline, insight.text = offline(insight, currency)
    return insights


@dataclass
class Generation:
    """The outcome of one insights run: what was said, by whom, and any note for the reader."""

    provider: str
    insights: list[Insight] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> dict:
        """The CLI's ``--json`` document (issue 12's shape, plus the note when there is one)."""
        out = {"provider": self.provider, "insights": [i.to_json() for i in self.insights]}
        if self.note:
            out["note"] = self.note
        return out
