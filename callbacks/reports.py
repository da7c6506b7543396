"""Reports page callbacks, and the PDF/Excel links of the analytics pages' filter bar.

Thin: each parses its inputs, checks the caller's role from the session (never from an input)
and calls ``reports.*``. Viewers may preview; analysts and up download; owners and managers
schedule, edit and resend. A run id from a "Resend" button is looked up inside the session's
workspace only (``reports.delivery.resend``), so a forged one finds nothing.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode

from dash import ALL, MATCH, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask import has_request_context
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from callbacks import _analytics as an
from callbacks.campaigns import options as campaign_options
from callbacks.common import Scope, request_scope
from components import ids
from components import reports as ui
from dashboard.auth import PermissionDenied, current_context, require_role
from dashboard.filters import MAX_DAYS, DateRangeError, check_range, today_in
from dashboard.models import Notification, Role
from dashboard.report_routes import PAGE_SECTIONS
from dashboard.services import current_services
from reports.assemble import assemble
from reports.definition import ReportError, ReportSpec
from reports.periods import resolve_period
from reports.schedule import Rule
from reports.store import (
    ScheduleRequest,
    add_schedule,
    delete_schedule,
    history,
    list_schedules,
    set_active,
    update_schedule,
)

SCHEDULE_ROLE = Role.MANAGER
DOWNLOAD_ROLE = Role.ANALYST
NOTICES_SHOWN = 5
#: the filters a report can be built with: the analytics pages' filter dimensions, in their order
FILTER_KEYS = an.FILTER_KEYS
#: the longest filter value accepted from a form (as the analytics pages' filters)
MAX_FILTER_VALUE = 200


def report_links(pathname: str, query: dict) -> tuple | None:
    """The filter bar's PDF/Excel links for a page layout at ``pathname`` with ``query``.

    As :func:`filter_bar_links` answers them; None (hidden links) for callers who may not
    download, or outside a logged-in request.
    """
    if not has_request_context():  # a layout built outside a request (tests, validation)
        return None
    try:
        links = filter_bar_links(pathname, "?" + urlencode({k: str(v) for k, v in query.items()}))
    except HTTPException:  # nobody logged in: the page redirects
        return None
    return links if "d-none" not in links[2] else None


def filter_bar_links(pathname, search):
    """Point the filter bar's PDF/Excel links at the current page and filters (analysts and up).

    (pdf href, Excel href, the links' class). The page layouts render them (``report_links``):
    a callback on the URL cost each page load one more round trip.
    """
    if pathname not in PAGE_SECTIONS or not current_context().can(DOWNLOAD_ROLE):
        return no_update, no_update, "pb-report-downloads d-none"
    query = urlencode([("page", pathname), *parse_qsl((search or "").lstrip("?"))])
    return f"/reports/export.pdf?{query}", f"/reports/export.xlsx?{query}", "pb-report-downloads"


@callback(
    Output(ids.REPORTS_BUILDER, "children"),
    Output(ids.REPORTS_SCHEDULE_FORM, "children"),
    Output(ids.REPORTS_SCHEDULES, "children"),
    Output(ids.REPORTS_HISTORY, "children"),
    Output(ids.REPORTS_NOTICES, "children"),
    Input(ids.REPORTS_INIT, "data"),
    Input(ids.REPORTS_VERSION, "data"),
)
def fill_page(_init, _version):
    """Each part of the page for the caller's role and workspace."""
    context = current_context()
    services = current_services()
    workspace = context.workspace
    if ctx.triggered_id != ids.REPORTS_VERSION:
        # the custom range starts as last month: a whole, finished period to adjust
        start, end = resolve_period("last_month", today_in(workspace.timezone))
        options = filter_options(filter_choices(request_scope(None)), {})
        builder = ui.builder(workspace.timezone, filter_options=options, start=start, end=end)
    else:
        builder = no_update
    if context.can(SCHEDULE_ROLE):
        form = ui.schedule_form(workspace.timezone) if ctx.triggered_id != ids.REPORTS_VERSION else no_update
    else:
        form = "Owners and managers schedule reports; ask one to add you as a recipient."
    runs = history(services, workspace.id, limit=100)
    with services.db.session() as db:
        messages = db.scalars(
            select(Notification.message)
            .where(Notification.workspace_id == workspace.id, Notification.read_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(NOTICES_SHOWN)
        ).all()
    return (
        builder,
        form,
        ui.schedules_table(list_schedules(services, workspace.id), can_manage=context.can(SCHEDULE_ROLE)),
        ui.history_table(
            runs, can_download=context.can(DOWNLOAD_ROLE), can_resend=context.can(SCHEDULE_ROLE)
        ),
        ui.notices(list(messages)) if context.can(SCHEDULE_ROLE) else [],
    )


def filter_choices(scope: Scope) -> dict[str, list[str]]:
    """Every value each filter dimension has in the workspace: the analytics pages' own lists.

    Channels, products and countries come from the revenue rollup (as on Revenue and
    Customers), platforms and campaigns from ads and email (as on Campaigns); channels are the
    union of both. Both loaders are cached per workspace and data version.
    """
    money = an.payment_options(scope, ("channel", "product", "country"))
    ads = campaign_options(scope)
    found = {key: set(money.get(key, [])) | set(ads.get(key, [])) for key in FILTER_KEYS}
    return {key: sorted(values) for key, values in found.items()}


def filter_options(choices: dict[str, list[str]], selected: dict[str, str]) -> dict[str, list[dict]]:
    """Dropdown options per filter: a bounded list that always holds the selected value.

    (Dash 4's dcc.Dropdown clears a value its options lack: a stored value the data no longer
    has must still be offered, or opening the edit dialog would silently drop the filter.)
    """
    return {key: an.option_list(choices.get(key, []), None, selected.get(key)) for key in FILTER_KEYS}


def filters_from_form(values, id_list) -> dict[str, str]:
    """The filter dropdowns' values (pattern-id ``ALL`` lists) as ``{dimension: value}``.

    Browser state: the keys must be filter dimensions and the values short strings, else
    ReportError (a forged key is refused, never silently dropped). ReportSpec.validate then
    checks every key against the metric catalogue's dimensions.
    """
    if values is None and id_list is None:
        return {}
    if not isinstance(values, list) or not isinstance(id_list, list) or len(values) != len(id_list):
        raise ReportError("the filters could not be read; reload the page")
    filters: dict[str, str] = {}
    for component_id, value in zip(id_list, values, strict=True):
        key = component_id.get("key") if isinstance(component_id, dict) else None
        if key not in FILTER_KEYS:
            raise ReportError(f"unknown filter {key!r}; accepted: {', '.join(FILTER_KEYS)}")
        if value in (None, ""):
            continue  # "All ..."
        if not isinstance(value, str) or len(value) > MAX_FILTER_VALUE:
            raise ReportError(f"the {key} filter needs a value of 1 to {MAX_FILTER_VALUE} characters")
        filters[key] = value
    return filters


def custom_dates(start, end) -> tuple[date, date]:
    """The date picker's values as a usable range (ReportError saying what to fix)."""
    try:
        first = date.fromisoformat(str(start)[:10]) if start else None
        last = date.fromisoformat(str(end)[:10]) if end else None
    except ValueError:
        raise ReportError("the custom range's dates must be YYYY-MM-DD") from None
    if first is None or last is None:
        raise ReportError("choose the first and the last day of the custom range")
    try:
        check_range(first, last, max_days=MAX_DAYS)  # as the filter bar: at most five years
    except DateRangeError as exc:
        raise ReportError(str(exc)) from None
    return first, last


def spec_from_form(
    sections, period, compare, title: str = "Performance report", *, start=None, end=None, filters=None
) -> ReportSpec:
    """The builder's choices as a validated spec (ReportError for anything forged or empty).

    ``start``/``end`` are read only for the custom period; ``filters`` is a ``{dimension: value}``
    dict (see :func:`filters_from_form`).
    """
    period = period or "last_month"
    first, last = custom_dates(start, end) if period == "custom" else (None, None)
    return ReportSpec(
        sections=tuple(sections or ()),
        period=period,
        start=first,
        end=last,
        compare=compare or "none",
        filters=dict(filters or {}),
        title=title,
    ).validate()


@callback(
    Output(ids.REPORTS_DATES_WRAP, "className"),
    Output(ids.REPORTS_RANGE_MESSAGE, "children"),
    Input(ids.REPORTS_PERIOD, "value"),
    Input(ids.REPORTS_DATES, "start_date"),
    Input(ids.REPORTS_DATES, "end_date"),
)
def period_controls(period, start, end):
    """Show the date picker for the custom period only, and say at once when its range is unusable."""
    if period != "custom":
        return ui.dates_class(period), None
    try:
        custom_dates(start, end)
    except ReportError as exc:
        return ui.dates_class(period), ui.range_message(f"{exc}.")
    return ui.dates_class(period), None


@callback(
    Output(ids.report_filter(MATCH, MATCH), "options"),
    Input(ids.report_filter(MATCH, MATCH), "search_value"),
    State(ids.report_filter(MATCH, MATCH), "value"),
    prevent_initial_call=True,
)
def search_filter_options(search, value):
    """Typing in a filter searches all its values on the server (the list holds the first few)."""
    trig = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else {}
    if trig.get("key") not in FILTER_KEYS or not search:
        raise PreventUpdate
    choices = filter_choices(request_scope(None))
    return an.option_list(choices.get(trig["key"], []), search, value)


@callback(
    Output(ids.REPORTS_PREVIEW, "children"),
    Output(ids.REPORTS_DOWNLOAD_LINKS, "children"),
    Input(ids.REPORTS_PREVIEW_BUTTON, "n_clicks"),
    State(ids.REPORTS_SECTIONS, "value"),
    State(ids.REPORTS_PERIOD, "value"),
    State(ids.REPORTS_COMPARE, "value"),
    State(ids.REPORTS_DATES, "start_date"),
    State(ids.REPORTS_DATES, "end_date"),
    State(ids.report_filter("build", ALL), "value"),
    State(ids.report_filter("build", ALL), "id"),
    prevent_initial_call=True,
)
def preview(_n, sections, period, compare, start=None, end=None, filter_values=None, filter_ids=None):
    """Compute the report (the same numbers the files will hold) and show its KPIs."""
    context = current_context()
    try:
        filters = filters_from_form(filter_values, filter_ids)
        spec = spec_from_form(sections, period, compare, start=start, end=end, filters=filters)
    except ReportError as exc:
        return ui.notices([str(exc)]), []
    services = current_services()
    data = assemble(services.warehouse.scoped(context.workspace), spec)
    links = []
    if context.can(DOWNLOAD_ROLE):
        fixed = ReportSpec(**{**spec.__dict__, "period": "custom", "start": data.start, "end": data.end})
        links = ui.download_links(fixed)
    return ui.preview(data), links


@callback(
    Output(ids.REPORTS_SAVE_MESSAGE, "children"),
    Output(ids.REPORTS_VERSION, "data"),
    Input(ids.REPORTS_SAVE, "n_clicks"),
    State(ids.REPORTS_NAME, "value"),
    State(ids.REPORTS_PRESET, "value"),
    State(ids.REPORTS_WEEKDAY, "value"),
    State(ids.REPORTS_DAY, "value"),
    State(ids.REPORTS_HOUR, "value"),
    State(ids.REPORTS_CRON, "value"),
    State(ids.REPORTS_TIMEZONE, "value"),
    State(ids.REPORTS_FORMATS, "value"),
    State(ids.REPORTS_RECIPIENTS, "value"),
    State(ids.REPORTS_SUBJECT, "value"),
    State(ids.REPORTS_SECTIONS, "value"),
    State(ids.REPORTS_PERIOD, "value"),
    State(ids.REPORTS_COMPARE, "value"),
    State(ids.REPORTS_VERSION, "data"),
    State(ids.REPORTS_INTRO, "value"),
    State(ids.REPORTS_DATES, "start_date"),
    State(ids.REPORTS_DATES, "end_date"),
    State(ids.report_filter("build", ALL), "value"),
    State(ids.report_filter("build", ALL), "id"),
    prevent_initial_call=True,
)
def save_schedule(_n, name, preset, weekday, day, hour, cron, tz, formats, recipients, subject, sections, period,
                  compare, version, intro=None, start=None, end=None, filter_values=None,
                  filter_ids=None):  # fmt: skip
    """Save the builder's report (its filters too) with the schedule form's rule (owners and managers).

    A custom period is refused (ScheduleRequest.validate): the same fixed dates every time.
    """
    if not _n:  # the form was just rendered (Dash may call on insertion): not a click
        raise PreventUpdate
    try:
        context = require_role(SCHEDULE_ROLE)
        filters = filters_from_form(filter_values, filter_ids)
        request = schedule_request(name, preset, weekday, day, hour, cron, tz, formats, recipients, subject,
                                   sections, period, compare, intro=intro, start=start, end=end,
                                   filters=filters)  # fmt: skip
        info = add_schedule(current_services(), context.workspace.id, context.user_id, request)
    except PermissionDenied as exc:
        return ui.notices([f"Not saved: {exc}."]), no_update
    except ReportError as exc:
        return ui.notices([f"Not saved: {exc}."]), no_update
    return f"Scheduled {info['name']}: {info['when']} ({info['timezone']}).", (version or 0) + 1


def schedule_request(name, preset, weekday, day, hour, cron, tz, formats, recipients, subject, sections, period,
                     compare, *, intro=None, start=None, end=None, filters=None) -> ScheduleRequest:  # fmt: skip
    """The form's values as a ScheduleRequest (validated; ReportError names the bad field)."""
    rule = rule_from_form(preset, weekday, day, hour, 0, cron)
    title = (name or "").strip() or "Performance report"
    return ScheduleRequest(
        name=(name or "").strip(),
        spec=spec_from_form(sections, period, compare, title=title, start=start, end=end, filters=filters),
        rule=rule,
        timezone=(tz or "").strip(),
        formats=",".join(formats or []),
        recipients=recipients or "",
        subject=subject or "{report}: {workspace}, {period}",
        intro=str(intro or ""),
    ).validate()


def rule_from_form(preset, weekday, day, hour, minute, cron) -> Rule:
    """The "When" fields as a Rule (ReportError for a day, hour or minute that is not a number)."""
    try:
        day_n, hour_n, minute_n = (
            int(value if value not in (None, "") else default)
            for value, default in ((day, 1), (hour, 8), (minute, 0))
        )
    except (TypeError, ValueError):
        raise ReportError("day, hour and minute must be whole numbers") from None
    preset = preset or "weekly"
    if preset == "cron":
        return Rule("cron", cron=str(cron or "").strip())
    return Rule(str(preset), str(weekday or "mon"), day_n, hour_n, minute_n)


@callback(
    Output(ids.REPORTS_EDIT_MODAL, "is_open"),
    Output(ids.REPORTS_EDIT_FORM, "children"),
    Output(ids.REPORTS_EDIT_ID, "data"),
    Output(ids.REPORTS_EDIT_MESSAGE, "children"),
    Input(ids.report_schedule_edit(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_edit(_clicks):
    """Open the edit dialog filled with one schedule of the session's workspace (managers and up).

    Re-rendered buttons (after any change) fire with no click: nothing opens then.
    """
    if not isinstance(ctx.triggered_id, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
        raise PreventUpdate
    schedule = editable_schedule(ctx.triggered_id.get("schedule"))
    options = filter_options(filter_choices(request_scope(None)), schedule.get("filters") or {})
    return True, ui.edit_form(schedule, options), schedule["id"], None


def editable_schedule(schedule_id) -> dict:
    """The schedule ``schedule_id`` of the session's workspace, for a manager or owner.

    PreventUpdate for a lower role, a forged id or another workspace's schedule: the dialog
    stays closed and shows nothing.
    """
    try:
        context = require_role(SCHEDULE_ROLE)
    except PermissionDenied:
        raise PreventUpdate from None
    if not isinstance(schedule_id, int) or isinstance(schedule_id, bool):
        raise PreventUpdate
    found = [s for s in list_schedules(current_services(), context.workspace.id) if s["id"] == schedule_id]
    if not found:
        raise PreventUpdate
    return found[0]


@callback(
    Output(ids.REPORTS_EDIT_MODAL, "is_open", allow_duplicate=True),
    Input(ids.REPORTS_EDIT_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def cancel_edit(n_clicks):
    """Close the edit dialog without saving."""
    if not n_clicks:
        raise PreventUpdate
    return False


@callback(
    Output(ids.REPORTS_EDIT_MESSAGE, "children", allow_duplicate=True),
    Output(ids.REPORTS_EDIT_MODAL, "is_open", allow_duplicate=True),
    Output(ids.REPORTS_VERSION, "data", allow_duplicate=True),
    Input(ids.REPORTS_EDIT_SAVE, "n_clicks"),
    State(ids.REPORTS_EDIT_ID, "data"),
    State(ids.REPORTS_EDIT_NAME, "value"),
    State(ids.REPORTS_EDIT_PRESET, "value"),
    State(ids.REPORTS_EDIT_WEEKDAY, "value"),
    State(ids.REPORTS_EDIT_DAY, "value"),
    State(ids.REPORTS_EDIT_HOUR, "value"),
    State(ids.REPORTS_EDIT_MINUTE, "value"),
    State(ids.REPORTS_EDIT_CRON, "value"),
    State(ids.REPORTS_EDIT_TIMEZONE, "value"),
    State(ids.REPORTS_EDIT_FORMATS, "value"),
    State(ids.REPORTS_EDIT_RECIPIENTS, "value"),
    State(ids.REPORTS_EDIT_PERIOD, "value"),
    State(ids.REPORTS_EDIT_SUBJECT, "value"),
    State(ids.REPORTS_VERSION, "data"),
    State(ids.REPORTS_EDIT_INTRO, "value"),
    State(ids.report_filter("edit", ALL), "value"),
    State(ids.report_filter("edit", ALL), "id"),
    prevent_initial_call=True,
)
def save_edit(n_clicks, schedule_id, name, preset, weekday, day, hour, minute, cron, tz, formats, recipients,
              period, subject, version, intro=None, filter_values=None, filter_ids=None):  # fmt: skip
    """Save the dialog's changes to the schedule (owners and managers; their workspace's only).

    The role and workspace come from the session; the schedule id is looked up inside that
    workspace, so a forged one changes nothing. A bad field keeps the dialog open and says why.
    """
    if not n_clicks:
        raise PreventUpdate
    try:
        context = require_role(SCHEDULE_ROLE)
        if not isinstance(schedule_id, int) or isinstance(schedule_id, bool):
            raise ReportError("no scheduled report is open for editing")
        changes = {
            "name": str(name or "").strip(),
            "rule": rule_from_form(preset, weekday, day, hour, minute, cron),
            "timezone": str(tz or "").strip(),
            "formats": ",".join(str(f) for f in formats or []),
            "recipients": str(recipients or ""),
            "period": str(period or ""),
            "subject": str(subject or "") or "{report}: {workspace}, {period}",
            "intro": str(intro or ""),
        }
        if filter_ids:  # the dialog's dropdowns: {} when all say "All ..." (none sent: unchanged)
            changes["filters"] = filters_from_form(filter_values, filter_ids)
        update_schedule(current_services(), context.workspace.id, schedule_id, changes)
    except (PermissionDenied, ReportError) as exc:
        return (
            html.Div(f"Not saved: {exc}.", className="small text-danger", role="alert"),
            no_update,
            no_update,
        )
    return None, False, (version or 0) + 1


@callback(
    Output(ids.REPORTS_VERSION, "data", allow_duplicate=True),
    Input(ids.report_resend(ALL), "n_clicks"),
    State(ids.REPORTS_VERSION, "data"),
    prevent_initial_call=True,
)
def resend_run(clicks, version):
    """Resend one run from the history (owners and managers; the run must be in their workspace)."""
    from reports.delivery import resend

    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    try:
        context = require_role(SCHEDULE_ROLE)
    except PermissionDenied:
        raise PreventUpdate from None
    run_id = ctx.triggered_id.get("run")
    if not isinstance(run_id, int):
        raise PreventUpdate
    try:
        resend(current_services(), context.workspace.id, run_id)
    except LookupError:
        raise PreventUpdate from None
    return (version or 0) + 1


@callback(
    Output(ids.REPORTS_VERSION, "data", allow_duplicate=True),
    Input(ids.report_schedule_action(ALL, ALL), "n_clicks"),
    State(ids.REPORTS_VERSION, "data"),
    prevent_initial_call=True,
)
def schedule_button(clicks, version):
    """Pause, resume or delete a schedule from its row's buttons (owners and managers)."""
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    try:
        change_schedule(ctx.triggered_id.get("schedule"), ctx.triggered_id.get("action"))
    except PermissionDenied:  # a role below manager: nothing changes, and no 500
        raise PreventUpdate from None
    return (version or 0) + 1


def change_schedule(schedule_id, action) -> dict:
    """Apply ``action`` (pause|resume|delete) to a schedule of the session's workspace.

    The role and the workspace come from the session; a forged id of another workspace's
    schedule, or an unknown action, changes nothing (PreventUpdate).
    """
    context = require_role(SCHEDULE_ROLE)
    if not isinstance(schedule_id, int) or action not in ("pause", "resume", "delete"):
        raise PreventUpdate
    services, workspace_id = current_services(), context.workspace.id
    try:
        if action == "delete":
            return delete_schedule(services, workspace_id, schedule_id)
        return set_active(services, workspace_id, schedule_id, action == "resume")
    except ReportError:
        raise PreventUpdate from None
