"""The /settings goals screen: owners set, replace and delete goals; others are refused; no
goal of another workspace can be touched, even with forged callback inputs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from callbacks import settings as cb
from dashboard import goals
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.models import Goal, Role, User
from tests.conftest import load, payments_frame

TODAY = date(2026, 7, 15)


def _ctx(services, workspace, email: str, role: Role) -> WorkspaceContext:
    with services.db.session() as db:
        user_id = db.scalar(select(User.id).where(User.email == email))
    return WorkspaceContext(user_id=user_id, role=role, workspace=workspace)


def _goals(services, workspace_id: int) -> list[tuple]:
    with services.db.session() as db:
        return [
            (g.metric, g.period, g.period_start, g.target)
            for g in db.scalars(select(Goal).where(Goal.workspace_id == workspace_id).order_by(Goal.id))
        ]


@pytest.fixture
def owner(services, workspace):
    return _ctx(services, workspace, "owner@acme.test", Role.OWNER)


# -- plain functions --------------------------------------------------------------------------------
def test_goalui001_owner_sets_replaces_and_deletes_a_goal(services, workspace, owner):
    cb.save_goal_request(services, owner, "net_revenue", "month", "current", "20000", TODAY)
    assert _goals(services, workspace.id) == [("net_revenue", "month", date(2026, 7, 1), 20000.0)]

    cb.save_goal_request(services, owner, "net_revenue", "month", "current", 25000.5, TODAY)  # same period
    assert _goals(services, workspace.id) == [("net_revenue", "month", date(2026, 7, 1), 25000.5)]

    rows = cb.goal_rows(services, owner, TODAY)
    assert [(r["label"], r["period"], r["status"], r["target_text"]) for r in rows] == [
        ("Net revenue", "month", "current", "$25,000.50")
    ]
    assert cb.delete_goal_by_id(services, owner, rows[0]["id"]) is True
    assert _goals(services, workspace.id) == []
    assert cb.delete_goal_by_id(services, owner, rows[0]["id"]) is False  # already gone


def test_goalui002_next_period_and_each_period_kind(services, workspace, owner):
    cb.save_goal_request(services, owner, "new_customers", "month", "next", "40", TODAY)
    cb.save_goal_request(services, owner, "mrr", "quarter", "current", "9000", TODAY)
    cb.save_goal_request(services, owner, "spend", "year", "next", "0", TODAY)
    assert sorted(_goals(services, workspace.id)) == [
        ("mrr", "quarter", date(2026, 7, 1), 9000.0),
        ("new_customers", "month", date(2026, 8, 1), 40.0),
        ("spend", "year", date(2027, 1, 1), 0.0),
    ]
    statuses = {r["metric"]: r["status"] for r in cb.goal_rows(services, owner, TODAY)}
    assert statuses == {"new_customers": "future", "mrr": "current", "spend": "future"}
    assert cb.goal_day("month", "next", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a target."),
        (None, "Enter a target."),
        ("   ", "Enter a target."),
        ("-5", "The target cannot be negative."),
        (-0.01, "The target cannot be negative."),
        ("abc", "The target must be a number."),
        (True, "The target must be a number."),
        ("nan", "The target must be a finite number."),
        ("inf", "The target must be a finite number."),
    ],
)
def test_goalui003_bad_targets_get_a_clear_message_and_save_nothing(services, workspace, owner, raw, message):
    with pytest.raises(cb.TargetError, match=message):
        cb.save_goal_request(services, owner, "net_revenue", "month", "current", raw, TODAY)
    assert _goals(services, workspace.id) == []


@pytest.mark.parametrize(
    ("metric", "period", "when", "message"),
    [
        ("no_such_metric", "month", "current", "Pick a metric"),
        ("ctr", "month", "current", "Pick a metric"),  # a ratio: not offered as a goal
        (None, "month", "current", "Pick a metric"),
        ("net_revenue", "week", "current", "Pick a period"),
        ("net_revenue", "month", "yesterday", "this period or the next"),
    ],
)
def test_goalui004_unknown_metric_period_or_when(services, workspace, owner, metric, period, when, message):
    with pytest.raises(ValueError, match=message):
        cb.save_goal_request(services, owner, metric, period, when, "100", TODAY)
    assert _goals(services, workspace.id) == []


@pytest.mark.parametrize(
    ("email", "role"), [("analyst@acme.test", Role.ANALYST), ("viewer@acme.test", Role.VIEWER)]
)
def test_goalui005_non_owners_are_refused_and_nothing_changes(services, workspace, owner, email, role):
    cb.save_goal_request(services, owner, "net_revenue", "month", "current", "1000", TODAY)
    before = _goals(services, workspace.id)
    goal_id = cb.goal_rows(services, owner, TODAY)[0]["id"]
    other = _ctx(services, workspace, email, role)
    with pytest.raises(PermissionDenied, match="Only owners"):
        cb.save_goal_request(services, other, "net_revenue", "month", "current", "5", TODAY)
    with pytest.raises(PermissionDenied, match="Only owners"):
        cb.delete_goal_by_id(services, other, goal_id)
    assert _goals(services, workspace.id) == before
    # they still see the goals, read-only
    assert [r["id"] for r in cb.goal_rows(services, other, TODAY)] == [goal_id]


def test_goalui006_forged_goal_id_of_another_workspace_changes_nothing(
    services, workspace, other_workspace, owner
):
    globex_owner = _ctx(services, other_workspace, "owner@globex.test", Role.OWNER)
    foreign = goals.set_goal(services, globex_owner, "net_revenue", "month", TODAY, 777.0)
    assert cb.delete_goal_by_id(services, owner, foreign.id) is False
    assert cb.delete_goal_by_id(services, owner, "1 OR 1=1") is False
    assert cb.delete_goal_by_id(services, owner, None) is False
    assert _goals(services, other_workspace.id) == [("net_revenue", "month", date(2026, 7, 1), 777.0)]
    assert cb.goal_rows(services, owner, TODAY) == []  # and acme never lists it


def test_goalui007_progress_is_the_metric_to_date(services, workspace, owner):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {"id": "p1", "created": "2026-07-02 10:00", "amount": "300.00", "customer": "a"},
                {"id": "p2", "created": "2026-07-10 10:00", "amount": "200.00", "customer": "b"},
                # the month before: counts for June's goal only
                {"id": "p3", "created": "2026-06-10 10:00", "amount": "999.00", "customer": "c"},
            ]
        ),
    )
    cb.save_goal_request(services, owner, "net_revenue", "month", "current", "1000", TODAY)
    cb.save_goal_request(services, owner, "net_revenue", "month", "current", "1000", date(2026, 6, 3))
    rows = {r["period_start"]: r for r in cb.goal_rows(services, owner, TODAY)}
    july, june = rows[date(2026, 7, 1)], rows[date(2026, 6, 1)]
    assert (july["actual_text"], july["progress"], july["status"]) == ("$500.00", 0.5, "current")
    assert july["on_pace"] is True  # 15 of 31 days gone: $483.87 expected by now
    assert (june["actual_text"], june["status"], june["on_pace"]) == ("$999.00", "past", False)


def test_goalui008_goal_metrics_are_sums_and_snapshots():
    names = {m.name for m in cb.goal_metrics()}
    assert {"net_revenue", "gross_revenue", "new_customers", "mrr", "arr", "spend", "sessions"} <= names
    assert not names & {"ctr", "roas", "open_rate", "average_order_value", "cpa", "win_rate"}
    assert cb.goal_metric_options()[0] == {"label": "Gross revenue", "value": "gross_revenue"}


# -- over HTTP, through the real callback wiring -------------------------------------------------------
_OUTPUTS = [
    {"id": "pb-settings-goal-message", "property": "children"},
    {"id": "pb-settings-goal-target", "property": "invalid"},
    {"id": "pb-settings-goals-version", "property": "data"},
]


def _action(
    *, save=None, deletes=(), metric="net_revenue", period="month", when="current", target="100", changed=None
) -> dict:
    delete_inputs = [
        {"id": {"type": "pb-settings-goal-delete", "goal": gid}, "property": "n_clicks", "value": clicks}
        for gid, clicks in deletes
    ]
    return {
        "output": "..pb-settings-goal-message.children...pb-settings-goal-target.invalid"
        "...pb-settings-goals-version.data..",
        "outputs": _OUTPUTS,
        "inputs": [
            {"id": "pb-settings-goal-save", "property": "n_clicks", "value": save},
            {"id": "pb-settings-goal-target", "property": "n_submit", "value": None},
            delete_inputs,
        ],
        "changedPropIds": [changed or "pb-settings-goal-save.n_clicks"],
        "state": [
            {"id": "pb-settings-goal-metric", "property": "value", "value": metric},
            {"id": "pb-settings-goal-period", "property": "value", "value": period},
            {"id": "pb-settings-goal-when", "property": "value", "value": when},
            {"id": "pb-settings-goal-target", "property": "value", "value": target},
            {"id": "pb-settings-goals-version", "property": "data", "value": 3},
        ],
    }


def _delete_changed(goal_id: int) -> str:
    return '{"goal":' + str(goal_id) + ',"type":"pb-settings-goal-delete"}.n_clicks'


def test_goalui101_owner_saves_over_http(client, auth, services, workspace):
    auth.login("owner@acme.test")
    response = client.post("/_dash-update-component", json=_action(save=1, target="20000"))
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert "Saved: Net revenue $20,000.00 for" in json.dumps(out["pb-settings-goal-message"])
    assert out["pb-settings-goal-target"]["invalid"] is False
    assert out["pb-settings-goals-version"]["data"] == 4
    assert [(m, p, t) for m, p, _, t in _goals(services, workspace.id)] == [("net_revenue", "month", 20000.0)]


def test_goalui102_bad_target_over_http_marks_the_field(client, auth, services, workspace):
    auth.login("owner@acme.test")
    out = client.post("/_dash-update-component", json=_action(save=1, target="-3")).get_json()["response"]
    assert "cannot be negative" in json.dumps(out["pb-settings-goal-message"])
    assert out["pb-settings-goal-target"]["invalid"] is True
    assert "pb-settings-goals-version" not in out
    assert _goals(services, workspace.id) == []


@pytest.mark.parametrize("email", ["analyst@acme.test", "viewer@acme.test"])
def test_goalui103_non_owner_forging_the_form_is_refused(client, auth, services, workspace, email):
    auth.login(email)
    out = client.post("/_dash-update-component", json=_action(save=1, target="5")).get_json()["response"]
    assert "Only owners can set goals" in json.dumps(out["pb-settings-goal-message"])
    assert _goals(services, workspace.id) == []


def test_goalui104_forged_delete_of_another_workspaces_goal(
    client, auth, services, workspace, other_workspace
):
    globex_owner = _ctx(services, other_workspace, "owner@globex.test", Role.OWNER)
    foreign = goals.set_goal(services, globex_owner, "mrr", "month", date.today(), 5.0)
    auth.login("owner@acme.test")
    body = _action(deletes=[(foreign.id, 1)], changed=_delete_changed(foreign.id))
    out = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert "no longer exists" in json.dumps(out["pb-settings-goal-message"])
    assert len(_goals(services, other_workspace.id)) == 1


def test_goalui105_owner_deletes_over_http(client, auth, services, workspace):
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    goal = goals.set_goal(services, owner, "net_revenue", "month", date.today(), 10.0)
    auth.login("owner@acme.test")
    # a delete button that just appeared (n_clicks 0) does nothing
    fresh = client.post(
        "/_dash-update-component", json=_action(deletes=[(goal.id, 0)], changed=_delete_changed(goal.id))
    )
    assert fresh.status_code == 204
    out = client.post(
        "/_dash-update-component", json=_action(deletes=[(goal.id, 1)], changed=_delete_changed(goal.id))
    ).get_json()["response"]
    assert "Goal deleted." in json.dumps(out["pb-settings-goal-message"])
    assert _goals(services, workspace.id) == []


def test_goalui106_anonymous_gets_401(client, workspace):
    response = client.post("/_dash-update-component", json=_action(save=1))
    assert response.status_code == 401


def test_goalui107_page_sections_follow_the_role(client, auth, services, workspace):
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    goals.set_goal(services, owner, "net_revenue", "month", date.today(), 10.0)
    render = {
        "output": "..pb-settings-goal-form.children...pb-settings-appearance.children...pb-settings-account.children..",
        "outputs": [
            {"id": "pb-settings-goal-form", "property": "children"},
            {"id": "pb-settings-appearance", "property": "children"},
            {"id": "pb-settings-account", "property": "children"},
        ],
        "inputs": [{"id": "pb-settings-init", "property": "data", "value": 0}],
        "changedPropIds": [],
        "state": [],
    }
    listing = {
        "output": "..pb-settings-goals.children...pb-settings-goals-poll.disabled..",
        "outputs": [
            {"id": "pb-settings-goals", "property": "children"},
            {"id": "pb-settings-goals-poll", "property": "disabled"},
        ],
        "inputs": [
            {"id": "pb-settings-goals-version", "property": "data", "value": 0},
            {"id": "pb-settings-goal-form", "property": "children", "value": None},
            {"id": "pb-settings-goals-poll", "property": "n_intervals", "value": None},
        ],
        "changedPropIds": [],
        "state": [],
    }
    auth.login("owner@acme.test")
    page = json.dumps(client.post("/_dash-update-component", json=render).get_json())
    assert "pb-settings-goal-save" in page and "owner@acme.test" in page and "Acme" in page
    assert "pb-settings-goal-delete" in json.dumps(
        client.post("/_dash-update-component", json=listing).get_json()
    )
    auth.logout()
    auth.login("viewer@acme.test")
    page = json.dumps(client.post("/_dash-update-component", json=render).get_json())
    assert "pb-settings-goal-save" not in page and "Only owners can set goals" in page
    listed = json.dumps(client.post("/_dash-update-component", json=listing).get_json())
    assert "Net revenue" in listed and "pb-settings-goal-delete" not in listed
