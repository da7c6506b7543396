"""The spend-by-period figure: spend bars, ROAS on a second axis, periods as click targets."""

from __future__ import annotations

import polars as pl

from components.figures import spend_roas_figure


def test_fig001_spend_bars_and_roas_on_a_second_axis():
    frame = pl.DataFrame(
        {
            "period": ["2026-01-01", "2026-01-02"],
            "spend": [100.0, 50.0],
            "conversions": [2.0, 1.0],
            "conversion_value": [300.0, 0.0],
            "roas": [3.0, 0.0],
        }
    )
    fig = spend_roas_figure(frame, currency="EUR")
    bars, line = fig.data
    assert bars.type == "bar" and list(bars.y) == [100.0, 50.0]
    assert line.yaxis == "y2" and list(line.y) == [3.0, 0.0]
    assert list(bars.customdata) == list(line.customdata) == ["2026-01-01", "2026-01-02"]
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis.tickprefix == "€"


def test_fig002_no_spend_says_so():
    frame = pl.DataFrame({"period": ["2026-01-01"], "spend": [0.0], "roas": [None]})
    fig = spend_roas_figure(frame, currency="USD")
    assert not fig.data and "No ad spend" in fig.layout.annotations[0].text
