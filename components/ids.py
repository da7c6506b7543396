"""Every component id of the app, in one place. Builders derive child ids from these."""

# shell
URL = "pb-url"
#: stores in the app shell through which the filter controls ask for a new query string (the
#: controls render with each page; see callbacks.common for why they do not write the URL)
FILTERS_ASK = "pb-filters-ask"
PAGE_FILTERS_ASK = "pb-page-filters-ask"
NAVBAR = "pb-navbar"
NAVBAR_TOGGLER = "pb-navbar-toggler"
NAVBAR_COLLAPSE = "pb-navbar-collapse"
LOGOUT_CSRF = "pb-logout-csrf"
WORKSPACE_CSRF = "pb-workspace-csrf"
WORKSPACE_SELECT = "pb-workspace-select"
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
#: the trend card's body: the chart is rendered into it when the card nears the viewport
OVERVIEW_TREND_BODY = "pb-overview-trend-body"
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
#: {"type": FILL, "page": ..., "item": ...}: the dcc.Interval that asks a panel's callback for its
#: content once, when the page layout could not render it from the cache (see components.analytics)
FILL = "pb-fill"
#: {"type": HELD, "page": ..., "item": ...}: a dcc.Store holding a panel's content the layout found
#: cached, shown without a callback round trip once the panel nears the viewport, and the
#: interval that shows it ({"type": FILL_HELD, ...}; see components.analytics.panel)
HELD = "pb-held"
FILL_HELD = "pb-fill-held"
ANALYTICS_CSV = "pb-csv"  # {"type": ANALYTICS_CSV, "page": ..., "item": ...} "Download CSV" button
ANALYTICS_GRAPH = "pb-graph"  # {"type": ANALYTICS_GRAPH, "page": ..., "item": ...} a clickable chart
ANALYTICS_GRID = "pb-grid"  # {"type": ANALYTICS_GRID, "page": ..., "item": ...} a clickable grid
PAGE_FILTER = "pb-page-filter"  # {"type": PAGE_FILTER, "page": ..., "key": "channel"} page filter dropdown
GRID_FIRST = "pb-grid-first"  # {"type": GRID_FIRST, "page": ..., "item": ...} a paged grid's first page
GRID_ASK = "pb-grid-ask"  # {"type": GRID_ASK, "page": ..., "item": ...} a block request for the server


def panel(page: str, item: str) -> dict:
    """Pattern id of the body (loading + content) of one chart/grid panel of an analytics page."""
    return {"type": ANALYTICS_PANEL, "page": page, "item": item}


def fill(page: str, item: str) -> dict:
    """Pattern id of the interval that fills a panel (KPI row, page controls) the layout left empty."""
    return {"type": FILL, "page": page, "item": item}


def held(page: str, item: str) -> dict:
    """Pattern id of the store holding a lazy panel's cached content until the panel shows."""
    return {"type": HELD, "page": page, "item": item}


def fill_held(page: str, item: str) -> dict:
    """Pattern id of the interval that shows a lazy panel's held content (ticked by the browser)."""
    return {"type": FILL_HELD, "page": page, "item": item}


def csv_button(page: str, item: str) -> dict:
    """Pattern id of the "Download CSV" button of a panel."""
    return {"type": ANALYTICS_CSV, "page": page, "item": item}


def graph(page: str, item: str) -> dict:
    """Pattern id of a panel's chart (its clickData cross-filters or drills down)."""
    return {"type": ANALYTICS_GRAPH, "page": page, "item": item}


def grid(page: str, item: str) -> dict:
    """Pattern id of a panel's grid."""
    return {"type": ANALYTICS_GRID, "page": page, "item": item}


def grid_first(page: str, item: str) -> dict:
    """Pattern id of the store holding a server-paged grid's first page, sent with the grid."""
    return {"type": GRID_FIRST, "page": page, "item": item}


