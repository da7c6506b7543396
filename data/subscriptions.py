"""Old home of :func:`all_subscriptions`; the subscription code lives in :mod:`data.metrics.subscriptions`."""

from data.metrics.subscriptions import all_subscriptions

__all__ = ["all_subscriptions"]
