"""The KPI card's sparkline: built from a cached validated figure, the same JSON as plotly's."""

from __future__ import annotations

import json

import pytest
from plotly.io.json import to_json_plotly

from components.figures import sparkline_figure
from components.kpi_card import kpi_card, sparkline


@pytest.mark.parametrize("values", [[], [1.0, None, 3.5, 0.0], [1e12, -2.5]])
@pytest.mark.parametrize("good", [True, False, None])
def test_kpi001_sparkline_equals_the_plotly_figure(values, good):
    fast = json.loads(to_json_plotly(sparkline(values, good=good)))
    assert fast == json.loads(to_json_plotly(sparkline_figure(values, good=good)))


def test_kpi002_sparklines_do_not_share_points():
    a, b = sparkline([1.0, 2.0]), sparkline([5.0])
    assert a["data"][0]["y"] == [1.0, 2.0] and b["data"][0]["y"] == [5.0]
    assert (
        sparkline([], good=True)["data"][0]["line"]["color"]
        != sparkline([], good=False)["data"][0]["line"]["color"]
    )


def test_kpi003_card_carries_the_sparkline_and_value():
    card = json.loads(
        to_json_plotly(
            kpi_card(metric="net_revenue", label="Net revenue", unit="currency", currency="USD", value=1234.5,
                     compare_value=1000.0, up_is_good=True, series=[1.0, 2.0], compare_label="prev. period")
        )
    )  # fmt: skip
    text = json.dumps(card)
    assert '"y": [1.0, 2.0]' in text and "$1,234.50" in text and "pb-delta-good" in text
