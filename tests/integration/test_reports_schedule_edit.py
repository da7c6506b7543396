"""`pulseboard reports edit|pause|resume|delete` and the store functions behind them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from reports.definition import ReportError
from reports.store import delete_schedule, list_schedules, set_active, update_schedule


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def schedule_id(services, workspace):
    code, out, err = run(
        services, "reports", "add", "--workspace", "acme", "--name", "Weekly", "--preset", "weekly",
        "--weekday", "mon", "--hour", "8", "--timezone", "Europe/Berlin", "--to", "a@x.com", "--json",
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)["id"]


def test_reports030_pause_and_resume(services, workspace, schedule_id):
    code, out, err = run(services, "reports", "pause", str(schedule_id), "--workspace", "acme", "--json")
    assert code == 0, err
    assert json.loads(out)["active"] is False
    assert list_schedules(services, workspace.id)[0]["active"] is False
    code, out, _ = run(services, "reports", "resume", str(schedule_id), "--workspace", "acme")
    assert code == 0
    assert "resumed" in out and "active" in out
    assert list_schedules(services, workspace.id)[0]["active"] is True


def test_reports031_edit_changes_only_the_given_fields(services, workspace, schedule_id):
    code, out, err = run(
        services, "reports", "edit", str(schedule_id), "--workspace", "acme", "--cron", "30 7 * * 1-5",
        "--timezone", "America/New_York", "--to", "b@y.com, c@z.com", "--period", "last_month", "--json",
    )  # fmt: skip
    assert code == 0, err
    info = json.loads(out)
    assert info["rule"]["cron"] == "30 7 * * 1-5"
    assert info["timezone"] == "America/New_York"
    assert info["recipients"] == ["b@y.com", "c@z.com"]
    assert info["period"] == "last_month"
    assert info["formats"] == ["pdf", "xlsx"]  # unchanged
    assert info["name"] == "Weekly"


def test_reports032_bad_edits_are_refused_and_change_nothing(services, workspace, schedule_id):
    before = list_schedules(services, workspace.id)
    for args, words in (
        (["--timezone", "Mars/Base"], "Mars/Base"),
        (["--to", "not-an-address"], "not-an-address"),
        (["--cron", "61 * * * *"], "cron"),
        (["--sections", "kpis,nope"], "nope"),
        ([], "nothing to change"),
    ):
        code, _, err = run(services, "reports", "edit", str(schedule_id), "--workspace", "acme", *args)
        assert code != 0
        assert words in err
    assert list_schedules(services, workspace.id) == before


def test_reports033_delete(services, workspace, schedule_id):
    code, out, err = run(services, "reports", "delete", str(schedule_id), "--workspace", "acme")
    assert code == 0, err
    assert "deleted" in out
    assert list_schedules(services, workspace.id) == []
    code, _, err = run(services, "reports", "delete", str(schedule_id), "--workspace", "acme")
    assert code != 0
    assert f"no scheduled report with id {schedule_id}" in err


def test_reports034_another_workspace_cannot_touch_the_schedule(
    services, workspace, other_workspace, schedule_id
):
    for action in (
        lambda: set_active(services, other_workspace.id, schedule_id, False),
        lambda: delete_schedule(services, other_workspace.id, schedule_id),
        lambda: update_schedule(services, other_workspace.id, schedule_id, {"recipients": "evil@x.com"}),
    ):
        with pytest.raises(ReportError, match="no scheduled report"):
            action()
    code, _, err = run(services, "reports", "pause", str(schedule_id), "--workspace", "globex")
    assert code != 0 and "no scheduled report" in err
    info = list_schedules(services, workspace.id)[0]
    assert info["active"] is True and info["recipients"] == ["a@x.com"]


def test_reports035_unknown_field_is_refused(services, workspace, schedule_id):
    with pytest.raises(ReportError, match="cannot change 'workspace_id'"):
        update_schedule(services, workspace.id, schedule_id, {"workspace_id": 2})
