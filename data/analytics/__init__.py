"""Analytics beyond single metrics, one module per topic; every old name is re-exported here.

Pure functions over a :class:`~data.warehouse.ScopedWarehouse` (always one workspace) that
return polars frames or plain dicts; no Dash imports. Anything that *is* a catalogue metric is
read through :func:`data.metrics.query_metric`, so a number here equals the same number on
every other surface.

* :mod:`data.metrics.subscriptions`  MRR movements, churn, NRR, ARPA, LTV (the definitions)
* :mod:`data.analytics.cohorts`      cohort retention
* :mod:`data.analytics.customers`    new/returning counts, top customers, RFM segments
* :mod:`data.analytics.revenue`      revenue by dimension, drill-down rows
* :mod:`data.analytics.marketing`    CAC per channel, funnel, campaign and email tables
* :mod:`data.analytics.pipeline`     open pipeline, deals by stage, lead scoring
"""

from data.analytics.cohorts import cohort_retention
from data.analytics.customers import (
    RFM_SCHEMA,
    RFM_SEGMENTS,
    customer_counts,
    purchase_cycle_days,
    recency_limits,
    recency_rule,
    recency_scores,
    revenue_by_customer,
    rfm_customers,
    rfm_named,
    rfm_scores,
    rfm_segment,
    rfm_segments,
    top_customers,
)
from data.analytics.marketing import (
    AD_METRICS,
    CHANNEL_OF_PLATFORM,
    FUNNEL_STAGES,
    PAID_CHANNELS,
    ad_rows,
    cac_by_channel,
    campaign_table,
    email_table,
    funnel,
)
from data.analytics.pipeline import (
    FEATURES,
    LOGIT_RIDGE,
    MAX_LOGIT_COEF,
    MIN_CLOSED_DEALS,
    deals_by_stage,
    deals_frame,
    fit_logit,
    lead_scores,
    open_pipeline,
    pipeline_stats,
)
from data.analytics.revenue import period_of, revenue_by, revenue_rows
from data.metrics import NONE_LABEL, dimension_sql, period_start, periods, query_metric, whole_periods
from data.metrics.calendar import DAYS_PER_MONTH, period_bounds
from data.metrics.subscriptions import (
    MOVEMENT_NAMES,
    MOVEMENTS,
    customer_labels,
    mrr_customer_movements,
    mrr_movements,
    subscription_kpi_frame,
    subscription_kpis,
)

__all__ = [
    "AD_METRICS",
    "CHANNEL_OF_PLATFORM",
    "DAYS_PER_MONTH",
    "FEATURES",
    "FUNNEL_STAGES",
    "PAID_CHANNELS",
    "LOGIT_RIDGE",
    "MAX_LOGIT_COEF",
    "MIN_CLOSED_DEALS",
    "MOVEMENTS",
    "MOVEMENT_NAMES",
    "NONE_LABEL",
    "customer_labels",
    "RFM_SCHEMA",
    "RFM_SEGMENTS",
    "ad_rows",
    "cac_by_channel",
    "campaign_table",
    "cohort_retention",
    "customer_counts",
    "deals_by_stage",
    "deals_frame",
    "dimension_sql",
    "email_table",
    "fit_logit",
    "funnel",
    "lead_scores",
    "mrr_customer_movements",
    "mrr_movements",
    "open_pipeline",
    "period_bounds",
    "period_of",
    "period_start",
    "periods",
    "pipeline_stats",
    "query_metric",
    "revenue_by",
    "revenue_by_customer",
    "revenue_rows",
    "purchase_cycle_days",
    "recency_limits",
    "recency_rule",
    "recency_scores",
    "rfm_customers",
    "rfm_named",
    "rfm_scores",
    "rfm_segment",
    "rfm_segments",
    "subscription_kpi_frame",
    "subscription_kpis",
    "top_customers",
    "whole_periods",
]
