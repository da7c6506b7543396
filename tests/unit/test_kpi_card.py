"""The KPI card's sparkline: built from a cached validated figure, the same JSON as plotly's."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from plotly.io.json import to_json_plotly

from components.kpi_card import GoalView, goal_status, kpi_card, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def _svg(uri: str) -> ET.Element:
    assert uri.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(uri.split(",", 1)[1]))


def _line(uri: str) -> list[tuple[float, float]]:
    """The sparkline's line as (x, y) points in its 100 x 44 box."""
    paths = _svg(uri).findall(f"{SVG}path")
    if not paths:
        return []
    steps = paths[0].get("d").lstrip("M").split(" L")
    return [tuple(float(n) for n in step.split()) for step in steps]


def _dots(uri: str) -> int:
    return sum(p.get("class") == "pb-spark-dots" for p in _svg(uri).findall(f"{SVG}path"))


@pytest.mark.parametrize(
    "values", [[], [1.0, None, 3.5, 0.0], [1e12, -2.5], [None, None, 0.5, None, None, None], [None, 2.0]]
)
@pytest.mark.parametrize("good", [True, False, None])
def test_kpi001_sparkline_is_an_svg_line_through_every_value(values, good):
    """An image, not a Plotly figure: pages drew up to eight figures on the main thread."""
    points = _line(sparkline(values, good=good))
    assert len(points) == sum(v is not None for v in values)  # gaps joined (connectgaps)
    for (x, y), i in zip(points, [i for i, v in enumerate(values) if v is not None], strict=True):
        assert 0 <= x <= 100 and 0 <= y <= 44
        assert x == pytest.approx(i / max(len(values) - 1, 1) * 100, abs=0.01)
    ys = [y for _, y in points]
    defined = [v for v in values if v is not None]
    if len(set(defined)) > 1:  # the biggest value highest (smallest y), as a chart reads
        assert ys[defined.index(max(defined))] == min(ys)


def test_kpi002_sparklines_start_at_zero_and_take_their_colour():
    flat = _line(sparkline([5.0, 5.0, 5.0]))
    assert all(y == pytest.approx(3.0) for _, y in flat)  # on top: the axis runs from 0 to 5
    half = _line(sparkline([10.0, 5.0]))
    assert half[1][1] == pytest.approx(22.0)  # 5 of 10 sits halfway down the box
    colours = {
        good: _svg(sparkline([1.0, 2.0], good=good)).find(f"{SVG}path").get("stroke")
        for good in (True, False, None)
    }
    assert len(set(colours.values())) == 3 and colours[True] == "#2a9d8f"


def test_kpi003_card_carries_the_sparkline_and_value():
    card = json.loads(
        to_json_plotly(
            kpi_card(metric="net_revenue", label="Net revenue", unit="currency", currency="USD", value=1234.5,
                     compare_value=1000.0, up_is_good=True, series=[1.0, 2.0], compare_label="prev. period")
        )
    )  # fmt: skip
    text = json.dumps(card)
    assert "$1,234.50" in text and "pb-delta-good" in text
    assert sparkline([1.0, 2.0], good=True) in text  # the sparkline image of the series


