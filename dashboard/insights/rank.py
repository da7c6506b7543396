"""Severity and de-duplication: the order an owner should read the findings in.

Severity = money at stake x confidence, in the reporting currency: a likely $5,000 problem
outranks a certain $500 one. Near-duplicates (the same metric and dimension values over
overlapping dates, found by several detectors) become one insight, the most severe, which
keeps the others' numbers under ``evidence["related"]``.
"""

from __future__ import annotations

from dashboard.insights.model import Insight


def score(insight: Insight) -> float:
    """The severity of one insight (also stored on it)."""
    insight.severity = max(insight.money_at_stake, 0.0) * min(max(insight.confidence, 0.0), 1.0)
    return insight.severity


def _overlap(a: Insight, b: Insight) -> bool:
    return a.period_from <= b.period_to and b.period_from <= a.period_to


def _related(insight: Insight) -> dict:
    return {
        "type": insight.type,
        "period_from": insight.period_from,
        "period_to": insight.period_to,
        "value": insight.value,
        "baseline": insight.baseline,
    }


def merge(insights: list[Insight]) -> list[Insight]:
    """Ranked, de-duplicated insights (most severe first).

    A change of a total and the dimension value that explains it (``top_contributors``) are
    one story: the contributor keeps the total's numbers in its evidence and the higher
    severity of the two.
    """
    for insight in insights:
        score(insight)
    changes = {i.metric: i for i in insights if i.type == "period_change"}
    absorbed: set[int] = set()
    for insight in insights:
        total = changes.get(insight.metric)
        if insight.type == "top_contributors" and total is not None:
            insight.severity = max(insight.severity, total.severity)
            insight.confidence = max(insight.confidence, total.confidence)
            insight.evidence.setdefault("related", []).append(_related(total))
            absorbed.add(id(total))
    # The same for a trend: a channel's break that carries most of the total's break tells it.
    totals = {i.metric: i for i in insights if i.type == "trend_change" and not i.dimensions}
    for insight in insights:
        total = totals.get(insight.metric)
        if insight.type != "trend_change" or not insight.dimensions or total is None or id(total) in absorbed:
            continue
        part, whole = insight.value - insight.baseline, total.value - total.baseline
        if whole and part / whole >= 0.5:
            insight.severity = max(insight.severity, total.severity)
            insight.evidence.setdefault("related", []).append(_related(total))
            absorbed.add(id(total))
    kept: list[Insight] = []
    for insight in sorted(
        insights, key=lambda i: (-i.severity, i.type, i.metric, sorted(i.dimensions.items()))
    ):
        if id(insight) in absorbed:
            continue
        twin = next(
            (
                k
                for k in kept
                if k.metric == insight.metric and k.dimensions == insight.dimensions and _overlap(k, insight)
            ),
            None,
        )
        if twin is not None:
            twin.evidence.setdefault("related", []).append(_related(insight))
            continue
        kept.append(insight)
    return kept
