"""Pause/resume/delete buttons of the Reports page: role and workspace checked on the server."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from components import ids
from components import reports as ui
from dashboard.accounts import create_user, get_workspace
from dashboard.auth import PermissionDenied
from reports.definition import ReportSpec
from reports.schedule import Rule
from reports.store import ScheduleRequest, add_schedule, list_schedules
from tests.conftest import PASSWORD
from tests.integration.test_reports_web import as_user


@pytest.fixture
def seeded(services, workspace):
    """The acme workspace with a manager besides its owner, analyst and viewer."""
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return services


@pytest.fixture
def schedule(seeded, workspace):
    request = ScheduleRequest("Weekly", ReportSpec(), Rule("weekly", "mon", 1, 8, 0), "UTC", "pdf", "a@x.com")
    return add_schedule(seeded, workspace.id, None, request)["id"]


def test_reportweb020_manager_pauses_resumes_and_deletes(app, seeded, workspace, schedule):
    from callbacks.reports import change_schedule

    with as_user(app, "manager@acme.test"):
        assert change_schedule(schedule, "pause")["active"] is False
        assert list_schedules(seeded, workspace.id)[0]["active"] is False
        assert change_schedule(schedule, "resume")["active"] is True
        change_schedule(schedule, "delete")
    assert list_schedules(seeded, workspace.id) == []


def test_reportweb021_analysts_and_forged_ids_change_nothing(
    app, seeded, workspace, other_workspace, schedule
):
    from callbacks.reports import change_schedule

    with as_user(app, "analyst@acme.test"), pytest.raises(PermissionDenied):
        change_schedule(schedule, "delete")
    with as_user(app, "owner@globex.test"), pytest.raises(PreventUpdate):
        change_schedule(schedule, "delete")  # another workspace's schedule id
    with as_user(app, "manager@acme.test"):
        for bad_id, action in ((schedule, "drop"), (str(schedule), "delete"), (schedule + 99, "pause")):
            with pytest.raises(PreventUpdate):
                change_schedule(bad_id, action)
    assert list_schedules(seeded, workspace.id)[0]["active"] is True


def test_reportweb022_buttons_only_for_managers(seeded, workspace, schedule):
    items = list_schedules(seeded, workspace.id)
    with_buttons = ui.schedules_table(items, can_manage=True).to_plotly_json()
    without = ui.schedules_table(items).to_plotly_json()
    assert str(ids.report_schedule_action(schedule, "pause")) in str(with_buttons)
    assert "pb-report-schedule-action" not in str(without)
