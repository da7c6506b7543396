"""Insights panel (overview) and AI performance page callbacks.

The panel is generated on demand as a job on a server thread (the warehouse belongs to the
server process: the generation records its AI call there), cached by workspace, data version,
range and provider, and polled by the browser with a progress bar. Every callback resolves the
workspace and user from the session; a job answers only to the user who started it.
"""

from __future__ import annotations

from datetime import date, timedelta

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from callbacks.common import layout_scope, request_scope
from components import ids
from components import insights as view
from dashboard import jobs
from dashboard.auth import PermissionDenied, current_context, require_role
from dashboard.filters import today_in
from dashboard.insights.content import compare
from dashboard.insights.events import (
    FeedbackError,
    events_frame,
    feedback_frame,
    save_feedback,
    votes_of,
)
from dashboard.insights.forecast_accuracy import accuracy_by_week, score_runs
from dashboard.insights.keys import provider_config
from dashboard.insights.pages import PAGE_METRICS, PAGE_ROLES, for_page
from dashboard.insights.performance import by_model, per_day, summary
from dashboard.insights.source import CachedSource
from dashboard.models import Role
from dashboard.queries import cache_for, cache_key, metric_frame
from dashboard.services import current_services
from data.metrics import MetricError

#: insights generated for the panel (it shows the top three; the rest wait for a page of their own)
PANEL_LIMIT = 10


def _provider(services, workspace_id: int):
    provider = services.settings.ai_provider
    return None if provider == "offline" else provider_config(services, workspace_id, provider)


def _panel_key(scope, config) -> str:
    f = scope.filters
    version = scope.services.warehouse.scoped(scope.ctx.workspace).data_version()
    params = [f.start, f.end, config.provider if config else "offline", config.model if config else ""]
    return cache_key(scope.ctx.workspace, version, "insights", params)


def render(services, context, payload: dict, page: str | None = None) -> html.Div:
    """The panel for a cached generation, with the user's own votes pressed (``page``: its findings only)."""
    items = payload["insights"] if page is None else for_page(payload["insights"], page)
    votes = votes_of(
        services.warehouse.scoped(context.workspace),
        context.user_id,
        [i["id"] for i in items[: view.PANEL_SIZE]],
    )
    return view.insight_list(items, votes, payload.get("note"), payload["provider"])


@callback(
    Output(ids.INSIGHTS_PANEL, "children"),
    Output(ids.INSIGHTS_JOB, "data"),
    Output(ids.INSIGHTS_POLL, "disabled"),
    Input(ids.FILTERS_STORE, "data"),
    # asked once when the layout could not show cached insights (view.insights_panel)
    Input(ids.fill("overview", "insights"), "n_intervals"),
    prevent_initial_call=True,
)
def start_insights(filters_data, _fill):
    """Show the cached insights of the range, or start generating them."""
    return _start(filters_data)


def cached_panel(query: dict, page: str | None = None):
    """The Insights panel for a page layout when the range's insights are cached, else None.

    Without them the panel's callback starts the generation. The workspace, user and page role
    come from the session, as in the callbacks.
    """
    scope = layout_scope(query)
    if scope is None:
        return None
    if page is not None:
        try:
            require_role(PAGE_ROLES[page])
        except PermissionDenied:  # the callback answers it
            return None
    config = _provider(scope.services, scope.ctx.workspace.id)
    key = _panel_key(scope, config)
    shown = _cached(scope, key, page)
    if shown is not None:
        return shown
    # Opened again while the generation the last visit started still runs (a revisit half a
    # second later, at 10M payments): the layout follows it, rather than leaving the panel to
    # a callback that would answer the same after another round trip.
    job = _running_generation(_owner(scope, key))
    if job is None:
        return None
    snap = job.snapshot()
    return view.Following(job.id, snap["progress"], snap["current"] or view.WAITING)


