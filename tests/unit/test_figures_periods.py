"""Honest periods on charts: an unfinished last period is marked, cohorts stop at this month."""

from __future__ import annotations

from datetime import date

import polars as pl

from components.figures import cohort_heatmap, trend_figure


def _trend(unfinished: bool):
    frame = pl.DataFrame(
        {"period": [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)], "value": [100.0, 120.0, 8.0]}
    )
    return trend_figure(frame, label="Net revenue", unit="currency", currency="EUR", unfinished=unfinished)


def test_per001_unfinished_last_period_is_a_dotted_to_date_segment():
    fig = _trend(unfinished=True)
    solid, partial = fig.data[0], fig.data[1]
    assert list(solid.x) == [date(2026, 10, 1), date(2026, 11, 1)]
    assert list(partial.x) == [date(2026, 11, 1), date(2026, 12, 1)] and list(partial.y) == [120.0, 8.0]
    assert partial.line.dash == "dot" and partial.name == "Net revenue (to date)"
    assert partial.hovertemplate[1] == "%{text} (to date)" and list(partial.text) == ["€120.00", "€8.00"]


def test_per002_finished_periods_are_one_solid_line():
    fig = _trend(unfinished=False)
    assert len(fig.data) == 1 and list(fig.data[0].y) == [100.0, 120.0, 8.0]
    assert fig.data[0].hovertemplate == "%{text}"
    assert list(fig.data[0].text) == ["€100.00", "€120.00", "€8.00"]


def test_per003_cohort_months_that_have_not_happened_are_blank():
    frame = pl.DataFrame(
        {
            "cohort": ["2026-11", "2026-11", "2026-12", "2026-12"],
            "months_since": [0, 1, 0, 1],
            "customer_retention": [1.0, 0.4, 1.0, 0.0],
        }
    )
    fig = cohort_heatmap(frame, today=date(2026, 12, 2))
    heat = fig.data[0]
    assert [list(r) for r in heat.z] == [[1.0, 0.4], [1.0, None]]
    # December is running on the 2nd: its cells are italic and hover "month to date"
    assert [list(r) for r in heat.text] == [["100%", "<i>40%</i>"], ["<i>100%</i>", ""]]
    assert [list(r) for r in heat.customdata] == [["", " (month to date)"], [" (month to date)", ""]]
    assert list(heat.y) == ["Nov 2026", "Dec 2026"]  # months as people read them
    # without a date every cell shows (e.g. a past range exported)
    assert cohort_heatmap(frame).data[0].text[1][1] == "0%"
    # no white cells: the lowest colour is tinted, so it reads on the dark theme
    assert heat.colorscale[0][1] != "#ffffff" and heat.colorscale[0][1].lower() != "rgb(255,255,255)"


def test_per004_an_unfinished_last_bar_is_lighter_and_says_to_date():
    from components.figures import customers_figure, mark_unfinished

    counts = pl.DataFrame(
        {"period": ["2026-10-01", "2026-11-01", "2026-12-01"], "new": [5, 6, 1], "returning": [9, 8, 2]}
    ).with_columns((pl.col("new") + pl.col("returning")).alias("active"))
    fig = mark_unfinished(customers_figure(counts))
    for bar in fig.data:
        assert list(bar.marker.opacity) == [1.0, 1.0, 0.45]
        assert bar.hovertemplate[-1] == "%{y:,.0f} (to date)" and bar.hovertemplate[0] == "%{y:,.0f}"


def test_per005_period_ends():
    from callbacks._analytics import period_end

    assert period_end(date(2026, 12, 1), "month") == date(2026, 12, 31)
    assert period_end(date(2026, 2, 1), "month") == date(2026, 2, 28)
    assert period_end(date(2026, 11, 30), "week") == date(2026, 12, 6)
    assert period_end(date(2026, 12, 2), "day") == date(2026, 12, 2)


def test_per006_losses_hover_with_a_true_minus_before_the_symbol():
    from components.figures import movements_figure

    movements = pl.DataFrame(
        {
            "period": ["2026-11-01"],
            "new": [1000.0],
            "expansion": [0.0],
            "reactivation": [0.0],
            "contraction": [250.0],
            "churn": [3500.0],
            "net_movement": [-2750.0],
        }
    )
    fig = movements_figure(movements, currency="USD")
    hovers = {t.name: (t.hovertemplate, list(t.text)) for t in fig.data}
    assert hovers["Churn"] == ("%{text}", ["\u2212$3,500.00"])  # never "$-3,500.00"
    assert hovers["Net"] == ("%{text}", ["\u2212$2,750.00"])
    assert hovers["New"] == ("%{text}", ["$1,000.00"])
    # the text is for the hover only: no label printed on the bars
    assert all(t.textposition == "none" for t in fig.data if t.type == "bar")
    # and the axis below zero reads "−$2k" (Plotly's tickprefix would write "$−2k")
    axis = fig.layout.yaxis
    assert "\u2212$2k" in axis.ticktext and "$0" in axis.ticktext and "$−2k" not in axis.ticktext
    assert min(axis.tickvals) <= -3750 and max(axis.tickvals) >= 1000


def test_per007_a_net_loss_on_the_trend_hovers_with_a_true_minus():
    frame = pl.DataFrame({"period": [date(2026, 10, 1), date(2026, 11, 1)], "value": [100.0, -1200.0]})
    fig = trend_figure(frame, label="Net revenue", unit="currency", currency="USD")
    assert list(fig.data[0].text) == ["$100.00", "\u2212$1,200.00"]


def test_per008_a_missing_country_reads_unknown_and_still_filters():
    from components.figures import bar_figure

    frame = pl.DataFrame({"country": ["US", "DE", "(none)"], "value": [400.0, 50.0, 90.0]})
    bar = bar_figure(frame, "country", unit="count", currency="USD").data[0]
    assert list(bar.y) == ["US", "DE", "Unknown"]
    assert list(bar.customdata) == ["US", "DE", "(none)"]  # a click filters on what matches them
