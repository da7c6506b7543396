"""The Reports page's filters and custom period: spec building, preview, downloads, schedules, edits.

Callback bodies are called directly inside a logged-in request (as in test_reports_web.py); the
role and workspace come from the session, the filters and dates from browser state.
"""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from components import ids
from dashboard.accounts import create_user, get_workspace
from dashboard.models import ReportSchedule
from reports.definition import ReportError
from tests.conftest import PASSWORD, load, payments_frame
from tests.integration.test_reports_web import as_user

KEYS = ("channel", "campaign", "product", "country", "platform")


def filter_state(**chosen):
    """The builder's filter dropdowns as Dash sends them: (values, ids) of the ALL pattern."""
    id_list = [ids.report_filter("build", key) for key in KEYS]
    return [chosen.get(key) for key in KEYS], id_list


def dump(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


@pytest.fixture
def seeded(services, workspace):
    """January 2026: 10 x 10 by Email (DE), 10 x 30 by Paid search (US)."""
    rows = [
        {"id": f"e{i}", "created": f"2026-01-{1 + i:02d} 10:00", "amount": "10.00", "customer": f"c{i}",
         "channel": "Email", "country": "DE", "product": "Pro"}
        for i in range(10)
    ]  # fmt: skip
    rows += [
        {"id": f"s{i}", "created": f"2026-01-{11 + i:02d} 10:00", "amount": "30.00", "customer": f"d{i}",
         "channel": "Paid search", "country": "US", "product": "Basic"}
        for i in range(10)
    ]  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return services


def test_reportweb050_spec_from_the_form_custom_period_and_filters():
    from callbacks.reports import filters_from_form, spec_from_form

    filters = filters_from_form(*filter_state(channel="Email", country="DE"))
    assert filters == {"channel": "Email", "country": "DE"}
    spec = spec_from_form(
        ["kpis"], "custom", "none", start="2026-01-05", end="2026-01-20T00:00:00", filters=filters
    )
    assert (spec.period, spec.start, spec.end) == ("custom", date(2026, 1, 5), date(2026, 1, 20))
    assert spec.filters == {"channel": "Email", "country": "DE"}
    # a relative period ignores whatever the (hidden) date picker holds
    spec = spec_from_form(["kpis"], "last_week", "none", start="2026-01-20", end="2026-01-05")
    assert (spec.period, spec.start, spec.end) == ("last_week", None, None)
    for start, end, words in (
        ("2026-01-20", "2026-01-05", "the date range is reversed: from 2026-01-20 is after to 2026-01-05"),
        (None, "2026-01-05", "choose the first and the last day of the custom range"),
        ("yesterday", "2026-01-05", "the custom range's dates must be YYYY-MM-DD"),
        ("0001-01-01", "2026-01-05", "from 0001-01-01 is out of range"),
    ):
        with pytest.raises(ReportError, match=words):
            spec_from_form(["kpis"], "custom", "none", start=start, end=end)


def test_reportweb051_forged_filters_are_refused():
    from callbacks.reports import filters_from_form

    values, id_list = filter_state()
    assert filters_from_form(values, id_list) == {}  # every dropdown on "All ..."
    assert filters_from_form(None, None) == {}
    with pytest.raises(ReportError, match="unknown filter 'workspace_id'"):
        filters_from_form(["2"], [{"type": ids.REPORTS_FILTER, "form": "build", "key": "workspace_id"}])
    with pytest.raises(ReportError, match="the channel filter needs a value of 1 to 200 characters"):
        filters_from_form(*filter_state(channel="x" * 201))
    with pytest.raises(ReportError, match="the channel filter needs a value"):
        filters_from_form(*filter_state(channel=["Email"]))
    with pytest.raises(ReportError, match="could not be read"):
        filters_from_form(["Email"], [])


def test_reportweb052_preview_names_the_filter_and_dates_and_links_carry_them(app, seeded):
    from callbacks.reports import preview

    with as_user(app, "analyst@acme.test"):
        shown, links = preview(
            1, ["kpis"], "custom", "none", "2026-01-01", "2026-01-31", *filter_state(channel="Email")
        )
    text = dump(shown)
    assert "1 \\u2013 31 Jan 2026" in text  # the dates (JSON-escaped en dash)
    assert "Filters: Channel = Email" in text
    assert "$100.00" in text and "$400.00" not in text  # Email's revenue, not the workspace's
    href = links[1].href
    assert href.startswith("/reports/export.xlsx?")
    assert "range=custom&from=2026-01-01&to=2026-01-31" in href and "channel=Email" in href
    with as_user(app, "analyst@acme.test"):
        shown, links = preview(1, ["kpis"], "custom", "none", "2026-01-31", "2026-01-01", *filter_state())
    assert links == [] and "the date range is reversed" in dump(shown[0])


def test_reportweb053_the_preview_links_download_filtered_totals(app, client, auth, seeded):
    """The Reports page's Excel link and the /revenue filter bar's link both give Email's numbers."""
    from callbacks.reports import filter_bar_links, preview

    with as_user(app, "analyst@acme.test"):
        _, links = preview(
            1, ["kpis"], "custom", "none", "2026-01-01", "2026-01-31", *filter_state(channel="Email")
        )
        _, revenue_xlsx, _ = filter_bar_links(
            "/revenue", "?range=custom&from=2026-01-01&to=2026-01-31&compare=none&channel=Email"
        )
    auth.login("analyst@acme.test")
    for href in (links[1].href, revenue_xlsx):
        response = client.get(href)
        assert response.status_code == 200, response.data[:200]
        summary = openpyxl.load_workbook(io.BytesIO(response.data))["Summary"]
        values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
        assert values["Net revenue"] == pytest.approx(100.0)  # 10 x 10 by Email (all: 400)
        assert values["Filters"] == "Channel = Email"


def test_reportweb054_save_schedule_keeps_filters_and_refuses_a_custom_period(app, seeded):
    from callbacks.reports import save_schedule
    from reports.store import list_schedules

    form = ["Email weekly", "weekly", "mon", 1, 8, "", "Europe/Berlin", ["pdf"], "ann@acme.test", "{report}",
            ["kpis"], "last_week", "none", 0, ""]  # fmt: skip
    with as_user(app, "manager@acme.test"):
        message, _ = save_schedule(
            1, *form[:11], "custom", *form[12:], "2026-01-01", "2026-01-31", *filter_state()
        )
    assert "Not saved: a scheduled report needs a relative period" in dump(message[0])
    with as_user(app, "analyst@acme.test"):
        message, _ = save_schedule(1, *form, None, None, *filter_state(channel="Email"))
    assert "Not saved" in dump(message[0])
    with seeded.db.session() as db:
        assert db.scalars(select(ReportSchedule)).all() == []
        workspace_id = get_workspace(db, "acme").id
    with as_user(app, "manager@acme.test"):
        message, version = save_schedule(1, *form, None, None, *filter_state(channel="Email", country="DE"))
    assert message.startswith("Scheduled Email weekly") and version == 1
    (info,) = list_schedules(seeded, workspace_id)
    assert info["filters"] == {"channel": "Email", "country": "DE"}


def test_reportweb055_edit_dialog_shows_and_changes_the_filters(app, seeded):
    from callbacks.common import request_scope
    from callbacks.reports import editable_schedule, filter_choices, filter_options, save_edit
    from components.reports import edit_form
    from reports.definition import ReportSpec
    from reports.schedule import Rule
    from reports.store import ScheduleRequest, add_schedule, list_schedules

    with seeded.db.session() as db:
        workspace_id = get_workspace(db, "acme").id

    spec = ReportSpec(period="last_week", filters={"channel": "Gone channel"})
    request = ScheduleRequest("Weekly", spec, Rule("weekly"), "UTC", "pdf", "ann@acme.test")
    schedule_id = add_schedule(seeded, workspace_id, None, request)["id"]
    with as_user(app, "manager@acme.test"):
        schedule = editable_schedule(schedule_id)
        choices = filter_choices(request_scope(None))
        options = filter_options(choices, schedule["filters"])
    assert {"Email", "Paid search"} <= set(choices["channel"])  # with the ad platforms' channels
    assert choices["country"] == ["DE", "US"] and choices["product"] == ["Basic", "Pro"]
    # a stored value the data lacks is still offered: Dash 4 would clear it otherwise
    assert {"label": "Gone channel", "value": "Gone channel"} in options["channel"]
    layout = edit_form(schedule, options).to_plotly_json()
    dropdowns = [
        c for c in _walk(layout) if c.get("props", {}).get("id") == ids.report_filter("edit", "channel")
    ]
    assert dropdowns and dropdowns[0]["props"]["value"] == "Gone channel"
    edit_ids = [ids.report_filter("edit", key) for key in KEYS]
    fields = [schedule_id, "Weekly", "weekly", "mon", 1, 8, 0, "", "UTC", ["pdf"], "ann@acme.test",
              "last_week", "{report}", 0, ""]  # fmt: skip
    with as_user(app, "manager@acme.test"):
        message, is_open, _ = save_edit(1, *fields, ["Email", None, None, "DE", None], edit_ids)
    assert message is None and is_open is False
    assert list_schedules(seeded, workspace_id)[0]["filters"] == {"channel": "Email", "country": "DE"}
    with as_user(app, "manager@acme.test"):
        message, is_open, _ = save_edit(1, *fields, ["x"], [{"type": ids.REPORTS_FILTER, "key": "planet"}])
    assert "Not saved: unknown filter 'planet'" in dump(message) and is_open is not False
    with as_user(app, "manager@acme.test"):
        save_edit(1, *fields, [None] * 5, edit_ids)
    assert list_schedules(seeded, workspace_id)[0]["filters"] == {}


def test_reportweb056_the_date_picker_shows_for_custom_only(app, seeded):
    from callbacks.reports import period_controls

    with as_user(app, "viewer@acme.test"):
        cls, message = period_controls("last_month", "2026-01-31", "2026-01-01")
        assert "d-none" in cls and message is None
        cls, message = period_controls("custom", "2026-01-01", "2026-01-31")
        assert "d-none" not in cls and message is None
        cls, message = period_controls("custom", "2026-01-31", "2026-01-01")
    assert "d-none" not in cls
    assert "the date range is reversed: from 2026-01-31 is after to 2026-01-01." in dump(message)


def test_reportweb057_the_builder_has_the_filters_and_a_custom_period():
    from components.reports import builder

    options = {key: [{"label": "A", "value": "A"}] for key in KEYS}
    layout = builder(
        "UTC", filter_options=options, start=date(2026, 1, 1), end=date(2026, 1, 31)
    ).to_plotly_json()
    found = {
        json.dumps(c["props"].get("id"), sort_keys=True): c
        for c in _walk(layout)
        if "id" in c.get("props", {})
    }
    for key in KEYS:
        dropdown = found[json.dumps(ids.report_filter("build", key), sort_keys=True)]
        assert dropdown["props"]["options"] == [{"label": "A", "value": "A"}]
    picker = found[json.dumps(ids.REPORTS_DATES)]["props"]
    assert (picker["start_date"], picker["end_date"]) == ("2026-01-01", "2026-01-31")
    assert "d-none" in found[json.dumps(ids.REPORTS_DATES_WRAP)]["props"]["className"]
    period = found[json.dumps(ids.REPORTS_PERIOD)]["props"]
    assert {"label": "Custom range", "value": "custom"} in period["options"]


def _walk(node):
    """Every component dict in a ``to_plotly_json()`` tree."""
    if isinstance(node, dict):
        if "props" in node:
            yield node
            yield from _walk(node["props"].get("children"))
        return
    if isinstance(node, list | tuple):
        for child in node:
            yield from _walk(child)
    elif hasattr(node, "to_plotly_json"):
        yield from _walk(node.to_plotly_json())
