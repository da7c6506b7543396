"""Settings page callbacks (goals, account) and the per-user light/dark theme.

Goals are set and deleted through :mod:`dashboard.goals`, which re-checks the owner role; goal
ids that arrive from the browser are only ever looked up inside the session's workspace, so a
forged id of another workspace matches nothing. The theme is saved on the logged-in user's row
(never a user named by the browser) and rendered into the page's ``<html>`` on every load.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, html, no_update
from dash.exceptions import PreventUpdate
from flask import abort, has_request_context
from flask_login import current_user
from sqlalchemy import select

from components import ids
from components import settings as ui
from components.forecast import goal_text
from components.formatting import NUMBER_LOCALES, format_value, normalise_locale
from dashboard import audit, goals
from dashboard.accounts import AccountError, WorkspaceContext, change_password
from dashboard.auth import PermissionDenied, current_context, current_session_key, renew_login
from dashboard.filters import today_in
from dashboard.forecast import cards as fc
from dashboard.models import Goal, Role, User, Workspace
from dashboard.services import Services, current_services
from data.metrics import CATALOGUE, Metric, MetricError

GOAL_ROLE = Role.OWNER
THEMES = ("light", "dark", "auto")
DEFAULT_THEME = "light"
GOALS_SHOWN = 60  # newest periods first; older goals stay in the DB
WHEN = ("current", "next")


class TargetError(ValueError):
    """The target field is empty, not a number, or negative."""


# -- goals: plain functions (tested without Dash) ------------------------------------------------
def goal_metrics() -> list[Metric]:
    """Catalogue metrics a target makes sense for: summed money and counts, plus MRR/ARR snapshots.

    Ratios and averages (CTR, ROAS, AOV ...) are left out: a pace toward a ratio is meaningless.
    """
    return [m for m in CATALOGUE.values() if (m.additive and m.unit in ("currency", "count")) or m.snapshot]


def goal_metric_options() -> list[dict]:
    """Options of the metric select, revenue first (catalogue order)."""
    return [{"label": m.label, "value": m.name} for m in goal_metrics()]


def parse_target(raw) -> float:
    """The target as a float, or a TargetError that says what is wrong with it."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise TargetError("Enter a target.")
    if isinstance(raw, bool):
        raise TargetError("The target must be a number.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise TargetError("The target must be a number.") from None
    if not math.isfinite(value):
        raise TargetError("The target must be a finite number.")
    if value < 0:
        raise TargetError("The target cannot be negative.")
    return value


def goal_day(period: str, when: str, today: date) -> date:
    """A day inside the period the owner picked: this one, or the one after it."""
    if when not in WHEN:
        raise ValueError("Pick this period or the next one.")
    start, end = goals.period_bounds(period, today)
    return today if when == "current" else end + timedelta(days=1)


def save_goal_request(
    services: Services, ctx: WorkspaceContext, metric, period, when, raw_target, today: date
) -> Goal:
    """Validate the form's values and create or replace the goal (owners only: PermissionDenied)."""
    if not ctx.can(GOAL_ROLE):
        raise PermissionDenied(f"Only owners can set goals; you are {ctx.role.value}.")
    if metric not in {m.name for m in goal_metrics()}:
        raise ValueError("Pick a metric from the list.")
    if period not in goals.PERIODS:
        raise ValueError(f"Pick a period: {', '.join(goals.PERIODS)}.")
    target = parse_target(raw_target)
    return goals.set_goal(services, ctx, metric, period, goal_day(period, when, today), target)


def delete_goal_by_id(services: Services, ctx: WorkspaceContext, goal_id) -> bool:
    """Delete one goal of the caller's workspace; False when no such goal is there (or the id is junk)."""
    if not ctx.can(GOAL_ROLE):
        raise PermissionDenied(f"Only owners can delete goals; you are {ctx.role.value}.")
    try:
        goal_id = int(goal_id)
    except (TypeError, ValueError):
        return False
    with services.db.session() as db:
        # The workspace comes from the session: another workspace's id finds nothing here.
        goal = db.scalar(select(Goal).where(Goal.id == goal_id, Goal.workspace_id == ctx.workspace.id))
        if goal is None:
            return False
        metric, period, start = goal.metric, goal.period, goal.period_start
    return goals.delete_goal(services, ctx, metric, period, start)


def goal_rows(services: Services, ctx: WorkspaceContext, today: date) -> list[dict]:
    """The workspace's goals (newest period first) with formatted target, actual and progress.

    A summed (or MRR/ARR) metric's goal for a period under way also gets its chance of being reached
    (``chance_text``), read from the projection cache: when the projection is not computed
    yet it is started in the background and ``chance_pending`` is True (the page asks again).
    """
    with services.db.session() as db:
        stored = list(
            db.scalars(
                select(Goal)
                .where(Goal.workspace_id == ctx.workspace.id)
                .order_by(Goal.period_start.desc(), Goal.metric, Goal.period)
                .limit(GOALS_SHOWN)
            )
        )
        for goal in stored:
            db.expunge(goal)
    currency = ctx.workspace.currency
    rows = []
    for goal in stored:
        metric = CATALOGUE.get(goal.metric)
        start, end = goals.period_bounds(goal.period, goal.period_start)
        status = "future" if start > today else "past" if end < today else "current"
        actual = progress = on_pace = None
        if metric is not None and status != "future":
            try:
                done = goals.progress(services, ctx, goal, today)
                actual, progress, on_pace = done.actual, done.progress, done.on_pace
            except MetricError:  # a metric the warehouse cannot answer: show the goal without progress
                pass
        unit = metric.display_unit if metric is not None else "count"
        chance_text, pending = None, False
        if metric is not None and fc.has_goal_chance(metric) and status == "current":
            payload = fc.lookup(services, ctx, goal.metric, {}, start, end, today)
            projection = fc.projection_of(payload)
            pending = payload is None
            if projection is not None:
                chance = fc.goal_probability_of(projection, goal.target, metric.up_is_good)
                target = format_value(goal.target, unit, currency, compact=True)
                chance_text = goal_text(chance, target, up_is_good=metric.up_is_good, rough=projection.rough)
        rows.append(
            {
                "id": goal.id,
                "metric": goal.metric,
                "label": metric.label if metric is not None else goal.metric,
                "period": goal.period,
                "period_start": start,
                "status": status,
                "target": goal.target,
                "target_text": format_value(goal.target, unit, currency),
                "actual_text": format_value(actual, unit, currency),
                "progress": progress,
                "on_pace": on_pace,
                "chance_text": chance_text,
                "chance_pending": pending,
            }
        )
    return rows


# -- theme: plain functions ----------------------------------------------------------------------
def normalise_theme(value) -> str:
    """A saved theme value as one of THEMES (old or odd rows read as the default)."""
    return value if value in THEMES else DEFAULT_THEME


def set_user_theme(services: Services, user_id: int, theme) -> str:
    """Save ``theme`` on user ``user_id`` (the caller passes the logged-in user's id only)."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; accepted: {', '.join(THEMES)}")
    with services.db.session() as db:
        user = db.get(User, int(user_id))
        if user is None:
            raise PermissionDenied("no such user")
        user.theme = theme
        db.commit()
    return theme


# -- number locale: plain functions -------------------------------------------------------------
#: Who may change how the workspace writes numbers (it changes every page, report and email).
NUMBER_LOCALE_ROLE = Role.OWNER


def save_number_locale(services: Services, context: WorkspaceContext, value) -> str:
    """Save ``value`` as the number locale of the caller's workspace; returns the stored tag.

    The role is checked here, not only by hiding the select (a forged callback request reaches
    this too); refusals are audited. ``value`` must be one of the offered locales (ValueError
    otherwise); ``de_DE`` and ``de-de`` read as ``de-DE``.
    """
    tag = normalise_locale(value)
    with services.db.session() as db:
        if not context.can(NUMBER_LOCALE_ROLE):
            audit.record_for(
                db, context, "number_locale_changed", outcome="denied", detail=f"-> {value!r}"[:80]
            )
            db.commit()  # the refusal is recorded even though the caller gets an error
            raise PermissionDenied(f"only owners change the number format; you are {context.role.value}")
        if tag is None:
            raise ValueError(f"unknown number format {value!r}; choose one of the offered locales")
        workspace = db.get(Workspace, context.workspace.id)
        if workspace.locale != tag:
            audit.record_for(db, context, "number_locale_changed", detail=f"{workspace.locale} -> {tag}")
            workspace.locale = tag
    return tag


def _logged_in_user_id() -> int:
    if not current_user.is_authenticated:
        abort(401)
    return int(current_user.id)


_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_THEME_ATTRS = re.compile(r'\s+data-(?:bs-theme|pb-theme|ag-theme-mode)="[^"]*"', re.IGNORECASE)
_THEME_SCRIPT = re.compile(r'<script src="[^"]*/assets/theme\.js[^"]*"></script>\s*')


def themed_index(index: str, theme: str) -> str:
    """The Dash index page rendered in ``theme``: attributes on ``<html>``, theme.js in ``<head>``.

    Rendering the colour mode on the server means no flash of the wrong theme; only "auto" needs
    the browser (the system preference), which theme.js resolves in ``<head>``, before the body.
    """
    theme = normalise_theme(theme)
    mode = "dark" if theme == "dark" else "light"

    def _attrs(match: re.Match) -> str:
        tag = _THEME_ATTRS.sub("", match.group(0))[:-1].rstrip()
        lang = "" if "lang=" in tag else ' lang="en"'
        return f'{tag}{lang} data-bs-theme="{mode}" data-pb-theme="{theme}" data-ag-theme-mode="{mode}">'

    index = _HTML_TAG.sub(_attrs, index, count=1)
    head_end = index.lower().find("</head>")
    script = _THEME_SCRIPT.search(index)
    if script is not None and script.start() < head_end:
        return index  # already in <head>
    if script is not None:  # Dash put it at the end of <body>: load it before the body instead
        tag = script.group(0).strip()
        index = index[: script.start()] + index[script.end() :]
    else:
        tag = f'<script src="{dash.get_app().get_asset_url("theme.js")}"></script>'
    return re.sub(r"<head>", lambda _m: f"<head>\n        {tag}", index, count=1, flags=re.IGNORECASE)


def _index_hook(index: str) -> str:
    """Dash ``index`` hook: render the logged-in user's theme into every full page load."""
    theme = DEFAULT_THEME
    if has_request_context() and current_user.is_authenticated:
        theme = getattr(current_user, "theme", DEFAULT_THEME)
    return themed_index(index, theme)


# Dash hooks are process-wide and app.py re-imports this module for each app it builds; the
# module's namespace survives a reload, so the flag below keeps it to one registration.
if not globals().get("_INDEX_HOOK_REGISTERED"):
    dash.hooks.index()(_index_hook)
    _INDEX_HOOK_REGISTERED = True


# -- callbacks -----------------------------------------------------------------------------------
@callback(
    Output(ids.SETTINGS_GOAL_FORM, "children"),
    Output(ids.SETTINGS_APPEARANCE, "children"),
    Output(ids.SETTINGS_ACCOUNT, "children"),
    Input(ids.SETTINGS_INIT, "data"),
)
def render_settings(_init):
    """The goal form (owners) or a read-only note, the theme picker and the account card."""
    context = current_context()
    with current_services().db.session() as db:
        user = db.get(User, context.user_id)
        email, name, theme = user.email, user.name, normalise_theme(user.theme)
    form = (
        ui.goal_form(goal_metric_options())
        if context.can(GOAL_ROLE)
        else ui.read_only_note(context.role.value)
    )
    ws = context.workspace
    account = ui.account_card(
        email=email,
        name=name,
        workspace=ws.name or ws.slug,
        role=context.role.value,
        currency=ws.currency,
        timezone=ws.timezone,
    )
    return form, ui.theme_picker(theme), account


@callback(
    Output(ids.SETTINGS_NUMBERS, "children"),
    Input(ids.SETTINGS_INIT, "data"),
)
def render_numbers(_init):
    """The number-format select (owners) or the workspace's format as text (everyone else)."""
    context = current_context()
    ws = context.workspace
    return ui.number_locale_picker(
        ws.locale, ws.currency, can_edit=context.can(NUMBER_LOCALE_ROLE), role=context.role.value
    )


@callback(
    Output(ids.SETTINGS_NUMBERS_MESSAGE, "children"),
    Input(ids.SETTINGS_NUMBER_LOCALE, "value"),
    prevent_initial_call=True,
)
def choose_number_locale(value):
    """Save the owner's choice of number format (re-checked and audited server-side)."""
    context = current_context()
    if normalise_locale(value) == normalise_locale(context.workspace.locale):
        raise PreventUpdate  # the select shows what is stored
    try:
        tag = save_number_locale(current_services(), context, value)
    except (PermissionDenied, ValueError) as exc:
        return ui.message(str(exc)[:1].upper() + str(exc)[1:] + ".", False)
    example = ui.number_example(tag, context.workspace.currency)
    return ui.message(f"Numbers are now written as {NUMBER_LOCALES[tag]}: {example}.", True)


@callback(
    Output(ids.SETTINGS_GOALS, "children"),
    Output(ids.SETTINGS_GOALS_POLL, "disabled"),
    Input(ids.SETTINGS_GOALS_VERSION, "data"),
    # The goal form as an input makes the renderer draw the list only after the form: the list's
    # delete buttons trigger the save/delete callback, whose Save button must exist by then
    # (else the renderer logs "A nonexistent object was used in an Input").
    Input(ids.SETTINGS_GOAL_FORM, "children"),
    Input(ids.SETTINGS_GOALS_POLL, "n_intervals"),
)
def render_goals(_version, _form, _ticks):
    """The workspace's goals with their progress (delete buttons for owners).

    While a goal's chance is still being computed the poll stays on and re-renders the list.
    """
    context = current_context()
    rows = goal_rows(current_services(), context, today_in(context.workspace.timezone))
    waiting = any(r["chance_pending"] for r in rows)
    return ui.goals_list(rows, can_edit=context.can(GOAL_ROLE)), not waiting


@callback(
    Output(ids.SETTINGS_GOAL_MESSAGE, "children"),
    Output(ids.SETTINGS_GOAL_TARGET, "invalid"),
    Output(ids.SETTINGS_GOALS_VERSION, "data"),
    Input(ids.SETTINGS_GOAL_SAVE, "n_clicks"),
    Input(ids.SETTINGS_GOAL_TARGET, "n_submit"),
    Input(ids.goal_delete(ALL), "n_clicks"),
    State(ids.SETTINGS_GOAL_METRIC, "value"),
    State(ids.SETTINGS_GOAL_PERIOD, "value"),
    State(ids.SETTINGS_GOAL_WHEN, "value"),
    State(ids.SETTINGS_GOAL_TARGET, "value"),
    State(ids.SETTINGS_GOALS_VERSION, "data"),
    prevent_initial_call=True,
)
def goal_action(_save, _submit, _deletes, metric, period, when, target, version):
    """Save the form's goal, or delete the clicked one; re-render the list on success."""
    triggered = dash.ctx.triggered_id
    if triggered is None or not (dash.ctx.triggered and dash.ctx.triggered[0].get("value")):
        raise PreventUpdate  # a delete button that just appeared (n_clicks 0), not a click
    context = current_context()
    services = current_services()
    bump = (version or 0) + 1 if isinstance(version, int) else 1
    try:
        if isinstance(triggered, dict):  # a delete button
            if not delete_goal_by_id(services, context, triggered.get("goal")):
                return ui.message("That goal no longer exists.", False), no_update, bump
            return ui.message("Goal deleted.", True), no_update, bump
        goal = save_goal_request(
            services, context, metric, period, when, target, today_in(context.workspace.timezone)
        )
    except PermissionDenied as exc:
        return ui.message(str(exc), False), no_update, no_update
    except (ValueError, MetricError) as exc:
        return ui.message(str(exc), False), isinstance(exc, TargetError), no_update
    label = CATALOGUE[goal.metric].label
    when_text = ui.period_label(goal.period, goal.period_start)
    target_text = format_value(goal.target, CATALOGUE[goal.metric].display_unit, context.workspace.currency)
    return ui.message(f"Saved: {label} {target_text} for {when_text}.", True), False, bump


# Applied in the browser at once (no round trip, no flash); the store change then saves it.
clientside_callback(
    ClientsideFunction(namespace="pulseboard_theme", function_name="choose"),
    Output(ids.THEME_STORE, "data"),
    Output(ids.theme_choice(ALL), "value"),
    Input(ids.THEME_TOGGLE, "n_clicks"),
    Input(ids.theme_choice(ALL), "value"),
    prevent_initial_call=True,
)


@callback(Output(ids.THEME_SAVED, "data"), Input(ids.THEME_STORE, "data"), prevent_initial_call=True)
def save_theme(data):
    """Save the chosen theme on the logged-in user (the only user this can ever change)."""
    user_id = _logged_in_user_id()
    theme = data.get("theme") if isinstance(data, dict) else None
    if theme not in THEMES:
        raise PreventUpdate
    set_user_theme(current_services(), user_id, theme)
    return {"theme": theme}


# -- audit log (owners) --------------------------------------------------------------------------
AUDIT_ROLE = Role.OWNER


def audit_events(services: Services, ctx: WorkspaceContext, action=None, actor=None) -> list:
    """The workspace's audit events for an owner (PermissionDenied for anyone else)."""
    if not ctx.can(AUDIT_ROLE):
        raise PermissionDenied(f"Only owners can read the audit log; you are {ctx.role.value}.")
    action = action if isinstance(action, str) and action in audit.ACTIONS else None
    actor = actor[:320] if isinstance(actor, str) and actor.strip() else None
    with services.db.session() as db:
        return audit.events(db, ctx.workspace.id, action=action, actor=actor)


@callback(Output(ids.SETTINGS_AUDIT, "children"), Input(ids.SETTINGS_INIT, "data"))
def render_audit(_init):
    """The audit log section: filters and the newest events for owners, a note for others."""
    context = current_context()
    if not context.can(AUDIT_ROLE):
        return ui.owners_only_note()
    events = audit_events(current_services(), context)
    return [ui.audit_filters(audit.ACTIONS), html.Div(ui.audit_table(events), id=ids.SETTINGS_AUDIT_LIST)]


@callback(
    Output(ids.SETTINGS_AUDIT_LIST, "children"),
    Input(ids.SETTINGS_AUDIT_ACTION, "value"),
    Input(ids.SETTINGS_AUDIT_ACTOR, "value"),
    prevent_initial_call=True,
)
def filter_audit(action, actor):
    """Re-list the audit events for the chosen action and who (the role is checked again here)."""
    context = current_context()
    try:
        return ui.audit_table(audit_events(current_services(), context, action, actor))
    except PermissionDenied:
        return ui.owners_only_note()


# -- own password --------------------------------------------------------------------------------
@callback(
    Output(ids.SETTINGS_PASSWORD_MESSAGE, "children"),
    Output(ids.SETTINGS_PASSWORD_CURRENT, "value"),
    Output(ids.SETTINGS_PASSWORD_NEW, "value"),
    Output(ids.SETTINGS_PASSWORD_CONFIRM, "value"),
    Input(ids.SETTINGS_PASSWORD_SAVE, "n_clicks"),
    State(ids.SETTINGS_PASSWORD_CURRENT, "value"),
    State(ids.SETTINGS_PASSWORD_NEW, "value"),
    State(ids.SETTINGS_PASSWORD_CONFIRM, "value"),
    prevent_initial_call=True,
)
def change_own_password(n_clicks, current, new, confirm):
    """Change the logged-in user's password; this browser stays logged in, every other session ends."""
    if not n_clicks:
        raise PreventUpdate
    user_id = _logged_in_user_id()  # from the session: nobody changes another user's password here
    texts = [v if isinstance(v, str) else "" for v in (current, new, confirm)]
    try:
        with current_services().db.session() as db:
            user = change_password(db, user_id, *texts, keep_key=current_session_key())
            db.commit()
            renew_login(user)  # this browser: its session row, under the new version
    except AccountError as exc:
        return ui.message(f"Password not changed: {exc}.", False), no_update, no_update, no_update
    return ui.message("Password changed. Your other sessions have been logged out.", True), "", "", ""