def _find(component, component_id):
    """The child of ``component`` with id ``component_id`` (depth first), or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "children") or hasattr(child, "id"):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _card(**kw):
    args = dict(metric="net_mrr_churn", label="Net MRR churn", unit="ratio", currency="USD", value=0.096,
                compare_value=0.028, up_is_good=False, series=[], compare_label="previous period")  # fmt: skip
    return kpi_card(**(args | kw))


def test_kpi004_a_ratio_changes_in_points_coloured_by_direction():
    delta = _find(_card(), "pb-kpi-net_mrr_churn-delta")
    assert delta.children == "▲ +6.8 pp" and "pb-delta-bad" in delta.className


def test_kpi005_goal_progress_sits_inside_the_card():
    goal = GoalView("month", 50_000.0, 20_000.0, on_pace=True, finished=False)
    card = _card(metric="net_revenue", label="Net revenue", unit="currency", value=20_000.0,
                 compare_value=None, up_is_good=True, goal=goal)  # fmt: skip
    line = _find(card, "pb-kpi-net_revenue-goal")
    assert line is not None and line.children == "40% of $50k month goal · on pace"
    assert _find(_card(), "pb-kpi-net_mrr_churn-goal") is None


@pytest.mark.parametrize(
    ("goal", "up", "expected"),
    [
        (
            GoalView("month", 5000.0, 3100.0, on_pace=False, finished=False),
            False,
            ("within budget", "success"),
        ),
        (GoalView("month", 5000.0, 5200.0, on_pace=False, finished=False), False, ("over budget", "danger")),
        (GoalView("month", 5000.0, 5200.0, on_pace=True, finished=True), True, ("met", "success")),
        (GoalView("month", 5000.0, 4000.0, on_pace=False, finished=True), True, ("missed", "warning")),
        (GoalView("month", 5000.0, 1000.0, on_pace=False, finished=False), True, ("behind pace", "warning")),
        (GoalView("month", 5000.0, None, on_pace=None, finished=False), True, ("", "secondary")),
    ],
)
def test_kpi006_goal_words_for_targets_and_budgets(goal, up, expected):
    assert goal_status(goal, up) == expected


def test_kpi007_value_in_the_rows_notation_with_the_full_value_as_tooltip():
    card = _card(metric="arpa", label="ARPA", unit="currency", value=598.0, compare_value=None, compact=True)
    value = _find(card, "pb-kpi-arpa-value")
    assert (value.children, value.title) == ("$598", "$598.00")
    full = _find(_card(metric="arpa", unit="currency", value=598.0, compact=False), "pb-kpi-arpa-value")
    assert full.children == "$598.00"


def test_kpi008_the_goal_matching_the_range_wins():
    from types import SimpleNamespace as G

    from callbacks._analytics import matching_goals

    goals = [
        G(metric="net_revenue", period="year", period_start=date(2026, 1, 1)),
        G(metric="net_revenue", period="quarter", period_start=date(2026, 10, 1)),
        G(metric="net_revenue", period="month", period_start=date(2026, 10, 1)),
        G(metric="spend", period="month", period_start=date(2026, 12, 1)),
    ]
    october = matching_goals(goals, date(2026, 10, 1), date(2026, 10, 31))
    assert october["net_revenue"].period == "month" and "spend" not in october  # never December's
    q4 = matching_goals(goals, date(2026, 10, 1), date(2026, 12, 2))
    assert q4["net_revenue"].period == "quarter"
    # the last 7 days on 2 December: no month holds them, the month they end in is shown
    week = matching_goals(goals, date(2026, 11, 26), date(2026, 12, 2))
    assert week["spend"].period == "month"
    # year to date: only the year's goal holds it; December's month goal does not stand in for it
    assert "spend" not in matching_goals(goals, date(2026, 1, 1), date(2026, 12, 2))


def test_kpi009_a_change_that_rounds_to_zero_is_flat():
    # CTR 2.70% -> 2.74%: the card reads "0.0 pp", so no arrow and no colour either
    delta = _find(
        _card(metric="ctr", value=0.0274, compare_value=0.0270, up_is_good=True), "pb-kpi-ctr-delta"
    )
    assert delta.children == "0.0 pp" and "pb-delta-flat" in delta.className
    # a change that shows stays coloured by direction
    delta = _find(
        _card(metric="ctr", value=0.0284, compare_value=0.0270, up_is_good=True), "pb-kpi-ctr-delta"
    )
    assert delta.children == "▲ +0.1 pp" and "pb-delta-good" in delta.className


def test_kpi004_a_sparse_series_is_one_line_with_dots_and_a_lone_point_shows():
    """Win rate has a value only on days that closed deals: the card used to show one stray segment."""
    sparse = sparkline([None, 0.5, None, None, None, 0.25, None, None])
    assert len(_line(sparse)) == 2 and _dots(sparse) == 1
    lone = sparkline([None, None, None, 7.0])
    assert _dots(lone) == 1  # a lone point has no segment to draw
    dense = sparkline([1.0, 2.0, None, 3.0, 4.0, 5.0])
    assert len(_line(dense)) == 5 and _dots(dense) == 0
