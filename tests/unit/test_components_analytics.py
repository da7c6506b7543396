"""Figure and grid builders of the analytics pages: data in, expected traces and rows out."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from components.figures import bar_figure, calibration_figure, cohort_heatmap, funnel_figure, movements_figure
from components.formatting import numbers_as
from components.grids import data_grid


def test_cmp001_bar_figure_highlights_the_selected_bar_and_carries_customdata():
    frame = pl.DataFrame({"channel": ["Email", "Direct"], "value": [120.0, 80.0]})
    fig = bar_figure(frame, "channel", unit="currency", currency="USD", selected="Direct")
    bar = fig.data[0]
    assert list(bar.y) == ["Email", "Direct"] and list(bar.x) == [120.0, 80.0]
    assert list(bar.customdata) == ["Email", "Direct"]
    assert bar.marker.color[1] != bar.marker.color[0]


def test_cmp001b_bar_labels_name_codes_but_clicks_carry_the_code():
    frame = pl.DataFrame({"platform": ["google_ads", "meta_ads"], "value": [3.0, 1.0]})
    fig = bar_figure(
        frame,
        "platform",
        unit="multiple",
        currency="USD",
        labels={"google_ads": "Google Ads", "meta_ads": "Meta Ads"},
    )
    assert list(fig.data[0].y) == ["Google Ads", "Meta Ads"]
    assert list(fig.data[0].customdata) == ["google_ads", "meta_ads"]  # cross-filter on the stored value


def test_cmp002_empty_inputs_give_an_empty_state_figure():
    empty = pl.DataFrame(schema={"channel": pl.Utf8, "value": pl.Float64})
    fig = bar_figure(empty, "channel", unit="currency", currency="USD")
    assert not fig.data and "No data" in fig.layout.annotations[0].text


def test_cmp003_movements_figure_stacks_losses_below_zero():
    mv = pl.DataFrame(
        {
            "period": ["2026-01-01"],
            "new": [150.0],
            "expansion": [0.0],
            "reactivation": [0.0],
            "contraction": [20.0],
            "churn": [200.0],
            "net_movement": [-70.0],
        }
    )
    fig = movements_figure(mv, currency="USD")
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name["New"] == [150.0] and by_name["Churn"] == [-200.0] and by_name["Contraction"] == [-20.0]
    assert by_name["Net"] == [-70.0] and fig.layout.barmode == "relative"


def test_cmp004_cohort_heatmap_is_cohort_by_month():
    c = pl.DataFrame(
        {
            "cohort": ["2026-01", "2026-01", "2026-02"],
            "months_since": [0, 1, 0],
            "customer_retention": [1.0, 0.5, 1.0],
        }
    )
    hm = cohort_heatmap(c).data[0]
    assert list(hm.y) == ["Jan 2026", "Feb 2026"] and list(hm.x) == [0, 1]
    assert hm.z[0] == (1.0, 0.5) or list(hm.z[0]) == [1.0, 0.5]
    assert hm.text[0][1] == "50%"


def test_cmp005_funnel_and_calibration():
    f = pl.DataFrame({"stage": ["Impressions", "Clicks"], "value": [1000.0, 50.0]})
    assert list(funnel_figure(f).data[0].x) == [1000.0, 50.0]
    cal = pl.DataFrame({"bin": ["20%–40%"], "predicted": [0.3], "observed": [0.25], "deals": [10]})
    fig = calibration_figure(cal)
    assert list(fig.data[1].x) == [0.3] and list(fig.data[1].y) == [0.25]


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
def test_cmp005b_calibration_axes_are_padded_so_the_origin_labels_stay_apart(locale):
    """On [0, 1] exactly both "0%" labels met at the origin at 390 px and 100% lost its x tick."""
    cal = pl.DataFrame(
        {"bin": ["0–20%", "80–100%"], "predicted": [0.0, 1.0], "observed": [0.0, 1.0], "deals": [5, 5]}
    )
    with numbers_as(locale):
        layout = calibration_figure(cal).to_plotly_json()["layout"]
    for axis in (layout["xaxis"], layout["yaxis"]):
        low, high = axis["range"]
        assert low < 0 < 1 < high  # the bins at 0% and 100% are whole, inside the frame
        assert [round(v, 6) for v in axis["tickvals"]] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_cmp006_grid_rows_and_formatted_columns():
    frame = pl.DataFrame({"name": ["A"], "revenue": [12.5], "share": [0.25], "last_day": [date(2026, 1, 2)]})
    grid = data_grid("g", frame, units={"revenue": "currency", "share": "ratio"}, currency="EUR")
    assert grid.rowData == [{"name": "A", "revenue": 12.5, "share": 0.25, "last_day": "2 Jan 2026"}]
    defs = {c["field"]: c for c in grid.columnDefs}
    assert "€" in defs["revenue"]["valueFormatter"]["function"]
    assert ".1%" in defs["share"]["valueFormatter"]["function"]
    assert defs["name"]["filter"] == "agTextColumnFilter"
