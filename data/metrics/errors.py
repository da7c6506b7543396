"""The one error type of the metric layer."""


class MetricError(ValueError):
    """A bad metric request (unknown metric, dimension, grain, comparison or date range)."""