def _cached(scope, key: str, page: str | None):
    """The panel when nothing is to generate (no data yet, or ``key`` cached), else None."""
    services, context = scope.services, scope.ctx
    if services.warehouse.scoped(context.workspace).data_version() == 0:
        return view.insight_list([], {}, None, "offline")
    cached = cache_for(services).get(key)
    return render(services, context, cached, page) if cached is not None else None


def _start(filters_data, page: str | None = None):
    """(panel, job store, poll disabled) for the overview's panel or a ``page``'s."""
    scope = request_scope(filters_data)
    services, context, f = scope.services, scope.ctx, scope.filters
    config = _provider(services, context.workspace.id)
    key = _panel_key(scope, config)
    shown = _cached(scope, key, page)
    if shown is not None:
        return shown, None, True

    payload = {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "key": key,
        "provider": config.provider if config else None,
        "limit": PANEL_LIMIT,
    }
    # The overview and the pages share one generation per range: a panel opened while it runs
    # follows that job instead of starting the same work again (opening four pages quickly
    # otherwise hit the limit of running generations and showed an error)
    owner = _owner(scope, key)
    job = _running_generation(owner)
    if job is None:
        try:
            job = jobs.REGISTRY.submit(services, context, kind="insights", label="Insights", payload=payload)
        except jobs.JobRefused as exc:
            return view.failed(str(exc)), None, True
        _remember_generation(owner, job.id)
    return view.progress(0.02, view.WAITING), {"job": job.id}, False


def _owner(scope, key: str) -> tuple:
    """(workspace, user, cache key): whose generation of ``key`` (the range and provider) it is."""
    return (scope.ctx.workspace.id, scope.ctx.user_id, key)


def _running_generation(owner: tuple):
    """The job generating ``owner``'s insights while it runs (the same user's only), else None."""
    running = _GENERATIONS.get(owner)
    job = jobs.REGISTRY.get(running, workspace_id=owner[0], user_id=owner[1]) if running else None
    return job if job is not None and job.snapshot()["status"] == "running" else None


#: (workspace, user, cache key) -> the id of the job generating those insights (latest first out)
_GENERATIONS: dict[tuple, str] = {}
_GENERATIONS_KEPT = 256


def _remember_generation(owner: tuple, job_id: str) -> None:
    _GENERATIONS[owner] = job_id
    while len(_GENERATIONS) > _GENERATIONS_KEPT:
        _GENERATIONS.pop(next(iter(_GENERATIONS)))


@callback(
    Output(ids.INSIGHTS_PANEL, "children", allow_duplicate=True),
    Output(ids.INSIGHTS_POLL, "disabled", allow_duplicate=True),
    Input(ids.INSIGHTS_POLL, "n_intervals"),
    State(ids.INSIGHTS_JOB, "data"),
    prevent_initial_call=True,
)
def poll_insights(_n, job_data):
    """The job's progress, then its insights (the cache key comes from the job, never the browser)."""
    return _poll(job_data)


def _poll(job_data, page: str | None = None):
    """(panel, poll disabled) of a generation job the session's user started."""
    context = current_context()
    services = current_services()
    job_id = job_data.get("job") if isinstance(job_data, dict) else None
    job = jobs.REGISTRY.get(job_id, workspace_id=context.workspace.id, user_id=context.user_id)
    if job is None:
        return view.failed("These insights are no longer available: reload the page."), True
    snap = job.snapshot()
    if snap["status"] == "running":
        return view.progress(snap["progress"], snap["current"] or view.WAITING), False
    if snap["status"] == "failed" or not snap["results"]:
        return view.failed("Insights could not be generated; the error is in the server log."), True
    payload = cache_for(services).get(snap["results"][-1]["key"])
    if payload is None:
        return view.failed("These insights are no longer available: reload the page."), True
    return render(services, context, payload, page), True