def grid_ask(page: str, item: str) -> dict:
    """Pattern id of the store a server-paged grid's block requests go through to the server."""
    return {"type": GRID_ASK, "page": page, "item": item}


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
            "click",  # the last chart click / grid row selection, passed on by a clientside gate
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
SETTINGS_GOALS_POLL = "pb-settings-goals-poll"  # re-renders the list while goal chances are computed
SETTINGS_GOAL_FORM = "pb-settings-goal-form"
SETTINGS_GOAL_METRIC = "pb-settings-goal-metric"
SETTINGS_GOAL_PERIOD = "pb-settings-goal-period"
SETTINGS_GOAL_WHEN = "pb-settings-goal-when"
SETTINGS_GOAL_TARGET = "pb-settings-goal-target"
SETTINGS_GOAL_SAVE = "pb-settings-goal-save"
SETTINGS_GOAL_MESSAGE = "pb-settings-goal-message"
SETTINGS_GOAL_DELETE = "pb-settings-goal-delete"  # {"type": ..., "goal": <goal id>}
SETTINGS_APPEARANCE = "pb-settings-appearance"
SETTINGS_NUMBERS = "pb-settings-numbers"  # the workspace's number format: owners' select, others' note
SETTINGS_NUMBER_LOCALE = "pb-settings-number-locale"
SETTINGS_NUMBERS_MESSAGE = "pb-settings-numbers-message"
SETTINGS_ACCOUNT = "pb-settings-account"
SETTINGS_PASSWORD_CURRENT = "pb-settings-password-current"
SETTINGS_PASSWORD_NEW = "pb-settings-password-new"
SETTINGS_PASSWORD_CONFIRM = "pb-settings-password-confirm"
SETTINGS_PASSWORD_SAVE = "pb-settings-password-save"
SETTINGS_PASSWORD_MESSAGE = "pb-settings-password-message"
SETTINGS_AUDIT = "pb-settings-audit"  # the audit log section (owners): filters + list
SETTINGS_AUDIT_LIST = "pb-settings-audit-list"
SETTINGS_AUDIT_ACTION = "pb-settings-audit-action"
SETTINGS_AUDIT_ACTOR = "pb-settings-audit-actor"


SETTINGS_PEOPLE = "pb-settings-people"  # the People section (owners): members, invite form, pending
SETTINGS_PEOPLE_VERSION = "pb-settings-people-version"  # bumped after a change: the list re-renders
SETTINGS_PEOPLE_MESSAGE = "pb-settings-people-message"
SETTINGS_MEMBER_ROLE = "pb-settings-member-role"  # {"type": ..., "member": <user id>} role select
SETTINGS_MEMBER_REMOVE = "pb-settings-member-remove"  # {"type": ..., "member": <user id>} confirm
SETTINGS_INVITE_EMAIL = "pb-settings-invite-email"  # {"type": ..., "where": "settings"}
SETTINGS_INVITE_ROLE = "pb-settings-invite-role"  # {"type": ..., "where": "settings"}
SETTINGS_INVITE_SEND = "pb-settings-invite-send"  # {"type": ..., "where": "settings"}
SETTINGS_INVITE_RESULT = "pb-settings-invite-result"
SETTINGS_INVITE_REVOKE = "pb-settings-invite-revoke"  # {"type": ..., "invite": <invitation id>}
SETTINGS_SIGNOUT_OTHERS = "pb-settings-signout-others"
SETTINGS_SESSIONS_MESSAGE = "pb-settings-sessions-message"
SETTINGS_SESSIONS_INFO = "pb-settings-sessions-info"
SETTINGS_SESSIONS_LIST = "pb-settings-sessions-list"  # the logged-in user's own sessions
SETTINGS_SESSIONS_VERSION = "pb-settings-sessions-version"  # bumped after a revoke: the list re-renders
SETTINGS_SESSION_REVOKE = "pb-settings-session-revoke"  # {"type": ..., "session": <session id>}
SETTINGS_REQUIRE_2FA = "pb-settings-require-2fa"  # {"type": ..., "where": "settings"} owners' switch
SETTINGS_LOGO = "pb-settings-logo"  # Settings → Reports: the report logo's preview and controls
SETTINGS_LOGO_PREVIEW = "pb-settings-logo-preview"
SETTINGS_LOGO_MESSAGE = "pb-settings-logo-message"
SETTINGS_LOGO_UPLOAD = "pb-settings-logo-upload"  # {"type": ..., "where": "settings"} owners only
SETTINGS_LOGO_REMOVE = "pb-settings-logo-remove"  # {"type": ..., "where": "settings"} owners only


def member_role(user_id: int) -> dict:
    """Pattern id of a member's role select (the id is re-checked against the workspace)."""
    return {"type": SETTINGS_MEMBER_ROLE, "member": user_id}


def member_remove(user_id: int) -> dict:
    """Pattern id of a member's confirmed "Remove" (the id is re-checked against the workspace)."""
    return {"type": SETTINGS_MEMBER_REMOVE, "member": user_id}


def invite_field(kind: str) -> dict:
    """Pattern id of the invite form's email/role/send (pattern: absent for non-owners)."""
    return {"type": kind, "where": "settings"}


def logo_control(kind: str) -> dict:
    """Pattern id of the report logo's upload or remove control (absent for non-owners)."""
    return {"type": kind, "where": "settings"}


def invite_revoke(invitation_id: int) -> dict:
    """Pattern id of a pending invitation's revoke button."""
    return {"type": SETTINGS_INVITE_REVOKE, "invite": invitation_id}


def session_revoke(session_id: int) -> dict:
    """Pattern id of one session's "Sign out" (the id is looked up among the caller's own sessions)."""
    return {"type": SETTINGS_SESSION_REVOKE, "session": session_id}


