"""Every component id of the app, in one place. Builders derive child ids from these."""

# shell
URL = "pb-url"
NAVBAR = "pb-navbar"
NAVBAR_TOGGLER = "pb-navbar-toggler"
NAVBAR_COLLAPSE = "pb-navbar-collapse"
PAGE_TITLE = "pb-page-title"

# global filter bar (state mirrored in the URL query string)
FILTERS_STORE = "pb-filters"
FILTER_RANGE = "pb-filter-range"
FILTER_DATES = "pb-filter-dates"
FILTER_DATES_WRAP = "pb-filter-dates-wrap"
FILTER_COMPARE = "pb-filter-compare"
FILTER_GRAIN = "pb-filter-grain"
FILTER_SUMMARY = "pb-filter-summary"

# overview
OVERVIEW_KPIS = "pb-overview-kpis"
OVERVIEW_TREND = "pb-overview-trend"
OVERVIEW_TREND_METRIC = "pb-overview-trend-metric"


def kpi_card(metric: str) -> str:
    """Id of the KPI card of ``metric`` (its value element is ``<id>-value``)."""
    return f"pb-kpi-{metric}"