def _register_page_panel(page: str) -> None:
    """The Insights panel of an analytics page: the overview's job and cache, the page's findings.

    Both callbacks re-check the page's role on the server; the workspace comes from the session.
    """

    @callback(
        Output(ids.page_insights(page, "panel"), "children"),
        Output(ids.page_insights(page, "job"), "data"),
        Output(ids.page_insights(page, "poll"), "disabled"),
        Input(ids.FILTERS_STORE, "data"),
        Input(ids.fill(page, "insights"), "n_intervals"),  # see start_insights
        prevent_initial_call=True,
    )
    def start_page_insights(filters_data, _fill):
        try:
            require_role(PAGE_ROLES[page])
        except PermissionDenied as exc:
            return view.failed(str(exc)), None, True
        return _start(filters_data, page)

    @callback(
        Output(ids.page_insights(page, "panel"), "children", allow_duplicate=True),
        Output(ids.page_insights(page, "poll"), "disabled", allow_duplicate=True),
        Input(ids.page_insights(page, "poll"), "n_intervals"),
        State(ids.page_insights(page, "job"), "data"),
        prevent_initial_call=True,
    )
    def poll_page_insights(_n, job_data):
        try:
            require_role(PAGE_ROLES[page])
        except PermissionDenied as exc:
            return view.failed(str(exc)), True
        return _poll(job_data, page)


for _page in PAGE_METRICS:
    _register_page_panel(_page)


@callback(
    Output(ids.insight_vote(MATCH, ALL), "className"),
    Output(ids.insight_vote(MATCH, ALL), "aria-pressed"),
    Input(ids.insight_vote(MATCH, ALL), "n_clicks"),
    prevent_initial_call=True,
)
def vote(clicks):
    """Store the user's 👍/👎 on one insight (any member may give feedback)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate  # (no_update is not a valid answer for a wildcard multi-output)
    context = current_context()
    services = current_services()
    chosen = 1 if trigger.get("vote") == "up" else -1
    try:
        save_feedback(services.warehouse, context.workspace, context.user_id, trigger.get("insight"), chosen)
    except FeedbackError:
        raise PreventUpdate from None
    order = [o["id"]["vote"] for o in ctx.outputs_list[0]]
    pressed = [(v == "up") == (chosen == 1) for v in order]
    return [view.vote_class(p) for p in pressed], ["true" if p else "false" for p in pressed]


@callback(Output(ids.AI_PERF_BODY, "children"), Input(ids.FILTERS_STORE, "data"))
def update_ai_performance(filters_data):
    """The AI performance page for the range (analysts and owners)."""
    scope = request_scope(filters_data)
    if not scope.ctx.can(Role.ANALYST):
        return dbc.Alert(
            f"The AI performance page needs the analyst role; you are {scope.ctx.role.value}.",
            color="secondary",
        )
    f, scoped = scope.filters, scope.services.warehouse.scoped(scope.ctx.workspace)
    events = events_frame(scoped, f.start, f.end, kind="insight")
    feedback = feedback_frame(scoped, f.start, f.end)
    comparisons = compare(CachedSource(scope.services, scope.ctx), f.start, f.end)
    return view.performance_page(
        view.perf_tiles(summary(events, feedback)),
        view.generations_figure(per_day(events), f.start, f.end),
        view.model_table(by_model(events)),
        view.content_table(comparisons),
        forecast_accuracy(scope, scoped),
    )


def forecast_accuracy(scope, scoped) -> html.Div:
    """Past forecasts of the workspace scored against the actuals that arrived since."""
    services, context = scope.services, scope.ctx

    def actuals(metric, grain, filters, first, last_day):
        try:
            frame = metric_frame(
                services, context, metric, first, last_day, grain=grain, where=filters or None
            )
        except MetricError as exc:  # a metric or filter the catalogue no longer knows
            raise ValueError(str(exc)) from None
        return {
            date.fromisoformat(str(p)[:10]): float(v)
            for p, v in zip(frame["period"].to_list(), frame["value"].to_list(), strict=True)
            if v is not None
        }

    # Today is not over: yesterday (in the workspace's time zone) is the last whole day.
    last_day = today_in(context.workspace.timezone) - timedelta(days=1)
    scored = score_runs(scoped, actuals, last_day)
    return view.forecast_accuracy_view(scored, accuracy_by_week(scored))
