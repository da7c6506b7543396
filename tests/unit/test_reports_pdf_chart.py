"""The PDF's trend chart, drawn from plain reportlab shapes (reports.pdf._chart)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from reportlab.graphics.shapes import Line, PolyLine, Rect, String
from reportlab.lib import colors

from components.formatting import numbers_as
from reports.assemble import Trend, chart_kind
from reports.pdf import LINE_WIDTH, UNDER_WIDTH, _axis_format, _chart, _nice_ticks, _overlap_note, _runs


@pytest.mark.parametrize(
    ("low", "high", "want"),
    [
        (0, 17_800, [0, 5000, 10_000, 15_000, 20_000]),
        (0, 0.37, [0, 0.1, 0.2, 0.3, 0.4]),
        (-120, 480, [-200, 0, 200, 400, 600]),
        (0, 0, [0, 0.25, 0.5, 0.75, 1.0]),  # a flat zero series still gets an axis
        (0, 5, [0, 2, 4, 6]),
    ],
)
def test_pdfchart001_ticks_are_round_and_cover_the_values(low, high, want):
    ticks = _nice_ticks(low, high)
    assert ticks == pytest.approx(want)
    assert ticks[0] <= low and ticks[-1] >= high


def test_pdfchart002_a_missing_value_breaks_the_line():
    assert _runs([1.0, None, 2.0, 3.0, None, None]) == [[(0, 1.0)], [(2, 2.0), (3, 3.0)]]
    assert _runs([None]) == []


def _data():
    return SimpleNamespace(workspace=SimpleNamespace(currency="USD"))


def test_pdfchart003_chart_has_lines_grid_labels_and_legend():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    trend = Trend(
        "day",
        days,
        [
            ("Net revenue", "currency", [1000.0 + 100 * i for i in range(30)]),
            ("Gross revenue", "currency", [1100.0 + 100 * i if i != 10 else None for i in range(30)]),
        ],
    )
    drawing = _chart(trend, _data(), 480)
    texts = [s.text for s in drawing.contents if isinstance(s, String)]
    lines = [s for s in drawing.contents if isinstance(s, PolyLine)]
    assert len(lines) == 3  # one line, and the other broken where a value is missing
    assert "Net revenue" in texts and "Gross revenue" in texts
    assert "1 Nov" in texts and "$4k" in texts and "$0" in texts
    assert len([t for t in texts if t.endswith("Nov")]) <= 10  # labels never crowd


@pytest.mark.parametrize(
    ("unit", "ticks", "want"),
    [
        # steps under a thousand in full: "$0.5k" made a manager read twice
        ("currency", [0, 500, 1000, 1500], ["$0", "$500", "$1,000", "$1,500"]),
        ("currency", [0, 2500, 5000, 7500, 10_000], ["$0", "$2.5k", "$5.0k", "$7.5k", "$10.0k"]),
        ("count", [0, 2000, 4000, 6000], ["0", "2k", "4k", "6k"]),
        ("count", [0, 250_000, 500_000, 750_000, 1_000_000], ["0", "0.25M", "0.50M", "0.75M", "1.00M"]),
        ("currency", [-200, 0, 200, 400], ["−$200", "$0", "$200", "$400"]),
        ("currency", [-5000, 0, 5000], ["−$5k", "$0", "$5k"]),  # one minus sign on every axis
    ],
)
def test_pdfchart004_axis_ticks_read_plainly_and_zero_is_never_0_0k(unit, ticks, want):
    label = _axis_format(unit, "USD", ticks)
    assert [label(t) for t in ticks] == want


def test_pdfchart005_axis_ticks_follow_the_number_locale():
    with numbers_as("de-DE"):
        label = _axis_format("currency", "EUR", [0, 2500, 5000])
        assert [label(t) for t in (0, 2500, 5000)] == ["0\u00a0€", "2,5k\u00a0€", "5,0k\u00a0€"]


def _lines(drawing):
    return [s for s in drawing.contents if isinstance(s, PolyLine)]


def test_pdfchart006_a_series_hidden_under_another_is_drawn_wide_and_light_beneath_it():
    """Net and gross revenue were equal on most days: the gross line hid the net one."""
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(10)]
    net = [1000.0 + 100 * i for i in range(10)]
    gross = [v + (50 if i == 3 else 0) for i, v in enumerate(net)]
    trend = Trend("day", days, [("Net revenue", "currency", net), ("Gross revenue", "currency", gross)])
    under, over = _lines(_chart(trend, _data(), 480))
    assert under.strokeWidth == UNDER_WIDTH > over.strokeWidth == LINE_WIDTH
    assert under.strokeColor != over.strokeColor
    legend = [s for s in _chart(trend, _data(), 480).contents if isinstance(s, Line) and s.strokeWidth > 1]
    assert sorted(s.strokeWidth for s in legend) == [LINE_WIDTH, UNDER_WIDTH]  # the legend tells them apart
    assert _overlap_note(trend) == (
        "Net revenue equals gross revenue on 9 of 10 days: there the thin line runs inside the wide one."
    )


def test_pdfchart007_series_apart_keep_one_width_and_no_note():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(10)]
    trend = Trend(
        "day",
        days,
        [("Ad spend", "currency", [100.0] * 10), ("Conversion value", "currency", [900.0] * 10)],
    )
    assert {line.strokeWidth for line in _lines(_chart(trend, _data(), 480))} == {LINE_WIDTH}
    assert _overlap_note(trend) is None


def test_pdfchart008_a_chart_title_is_one_sentence():
    """The title read "Net revenue and Gross revenue by day": a capital inside the sentence."""
    series = [("Net revenue", "currency", []), ("Gross revenue", "currency", []), ("ROAS", "multiple", [])]
    assert Trend("day", [], series[:2]).title == "Net revenue and gross revenue by day"
    assert Trend("week", [], series).title == "Net revenue, gross revenue and ROAS by week"


def _sends(n: int = 30, on=(2, 9, 16, 23, 26)) -> list[float]:
    """Emails delivered by day: a newsletter on a few days, nothing on the others."""
    return [5800.0 if i in on else 0.0 for i in range(n)]


@pytest.mark.parametrize(
    ("series", "events", "want"),
    [
        ([("Emails delivered", "count", _sends())], True, "bar"),  # five sends in thirty days
        ([("Sessions", "count", [900.0 + i for i in range(30)])], True, "line"),  # every day
        ([("Emails delivered", "count", _sends())], False, "line"),  # a level, not events
        ([("Refunds", "currency", _sends())], True, "line"),  # money is not a count of events
        ([("Insights", "count", [0.0, 3.0])], True, "bar"),  # half the periods empty
        ([("Insights", "count", [3.0])], True, "line"),  # one period: nothing to be sparse in
    ],
)
def test_pdfchart009_sparse_counts_of_events_are_bars_by_rule(series, events, want):
    """The daily "Emails delivered" was a line of spikes: four sends read as mountains."""
    assert chart_kind(series, events=events) == want


def test_pdfchart010_a_bar_trend_is_drawn_as_bars_on_whole_number_ticks():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    trend = Trend("day", days, [("Emails delivered", "count", _sends())], kind="bar")
    drawing = _chart(trend, _data(), 480)
    bars = [s for s in drawing.contents if isinstance(s, Rect)]
    assert len(bars) == 5 + 1  # one bar per send (none for a day without one) and the legend's
    assert not _lines(drawing)
    assert _overlap_note(trend) is None
    # an axis of counts never reads 2.5 (written "2" or "3"): whole-number ticks only
    few = Trend("day", days[:3], [("Insights", "count", [1.0, 0.0, 9.0])], kind="bar")
    ticks = [s.text for s in _chart(few, _data(), 480).contents if isinstance(s, String)]
    assert "5" in ticks and "10" in ticks and "8" not in ticks
    assert _nice_ticks(0, 9, whole=True) == [0, 5, 10]
    assert _nice_ticks(0, 2, whole=True) == [0, 1, 2]


def _quarter_weeks():
    """Q3 2026 by week: 29 Jun (5 of 7 days inside), twelve whole weeks, 28 Sep (3 of 7)."""
    from reports.assemble import partial_periods

    weeks = [date(2026, 6, 29) + timedelta(days=7 * i) for i in range(14)]
    values = [500.0] + [700.0] * 12 + [300.0]  # 100 a day: the ends are short, not down
    partial = partial_periods(weeks, "week", date(2026, 7, 1), date(2026, 9, 30))
    return Trend("week", weeks, [("Net revenue", "currency", values)], partial=partial)


def test_pdfchart011_partial_first_and_last_weeks_are_hollow_and_dashed_not_a_solid_drop():
    """The quarter's line fell at both ends: 5 and 3 days drawn as if they were whole weeks."""
    from reportlab.graphics.shapes import Circle

    trend = _quarter_weeks()
    assert trend.partial == {0: (5, 7), 13: (3, 7)}
    drawing = _chart(trend, _data(), 480)
    solid = [s for s in drawing.contents if isinstance(s, PolyLine)]
    assert len(solid) == 1 and len(solid[0].points) == 2 * 12  # the whole weeks only: flat
    assert len({y for y in solid[0].points[1::2]}) == 1
    dashed = [s for s in drawing.contents if isinstance(s, Line) and s.strokeDashArray]
    assert len(dashed) == 2 + 1  # into the first and out to the last week, and the legend's key
    hollow = [c for c in drawing.contents if isinstance(c, Circle) and c.fillColor == colors.white]
    assert len(hollow) == 2 + 1
    texts = [s.text for s in drawing.contents if isinstance(s, String)]
    assert "partial week" in texts
    assert trend.partial_note.startswith("Partial weeks: 29 Jun (5 of 7 days), 28 Sep (3 of 7 days)")


def test_pdfchart012_whole_periods_and_partial_bars_by_rule():
    from reports.assemble import partial_periods

    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert partial_periods(months, "month", date(2026, 1, 1), date(2026, 3, 31)) == {}
    assert partial_periods(months, "month", date(2026, 1, 15), date(2026, 3, 10)) == {
        0: (17, 31),
        2: (10, 31),
    }
    assert partial_periods([date(2026, 7, 1)], "day", date(2026, 7, 1), date(2026, 7, 1)) == {}
    weeks = [date(2026, 6, 29), date(2026, 7, 6)]
    trend = Trend(
        "week", weeks, [("Insights", "count", [2.0, 3.0])], kind="bar",
        partial=partial_periods(weeks, "week", date(2026, 7, 1), date(2026, 7, 12)),
    )  # fmt: skip
    bars = [r for r in _chart(trend, _data(), 480).contents if isinstance(r, Rect)]
    outlined = [r for r in bars if r.strokeColor is not None]
    assert len(outlined) == 1 + 1  # the partial week's bar, light with an outline, and the key's
