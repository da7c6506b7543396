"""Each analytics page's Insights panel keeps the findings about its own metrics."""

from __future__ import annotations

import pytest

from dashboard.insights.pages import PAGE_METRICS, for_page

ITEMS = [
    {"id": "a", "type": "top_contributors", "metric": "net_revenue", "dimensions": {"channel": "Ads"}},
    {"id": "b", "type": "efficiency_change", "metric": "cpa", "dimensions": {"platform": "meta_ads"}},
    {"id": "c", "type": "churn_spike", "metric": "churned_mrr", "dimensions": {}},
    {"id": "d", "type": "concentration", "metric": "net_revenue", "dimensions": {"customer": "Big Co"}},
    {"id": "e", "type": "concentration", "metric": "net_revenue", "dimensions": {"channel": "Organic"}},
    {"id": "f", "type": "email_deliverability", "metric": "bounce_rate", "dimensions": {}},
    {"id": "g", "type": "period_change", "metric": "new_customers", "dimensions": {}},
]


@pytest.mark.parametrize(
    ("page", "expected"),
    [("revenue", ["a", "e"]), ("campaigns", ["b", "f"]), ("customers", ["c", "d", "g"])],
)
def test_inspage001_each_page_keeps_its_metrics_in_rank_order(page, expected):
    assert [i["id"] for i in for_page(ITEMS, page)] == expected


def test_inspage002_pages_do_not_share_a_metric():
    names = [m for metrics in PAGE_METRICS.values() for m in metrics]
    assert len(names) == len(set(names))


def test_inspage003_unknown_page_is_a_specific_error():
    with pytest.raises(ValueError, match="no insights panel for page 'forecasts'"):
        for_page(ITEMS, "forecasts")
