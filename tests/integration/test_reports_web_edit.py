"""The Reports page's edit dialog over HTTP: managers edit their workspace's schedules, nobody else."""

from __future__ import annotations

import json

import pytest

from components import ids
from components import reports as ui
from dashboard.accounts import create_user, get_workspace
from reports.definition import ReportError, ReportSpec
from reports.schedule import Rule
from reports.store import ScheduleRequest, add_schedule, list_schedules, update_schedule
from tests.conftest import PASSWORD

FILTER_KEYS = ("channel", "campaign", "product", "country", "platform")

#: the dialog's fields as a manager changes them
CHANGES = {
    ids.REPORTS_EDIT_NAME: "Monday numbers",
    ids.REPORTS_EDIT_PRESET: "cron",
    ids.REPORTS_EDIT_WEEKDAY: "mon",
    ids.REPORTS_EDIT_DAY: 1,
    ids.REPORTS_EDIT_HOUR: 8,
    ids.REPORTS_EDIT_MINUTE: 0,
    ids.REPORTS_EDIT_CRON: "30 7 * * 1-5",
    ids.REPORTS_EDIT_TIMEZONE: "America/New_York",
    ids.REPORTS_EDIT_FORMATS: ["pdf", "csv"],
    ids.REPORTS_EDIT_RECIPIENTS: "b@y.com, c@z.com",
    ids.REPORTS_EDIT_PERIOD: "last_month",
    ids.REPORTS_EDIT_SUBJECT: "{report} for {workspace}",
    ids.REPORTS_EDIT_INTRO: "Good morning,\nthe numbers of {period}.",
    ids.REPORTS_VERSION: 3,
}


@pytest.fixture
def seeded(services, workspace):
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return services


@pytest.fixture
def schedule(seeded, workspace):
    request = ScheduleRequest(
        "Weekly",
        ReportSpec(title="Weekly"),
        Rule("weekly", "tue", 1, 9, 15),
        "Europe/Berlin",
        "pdf",
        "a@x.com",
    )
    return add_schedule(seeded, workspace.id, None, request)["id"]


def _outputs(key: str) -> list[dict]:
    parts = key.strip(".").split("...")
    return [
        {"id": ident, "property": prop}
        for ident, _, prop in (part.split("@")[0].rpartition(".") for part in parts)
    ]


def _callback(app, output: str) -> tuple[str, dict]:
    return next((k, s) for k, s in app.callback_map.items() if output in k and "callback" in s)


