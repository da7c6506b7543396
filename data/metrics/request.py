"""A metric request as one value, checked once.

The same seven things travel together through the whole layer (and its caches): which metrics,
the date range, the grain, the split, the comparison and the filters. :class:`MetricRequest`
holds them, immutable and hashable, and :meth:`MetricRequest.check` says what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from data.metrics.calendar import COMPARISONS, GRAINS, comparison_range
from data.metrics.catalogue import Metric, get_metric
from data.metrics.errors import MetricError


@dataclass(frozen=True)
class MetricRequest:
    """Metrics over an inclusive range of workspace-local days, per period, split, compared, filtered."""

    names: tuple[str, ...]
    start: date
    end: date
    grain: str = "total"
    by: str | None = None
    compare: str | None = None
    #: (dimension, value) pairs, sorted: a dict cannot be part of a frozen, hashable value
    where: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        names,
        start: date,
        end: date,
        *,
        grain: str = "total",
        by: str | None = None,
        compare: str | None = None,
        where: dict | None = None,
    ) -> MetricRequest:
        """A request from the public keyword form (one name or several; ``where`` as a dict)."""
        names = (names,) if isinstance(names, str) else tuple(names)
        pairs = tuple(sorted((str(k), str(v)) for k, v in (where or {}).items()))
        return cls(names, start, end, grain, by, compare, pairs)

    @property
    def filters(self) -> dict[str, str]:
        """``where`` as a dict."""
        return dict(self.where)

    def metrics(self) -> list[Metric]:
        """The catalogue entries asked for (MetricError for an unknown name)."""
        return [get_metric(name) for name in self.names]

    def check(self) -> list[Metric]:
        """The metrics, once every part of the request is valid for each; else MetricError."""
        metrics = self.metrics()
        for metric in metrics:
            check_request(metric, self.start, self.end, self.grain, self.by, self.compare)
            for key, _ in self.where:
                if key not in metric.dimensions:
                    accepted = ", ".join(metric.dimensions) or "none"
                    raise MetricError(
                        f"metric {metric.name!r} cannot be filtered by {key!r}; accepted dimensions: {accepted}"
                    )
        return metrics

    def comparison(self) -> MetricRequest:
        """The same request over the comparison's range, without a comparison of its own."""
        c_start, c_end = comparison_range(self.start, self.end, self.compare)
        return replace(self, start=c_start, end=c_end, compare=None)

    def with_range(self, start: date, end: date) -> MetricRequest:
        """The same request over another range."""
        return replace(self, start=start, end=end)


def check_request(
    metric: Metric, start: date, end: date, grain: str, by: str | None, compare: str | None
) -> None:
    """Raise MetricError naming the bad value and the accepted ones."""
    if grain not in GRAINS:
        raise MetricError(f"unknown grain {grain!r}; accepted: {', '.join(GRAINS)}")
    if by is not None and metric.derive is not None:
        raise MetricError(
            f"metric {metric.name!r} cannot be split by a dimension (it is derived from other "
            "answers); filter it instead"
        )
    if by is not None and by not in metric.dimensions:
        accepted = ", ".join(metric.dimensions) or "none"
        raise MetricError(
            f"metric {metric.name!r} cannot be split by {by!r}; accepted dimensions: {accepted}"
        )
    if compare is not None and compare not in COMPARISONS:
        raise MetricError(f"unknown comparison {compare!r}; accepted: {', '.join(COMPARISONS)}")
    if start > end:
        raise MetricError(
            f"the date range is reversed: from {start.isoformat()} is after to {end.isoformat()}"
        )
