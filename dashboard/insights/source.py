"""Where the detectors read numbers: the metric layer, for one workspace.

Two implementations of the same small interface: :class:`CachedSource` for the web app (the
cached ``dashboard.queries.metric_frames``, goals from the app DB) and :class:`WarehouseSource`
for the CLI, tests and the evaluation bench (``data.metrics.query_metrics`` on a scoped
warehouse). Either way every number is a catalogue metric, never a hand-written query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import polars as pl

from data.metrics import query_metrics
from data.warehouse import ScopedWarehouse, WorkspaceRef


@dataclass(frozen=True)
class GoalSpec:
    """A goal the detectors check: a target for a metric over a calendar period."""

    metric: str
    period: str
    period_start: date
    period_end: date
    target: float


class MetricSource(Protocol):
    """The metric layer for one workspace."""

    workspace: WorkspaceRef
    scoped: ScopedWarehouse

    def frames(
        self,
        names: list[str],
        start: date,
        end: date,
        *,
        grain: str = "total",
        by: str | None = None,
        compare: str | None = None,
    ) -> dict[str, pl.DataFrame]:
        """``data.metrics.query_metrics`` of the workspace."""

    def goals(self, day: date) -> list[GoalSpec]:
        """The goals whose period contains ``day``."""

    def top_customers(self, start: date, end: date, limit: int) -> pl.DataFrame:
        """``data.analytics.top_customers`` (columns name, revenue, share ...)."""

    def mrr_movements(self, start: date, end: date, grain: str) -> pl.DataFrame:
        """``data.analytics.mrr_movements`` (churn, contraction, opening_mrr ... per period)."""

    def customer_split(self, metric: str, start: date, end: date, limit: int) -> pl.DataFrame:
        """A revenue metric per customer, range vs the previous period, biggest moves first.

        Columns customer, value, compare_value; ``customer`` is what a person reads (name, else
        email), never a vendor id.
        """


#: what a customer without a name or email on file is called (never its vendor id)
UNNAMED_CUSTOMER = "Unnamed customer"


def display_name(name: str | None, email: str | None) -> str:
    """How an insight names a customer: the name, else the email; never a vendor id (cus_...)."""
    for text in (name, email):
        if text and text.strip():
            return text.strip()
    return UNNAMED_CUSTOMER


class _Analytics:
    """The subscription and customer analytics both sources read from the scoped warehouse."""

    scoped: ScopedWarehouse

    def top_customers(self, start: date, end: date, limit: int) -> pl.DataFrame:
        """The customers with the most revenue in the range, with their share and ``label``.

        ``label`` is the name, else the email (matched on vendor id or email hash, as the
        customer pages do), never the customer key.
        """
        from data.analytics import customer_labels, top_customers

        frame = top_customers(self.scoped, start, end, limit=limit)
        found = {
            r["customer"]: r
            for r in customer_labels(self.scoped, frame["customer"].to_list()).iter_rows(named=True)
        }
        labels = [
            display_name(name or found.get(key, {}).get("name"), found.get(key, {}).get("email"))
            for key, name in zip(frame["customer"], frame["name"], strict=True)
        ]
        return frame.with_columns(pl.Series("label", labels, dtype=pl.Utf8))

    def customer_split(self, metric: str, start: date, end: date, limit: int) -> pl.DataFrame:
        """``data.analytics.revenue_by_customer`` vs the previous period, named for people."""
        from data.analytics import revenue_by_customer
        from data.metrics import comparison_range

        frame = revenue_by_customer(
            self.scoped, metric, (start, end), comparison_range(start, end, "previous_period"), limit=limit
        )
        labels = [display_name(n, e) for n, e in zip(frame["name"], frame["email"], strict=True)]
        return pl.DataFrame(
            {"customer": labels, "value": frame["value"], "compare_value": frame["compare_value"]},
            schema={"customer": pl.Utf8, "value": pl.Float64, "compare_value": pl.Float64},
        )

    def mrr_movements(self, start: date, end: date, grain: str) -> pl.DataFrame:
        """MRR movements per period (ChartMogul definitions)."""
        from data.analytics import mrr_movements

        return mrr_movements(self.scoped, start, end, grain)


class WarehouseSource(_Analytics):
    """The metric layer straight from a scoped warehouse (CLI, tests, bench)."""

    def __init__(self, scoped: ScopedWarehouse, goals: list[GoalSpec] | None = None):
        self.scoped = scoped
        self.workspace = scoped.workspace
        self._goals = goals or []

    def frames(self, names, start, end, *, grain="total", by=None, compare=None):
        """``query_metrics`` for this workspace."""
        return query_metrics(self.scoped, list(names), start, end, grain=grain, by=by, compare=compare)

    def goals(self, day: date) -> list[GoalSpec]:
        """The goals given at construction whose period contains ``day``."""
        return [g for g in self._goals if g.period_start <= day <= g.period_end]


class CachedSource(_Analytics):
    """The metric layer through the web app's query cache, for a logged-in user's workspace."""

    def __init__(self, services, ctx):
        self.services = services
        self.ctx = ctx
        self.workspace = ctx.workspace
        self.scoped = services.warehouse.scoped(ctx.workspace)

    def frames(self, names, start, end, *, grain="total", by=None, compare=None):
        """``dashboard.queries.metric_frames`` (cached by workspace and data version)."""
        from dashboard.queries import metric_frames

        return metric_frames(
            self.services, self.ctx, list(names), start, end, grain=grain, by=by, compare=compare
        )

    def top_customers(self, start: date, end: date, limit: int) -> pl.DataFrame:
        """As :class:`_Analytics` does, through the query cache."""
        return self._cached("top_customers", (start, end, limit), super().top_customers)

    def customer_split(self, metric: str, start: date, end: date, limit: int) -> pl.DataFrame:
        """As :class:`_Analytics` does, through the query cache."""
        return self._cached("customer_split", (metric, start, end, limit), super().customer_split)

    def mrr_movements(self, start: date, end: date, grain: str) -> pl.DataFrame:
        """As :class:`_Analytics` does, through the query cache."""
        return self._cached("mrr_movements", (start, end, grain), super().mrr_movements)

    def _cached(self, name: str, args: tuple, read):
        """``read(*args)`` through the query cache.

        A generation runs behind page loads: there a query waits for the pages to settle and
        runs one at a time (``cached_call``); and the next page opened at the range reuses it.
        """
        from dashboard.queries import cached_call

        return cached_call(
            self.services, self.workspace, f"insights:{name}", list(args), lambda _s: read(*args)
        )

    def goals(self, day: date) -> list[GoalSpec]:
        """The workspace's goals (app DB) whose period contains ``day``."""
        from dashboard.goals import goals_for, period_bounds

        out = []
        for goal in goals_for(self.services, self.ctx, day).values():
            start, end = period_bounds(goal.period, goal.period_start)
            out.append(GoalSpec(goal.metric, goal.period, start, end, float(goal.target)))
        return out


def values(frame: pl.DataFrame) -> np.ndarray:
    """The ``value`` column as floats (missing -> NaN)."""
    return frame["value"].cast(pl.Float64).fill_null(float("nan")).to_numpy()


def total(source: MetricSource, name: str, start: date, end: date) -> float | None:
    """One metric's total over [start, end] (None when undefined, e.g. a ratio without a base)."""
    value = source.frames([name], start, end)[name]["value"][0]
    return None if value is None else float(value)