def goal_delete(goal_id: int) -> dict:
    """Pattern id of the delete button of one goal (the id is re-checked against the workspace)."""
    return {"type": SETTINGS_GOAL_DELETE, "goal": goal_id}


# report downloads (filter bar) and the reports page
REPORT_DOWNLOADS = "pb-report-downloads"
REPORT_PDF_LINK = "pb-report-pdf"
REPORT_XLSX_LINK = "pb-report-xlsx"
REPORTS_INIT = "pb-reports-init"
REPORTS_BUILDER = "pb-reports-builder"
REPORTS_SECTIONS = "pb-reports-sections"
REPORTS_PERIOD = "pb-reports-period"
REPORTS_COMPARE = "pb-reports-compare"
REPORTS_DATES = "pb-reports-dates"  # dcc.DatePickerRange of the "Custom range" period
REPORTS_DATES_WRAP = "pb-reports-dates-wrap"  # its column: shown only when Custom range is chosen
REPORTS_RANGE_MESSAGE = "pb-reports-range-message"  # why a custom range cannot be used
REPORTS_FILTER = "pb-reports-filter"  # {"type": REPORTS_FILTER, "form": "build"|"edit", "key": ...}
REPORTS_PREVIEW_BUTTON = "pb-reports-preview-btn"
REPORTS_PREVIEW = "pb-reports-preview"
REPORTS_DOWNLOAD_LINKS = "pb-reports-download-links"
REPORTS_NAME = "pb-reports-name"
REPORTS_PRESET = "pb-reports-preset"
REPORTS_WEEKDAY = "pb-reports-weekday"
REPORTS_DAY = "pb-reports-day"
REPORTS_HOUR = "pb-reports-hour"
REPORTS_CRON = "pb-reports-cron"
REPORTS_TIMEZONE = "pb-reports-timezone"
REPORTS_FORMATS = "pb-reports-formats"
REPORTS_RECIPIENTS = "pb-reports-recipients"
REPORTS_SUBJECT = "pb-reports-subject"
REPORTS_INTRO = "pb-reports-intro"
REPORTS_SAVE = "pb-reports-save"
REPORTS_SAVE_MESSAGE = "pb-reports-save-message"
REPORTS_SCHEDULE_FORM = "pb-reports-schedule-form"
REPORTS_SCHEDULES = "pb-reports-schedules"
REPORTS_HISTORY = "pb-reports-history"
REPORTS_NOTICES = "pb-reports-notices"
REPORTS_VERSION = "pb-reports-version"
# the edit dialog of a schedule (owners and managers)
REPORTS_EDIT_MODAL = "pb-reports-edit-modal"
REPORTS_EDIT_FORM = "pb-reports-edit-form"
REPORTS_EDIT_ID = "pb-reports-edit-id"  # dcc.Store: the id of the schedule in the dialog
REPORTS_EDIT_NAME = "pb-reports-edit-name"
REPORTS_EDIT_PRESET = "pb-reports-edit-preset"
REPORTS_EDIT_WEEKDAY = "pb-reports-edit-weekday"
REPORTS_EDIT_DAY = "pb-reports-edit-day"
REPORTS_EDIT_HOUR = "pb-reports-edit-hour"
REPORTS_EDIT_MINUTE = "pb-reports-edit-minute"
REPORTS_EDIT_CRON = "pb-reports-edit-cron"
REPORTS_EDIT_TIMEZONE = "pb-reports-edit-timezone"
REPORTS_EDIT_FORMATS = "pb-reports-edit-formats"
REPORTS_EDIT_RECIPIENTS = "pb-reports-edit-recipients"
REPORTS_EDIT_PERIOD = "pb-reports-edit-period"
REPORTS_EDIT_SUBJECT = "pb-reports-edit-subject"
REPORTS_EDIT_INTRO = "pb-reports-edit-intro"
REPORTS_EDIT_SAVE = "pb-reports-edit-save"
REPORTS_EDIT_CANCEL = "pb-reports-edit-cancel"
REPORTS_EDIT_MESSAGE = "pb-reports-edit-message"


def report_schedule_action(schedule_id: int, action: str) -> dict:
    """Pattern id of a schedule's "Pause", "Resume" or "Delete" button (action: pause|resume|delete)."""
    return {"type": "pb-report-schedule-action", "schedule": schedule_id, "action": action}


def report_schedule_edit(schedule_id: int) -> dict:
    """Pattern id of a schedule's "Edit" button (opens the edit dialog)."""
    return {"type": "pb-report-schedule-edit", "schedule": schedule_id}


def report_filter(form: str, key: str) -> dict:
    """Pattern id of a filter dropdown of the report builder (``form="build"``) or the edit dialog."""
    return {"type": REPORTS_FILTER, "form": form, "key": key}


