"""Forecasts page callbacks: start a forecast job, poll its progress, cancel it, fill the views.

The workspace and role come from the session in every callback; the job registry answers only
to the user and workspace that started a job, so a forged job id finds nothing. Running a
forecast needs the analyst role (issue 14: analysts use forecasts); viewers see the page and a
note to ask an analyst, and the server refuses their runs whatever the browser sends.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, html, no_update
from dash.exceptions import PreventUpdate

from callbacks._analytics import clean_filters, where_for
from callbacks.common import request_scope
from components import forecast as ui
from components import ids
from components.analytics import empty_state
from components.formatting import format_date, format_number
from dashboard.auth import PermissionDenied, current_context, require_role
from dashboard.filters import today_in
from dashboard.forecast import background
from dashboard.forecast.series import ForecastError
from dashboard.forecast.service import QUICK_MODELS, ForecastRequest, metric_options, run_forecast
from dashboard.models import Role
from dashboard.queries import cached_call
from dashboard.services import current_services
from data.metrics import MetricError, dimension_values, get_metric

RUN_ROLE = Role.ANALYST
ASK_ANALYST = (
    "Forecasts are run by analysts, managers and owners of this workspace: ask one of them to run one."
)
#: tables whose filter values can be suggested (data.metrics.dimension_values knows them)
SUGGESTED_TABLES = ("payments_daily", "ad_daily", "web_daily")
_MAX_TEXT = 200
DEFAULT_METRIC = "net_revenue"


@callback(
    Output(ids.FORECAST_METRIC, "options"),
    Output(ids.FORECAST_METRIC, "value"),
    Output(ids.FORECAST_RUN, "disabled"),
    Output(ids.FORECAST_NOTICE, "children"),
    Input(ids.FORECAST_INIT, "data"),
    State(ids.URL, "search"),
)
def init(_, search):
    """The forecastable metrics (the URL's ``metric`` chosen if valid), and whether this user may run."""
    ctx = current_context()
    options = metric_options()
    names = [o["value"] for o in options]
    asked = dict(parse_qsl((search or "").lstrip("?"))).get("metric")
    allowed = ctx.can(RUN_ROLE)
    notice = None if allowed else html.Div(ASK_ANALYST, className="alert alert-info small py-2 mt-2 mb-0")
    return options, asked if asked in names else DEFAULT_METRIC, not allowed, notice


@callback(
    Output(ids.FORECAST_DIM, "options"),
    Output(ids.FORECAST_DIM, "value"),
    Input(ids.FORECAST_METRIC, "value"),
)
def dimensions(metric):
    """The filters the chosen metric can apply (its dimensions)."""
    current_context()
    try:
        dims = list(get_metric(metric).dimensions) if isinstance(metric, str) else []
    except MetricError:
        dims = []
    none = {"label": "No filter", "value": ui.NO_FILTER}
    return [none] + [{"label": d.title(), "value": d} for d in dims], ui.NO_FILTER


@callback(
    Output(ids.FORECAST_VALUES, "children"),
    Input(ids.FORECAST_DIM, "value"),
    State(ids.FORECAST_METRIC, "value"),
)
def value_suggestions(dim, metric):
    """Values of the chosen dimension seen in the last two years (suggestions; any text is allowed)."""
    ctx = current_context()
    try:
        m = get_metric(metric) if isinstance(metric, str) else None
    except MetricError:
        return []
    if not m or not isinstance(dim, str) or dim not in m.dimensions or m.table not in SUGGESTED_TABLES:
        return []
    column, end = m.dimensions[dim], today_in(ctx.workspace.timezone)
    start = end - timedelta(days=730)
    values = cached_call(
        current_services(),
        ctx.workspace,
        "fc:values",
        [m.table, column, end.year],
        lambda s: dimension_values(s, m.table, (column,), start, end),
    )
    return [html.Option(value=v) for v in values.get(column, [])[:200]]


def parse_request(metric, grain, horizon, model, interval, dim, value) -> ForecastRequest:
    """The forecast request from the page's controls (browser input: checked, never trusted)."""
    try:
        horizon_n = int(horizon)
    except (TypeError, ValueError):
        raise ForecastError("Horizon must be a whole number of periods.") from None
    try:
        coverage = float(interval)
    except (TypeError, ValueError):
        raise ForecastError("Pick a range (80%, 90% or 95%).") from None
    where = {}
    if isinstance(dim, str) and dim and dim != ui.NO_FILTER and isinstance(value, str) and value.strip():
        where = {dim[:_MAX_TEXT]: value.strip()[:_MAX_TEXT]}
    if not isinstance(metric, str) or not metric:
        raise ForecastError("Pick a metric to forecast.")
    request = ForecastRequest(
        metric=metric[:_MAX_TEXT],
        grain=str(grain or "")[:20],
        horizon=horizon_n,
        model=str(model or "")[:20],
        interval=coverage,
        where=where,
    )
    request.validate()
    return request


def start_forecast(metric, grain, horizon, model, interval, dim, value) -> tuple:
    """(job id, poll disabled, status, cancel disabled, progress) after pressing Run."""
    try:
        ctx = require_role(RUN_ROLE)
    except PermissionDenied:
        return None, True, ASK_ANALYST, True, 0
    try:
        request = parse_request(metric, grain, horizon, model, interval, dim, value)
        job = background.start(current_services(), ctx, request)
    except ForecastError as exc:
        return None, True, str(exc), True, 0
    except Exception as exc:  # JobRefused: several already running here, or the server is stopping
        return None, True, str(exc), True, 0
    return job.id, False, "Starting…", False, 2


@callback(
    Output(ids.FORECAST_JOB, "data"),
    Output(ids.FORECAST_POLL, "disabled"),
    Output(ids.FORECAST_STATUS, "children"),
    Output(ids.FORECAST_CANCEL, "disabled"),
    Output(ids.FORECAST_PROGRESS, "value"),
    Input(ids.FORECAST_RUN, "n_clicks"),
    State(ids.FORECAST_METRIC, "value"),
    State(ids.FORECAST_GRAIN, "value"),
    State(ids.FORECAST_HORIZON, "value"),
    State(ids.FORECAST_MODEL, "value"),
    State(ids.FORECAST_INTERVAL, "value"),
    State(ids.FORECAST_DIM, "value"),
    State(ids.FORECAST_VALUE, "value"),
    prevent_initial_call=True,
)
def run(n, metric, grain, horizon, model, interval, dim, value):
    """Start a forecast on a server thread (analysts and up; checked here, on the server)."""
    if not n:
        return (no_update,) * 5
    return start_forecast(metric, grain, horizon, model, interval, dim, value)


def poll_outputs(job_id) -> tuple:
    """(progress, status, chart, summary, backtest, anomalies, poll disabled, cancel disabled)."""
    ctx = current_context()
    state = background.state(job_id, ctx)
    keep = (no_update,) * 4
    if state is None:
        return 0, "", *keep, True, True
    if state["running"]:
        pct = max(2, round(state["progress"] * 100))
        return pct, f"{state['current'] or 'Working'}…", *keep, False, False
    result = state["result"] or {}
    if "payload" in result:
        payload = result["payload"]
        took = f"{format_number(payload['duration_ms'] / 1000, 1, grouped=False)} s"
        status = f"Done: {payload['label']} by {payload['grain']}, fitted up to {format_date(payload['train_until'])} (computed in {took})."
        return (
            100,
            status,
            ui.graph(payload),
            ui.summary(payload),
            ui.backtest_table(payload),
            ui.anomalies_list(payload),
            True,
            True,
        )
    if result.get("cancelled"):
        return 0, "Cancelled.", *keep, True, True
    message = result.get("error") or "The forecast failed; the details are in the server log."
    return 0, message, empty_state(message), None, None, None, True, True


@callback(
    Output(ids.FORECAST_PROGRESS, "value", allow_duplicate=True),
    Output(ids.FORECAST_STATUS, "children", allow_duplicate=True),
    Output(ids.FORECAST_CHART, "children"),
    Output(ids.FORECAST_SUMMARY, "children"),
    Output(ids.FORECAST_BACKTEST, "children"),
    Output(ids.FORECAST_ANOMALIES, "children"),
    Output(ids.FORECAST_POLL, "disabled", allow_duplicate=True),
    Output(ids.FORECAST_CANCEL, "disabled", allow_duplicate=True),
    Input(ids.FORECAST_POLL, "n_intervals"),
    State(ids.FORECAST_JOB, "data"),
    prevent_initial_call=True,
)
def poll(_n, job_id):
    """Progress of the running forecast; its views once it is done."""
    return poll_outputs(job_id)


@callback(
    Output(ids.FORECAST_STATUS, "children", allow_duplicate=True),
    Input(ids.FORECAST_CANCEL, "n_clicks"),
    State(ids.FORECAST_JOB, "data"),
    prevent_initial_call=True,
)
def cancel(n, job_id):
    """Stop the running forecast after the model being fitted now."""
    if not n:
        return no_update
    stopped = background.cancel(job_id, current_context())
    return "Cancelling after the current model…" if stopped else no_update


# -- the "Forecast" toggle on the revenue trend chart ----------------------------------------------

#: periods forecast by the chart toggle, per grain
TOGGLE_HORIZON = {"day": 30, "week": 12, "month": 6}
_TREND_GRAPH = ids.graph("revenue", "trend")


def find_figure(children, graph_id) -> dict | None:
    """The figure of the graph ``graph_id`` inside a panel's children (a component tree as JSON)."""
    if isinstance(children, list):
        for child in children:
            found = find_figure(child, graph_id)
            if found is not None:
                return found
        return None
    if not isinstance(children, dict):
        return None
    props = children.get("props") or {}
    if props.get("id") == graph_id and isinstance(props.get("figure"), dict):
        return props["figure"]
    return find_figure(props.get("children"), graph_id)


def trend_with_forecast(figure: dict, filters_data, page_filters) -> dict:
    """The revenue trend figure plus net revenue's forecast and band for the page's grain and filters.

    The forecast is fitted up to the end of the page's range (or yesterday) on the workspace's
    own history, with the page's channel/product/country filters; ``auto`` compares the quick
    models. Too little history puts the reason in the chart's title instead of a band.
    """
    scope = request_scope(filters_data)
    f = scope.filters
    today = today_in(scope.ctx.workspace.timezone)
    where = where_for("net_revenue", clean_filters(page_filters, ("channel", "product", "country")))
    request = ForecastRequest(
        metric="net_revenue",
        grain=f.grain,
        horizon=TOGGLE_HORIZON[f.grain],
        train_until=f.end if f.end < today else None,
        where=where,
        candidates=QUICK_MODELS,
        check_bands=False,  # the trend chart draws the band only: no backtest table
    )
    fig = go.Figure(figure)
    try:
        payload = run_forecast(scope.services, scope.ctx, request, origin="chart")
    except ForecastError as exc:
        fig.update_layout(title={"text": f"No forecast: {exc}", "font": {"size": 11}})
        return fig.to_plotly_json()
    ui.add_forecast(fig, payload, name=f"Forecast ({ui.MODEL_NAMES[payload['model']]})")
    return fig.to_plotly_json()


#: The trend panel re-renders on every page load and filter change; the forecast needs the
#: server only when the switch is on (or was just switched). This gate passes those cases on,
#: so a page load with the switch off no longer posts the panel's figure back for nothing.
_ASK_FORECAST = """
function(on, _children) {
    const trig = dash_clientside.callback_context.triggered || [];
    const switched = trig.some(t => t.prop_id.startsWith("SWITCH."));
    if (!switched && !on) { return dash_clientside.no_update; }
    window.pbForecastAsks = (window.pbForecastAsks || 0) + 1;
    return {on: Boolean(on), n: window.pbForecastAsks};
}
""".replace("SWITCH", ids.REVENUE_FORECAST_TOGGLE)

clientside_callback(
    _ASK_FORECAST,
    Output(ids.REVENUE_FORECAST_ASK, "data"),
    Input(ids.REVENUE_FORECAST_TOGGLE, "value"),
    Input(ids.panel("revenue", "trend"), "children"),
    prevent_initial_call=True,
)


@callback(
    Output(_TREND_GRAPH, "figure"),
    Input(ids.REVENUE_FORECAST_ASK, "data"),
    State(ids.panel("revenue", "trend"), "children"),
    State(ids.FILTERS_STORE, "data"),
    State(ids.REVENUE["page-filters"], "data"),
    prevent_initial_call=True,
)
def revenue_forecast(ask, children, filters_data, page_filters):
    """Draw (or take away) the forecast band on the revenue trend chart; analysts and up.

    ``ask`` comes from the clientside gate above: ``{"on": ...}`` when the switch was turned or
    the panel re-drew its figure with the switch on.
    """
    figure = find_figure(children, _TREND_GRAPH)
    if figure is None or not isinstance(ask, dict):
        raise PreventUpdate
    if not ask.get("on"):
        return ui.without_forecast(figure)  # switched off: the panel's own figure, without the forecast
    try:
        require_role(RUN_ROLE)
    except PermissionDenied:
        return no_update
    return trend_with_forecast(ui.without_forecast(figure), filters_data, page_filters)
