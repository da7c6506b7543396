"""What the overview shows: its KPI metrics and the metrics the trend chart can plot."""

#: The overview's KPI cards, in order (metric names from data.metrics).
OVERVIEW_KPIS = ("net_revenue", "mrr", "new_customers", "spend", "roas", "sessions")
KPI_LABELS = {
    "net_revenue": "Net revenue",
    "mrr": "MRR",
    "new_customers": "New customers",
    "spend": "Ad spend",
    "roas": "ROAS",
    "sessions": "Sessions",
}
TREND_CHOICES = {
    "net_revenue": "Net revenue",
    "gross_revenue": "Gross revenue",
    "mrr": "MRR",
    "new_customers": "New customers",
    "spend": "Ad spend",
    "sessions": "Sessions",
}
