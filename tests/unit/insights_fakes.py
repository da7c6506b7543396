"""An in-memory metric source for the insight detectors' unit tests.

Series are daily arrays per (metric part, dimension value); metrics are summed or divided
exactly like the catalogue does (ratios from summed parts), so a test plants an effect in a
part and the detectors see it through the same ``frames`` interface the warehouse gives.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from data.metrics import comparison_range, get_metric, periods
from data.warehouse import WorkspaceRef

#: ratio metrics -> (numerator part, denominator part)
RATIOS = {
    "ctr": ("clicks", "impressions"),
    "cpc": ("spend", "clicks"),
    "cpa": ("spend", "conversions"),
    "roas": ("conversion_value", "spend"),
    "bounce_rate": ("bounces", "recipients"),
    "unsubscribe_rate": ("unsubscribes", "emails_delivered"),
    "spam_report_rate": ("spam_reports", "emails_delivered"),
    "web_conversion_rate": ("key_events", "sessions"),
}


class FakeSource:
    """Daily parts per dimension value, from ``origin`` on; unknown parts are zero."""

    def __init__(self, origin: date, days: int, goals=None):
        self.origin, self.days = origin, days
        self.parts: dict[str, dict[tuple, np.ndarray]] = {}
        self._goals = goals or []
        self.workspace = WorkspaceRef(1, "fake", "USD", "UTC")
        self.customers = pl.DataFrame(
            {"name": [], "revenue": [], "share": []},
            schema={"name": pl.Utf8, "revenue": pl.Float64, "share": pl.Float64},
        )
        self.movements: pl.DataFrame | None = None

    def add(self, part: str, series, **dims) -> FakeSource:
        """Add a daily series of ``part`` for one dimension value (``channel="Ads"``) or the total."""
        self.parts.setdefault(part, {})[tuple(sorted(dims.items()))] = np.asarray(series, dtype=float)
        return self

    def day(self, i: int) -> date:
        """The date of day ``i``."""
        return self.origin + timedelta(days=i)

    # -- the MetricSource interface ---------------------------------------------------------------
    def _sum(self, part: str, start: date, end: date, by: str | None) -> dict:
        out: dict = {}
        a = max((start - self.origin).days, 0)
        b = max((end - self.origin).days + 1, 0)
        for key, series in self.parts.get(part, {}).items():
            dims = dict(key)
            if by is None:
                label = None
            elif by in dims:
                label = dims[by]
            else:
                continue
            out[label] = out.get(label, 0.0) + float(series[a:b].sum())
        if by is None and None not in out:
            out[None] = 0.0
        return out

    def _value(self, name: str, start: date, end: date, by: str | None) -> dict:
        if name in RATIOS:
            num, den = (self._sum(p, start, end, by) for p in RATIOS[name])
            return {k: (num.get(k, 0.0) / den[k] if den.get(k) else None) for k in set(num) | set(den)}
        return self._sum(name, start, end, by)

    def frames(self, names, start, end, *, grain="total", by=None, compare=None):
        """Like ``query_metrics``: period, [by], value, compare_value per metric."""
        out = {}
        for name in names:
            get_metric(name)  # unknown names fail like the real layer
            rows = []
            bounds = [(start, end)] if grain == "total" else self._bounds(start, end, grain)
            for s, e in bounds:
                now = self._value(name, s, e, by)
                before = self._value(name, *comparison_range(s, e, compare), by) if compare else {}
                for label, value in now.items():
                    row = {"period": None if grain == "total" else s.isoformat()}
                    if by:
                        row[by] = label
                    row.update(value=value, compare_value=before.get(label))
                    rows.append(row)
            schema = {
                "period": pl.Utf8,
                **({by: pl.Utf8} if by else {}),
                "value": pl.Float64,
                "compare_value": pl.Float64,
            }
            out[name] = pl.DataFrame(rows, schema=schema)
        return out

    @staticmethod
    def _bounds(start, end, grain):
        starts = periods(start, end, grain)
        ends = [s - timedelta(days=1) for s in starts[1:]] + [end]
        return [(max(s, start), e) for s, e in zip(starts, ends, strict=True)]

    def goals(self, day):
        """Goals given at construction whose period contains ``day``."""
        return [g for g in self._goals if g.period_start <= day <= g.period_end]

    def top_customers(self, start, end, limit):
        """The customers frame given by the test."""
        return self.customers.head(limit)

    def customer_split(self, metric, start, end, limit):
        """Parts planted with a ``customer`` dimension (its value is the name a person reads)."""
        frame = self.frames([metric], start, end, by="customer", compare="previous_period")[metric]
        frame = frame.select("customer", pl.col("value").fill_null(0), pl.col("compare_value").fill_null(0))
        change = (pl.col("value") - pl.col("compare_value")).abs()
        return frame.filter(change > 0).sort(change, descending=True).head(limit)

    def mrr_movements(self, start, end, grain):
        """Monthly or total churn from the ``movements`` frame given by the test (columns day, churn, opening_mrr ...)."""
        if self.movements is None:
            return pl.DataFrame({"period": [], "churn": [], "contraction": [], "opening_mrr": []})
        rows = self.movements.filter((pl.col("day") >= start) & (pl.col("day") <= end))
        if grain == "total":
            return rows.select(
                pl.lit(None).alias("period"),
                pl.col("churn").sum(),
                pl.col("contraction").sum(),
                pl.col("opening_mrr").first(),
                pl.col("churned_customers").sum(),
                pl.col("customers_start").first(),
            )
        return rows.group_by(pl.col("day").dt.truncate("1mo").alias("period"), maintain_order=True).agg(
            pl.col("churn").sum(), pl.col("contraction").sum(), pl.col("opening_mrr").first()
        )


def noisy(days: int, level: float, sd: float, seed: int = 1, weekly: float = 0.0) -> np.ndarray:
    """A clean daily series: level + a weekly season + normal noise (never negative)."""
    rng = np.random.default_rng(seed)
    season = weekly * np.sin(2 * np.pi * np.arange(days) / 7)
    return np.maximum(level + season + rng.normal(0, sd, days), 0).round(2)


def poisson(days: int, rate: float, seed: int = 1) -> np.ndarray:
    """Daily counts."""
    return np.random.default_rng(seed).poisson(rate, days).astype(float)