def report_resend(run_id: int) -> dict:
    """Pattern id of the "Resend" button of one report run."""
    return {"type": "pb-report-resend", "run": run_id}


# -- KPI rows: the cards after the first few fold under "More" (remembered in the browser) ------
KPI_FOLD_STORE = "pb-kpi-fold"  # dcc.Store(storage_type="local"): {page: True when unfolded}
KPI_FOLD = "pb-kpi-fold-row"  # {"type": KPI_FOLD, "page": ...} the row of cards
KPI_FOLD_TOGGLE = "pb-kpi-fold-toggle"  # {"type": KPI_FOLD_TOGGLE, "page": ...} the "More" button


def kpi_fold(page: str) -> dict:
    """Id of the KPI row of ``page`` whose later cards fold under "More"."""
    return {"type": KPI_FOLD, "page": page}


def kpi_fold_toggle(page: str) -> dict:
    """Id of the "More" / "Fewer" button under the KPI row of ``page``."""
    return {"type": KPI_FOLD_TOGGLE, "page": page}


# -- KPI projections: filled after the row by a poll (see callbacks/kpi_projections.py) ----------
KPI_PROJECTION = "pb-kpi-projection"  # {"type": KPI_PROJECTION, "metric": ...} a card's projection slot
KPI_PROJECTION_POLL = "pb-kpi-projection-poll"  # {"type": ..., "page": ...} dcc.Interval of a row
KPI_PROJECTION_ASK = "pb-kpi-projection-ask"  # {"type": ..., "page": ...} dcc.Store: the row's filters


def kpi_projection(metric: str) -> dict:
    """Id of the projection line of the KPI card of ``metric`` (text "On track for ...")."""
    return {"type": KPI_PROJECTION, "metric": metric}


def kpi_projection_poll(page: str) -> dict:
    """Id of the interval that fills a KPI row's projection slots until they are all answered."""
    return {"type": KPI_PROJECTION_POLL, "page": page}


def kpi_projection_ask(page: str) -> dict:
    """Id of the store holding the page filters a KPI row's projections apply."""
    return {"type": KPI_PROJECTION_ASK, "page": page}


# forecasts (/forecasts)
FORECAST_INIT = "pb-fc-init"
FORECAST_METRIC = "pb-fc-metric"
FORECAST_GRAIN = "pb-fc-grain"
FORECAST_HORIZON = "pb-fc-horizon"
FORECAST_MODEL = "pb-fc-model"
FORECAST_INTERVAL = "pb-fc-interval"
FORECAST_DIM = "pb-fc-dim"
FORECAST_VALUE = "pb-fc-value"
FORECAST_VALUES = "pb-fc-values"  # datalist of suggested filter values
FORECAST_RUN = "pb-fc-run"
FORECAST_CANCEL = "pb-fc-cancel"
FORECAST_JOB = "pb-fc-job"  # dcc.Store: the running job's id
FORECAST_POLL = "pb-fc-poll"
FORECAST_PROGRESS = "pb-fc-progress"
FORECAST_STATUS = "pb-fc-status"
FORECAST_NOTICE = "pb-fc-notice"  # role notice (viewers)
FORECAST_CHART = "pb-fc-chart"
FORECAST_SUMMARY = "pb-fc-summary"
FORECAST_BACKTEST = "pb-fc-backtest"
FORECAST_ANOMALIES = "pb-fc-anomalies"
# the "Forecast" toggle on the revenue trend chart
REVENUE_FORECAST_TOGGLE = "pb-revenue-forecast-toggle"
REVENUE_FORECAST_ASK = "pb-revenue-forecast-ask"  # the switch's state, passed on when the server is needed
# -- insights (the overview's panel) and the AI performance page ------------------------------
INSIGHTS_PANEL = "pb-insights-panel"
INSIGHTS_JOB = "pb-insights-job"  # {"job": id, "key": cache key} of the generation being polled
INSIGHTS_POLL = "pb-insights-poll"
INSIGHT_VOTE = "pb-insight-vote"  # {"type": INSIGHT_VOTE, "insight": ..., "vote": "up" | "down"}
AI_PERF_BODY = "pb-ai-perf-body"
AI_PERF_FORECAST_FIGURE = "pb-ai-perf-forecast"


def insight_vote(insight_id: str, vote: str) -> dict:
    """The 👍 (``up``) or 👎 (``down``) button of one insight."""
    return {"type": INSIGHT_VOTE, "insight": insight_id, "vote": vote}


def page_insights(page: str, part: str) -> str:
    """Ids of a page's Insights panel (``part``: panel, job or poll), e.g. ``pb-revenue-insights-panel``."""
    return f"pb-{page}-insights-{part}"
