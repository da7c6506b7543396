"""The Forecasts page's callbacks over HTTP: role checks on the server, jobs scoped to their owner."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from callbacks.forecasts import ASK_ANALYST, find_figure
from components import ids
from dashboard import jobs
from dashboard.accounts import WorkspaceContext
from dashboard.forecast import background
from dashboard.models import Role
from tests.conftest import load
from tests.integration.test_forecast_cli import _payments

RUN_OUTPUTS = [
    (ids.FORECAST_JOB, "data"),
    (ids.FORECAST_POLL, "disabled"),
    (ids.FORECAST_STATUS, "children"),
    (ids.FORECAST_CANCEL, "disabled"),
    (ids.FORECAST_PROGRESS, "value"),
]


def _run_request(
    metric="net_revenue", grain="week", horizon=4, model="theta", interval=0.8, dim="none", value=None
):
    states = {
        ids.FORECAST_METRIC: metric,
        ids.FORECAST_GRAIN: grain,
        ids.FORECAST_HORIZON: horizon,
        ids.FORECAST_MODEL: model,
        ids.FORECAST_INTERVAL: interval,
        ids.FORECAST_DIM: dim,
        ids.FORECAST_VALUE: value,
    }
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in RUN_OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in RUN_OUTPUTS],
        "inputs": [{"id": ids.FORECAST_RUN, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{ids.FORECAST_RUN}.n_clicks"],
        "state": [{"id": i, "property": "value", "value": v} for i, v in states.items()],
    }


def _run(client, **kwargs) -> dict:
    response = client.post("/_dash-update-component", json=_run_request(**kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    out = response.get_json()["response"]
    return {i: out[i][p] for i, p in RUN_OUTPUTS if i in out}


@pytest.fixture
def recent(services, workspace):
    """120 days of payments up to yesterday: enough for weekly forecasts."""
    load(services, workspace, "payments", _payments(start=date.today() - timedelta(days=120)))
    return services


def _ctx(user_id: int, workspace, role=Role.ANALYST) -> WorkspaceContext:
    return WorkspaceContext(user_id=user_id, role=role, workspace=workspace)


def test_fcpg001_viewers_cannot_run_forecasts_whatever_they_send(client, auth, recent):
    auth.login("viewer@acme.test")
    out = _run(client)
    assert out[ids.FORECAST_JOB] is None and out[ids.FORECAST_STATUS] == ASK_ANALYST
    assert not [j for j in jobs.REGISTRY._jobs.values() if j.kind == "forecast" and j.running]


def test_fcpg002_bad_input_gets_a_specific_message(client, auth, recent):
    auth.login("analyst@acme.test")
    assert "is a ratio computed from other numbers" in _run(client, metric="ctr")[ids.FORECAST_STATUS]
    assert _run(client, horizon="many")[ids.FORECAST_STATUS] == "Horizon must be a whole number of periods."
    assert "unknown model" in _run(client, model="oracle")[ids.FORECAST_STATUS]
    assert "cannot be filtered by 'plan'" in _run(client, dim="plan", value="x")[ids.FORECAST_STATUS]
    assert _run(client, metric=None)[ids.FORECAST_STATUS] == "Pick a metric to forecast."


def test_fcpg003_an_analyst_runs_a_forecast_job_only_they_can_see(
    client, auth, recent, workspace, other_workspace
):
    auth.login("analyst@acme.test")
    out = _run(client)
    job_id = out[ids.FORECAST_JOB]
    assert job_id and out[ids.FORECAST_POLL] is False and out[ids.FORECAST_CANCEL] is False
    job = next(j for j in jobs.REGISTRY._jobs.values() if j.id == job_id)
    assert jobs.REGISTRY.wait(job, timeout=300)
    owner = _ctx(job.user_id, workspace)
    state = background.state(job_id, owner)
    assert state["running"] is False and state["progress"] == 1.0
    payload = state["result"]["payload"]
    assert payload["model"] == "theta" and payload["grain"] == "week" and len(payload["rows"]) == 4
    # the same id asked by another user, or for another workspace, finds nothing
    assert background.state(job_id, _ctx(job.user_id + 1, workspace)) is None
    assert background.state(job_id, _ctx(job.user_id, other_workspace)) is None
    assert background.cancel(job_id, _ctx(job.user_id + 1, workspace)) is False
    assert background.state("forged-id", owner) is None


def test_fcpg004_cancel_stops_between_two_model_fits(recent, workspace):
    from dashboard.forecast.service import ForecastRequest

    ctx = _ctx(1, workspace)
    job = background.start(recent, ctx, ForecastRequest(metric="gross_revenue", grain="day", horizon=7))
    assert background.cancel(job.id, ctx)
    assert jobs.REGISTRY.wait(job, timeout=300)
    assert background.state(job.id, ctx)["result"] == {"cancelled": True}


def test_fcpg005_find_figure_reads_the_graph_inside_a_panel():
    graph_id = ids.graph("revenue", "trend")
    children = [
        {"type": "Div", "props": {"children": "note"}},
        {
            "type": "Div",
            "props": {"children": {"type": "Graph", "props": {"id": graph_id, "figure": {"data": []}}}},
        },
    ]
    assert find_figure(children, graph_id) == {"data": []}
    assert find_figure({"type": "Div", "props": {"children": "empty"}}, graph_id) is None
    assert json.dumps(find_figure(None, graph_id)) == "null"
