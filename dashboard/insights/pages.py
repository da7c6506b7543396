"""Which insights belong on which page: each analytics page shows the findings about its own metrics.

The Revenue, Campaigns and Customers pages show the same generation as the overview (one job,
one cache entry per workspace, data version and range), narrowed to the page's metrics.
"""

from __future__ import annotations

from dashboard.models import Role

#: the metrics (catalogue names, plus the detectors' own such as ``churned_mrr``) of each page
PAGE_METRICS: dict[str, frozenset[str]] = {
    "revenue": frozenset({"net_revenue", "gross_revenue", "refunds", "fees", "payments_count",
                          "average_order_value", "mrr", "arr", "arpa", "nrr", "revenue_per_customer_month"}),
    "campaigns": frozenset({"spend", "impressions", "clicks", "conversions", "conversion_value", "roas", "cpa",
                            "cpc", "cpm", "ctr", "bounce_rate", "unsubscribe_rate", "open_rate", "click_rate",
                            "ctor", "emails_delivered", "sessions", "key_events", "web_conversion_rate"}),
    "customers": frozenset({"new_customers", "active_customers", "returning_customers", "customer_churn_rate",
                            "churned_mrr", "gross_mrr_churn", "net_mrr_churn", "ltv", "cac", "cac_payback"}),
}  # fmt: skip
#: the role each page's panel needs (the pages themselves are open to every member)
PAGE_ROLES: dict[str, Role] = {page: Role.VIEWER for page in PAGE_METRICS}


def for_page(items: list[dict], page: str) -> list[dict]:
    """The insights (JSON form, ranked) about ``page``'s metrics, in their ranked order.

    Revenue concentration by customer is a customers finding; by channel or product it stays
    with revenue.
    """
    if page not in PAGE_METRICS:
        raise ValueError(f"no insights panel for page {page!r}; pages: {', '.join(sorted(PAGE_METRICS))}")
    out = []
    for item in items:
        if item.get("type") == "concentration":
            home = "customers" if "customer" in (item.get("dimensions") or {}) else "revenue"
        else:
            home = next((p for p, names in PAGE_METRICS.items() if item.get("metric") in names), None)
        if home == page:
            out.append(item)
    return out
