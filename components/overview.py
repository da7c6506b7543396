"""What the overview shows: its KPI metrics and the metrics the trend chart can plot.

Labels come from the catalogue (``data.metrics``), never re-typed here.
"""

from data.metrics import get_metric

#: The overview's KPI cards, in order (metric names from data.metrics).
OVERVIEW_KPIS = ("net_revenue", "mrr", "new_customers", "spend", "roas", "sessions")
#: The metrics the trend chart offers, in order.
TREND_METRICS = ("net_revenue", "gross_revenue", "mrr", "new_customers", "spend", "sessions")
#: The trend chart's metric when the page opens.
DEFAULT_TREND = TREND_METRICS[0]
KPI_LABELS = {name: get_metric(name).label for name in OVERVIEW_KPIS}
TREND_CHOICES = {name: get_metric(name).label for name in TREND_METRICS}