def open_dialog(app, client, schedule_id):
    """POST the Edit button's click, as the browser does."""
    client.get("/_dash-dependencies")
    key, _ = _callback(app, f"{ids.REPORTS_EDIT_FORM}.children")
    button = {"schedule": schedule_id, "type": "pb-report-schedule-edit"}
    body = {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [],
        "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def save_dialog(app, client, schedule_id, filters=None, **overrides):
    """POST the dialog's Save click with its fields (``CHANGES`` unless overridden).

    ``filters`` is what the dialog's filter dropdowns hold (``{dimension: value}``; none chosen
    when not given), sent as Dash sends a pattern-id ``ALL`` state: one entry per dropdown.
    """
    client.get("/_dash-dependencies")
    key, spec = _callback(app, f"{ids.REPORTS_EDIT_MESSAGE}.children@")
    values = {**CHANGES, ids.REPORTS_EDIT_ID: schedule_id, **overrides}

    def state(s):
        if not s["id"].startswith("{"):  # a pattern id is its JSON in the callback map
            return {"id": s["id"], "property": s["property"], "value": values[s["id"]]}
        dropdowns = [ids.report_filter("edit", k) for k in FILTER_KEYS]
        return [
            {
                "id": d,
                "property": s["property"],
                "value": d if s["property"] == "id" else (filters or {}).get(d["key"]),
            }
            for d in dropdowns
        ]

    body = {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [{"id": ids.REPORTS_EDIT_SAVE, "property": "n_clicks", "value": 1}],
        "state": [state(s) for s in spec["state"]],
        "changedPropIds": [f"{ids.REPORTS_EDIT_SAVE}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def test_reportweb030_manager_opens_the_dialog_filled_with_the_schedule(app, client, auth, schedule):
    auth.login("manager@acme.test")
    response = open_dialog(app, client, schedule)
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert out[ids.REPORTS_EDIT_MODAL]["is_open"] is True
    assert out[ids.REPORTS_EDIT_ID]["data"] == schedule
    form = json.dumps(out[ids.REPORTS_EDIT_FORM]["children"])
    for shown in ('"Weekly"', '"tue"', '"Europe/Berlin"', '"a@x.com"', "15"):
        assert shown in form


def test_reportweb031_manager_saves_name_rule_zone_recipients_formats_and_period(
    app, client, auth, seeded, workspace, schedule
):
    auth.login("manager@acme.test")
    response = save_dialog(app, client, schedule)
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert out[ids.REPORTS_EDIT_MODAL]["is_open"] is False
    assert out[ids.REPORTS_VERSION]["data"] == 4  # the page re-reads the schedules
    (info,) = list_schedules(seeded, workspace.id)
    assert info["name"] == "Monday numbers"
    assert info["rule"]["preset"] == "cron" and info["rule"]["cron"] == "30 7 * * 1-5"
    assert info["timezone"] == "America/New_York"
    assert info["recipients"] == ["b@y.com", "c@z.com"]
    assert info["formats"] == ["pdf", "csv"]
    assert info["period"] == "last_month"
    assert info["subject"] == "{report} for {workspace}"
    assert info["intro"] == "Good morning,\nthe numbers of {period}."
    # a preset again: the minute field is kept, not reset
    save_dialog(app, client, schedule, **{ids.REPORTS_EDIT_PRESET: "daily", ids.REPORTS_EDIT_MINUTE: 45})
    (info,) = list_schedules(seeded, workspace.id)
    assert info["when"] == "every day at 08:45"


@pytest.mark.parametrize("email", ["viewer@acme.test", "analyst@acme.test"])
def test_reportweb032_viewers_and_analysts_are_refused(app, client, auth, seeded, workspace, schedule, email):
    before = list_schedules(seeded, workspace.id)
    auth.login(email)
    assert open_dialog(app, client, schedule).status_code == 204  # the dialog stays closed
    response = save_dialog(app, client, schedule)
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert "Not saved" in json.dumps(out[ids.REPORTS_EDIT_MESSAGE]) and "manager" in json.dumps(out)
    assert ids.REPORTS_VERSION not in out and ids.REPORTS_EDIT_MODAL not in out
    assert list_schedules(seeded, workspace.id) == before


def test_reportweb033_another_workspace_cannot_open_or_save_by_id(
    app, client, auth, seeded, workspace, other_workspace, schedule
):
    before = list_schedules(seeded, workspace.id)
    auth.login("owner@globex.test")
    assert open_dialog(app, client, schedule).status_code == 204
    out = save_dialog(app, client, schedule).get_json()["response"]
    assert f"no scheduled report with id {schedule} in this workspace" in json.dumps(out)
    assert list_schedules(seeded, workspace.id) == before


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        (ids.REPORTS_EDIT_TIMEZONE, "Mars/Base", "Mars/Base"),
        (ids.REPORTS_EDIT_RECIPIENTS, "not-an-address", "not-an-address"),
        (ids.REPORTS_EDIT_CRON, "every monday", "cron"),
        (ids.REPORTS_EDIT_FORMATS, [], "format"),
        (ids.REPORTS_EDIT_NAME, "  ", "name"),
        (ids.REPORTS_EDIT_HOUR, {"forged": 1}, "whole numbers"),
        (ids.REPORTS_EDIT_PERIOD, "custom", "custom"),
        (ids.REPORTS_EDIT_ID, "1", "no scheduled report is open"),
    ],
)
def test_reportweb034_bad_fields_keep_the_dialog_open_and_say_why(
    app, client, auth, seeded, workspace, schedule, field, value, words
):
    before = list_schedules(seeded, workspace.id)
    auth.login("manager@acme.test")
    response = save_dialog(app, client, schedule, **{field: value})
    assert response.status_code == 200
    out = response.get_json()["response"]
    message = json.dumps(out[ids.REPORTS_EDIT_MESSAGE]).lower()
    assert "not saved" in message and words.lower() in message
    assert ids.REPORTS_EDIT_MODAL not in out  # still open
    assert list_schedules(seeded, workspace.id) == before


def test_reportweb035_a_name_another_report_has_is_refused(seeded, workspace, schedule):
    other = ScheduleRequest("Monthly", ReportSpec(), Rule("daily"), "UTC", "pdf", "a@x.com")
    add_schedule(seeded, workspace.id, None, other)
    with pytest.raises(ReportError, match="already called 'Monthly'"):
        update_schedule(seeded, workspace.id, schedule, {"name": "Monthly"})
    renamed = update_schedule(seeded, workspace.id, schedule, {"name": "Tuesday"})
    assert renamed["name"] == "Tuesday"


def test_reportweb036_edit_buttons_only_for_managers(seeded, workspace, schedule):
    items = list_schedules(seeded, workspace.id)
    with_buttons = str(ui.schedules_table(items, can_manage=True).to_plotly_json())
    assert str(ids.report_schedule_edit(schedule)) in with_buttons
    assert "pb-report-schedule-edit" not in str(ui.schedules_table(items).to_plotly_json())


def test_reportweb037_cli_edit_renames_the_report(seeded, workspace, schedule):
    from click.testing import CliRunner

    from dashboard.cli import cli

    args = ["reports", "edit", str(schedule), "--workspace", "acme", "--name", "Tuesday numbers", "--json"]
    result = CliRunner().invoke(cli, args, obj=seeded, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "Tuesday numbers"
    assert list_schedules(seeded, workspace.id)[0]["when"] == "every Tuesday at 09:15"  # rule kept


def test_reportweb038_intro_text_in_the_dialog_is_validated_and_cleared(
    app, client, auth, seeded, workspace, schedule
):
    auth.login("manager@acme.test")
    save_dialog(app, client, schedule)
    form = json.dumps(open_dialog(app, client, schedule).get_json()["response"][ids.REPORTS_EDIT_FORM])
    assert ids.REPORTS_EDIT_INTRO in form and "the numbers of {period}." in form
    response = save_dialog(app, client, schedule, **{ids.REPORTS_EDIT_INTRO: "x" * 2001})
    out = response.get_json()["response"]
    assert "the intro text is 2,001 characters long; at most 2,000 are allowed" in json.dumps(out)
    assert ids.REPORTS_EDIT_MODAL not in out  # the dialog stays open
    response = save_dialog(app, client, schedule, **{ids.REPORTS_EDIT_INTRO: "Hi {recipient}"})
    assert "bad placeholder {recipient}" in json.dumps(response.get_json()["response"])
    (info,) = list_schedules(seeded, workspace.id)
    assert info["intro"] == "Good morning,\nthe numbers of {period}."
    save_dialog(app, client, schedule, **{ids.REPORTS_EDIT_INTRO: "x" * 2000})
    assert list_schedules(seeded, workspace.id)[0]["intro"] == "x" * 2000
    save_dialog(app, client, schedule, **{ids.REPORTS_EDIT_INTRO: ""})
    assert list_schedules(seeded, workspace.id)[0]["intro"] == ""


def test_reportweb039_the_dialog_shows_and_saves_filters(app, client, auth, seeded, workspace, schedule):
    auth.login("manager@acme.test")
    update_schedule(seeded, workspace.id, schedule, {"filters": {"country": "DE"}})
    out = open_dialog(app, client, schedule).get_json()["response"]
    form = json.dumps(out[ids.REPORTS_EDIT_FORM]["children"])
    assert '"type": "pb-reports-filter"' in form and '"value": "DE"' in form
    # the stored value is among the options (DE has no rows here): Dash 4 would clear it otherwise
    assert '{"label": "DE", "value": "DE"}' in form
    response = save_dialog(app, client, schedule, filters={"channel": "Email"})
    assert response.get_json()["response"][ids.REPORTS_EDIT_MODAL]["is_open"] is False
    assert list_schedules(seeded, workspace.id)[0]["filters"] == {"channel": "Email"}
    response = save_dialog(app, client, schedule, filters={"channel": "x" * 201})
    assert "the channel filter needs a value of 1 to 200 characters" in json.dumps(response.get_json())
    save_dialog(app, client, schedule)  # every dropdown back on "All ...": no filters
    assert list_schedules(seeded, workspace.id)[0]["filters"] == {}
