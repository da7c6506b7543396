"""Builders of the /settings page, the navbar theme button and the dark figure template."""

from __future__ import annotations

import json
from datetime import date

import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

from components import figures, ids, settings
from components.shell import theme_toggle


def _json(component) -> str:
    return json.dumps(component.to_plotly_json(), cls=PlotlyJSONEncoder, ensure_ascii=False)


def _row(**over) -> dict:
    row = {
        "id": 7,
        "label": "Net revenue",
        "period": "month",
        "period_start": date(2026, 7, 1),
        "status": "current",
        "target_text": "$20,000.00",
        "actual_text": "$5,000.00",
        "progress": 0.25,
        "on_pace": False,
    }
    return row | over


def test_setc001_period_labels():
    assert settings.period_label("month", date(2026, 7, 1)) == "July 2026"
    assert settings.period_label("quarter", date(2026, 10, 1)) == "Q4 2026"
    assert settings.period_label("year", date(2027, 1, 1)) == "2027"


def test_setc002_goals_list_states():
    assert "No goals yet. Set one below" in _json(settings.goals_list([], can_edit=True))
    assert "Set one below" not in _json(settings.goals_list([], can_edit=False))

    owner_view = _json(settings.goals_list([_row()], can_edit=True))
    assert "Behind pace" in owner_view and "$5,000.00 of $20,000.00 · 25%" in owner_view
    assert json.dumps(ids.goal_delete(7))[1:-1] in owner_view
    assert "Delete the Net revenue goal for July 2026" in owner_view  # the icon button has a name

    read_only = _json(settings.goals_list([_row()], can_edit=False))
    assert ids.SETTINGS_GOAL_DELETE not in read_only and "Behind pace" in read_only

    assert "Met" in _json(
        settings.goals_list([_row(status="past", on_pace=True, progress=1.2)], can_edit=False)
    )
    future = _json(settings.goals_list([_row(status="future", on_pace=None, progress=None)], can_edit=False))
    assert "Not started" in future and "Target $20,000.00" in future
    assert "No data" in _json(settings.goals_list([_row(on_pace=None, progress=None)], can_edit=False))


def test_setc003_form_defaults_to_net_revenue_and_month():
    form = settings.goal_form(
        [
            {"label": "Gross revenue", "value": "gross_revenue"},
            {"label": "Net revenue", "value": "net_revenue"},
        ]
    )
    built = _json(form)
    assert '"value": "net_revenue"' in built and '"value": "month"' in built
    assert ids.SETTINGS_GOAL_SAVE in built
    assert "Only owners" in _json(settings.read_only_note("analyst"))
    assert "you are an analyst" in _json(settings.read_only_note("analyst"))
    assert "you are a viewer" in _json(settings.read_only_note("viewer"))


def test_setc004_theme_picker_and_toggle():
    picker = settings.theme_picker("dark").children[0]
    assert picker.id == ids.theme_choice("settings") and picker.value == "dark"
    assert [o["value"] for o in picker.options] == ["light", "dark", "auto"]
    assert settings.theme_picker("purple").children[0].value == "light"
    button = theme_toggle()
    assert button.id == ids.THEME_TOGGLE and button.type == "button"
    assert "theme" in button.to_plotly_json()["props"]["aria-label"]


def test_setc005_dark_template_and_helper():
    light = go.Figure(layout={"template": figures.TEMPLATE})
    assert figures.themed(light, "light").layout.template.layout.font.color is None
    dark = figures.themed(go.Figure(layout={"template": figures.TEMPLATE}), "dark")
    assert dark.layout.template.layout.font.color == figures.DARK_TEXT
    assert list(dark.layout.template.layout.colorway) == figures.PALETTE  # same colours as light
    auto = figures.themed(go.Figure(layout={"template": figures.TEMPLATE}), "auto")
    assert auto.layout.template.layout.font.color is None  # resolved in the browser, by CSS
