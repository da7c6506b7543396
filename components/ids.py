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


# data sources
SOURCES_INIT = "pb-src-init"
SOURCES_REFRESH = "pb-src-refresh"
SOURCES_UPLOAD_SECTION = "pb-src-upload-section"
SOURCES_UPLOAD = "pb-src-upload"
SOURCES_UPLOAD_ALERT = "pb-src-upload-alert"
SOURCES_JOBS = "pb-src-jobs"
SOURCES_JOBS_POLL = "pb-src-jobs-poll"
SOURCES_JOBS_PANEL = "pb-src-jobs-panel"
SOURCES_CONNECTORS = "pb-src-connectors"
SOURCES_RUNS = "pb-src-runs"
SOURCES_QUARANTINE = "pb-src-quarantine"
SOURCES_QUARANTINE_BUTTON = "pb-src-quarantine-button"
SOURCES_QUARANTINE_DOWNLOAD = "pb-src-quarantine-download"
SOURCE_FIELD = "pb-src-field"
SOURCE_ACTION = "pb-src-action"
SOURCE_MESSAGE = "pb-src-message"
SOURCE_STATUS = "pb-src-status"


def source_field(source: str, field: str) -> dict:
    """Pattern id of one credential input of a connector form."""
    return {"type": SOURCE_FIELD, "source": source, "field": field}


def source_action(source: str, action: str) -> dict:
    """Pattern id of a connector button (``save``, ``test`` or ``sync``)."""
    return {"type": SOURCE_ACTION, "source": source, "action": action}


def source_message(source: str) -> dict:
    """Pattern id of a connector form's message area."""
    return {"type": SOURCE_MESSAGE, "source": source}


def source_status(source: str) -> dict:
    """Pattern id of a connector's status badge."""
    return {"type": SOURCE_STATUS, "source": source}


# analytics pages (revenue, campaigns, customers): shared pattern ids, then one section per page
ANALYTICS_PANEL = "pb-panel"  # {"type": ANALYTICS_PANEL, "page": ..., "item": ...} panel body
ANALYTICS_CSV = "pb-csv"  # {"type": ANALYTICS_CSV, "page": ..., "item": ...} "Download CSV" button
ANALYTICS_GRAPH = "pb-graph"  # {"type": ANALYTICS_GRAPH, "page": ..., "item": ...} a clickable chart
ANALYTICS_GRID = "pb-grid"  # {"type": ANALYTICS_GRID, "page": ..., "item": ...} a clickable grid
PAGE_FILTER = "pb-page-filter"  # {"type": PAGE_FILTER, "page": ..., "key": "channel"} page filter dropdown


def panel(page: str, item: str) -> dict:
    """Pattern id of the body (loading + content) of one chart/grid panel of an analytics page."""
    return {"type": ANALYTICS_PANEL, "page": page, "item": item}


def csv_button(page: str, item: str) -> dict:
    """Pattern id of the "Download CSV" button of a panel."""
    return {"type": ANALYTICS_CSV, "page": page, "item": item}


def graph(page: str, item: str) -> dict:
    """Pattern id of a panel's chart (its clickData cross-filters or drills down)."""
    return {"type": ANALYTICS_GRAPH, "page": page, "item": item}


def grid(page: str, item: str) -> dict:
    """Pattern id of a panel's grid."""
    return {"type": ANALYTICS_GRID, "page": page, "item": item}


def page_filter(page: str, key: str) -> dict:
    """Pattern id of a page filter dropdown (channel, campaign, product, country, platform)."""
    return {"type": PAGE_FILTER, "page": page, "key": key}


def page_ids(page: str) -> dict[str, str]:
    """The fixed ids of an analytics page: KPI row, stores, chip bar, drill-down, download."""
    return {
        name: f"pb-{page}-{name}"
        for name in (
            "kpis",
            "page-filters",
            "crossfilter",
            "chips",
            "drill",
            "drill-title",
            "download",
            "goals",
        )
    }


# revenue
REVENUE = page_ids("revenue")
# campaigns
CAMPAIGNS = page_ids("campaigns")
# customers
CUSTOMERS = page_ids("customers")

# theme (navbar toggle + /settings "Appearance"; the choice is saved on the user)
THEME_TOGGLE = "pb-theme-toggle"
THEME_STORE = "pb-theme"  # {"theme": "light" | "dark" | "auto"} after the user picks one
THEME_SAVED = "pb-theme-saved"
THEME_CHOICE = "pb-theme-choice"  # {"type": THEME_CHOICE, "where": ...} a light/dark/auto picker


def theme_choice(where: str) -> dict:
    """Pattern id of a light/dark/auto picker (pattern ids let pages without one share the callback)."""
    return {"type": THEME_CHOICE, "where": where}


# settings
SETTINGS_INIT = "pb-settings-init"
SETTINGS_GOALS_VERSION = "pb-settings-goals-version"  # bumped after a save/delete: the list re-renders
SETTINGS_GOALS = "pb-settings-goals"
SETTINGS_GOAL_FORM = "pb-settings-goal-form"
SETTINGS_GOAL_METRIC = "pb-settings-goal-metric"
SETTINGS_GOAL_PERIOD = "pb-settings-goal-period"
SETTINGS_GOAL_WHEN = "pb-settings-goal-when"
SETTINGS_GOAL_TARGET = "pb-settings-goal-target"
SETTINGS_GOAL_SAVE = "pb-settings-goal-save"
SETTINGS_GOAL_MESSAGE = "pb-settings-goal-message"
SETTINGS_GOAL_DELETE = "pb-settings-goal-delete"  # {"type": ..., "goal": <goal id>}
SETTINGS_APPEARANCE = "pb-settings-appearance"
SETTINGS_ACCOUNT = "pb-settings-account"


def goal_delete(goal_id: int) -> dict:
    """Pattern id of the delete button of one goal (the id is re-checked against the workspace)."""
    return {"type": SETTINGS_GOAL_DELETE, "goal": goal_id}
