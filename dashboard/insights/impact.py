"""Money at stake: how much revenue, spend or MRR a finding concerns.

Severity ranks findings by money at stake x confidence, so every detector needs its finding
in money. A currency metric's change is money already; a count or a rate is turned into money
through what it is worth in this workspace over the same period (revenue per session, per new
customer ...), computed once per run from the metric layer (:class:`Exposure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dashboard.insights.source import MetricSource
from data.metrics import get_metric

#: metrics whose one unit is worth (net revenue / their total) x weight over the period; the
#: weight is the share of revenue the metric plausibly drives (a session is not a sale)
PER_UNIT = {"new_customers": 0.5, "payments_count": 0.8, "conversions": 0.5, "sessions": 0.3, "users": 0.3,
            "new_users": 0.3, "key_events": 0.3, "deals_won": 0.5, "active_customers": 0.8}  # fmt: skip
#: ratio metrics -> (money base, share of it a 100% change of the rate puts at stake)
RATE_BASE = {
    "ctr": ("spend", 1.0),
    "cpc": ("spend", 1.0),
    "cpm": ("spend", 1.0),
    "cpa": ("spend", 1.0),
    "roas": ("spend", 1.0),
    "web_conversion_rate": ("net_revenue", 0.3),
    "open_rate": ("net_revenue", 0.05),
    "click_rate": ("net_revenue", 0.05),
    "ctor": ("net_revenue", 0.05),
    "bounce_rate": ("net_revenue", 0.05),
    "unsubscribe_rate": ("net_revenue", 0.05),
    "spam_report_rate": ("net_revenue", 0.05),
    "win_rate": ("net_revenue", 0.3),
}


@dataclass
class Exposure:
    """Period totals of the money metrics and of the per-unit metrics, for one run."""

    totals: dict[str, float] = field(default_factory=dict)

    @classmethod
    def measure(cls, source: MetricSource, start: date, end: date) -> Exposure:
        """Totals over [start, end], asked in one request per table family."""
        names = ["net_revenue", "spend", *PER_UNIT, "mrr"]
        frames = source.frames(names, start, end)
        return cls({n: float(f["value"][0] or 0.0) for n, f in frames.items()})

    def money(self, metric: str, value: float | None, baseline: float | None) -> float:
        """The money a change of ``metric`` from ``baseline`` to ``value`` puts at stake (>= 0)."""
        if value is None or baseline is None:
            return 0.0
        delta = abs(value - baseline)
        revenue = abs(self.totals.get("net_revenue", 0.0))
        try:
            unit = get_metric(metric).unit
        except ValueError:
            unit = "currency"  # derived measures such as churned MRR are money
        if unit == "currency" and metric not in RATE_BASE:
            return delta
        if metric in PER_UNIT:
            count = self.totals.get(metric) or 0.0
            return min(delta * revenue / count, revenue) * PER_UNIT[metric] if count else 0.0
        base_metric, share = RATE_BASE.get(metric, ("net_revenue", 0.1))
        relative = min(delta / abs(baseline), 1.0) if baseline else 1.0
        return relative * share * abs(self.totals.get(base_metric, 0.0))
