"""Chart margins estimated from a figure's labels (components.chart_margins).

The browser half of this (Plotly draws each chart once: its margins already fit) is
tests/browser/test_pages.py::test_pag006.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import plotly.graph_objects as go

from components.chart_margins import EDGE, LABEL_GAP, _si_label_bound, fit_margins, text_px
from components.figures import base_layout


def test_cm001_text_is_measured_as_dejavu_sans_draws_it():
    assert text_px("") == 0
    assert math.isclose(text_px("15k"), (636 + 636 + 579) * 12 / 1000)
    assert text_px("Organic Social") > text_px("Organic")
    # markup is not drawn, and a label on two lines is as wide as its longer line
    assert text_px("<b>Direct</b>") == text_px("Direct")
    assert text_px("Sep 6<br>2026") == text_px("Sep 6")
    assert text_px("Ünïcode") > text_px("Unicode")  # unknown glyphs count as wide


def test_cm002_a_date_trend_gets_room_for_two_lines_of_dates_its_numbers_and_its_legend():
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(90)]
    fig = go.Figure(layout={**base_layout(), "barmode": "stack"})
    fig.add_bar(x=days, y=[14_000] * 90, name="New")
    fig.add_bar(x=days, y=[1_000] * 90, name="Returning")
    fit_margins(fig)
    m = fig.layout.margin
    assert m.b == EDGE + 36  # "Sep 6" with "2026" under it
    assert m.t == 24 + 18  # one legend row above the plot
    # the stack reaches 15k: ticks up to "15k" or "20k", never a third digit
    assert m.l == math.ceil(EDGE + text_px("00k") + LABEL_GAP)
    assert m.r == 21  # half a date label ("Sep 30"): a tick may fall on the range's last day


def test_cm003_horizontal_bars_make_room_for_their_longest_name_and_last_tick():
    names = ["Paid Search", "New customers from paid channels", "Email"]
    fig = go.Figure(go.Bar(x=[3_000, 2_000, 1_000], y=names, orientation="h"), layout=base_layout())
    fig.update_xaxes(tickprefix="$", tickformat="~s")
    fit_margins(fig)
    m = fig.layout.margin
    assert m.l == math.ceil(EDGE + text_px("New customers from paid channels") + LABEL_GAP)
    assert m.b == EDGE + 20
    assert m.r >= text_px("$3.0k") / 2  # the last tick label is centred on the right edge


def test_cm004_fixed_decimal_and_percent_ticks_are_measured_as_written():
    fig = go.Figure(
        go.Bar(x=[12.2, 3.1], y=["Google Ads", "Meta Ads"], orientation="h"), layout=base_layout()
    )
    fig.update_xaxes(tickformat=".1~f", ticksuffix="×")
    fit_margins(fig)
    assert fig.layout.margin.r >= text_px("16.0×") / 2

    ratio = go.Figure(go.Scatter(x=["a", "b"], y=[0.42, 0.9]), layout=base_layout())
    ratio.update_yaxes(tickformat=".0%")
    fit_margins(ratio)
    assert ratio.layout.margin.l >= EDGE + text_px("100%")


def test_cm005_a_figure_that_set_its_own_margins_keeps_them():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={**base_layout(), "margin": {"l": 70}})
    fit_margins(fig)
    assert fig.layout.margin.l == 70 and fig.layout.margin.b is None


def test_cm006_si_label_bound_covers_every_tick_plotly_may_write():
    assert _si_label_bound(0.4) == "0.00"
    assert _si_label_bound(7.5) == "0.0"
    assert _si_label_bound(420) == "000"  # "400", "500"
    assert _si_label_bound(14_200) == "00k"  # "15k"
    # below 10M the ticks between may be "500k" or "2.5M": the wider one
    assert _si_label_bound(2_400_000) in ("000k", "0.0M")
    assert text_px(_si_label_bound(2_400_000)) >= max(text_px("500k"), text_px("2.5M"))


def test_cm007_no_data_no_change():
    fig = go.Figure(layout=base_layout())
    fit_margins(fig)
    assert fig.layout.margin.l is None
