"""The metric layer: every number Pulseboard shows, defined once and answered one way.

Read in this order to follow a number to its SQL:

* :mod:`data.metrics.catalogue`  what each metric means, its unit and format, how it is computed
* :mod:`data.metrics.request`    a request as one value (:class:`MetricRequest`), checked once
* :mod:`data.metrics.execute`    answering it: families, rollups, snapshots, derived metrics;
                                 ``explain_metric`` prints the SQL (``pulseboard metric ... --sql``)
* :mod:`data.metrics.compile`    a summed metric's request shape compiled to parameterised SQL
* :mod:`data.metrics.calendar`   periods, comparisons; :mod:`data.metrics.sql` shared SQL bits
* :mod:`data.metrics.subscriptions`, :mod:`data.metrics.derived`  MRR movements and the
  metrics computed from other answers (ARPA, NRR, CAC ...)
* :mod:`data.metrics.service`    the caches (compiled SQL, subscription frames), one service
                                 per app (``dashboard.services.Services.metrics``)

The names below are the public API (``from data.metrics import query_metric``).
"""

from data.metrics.calendar import (
    COMPARISONS,
    DAYS_PER_MONTH,
    GRAINS,
    comparison_range,
    minus_year,
    next_period,
    period_bounds,
    period_start,
    periods,
    whole_periods,
)
from data.metrics.catalogue import (
    AD_DIMS,
    CATALOGUE,
    DEAL_DIMS,
    EMAIL_DIMS,
    PAYMENT_DIMS,
    WEB_DIMS,
    Metric,
    get_metric,
)
from data.metrics.errors import MetricError
from data.metrics.execute import (
    SqlRecorder,
    answer,
    dimension_values,
    explain_metric,
    metric_family,
    precompile,
    query_metric,
    query_metrics,
)
from data.metrics.request import MetricRequest, check_request
from data.metrics.service import MetricService, service_of
from data.metrics.sql import NONE_LABEL, UNKNOWN_LABEL, dimension_sql, inline_params, sql_literal, value_text

__all__ = [
    "AD_DIMS",
    "CATALOGUE",
    "COMPARISONS",
    "DAYS_PER_MONTH",
    "DEAL_DIMS",
    "EMAIL_DIMS",
    "GRAINS",
    "NONE_LABEL",
    "UNKNOWN_LABEL",
    "PAYMENT_DIMS",
    "WEB_DIMS",
    "Metric",
    "MetricError",
    "MetricRequest",
    "MetricService",
    "SqlRecorder",
    "answer",
    "check_request",
    "comparison_range",
    "dimension_sql",
    "dimension_values",
    "explain_metric",
    "get_metric",
    "inline_params",
    "metric_family",
    "minus_year",
    "next_period",
    "period_bounds",
    "period_start",
    "periods",
    "precompile",
    "query_metric",
    "query_metrics",
    "service_of",
    "sql_literal",
    "value_text",
    "whole_periods",
]
